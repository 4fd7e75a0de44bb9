#!/usr/bin/env bash
# Installs what is missing, builds the release widget and serves the demo page.
# Usage: scripts/demo.sh [port]   (default 8080)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec node scripts/serve.mjs --root dist --port "${1:-8080}"
