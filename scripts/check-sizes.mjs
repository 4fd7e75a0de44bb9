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
// Bundles over the 100 KB budget today, each held to what it is now so it cannot grow while
// it is being brought under (the README's Performance section says why each is over).
const OVER_BUDGET = { eusate: 111.5 * KB };

const dist = process.argv[2] || 'dist';
const gzip = (file) => zlib.gzipSync(fs.readFileSync(path.join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / KB).toFixed(1)} KB`;

const rows = [];
rows.push({ what: 'loader helpwire.js', bytes: gzip('helpwire.js'), budget: LOADER_BUDGET });
const backends = fs.readdirSync(dist)
  .map((f) => f.match(/^helpwire_(\w+)_bg\.wasm$/)?.[1])
  .filter(Boolean)
  .sort();
if (backends.length === 0) {
  console.error(`check-sizes: no bundles in ${dist}/ (run scripts/build.sh first)`);
  process.exit(1);
}
for (const name of backends) {
  const bytes = gzip(`helpwire_${name}.js`) + gzip(`helpwire_${name}_bg.wasm`);
  rows.push({ what: `bundle ${name} (glue + wasm)`, bytes, budget: OVER_BUDGET[name] ?? BUNDLE_BUDGET });
}
let failed = 0;
for (const { what, bytes, budget } of rows) {
  const ok = bytes <= budget;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${what.padEnd(32)} ${kb(bytes).padStart(9)} gzip  (budget ${kb(budget)})`);
}
if (failed) {
  console.error(`check-sizes: ${failed} over budget`);
  process.exit(1);
}
