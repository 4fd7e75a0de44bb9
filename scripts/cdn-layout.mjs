// The CDN layout of a build, made by scripts/build.sh once the bundles are in dist/:
// - each backend's pair gets immutable names from its content: helpwire_<backend>_bg.wasm and
//   helpwire_<backend>.js become helpwire_<backend>.<hash>.wasm and helpwire_<backend>.<hash>.js;
// - the loader (js/helpwire.js, minified by terser) is written with those hashes as
//   dist/helpwire.js, the stable name pages reference, and as helpwire.<hash>.js, an immutable
//   copy for sites that pin it with Subresource Integrity;
// - each language but English (core/i18n/<lang>.json, which the widget fetches beside its bundle
//   when a visitor needs it) is copied as helpwire_<lang>.<hash>.json, the name build.rs compiled
//   into every bundle (checked here);
// - dist/manifest.json lists every file to upload with its size, SRI hash and cache class.
// Usage: node scripts/cdn-layout.mjs [dist]
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.argv[2] || path.join(ROOT, 'dist'));

const contentHash = (...buffers) => {
  const h = crypto.createHash('sha256');
  for (const b of buffers) h.update(b);
  return h.digest('hex').slice(0, 10);
};
const integrity = (buffer) => `sha384-${crypto.createHash('sha384').update(buffer).digest('base64')}`;
const fail = (why) => {
  console.error(`cdn-layout: ${why}`);
  process.exit(1);
};

// The package version, which the loader reports as Helpwire.version: one number for both.
const version = /^version\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8'))?.[1];
let loader = fs.readFileSync(path.join(ROOT, 'js/helpwire.js'), 'utf8');
if (!loader.includes(`version: '${version}'`)) fail(`js/helpwire.js does not report version '${version}' (Cargo.toml)`);

const bundleLiteral = /var BUNDLES = \{([^}]*)\};/;
const declared = bundleLiteral.exec(loader)?.[1];
if (declared === undefined) fail('js/helpwire.js has no `var BUNDLES = {…};` to fill in');
const backends = [...declared.matchAll(/(\w+):/g)].map((m) => m[1]);

const bundles = {};
for (const backend of backends) {
  const glueFile = path.join(dist, `helpwire_${backend}.js`);
  const wasmFile = path.join(dist, `helpwire_${backend}_bg.wasm`);
  if (!fs.existsSync(glueFile) || !fs.existsSync(wasmFile)) continue; // not built (HELPWIRE_BACKENDS)
  const hash = contentHash(fs.readFileSync(glueFile), fs.readFileSync(wasmFile));
  const names = { js: `helpwire_${backend}.${hash}.js`, wasm: `helpwire_${backend}.${hash}.wasm` };
  // The glue keeps its default wasm name (helpwire_<backend>_bg.wasm), which is never used: the
  // loader always passes the wasm's URL to init(). Rewriting it would cost 6-10 B gzip per bundle.
  fs.renameSync(glueFile, path.join(dist, names.js));
  fs.renameSync(wasmFile, path.join(dist, names.wasm));
  bundles[backend] = { hash, ...names };
}
if (Object.keys(bundles).length === 0) fail(`no bundles in ${dist}/`);

// The language files under the names build.rs gave them (the same hash), which every bundle
// must name: a bundle built from other texts would fetch files that are not there.
const languages = {};
for (const file of fs.readdirSync(path.join(ROOT, 'core/i18n')).sort()) {
  if (!file.endsWith('.json')) continue;
  const data = fs.readFileSync(path.join(ROOT, 'core/i18n', file));
  const name = `helpwire_${file.slice(0, -'.json'.length)}.${contentHash(data)}.json`;
  fs.writeFileSync(path.join(dist, name), data);
  languages[file.slice(0, -'.json'.length)] = name;
}
for (const [backend, { wasm }] of Object.entries(bundles)) {
  const module = fs.readFileSync(path.join(dist, wasm));
  for (const name of Object.values(languages)) {
    if (!module.includes(Buffer.from(name))) fail(`the ${backend} bundle does not name ${name}: rebuild it (scripts/build.sh)`);
  }
}

// Unbuilt backends keep '' (their files are missing: the widget reports it could not start).
loader = loader.replace(bundleLiteral, () => `var BUNDLES = { ${backends
  .map((b) => `${b}: '${bundles[b]?.hash ?? ''}'`).join(', ')} };`);
// Minified like before (budget: 2 KB gzip), keeping its /*! licence header.
const { code } = await minify(loader, { compress: true, mangle: true, format: { comments: /^!/ } });
fs.writeFileSync(path.join(dist, 'helpwire.js'), code);
const pinned = `helpwire.${contentHash(code)}.js`;
fs.writeFileSync(path.join(dist, pinned), code);

// Every file a site uploads: the widget's own (not the demo page).
const immutable = new Set([pinned, ...Object.values(bundles).flatMap((b) => [b.js, b.wasm]), ...Object.values(languages)]);
const files = {};
for (const name of fs.readdirSync(dist).sort()) {
  if (!name.startsWith('helpwire')) continue;
  const data = fs.readFileSync(path.join(dist, name));
  files[name] = { bytes: data.length, integrity: integrity(data), cache: immutable.has(name) ? 'immutable' : 'short' };
}
const manifest = {
  name: 'helpwire',
  version,
  loader: 'helpwire.js',
  pinnedLoader: pinned,
  bundles: Object.fromEntries(Object.entries(bundles).map(([b, { js, wasm }]) => [b, { js, wasm }])),
  languages,
  files,
};
fs.writeFileSync(path.join(dist, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`cdn-layout: ${Object.keys(bundles).length} bundles hashed, ${Object.keys(languages).length} language files, loader ${pinned}, manifest.json (${Object.keys(files).length} files)`);
