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
scripts/build.sh
if [ "$with_sandbox" = 1 ]; then
  (cd tests/sandbox && cargo build --release --quiet)
  tests/sandbox/target/release/helpwire-sandbox --port 8787 &
  sandbox_pid=$!
  trap 'kill $sandbox_pid 2>/dev/null' EXIT
fi
node scripts/serve.mjs --root dist --port "${1:-8080}"
