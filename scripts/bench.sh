#!/usr/bin/env bash
# Benchmark: builds the release widget into bench/out/dist (never touching dist/), installs the
# peer widgets (npm `gleap` 16.x and `@rocket.chat/livechat`) into bench/out/peers/ without saving
# them anywhere, then runs bench/bench.mjs. Prints a Markdown table; JSON goes to bench/out/.
# Usage: scripts/bench.sh [--runs 5] [--window 30] [--no-peers] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
args=()
for a in "$@"; do
  if [ "$a" = "--no-build" ]; then build=0; else args+=("$a"); fi
done

if [ "$build" = 1 ]; then
  HELPWIRE_DIST=bench/out/dist scripts/build.sh >&2
fi

if [[ " ${args[*]:-} " != *" --no-peers "* ]]; then
  mkdir -p bench/out/peers
  [ -f bench/out/peers/package.json ] || echo '{ "name": "helpwire-bench-peers", "private": true }' > bench/out/peers/package.json
  if [ ! -d bench/out/peers/node_modules/gleap ] || [ ! -d bench/out/peers/node_modules/@rocket.chat/livechat ]; then
    echo "installing the peer widgets into bench/out/peers/ (not saved to package.json)" >&2
    (cd bench/out/peers && npm install --no-save --no-audit --no-fund --loglevel=error gleap@16 @rocket.chat/livechat >&2)
  fi
fi

exec node bench/bench.mjs --dist bench/out/dist "${args[@]}"
