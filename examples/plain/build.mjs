// npm run build: bundles app.js with esbuild into public/app.js and copies the widget's files
// (node_modules/helpwire/dist) to public/helpwire/, where the app loads them from.
import { build } from 'esbuild';
import fs from 'node:fs';

await build({
  entryPoints: ['app.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  outfile: 'public/app.js',
  logLevel: 'warning',
});
fs.cpSync('node_modules/helpwire/dist', 'public/helpwire', { recursive: true });
