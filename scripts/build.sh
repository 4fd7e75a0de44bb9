#!/usr/bin/env bash
# Builds the release widget into dist/: helpwire.js (the loader, stable name), one wasm and its
# glue per backend under immutable content-hashed names (helpwire_<backend>.<hash>.js and .wasm),
# manifest.json (each file's SRI hash; scripts/cdn-layout.mjs), the TypeScript declarations, the
# stylesheet (for reference; it is compiled into the wasm) and the demo page.
# Usage: scripts/build.sh [--dev]
# HELPWIRE_DIST=<dir> builds into another folder (the benchmark uses its own, so it never touches
# the dist/ that end-to-end runs serve).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
[ "${1:-}" = "--dev" ] && profile=dev
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0)).target_directory)')
cargo=(cargo)
cargo_flags=(--lib --target wasm32-unknown-unknown)
if [ "$profile" = release ]; then
  # tools/slim-wasm edits each bundle (see below); built once, with stable cargo and none of the
  # nightly flags below, in a target folder of its own.
  env -u RUSTFLAGS CARGO_TARGET_DIR="$target_dir/slim-wasm" \
    cargo build --quiet --release --manifest-path tools/slim-wasm/Cargo.toml
  slim_wasm="$target_dir/slim-wasm/release/slim-wasm"
  # The pinned nightly, with the standard library rebuilt for size (scripts/toolchain.env), in a
  # target folder of its own so it never invalidates the stable builds tests use.
  source scripts/toolchain.env
  export RUSTFLAGS="$RELEASE_RUSTFLAGS"
  export CARGO_TARGET_DIR="$target_dir/release-bundles"
  cargo=(cargo "+$RELEASE_TOOLCHAIN")
  # optimize_for_size: std's own smaller variants (sorting, formatting), -0.9 KB gzip.
  cargo_flags+=(--release -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
  wasm_dir="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release"
else
  wasm_dir="$target_dir/wasm32-unknown-unknown/debug"
fi

dist=${HELPWIRE_DIST:-dist}

rm -rf "$dist"
mkdir -p "$dist"
# One bundle per backend (helpwire_<backend>.js + _bg.wasm), each with only its backend's code;
# the loader fetches the one its page configured. Backends: the cargo features of Cargo.toml.
# HELPWIRE_BACKENDS="local bancroft" builds only those (a quicker build while working on one).
read -r -a backends <<< "${HELPWIRE_BACKENDS:-local bancroft gleap gurusup bot eusate relay}"
if [ "$profile" = release ]; then
  # slim-wasm drop-unused traps tachys' delegated-event functions, chosen by name: with LLVM's
  # function merging on, such a name could stand for other code's body too.
  if ! grep -q -- '-Zmerge-functions=disabled' <<< "$RUSTFLAGS"; then
    echo "build.sh: RELEASE_RUSTFLAGS lacks -Zmerge-functions=disabled; slim-wasm drop-unused assumes it" >&2
    exit 1
  fi
  # slim-wasm drop-unused makes tachys' delegated-event path trap; with delegation on it would run.
  # Stable `cargo tree`, without the nightly flags above; a check that cannot run stops the build.
  features=$(RUSTFLAGS= cargo tree -q -e features -i tachys --target wasm32-unknown-unknown) || {
    echo "build.sh: cannot check tachys' features (cargo tree failed)" >&2
    exit 1
  }
  if grep -q 'feature "delegation"' <<< "$features"; then
    echo "build.sh: tachys' delegation feature is on; slim-wasm drop-unused assumes it is off" >&2
    exit 1
  fi
fi
for backend in "${backends[@]}"; do
  "${cargo[@]}" build "${cargo_flags[@]}" --no-default-features --features "$backend"
  wasm-bindgen --target web --no-typescript --out-dir "$dist" --out-name "helpwire_$backend" \
    "$wasm_dir/helpwire.wasm"
  if [ "$profile" = release ]; then
    # Code that is linked but can never run out, before wasm-opt: table entries nothing refers
    # to, tachys' delegated events (tools/slim-wasm).
    "$slim_wasm" drop-unused "$dist/helpwire_${backend}_bg.wasm" "$dist/helpwire_$backend.js"
    # Before -Oz inlines them apart: fold identical and near-identical functions (generic copies
    # differing in a constant) and restructure control flow; --low-memory-unused lets loads fold
    # constant offsets (Rust never reaches the low 1 KB through wrapping arithmetic). -4.3 KB gzip.
    # -ocimfs=40: a function with one caller is inlined only up to 40 instructions (binaryen's
    # default is any size); huge flattened functions compress worse. -6.5 KB gzip.
    # --generate-global-effects first: later passes know which calls have no side effects.
    # Then whole-program flow analysis (--gufa-optimizing: constants and dead code that only
    # following values across calls shows), dead arguments once more (--dae-optimizing), which the
    # restructured code exposes, and -Oz after it. -0.3 KB gzip, and -30 to -96 B for GUFA.
    node_modules/.bin/wasm-opt -ocimfs=40 --generate-global-effects --duplicate-function-elimination --merge-similar-functions \
      --flatten --rereloop -Oz --converge --low-memory-unused --gufa-optimizing --dae-optimizing -Oz \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$dist/helpwire_${backend}_bg.wasm" -o "$dist/helpwire_${backend}_bg.wasm"
    # Short import and export names in the wasm and its glue (-6.5 KB gzip; tools/slim-wasm).
    "$slim_wasm" shorten-names "$dist/helpwire_${backend}_bg.wasm" "$dist/helpwire_$backend.js"
    # The glue is an ES module; minified like the loader (-2.3 KB gzip).
    node_modules/.bin/terser "$dist/helpwire_$backend.js" --module --compress --mangle \
      -o "$dist/helpwire_$backend.js"
  fi
done
cp js/helpwire.d.ts style/helpwire.css "$dist/"
# Content-hashed bundle names, the loader that names them (minified by terser, budget 2 KB gzip),
# and manifest.json with every file's SRI hash.
node scripts/cdn-layout.mjs "$dist"
cp index.html "$dist/index.html"
cp -r demo "$dist/demo"
echo "built $dist/ ($profile):"
ls -l "$dist" | awk 'NR>1 {printf "  %-34s %8d bytes\n", $9, $5}'
# What was built, written last: scripts/demo.sh rebuilds only when a source is newer than this.
echo "$profile ${backends[*]}" > "$dist/.built"
