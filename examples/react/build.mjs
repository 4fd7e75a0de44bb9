// npm run build: bundles app.jsx with esbuild into public/app.js and copies the widget's files
// (node_modules/helpwire/dist) to public/helpwire/, where the app loads them from.
import { build } from 'esbuild';
import fs from 'node:fs';

await build({
  entryPoints: ['app.jsx'],
  bundle: true,
  format: 'esm',
  minify: true,
  outfile: 'public/app.js',
  logLevel: 'warning',
  jsx: 'automatic',
  // React's development build by default: its StrictMode then mounts, unmounts and mounts the
  // component again, which the recipe must (and the e2e test checks it does) survive.
  define: { 'process.env.NODE_ENV': JSON.stringify(process.env.NODE_ENV || 'development') },
});
fs.cpSync('node_modules/helpwire/dist', 'public/helpwire', { recursive: true });
