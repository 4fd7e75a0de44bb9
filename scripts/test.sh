#!/usr/bin/env bash
# Runs every check and test: formatting, the layer rule, clippy (host and wasm), host tests, the
# release build's wasm tool (tools/slim-wasm), browser component tests in headless Chromium, the
# sandbox helpdesk, the relay against it, the release build, and the end-to-end suite on it.
# Installs what is missing first (scripts/setup.sh), so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$1"; shift; "$@"; }

scripts/setup.sh
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

step "rustfmt" cargo fmt --all -- --check
step "layers: each imports only those below it (docs/architecture.md)" bash -c 'scripts/check-layers.sh && scripts/check-layers.sh --self-test'
# tools/slim-wasm (the release build's wasm edits) is a crate of its own, built with stable cargo.
slim=(--manifest-path tools/slim-wasm/Cargo.toml)
step "rustfmt (slim-wasm)" cargo fmt "${slim[@]}" -- --check
step "clippy (slim-wasm)" cargo clippy "${slim[@]}" --all-targets -- -D warnings
step "slim-wasm tests: each pass on fixtures, and each assumption broken" cargo test "${slim[@]}"
step "clippy (host)" cargo clippy --workspace --all-targets -- -D warnings
# The relay (relay/) is a native server: it is never built for wasm.
step "clippy (wasm)" cargo clippy --workspace --exclude helpwire-relay --target wasm32-unknown-unknown --all-targets -- -D warnings
# Each backend's bundle is built alone (scripts/build.sh): lint each feature on its own too.
for backend in local bancroft gleap gurusup bot eusate relay; do
  step "clippy (wasm, $backend only)" cargo clippy --lib --target wasm32-unknown-unknown \
    --no-default-features --features "$backend" -- -D warnings
done
# The relay's tests need the sandbox helpdesk's binary: they run after it is built, below.
step "host tests: core, protocols, engine (helpwire-core, natively)" cargo test --workspace --exclude helpwire-relay
step "browser tests: components in headless Chromium" cargo test --target wasm32-unknown-unknown --test browser --test crash --test json_browser --test streams
step "sandbox helpdesk: build and its own tests" bash -c 'cd tests/sandbox && cargo build --release --quiet && cargo test --release --quiet'
step "relay: its API over real HTTP, the sandbox helpdesk as upstream (relay/)" cargo test -p helpwire-relay
step "release build" scripts/build.sh
step "size budgets: loader and every bundle" node scripts/check-sizes.mjs dist
# tests/e2e/relay.test.mjs runs the widget's relay bundle through the relay's binary (it would
# build it itself; here the build's time is shown as its own step).
step "relay binary for the end-to-end tests" cargo build --profile relay -p helpwire-relay
# Also packs the npm package and runs it from a scratch project (package.test.mjs), and the files
# on another origin (cdn.test.mjs). The README's pictures are only compared; UPDATE_SCREENSHOTS=1
# rewrites them.
step "end-to-end: the real embed on host pages, every backend, the npm package, its testing kit, the framework recipes, the CDN layout (Playwright)" node --test --test-concurrency=1 tests/e2e/
# The example suite a site team would copy (examples/playwright): @playwright/test from its own
# lock, the package from a fresh tarball, Debian's Chromium; every test in two languages.
playwright_example() {
  local out
  out=$(mktemp -d)
  node scripts/package.mjs dist "$out/pkg" >/dev/null
  (cd "$out" && npm pack --silent "$out/pkg" >/dev/null)
  (cd examples/playwright && npm ci --no-audit --no-fund --loglevel=error \
    && npm install --no-save --offline --no-audit --no-fund --loglevel=error "$out"/helpwire-*.tgz \
    && npm test)
  rm -rf "$out"
}
step "example suite: examples/playwright with helpwire/testing (en, de)" playwright_example
printf '\n\033[1;32mall checks passed\033[0m\n'
