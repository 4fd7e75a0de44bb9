#!/usr/bin/env bash
# Builds the release widget into dist/: helpwire.js (the loader, stable name), one wasm and its
# glue per backend (helpwire_<backend>.js, helpwire_<backend>_bg.wasm), the TypeScript declarations, the stylesheet (for reference; it is compiled into the wasm)
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

rm -rf "$dist"
mkdir -p "$dist"
# One bundle per backend (helpwire_<backend>.js + _bg.wasm), each with only its backend's code;
# the loader fetches the one its page configured. Backends: the cargo features of Cargo.toml.
backends=(local bancroft gleap gurusup bot eusate)
for backend in "${backends[@]}"; do
  cargo build "${cargo_flags[@]}" --no-default-features --features "$backend"
  wasm-bindgen --target web --no-typescript --out-dir "$dist" --out-name "helpwire_$backend" \
    "$target_dir/wasm32-unknown-unknown/$out_dir/helpwire.wasm"
  if [ "$profile" = release ]; then
    node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$dist/helpwire_${backend}_bg.wasm" -o "$dist/helpwire_${backend}_bg.wasm"
  fi
done
# The loader ships minified by terser (budget: 2 KB gzip), keeping its /*! licence header.
node_modules/.bin/terser js/helpwire.js --compress --mangle --comments '/^!/' -o "$dist/helpwire.js"
cp js/helpwire.d.ts style/helpwire.css "$dist/"
cp index.html "$dist/index.html"
cp -r demo "$dist/demo"
echo "built $dist/ ($profile):"
ls -l "$dist" | awk 'NR>1 {printf "  %-24s %8d bytes\n", $9, $5}'
