#!/usr/bin/env bash
# Installs what is missing, builds the release widget and serves the demo page.
# Usage: scripts/demo.sh [--sandbox] [port]   (default port 8080)
#   --sandbox  also builds and starts the sandbox helpdesk on port 8787, so the demo page's
#              "Backend" links can switch the widget to Bancroft, Gleap, Gurusup, Eusate or a bot,
#              and you can answer as the agent at http://127.0.0.1:8787/_sandbox/
set -euo pipefail
cd "$(dirname "$0")/.."
with_sandbox=0
if [ "${1:-}" = "--sandbox" ]; then with_sandbox=1; shift; fi
scripts/setup.sh
# Build the widget only when something its build reads is newer than the last full release build
# (scripts/build.sh writes dist/.built last, naming the profile and backends); the demo page's own
# files are copied each time.
sources=(src core js style build.rs Cargo.toml Cargo.lock package.json package-lock.json
  scripts/build.sh scripts/cdn-layout.mjs scripts/toolchain.env tools/slim-wasm/src tools/slim-wasm/Cargo.toml)
if [ "${HELPWIRE_REBUILD:-0}" = 1 ] || [ "$(cat dist/.built 2>/dev/null)" != "release local bancroft gleap gurusup bot eusate relay" ] \
   || [ -n "$(find "${sources[@]}" -newer dist/.built -print -quit 2>/dev/null)" ]; then
  scripts/build.sh
else
  echo "dist/ is up to date with the widget's sources: not rebuilding (HELPWIRE_REBUILD=1 to force)"
  cp index.html dist/index.html
  rm -rf dist/demo && cp -r demo dist/demo
fi
if [ "$with_sandbox" = 1 ]; then
  (cd tests/sandbox && cargo build --release --quiet)
  tests/sandbox/target/release/helpwire-sandbox --port 8787 &
  sandbox_pid=$!
  trap 'kill $sandbox_pid 2>/dev/null' EXIT
fi
# The loader revalidated on every load, so a rebuilt demo shows at once (a CDN caches it briefly).
node scripts/serve.mjs --root dist --port "${1:-8080}" --loader-max-age 0
