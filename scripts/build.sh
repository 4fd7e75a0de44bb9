#!/usr/bin/env bash
# Builds the release widget into dist/: helpwire.js (the loader, stable name), the wasm and its
# glue, the TypeScript declarations, the stylesheet (for reference; it is compiled into the wasm)
# and the demo page. Usage: scripts/build.sh [--dev]
# HELPWIRE_DIST=<dir> builds into another folder (the benchmark uses its own, so it never touches
# the dist/ that end-to-end runs serve).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
[ "${1:-}" = "--dev" ] && profile=dev
cargo_flags=(--lib --target wasm32-unknown-unknown)
[ "$profile" = release ] && cargo_flags+=(--release)
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0)).target_directory)')
out_dir=$([ "$profile" = release ] && echo release || echo debug)

dist=${HELPWIRE_DIST:-dist}

cargo build "${cargo_flags[@]}"
rm -rf "$dist"
mkdir -p "$dist"
wasm-bindgen --target web --no-typescript --out-dir "$dist" --out-name helpwire_app \
  "$target_dir/wasm32-unknown-unknown/$out_dir/helpwire.wasm"
if [ "$profile" = release ]; then
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$dist/helpwire_app_bg.wasm" -o "$dist/helpwire_app_bg.wasm"
fi
# The loader ships without its whole-line comments (budget: 2 KB gzip); everything else as is.
sed -E '/^[[:space:]]*\/\/.*$/d' js/helpwire.js > "$dist/helpwire.js"
cp js/helpwire.d.ts style/helpwire.css "$dist/"
cp index.html "$dist/index.html"
cp -r demo "$dist/demo"
echo "built $dist/ ($profile):"
ls -l "$dist" | awk 'NR>1 {printf "  %-24s %8d bytes\n", $9, $5}'
