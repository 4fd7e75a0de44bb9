// The size budgets, enforced: fails when the loader or any backend's bundle (glue + wasm, each
// file gzip -9 as the benchmark counts them) is over its budget. The release build is
// deterministic, so a regression fails here rather than landing silently.
// Usage: node scripts/check-sizes.mjs [dist]
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const KB = 1024;
const LOADER_BUDGET = 2 * KB;
const BUNDLE_BUDGET = 100 * KB;
// Each bundle held (in bytes) about 1 KB above what it measured last, so none can grow silently.
// Not closer: the same source has measured up to ~300 B apart when the bundles were built in
// another order in a warm target folder. A bundle's ceiling is the lower of its held value and
// the 100 KB budget: once a bundle is under 100 KB it can never go back over it, and one still
// over is held where it is and reported as over the budget (the README's Performance section
// says what put each over).
const HELD = {
  bancroft: 91_800,
  bot: 91_900,
  eusate: 100_700,
  gleap: 94_900,
  gurusup: 89_100,
  local: 95_900,
  relay: 101_500,
};

const dist = process.argv[2] || 'dist';
const gzip = (file) => zlib.gzipSync(fs.readFileSync(path.join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / KB).toFixed(1)} KB`;

const rows = [];
rows.push({ what: 'loader helpwire.js', bytes: gzip('helpwire.js'), budget: LOADER_BUDGET });
// Every bundle in the folder, by its content-hashed names (scripts/cdn-layout.mjs):
// helpwire_<backend>.<hash>.wasm and its glue helpwire_<backend>.<hash>.js, which must be there.
const bundles = fs.readdirSync(dist)
  .map((f) => f.match(/^helpwire_(\w+)\.([0-9a-f]{10})\.wasm$/))
  .filter(Boolean)
  .map(([wasm, name, hash]) => ({ name, wasm, js: `helpwire_${name}.${hash}.js` }))
  .sort((a, b) => a.name.localeCompare(b.name));
const stray = fs.readdirSync(dist).filter((f) => f.endsWith('.wasm') && !bundles.some((b) => b.wasm === f));
if (bundles.length === 0 || stray.length) {
  console.error(`check-sizes: ${stray.length ? `wasm files not named as bundles: ${stray.join(', ')}` : `no bundles in ${dist}/`} (run scripts/build.sh first)`);
  process.exit(1);
}
for (const { name, wasm, js } of bundles) {
  const bytes = gzip(js) + gzip(wasm);
  rows.push({ what: `bundle ${name} (glue + wasm)`, bytes, budget: Math.min(HELD[name] ?? BUNDLE_BUDGET, BUNDLE_BUDGET), held: HELD[name] });
}
let failed = 0;
const overBudget = [];
for (const { what, bytes, budget, held } of rows) {
  // A bundle still over the 100 KB budget fails only above its held value.
  const ceiling = bytes > budget && held > budget ? held : budget;
  const ok = bytes <= ceiling;
  if (!ok) failed++;
  let note = held < BUNDLE_BUDGET ? `held at ${budget} B, under the ${kb(BUNDLE_BUDGET)} budget` : `budget ${kb(budget)}`;
  if (ceiling > budget) {
    overBudget.push(what);
    note = `OVER the ${kb(budget)} budget by ${bytes - budget} B; held at ${ceiling} B`;
  }
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what.padEnd(32)} ${String(bytes).padStart(7)} B = ${kb(bytes).padStart(8)} gzip  (${note})`);
}
if (overBudget.length) {
  console.log(`check-sizes: ${overBudget.length} over the ${kb(BUNDLE_BUDGET)} budget, held: ${overBudget.join(', ')}`);
}
if (failed) {
  console.error(`check-sizes: ${failed} over their ceiling`);
  process.exit(1);
}
