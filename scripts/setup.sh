#!/usr/bin/env bash
# Installs what building and testing Helpwire needs, skipping whatever is already at the right
# version, so a reused machine is ready in seconds (a fresh one needs ~8 minutes, mostly
# compiling wasm-bindgen-cli). Nothing is downloaded from outside the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. The wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

# 1b. The pinned nightly the release bundles are built with (scripts/toolchain.env): minimal,
#     plus the standard library's source (for -Zbuild-std) and the wasm target. ~15 s.
source scripts/toolchain.env
if ! rustup run "$RELEASE_TOOLCHAIN" rustc --print sysroot >/dev/null 2>&1 \
   || ! rustup component list --toolchain "$RELEASE_TOOLCHAIN" --installed | grep -q '^rust-src' \
   || ! rustup target list --toolchain "$RELEASE_TOOLCHAIN" --installed | grep -qx wasm32-unknown-unknown; then
  say "installing $RELEASE_TOOLCHAIN (release builds)"
  rustup toolchain install "$RELEASE_TOOLCHAIN" --profile minimal --component rust-src \
    --target wasm32-unknown-unknown
fi

# 2. Debian's Chromium and its driver (browser tests, Playwright), brotli (size report) and
#    redis-server (the relay's tests of several instances sharing Redis start their own).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v brotli >/dev/null \
   || ! command -v redis-server >/dev/null; then
  say "installing chromium, chromium-driver, brotli and redis-server from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver brotli redis-server >/dev/null
fi

# 3. wasm-bindgen CLI at exactly the version in Cargo.lock (the glue format must match).
want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (was: ${have:-none}); this takes several minutes"
  # Without --locked: its lockfile pins a crate version the registry mirror here lacks. Measured
  # on a fresh 2-core machine: ~6.5 min.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# 4. npm tooling: wasm-opt (binaryen 132; Debian's 108 miscompiles), terser (minifies the loader),
#    playwright-core, and esbuild (bundles a page with the npm package in its test).
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/terser ] || [ ! -d node_modules/playwright-core ] \
   || [ ! -x node_modules/.bin/esbuild ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm tooling"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 5. Crates, so later builds need no network.
cargo fetch --quiet
cargo fetch --quiet --manifest-path tools/slim-wasm/Cargo.toml
say "ready"
