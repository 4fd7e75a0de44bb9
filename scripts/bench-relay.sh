#!/usr/bin/env bash
# The relay's benchmark: starts the sandbox helpdesk and a relay for its Gleap (both release
# builds, on free loopback ports), then runs relay/examples/bench.rs against them, which prints
# the latency the relay adds at several request rates, 1,000 concurrent visitors (lost and
# doubled messages) and the memory per idle event stream. Numbers, not a test.
# Usage: scripts/bench-relay.sh [seconds per rate (5)] [rates… (100 250 500)]
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q --release --manifest-path tests/sandbox/Cargo.toml
cargo build -q --profile relay -p helpwire-relay --bin helpwire-relay --example bench
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0)).target_directory)')
relay_bin="$target_dir/relay/helpwire-relay"
bench_bin="$target_dir/relay/examples/bench"
sandbox_bin=tests/sandbox/target/release/helpwire-sandbox
[ -x "$sandbox_bin" ] || sandbox_bin="$target_dir/release/helpwire-sandbox"

# 1,000 visitors, each with connections to the relay and an event stream.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Waits for "listening on http://…" in a log and prints the URL.
address() {
  for _ in $(seq 100); do
    url=$(grep -o 'listening on http://[0-9.:]*' "$1" | head -1 | sed 's/listening on //') || true
    [ -n "$url" ] && { echo "$url"; return; }
    sleep 0.1
  done
  echo "did not start: $1" >&2; cat "$1" >&2; exit 1
}

"$sandbox_bin" --port 0 >"$work/sandbox.log" 2>&1 & pids+=($!)
sandbox=$(address "$work/sandbox.log")

cat >"$work/relay.toml" <<TOML
listen = "127.0.0.1:0"
allowed_origins = ["https://bench.example"]
token_secrets = ["bench-token-secret-0123456789abcdef-0123"]

[backend]
kind = "gleap"
api_base = "$sandbox/gleap"
api_key = "gleap_secret_test"
project = "proj_test"

[limits]
# One client address and a few visitors make all the load: the limits would measure themselves.
ip_per_minute = 100000000
ip_burst = 1000000
visitor_per_minute = 100000000
visitor_burst = 1000000
TOML
# Info logs (one line per request) go to a file, as they would in production.
"$relay_bin" --config "$work/relay.toml" >"$work/relay.out" 2>"$work/relay.log" & relay_pid=$!
pids+=("$relay_pid")
relay=$(address "$work/relay.out")

echo "sandbox $sandbox, relay $relay (pid $relay_pid), $(nproc) cores"
"$bench_bin" "$sandbox" "$relay" "$relay_pid" "$@"
