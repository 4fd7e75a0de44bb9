// Builds the npm package `helpwire` from a release build (scripts/build.sh): the ES module entry
// and its types (npm/), the Playwright helpers `helpwire/testing` (npm/testing.js), the README for npm users (npm/README.md), and under dist/ every file of
// the widget that a site hosts (those dist/manifest.json lists, and the manifest).
// Usage: node scripts/package.mjs [dist] [out]   (default: dist, dist-npm; then `npm pack out`)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.argv[2] || path.join(ROOT, 'dist'));
const out = path.resolve(process.argv[3] || path.join(ROOT, 'dist-npm'));

const manifestFile = path.join(dist, 'manifest.json');
if (!fs.existsSync(manifestFile)) {
  console.error(`package: no ${manifestFile} (run scripts/build.sh first)`);
  process.exit(1);
}
const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
const backends = Object.keys(manifest.bundles);
const expected = ['local', 'bancroft', 'gleap', 'gurusup', 'bot', 'eusate', 'relay'];
const missing = expected.filter((b) => !backends.includes(b));
if (missing.length) {
  console.error(`package: the build lacks ${missing.join(', ')} (a partial HELPWIRE_BACKENDS build is not shipped)`);
  process.exit(1);
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'dist'), { recursive: true });
for (const name of [...Object.keys(manifest.files), 'manifest.json']) {
  fs.copyFileSync(path.join(dist, name), path.join(out, 'dist', name));
}
for (const name of ['index.js', 'index.d.ts', 'testing.js', 'testing.d.ts', 'README.md']) {
  fs.copyFileSync(path.join(ROOT, 'npm', name), path.join(out, name));
}
const pkg = {
  name: 'helpwire',
  version: manifest.version,
  description: 'An embeddable customer-support chat widget (Rust + WebAssembly): one script tag, any helpdesk, strict-CSP safe.',
  license: 'MIT',
  type: 'module',
  main: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', default: './index.js' },
    './testing': { types: './testing.d.ts', default: './testing.js' },
    './dist/*': './dist/*',
    './package.json': './package.json',
  },
  files: ['index.js', 'index.d.ts', 'testing.js', 'testing.d.ts', 'dist/'],
  // helpwire/testing takes a Playwright page; only its types are used, nothing is bundled.
  peerDependencies: { 'playwright-core': '>=1.40' },
  peerDependenciesMeta: { 'playwright-core': { optional: true } },
  sideEffects: false,
  keywords: ['chat', 'support', 'widget', 'helpdesk', 'webassembly', 'live-chat'],
};
fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`package: ${out}/ (helpwire ${pkg.version}, ${Object.keys(manifest.files).length + 1} files in dist/)`);
