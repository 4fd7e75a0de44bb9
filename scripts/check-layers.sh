#!/usr/bin/env bash
# Checks the layer rule of docs/architecture.md: each layer imports only the layers below it, and
# the three pure layers (the helpwire-core crate) name no browser crate and depend on none.
#
#   scripts/check-layers.sh              check this checkout
#   scripts/check-layers.sh --self-test  show that each rule fails on a tree that breaks it
#
# Comment lines are not code: a doc comment may name a higher layer to say who calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

browser_crates='\b(web_sys|js_sys|wasm_bindgen|wasm_bindgen_futures|leptos|send_wrapper|gloo[a-z_]*)\b'

# Lines of Rust code (not comments) in the given files or folders that match `pattern`.
code_matching() {
  local pattern=$1
  shift
  grep -rnE --include='*.rs' "$pattern" "$@" | grep -vE '^[^:]+:[0-9]+:\s*//' || true
}

# check <root> : prints every violation under <root>, exits 1 if there is any.
check() {
  local root=$1 failed=0
  local core=$root/core/src widget=$root/src
  for dir in "$core/protocol" "$core/engine" "$widget/web" "$widget/ui"; do
    [ -d "$dir" ] || { echo "check-layers: $dir is missing; the layout changed, update this script" >&2; return 1; }
  done
  # Layer 1 (core): every module of helpwire-core outside protocol/ and engine/.
  local layer1=()
  for path in "$core"/*; do
    case $(basename "$path") in protocol | engine | lib.rs) ;; *) layer1+=("$path") ;; esac
  done
  report() {
    if [ -n "$2" ]; then
      printf 'check-layers: %s\n%s\n' "$1" "$2" >&2
      failed=1
    fi
  }
  report "helpwire-core names a browser crate (layers 1-3 are pure Rust):" \
    "$(code_matching "$browser_crates" "$core")"
  report "layer 1 (core) names a higher layer (protocol or engine):" \
    "$(code_matching '\bcrate::(protocol|engine)\b' "${layer1[@]}")"
  report "layer 2 (protocol) names a higher layer (engine):" \
    "$(code_matching '\bcrate::engine\b' "$core/protocol")"
  report "helpwire-core names the widget crate:" \
    "$(code_matching '\bhelpwire::' "$core")"
  report "layer 4 (web) names a higher layer (ui, api):" \
    "$(code_matching '\bcrate::(ui|api)\b|\bsuper::(ui|api)\b' "$widget/web")"
  report "layer 5 (ui) names api.rs, which wires the layers together:" \
    "$(code_matching '\bcrate::api\b|\bsuper::api\b' "$widget/ui")"
  # The manifest too: a dependency can be linked without being named in code.
  local deps
  deps=$(sed -n '/^\[dependencies\]/,/^\[/p' "$root/core/Cargo.toml" | grep -E '^[a-z]' || true)
  report "core/Cargo.toml has dependencies; the pure layers have none (add one only with a reason in docs/architecture.md):" \
    "$(grep -E '^(web-sys|js-sys|wasm-bindgen|wasm-bindgen-futures|leptos|send_wrapper|gloo)' <<< "$deps" || true)"
  # The relay (a native server) builds on helpwire-core only: no widget, no browser crate.
  if [ -d "$root/relay" ]; then
    report "helpwire-relay names a browser crate or the widget crate (it builds on helpwire-core only):" \
      "$(code_matching "$browser_crates|\bhelpwire::" "$root/relay")"
    local relay_deps
    # Every line of every dependency table ([dependencies], [dev-dependencies], [target.….dependencies]).
    relay_deps=$(awk '/^\[/ { on = ($0 ~ /dependencies\]$/) } on && /^[a-z]/' "$root/relay/Cargo.toml")
    report "relay/Cargo.toml depends on the widget crate or a browser crate:" \
      "$(grep -E '^(helpwire|web-sys|js-sys|wasm-bindgen|wasm-bindgen-futures|leptos|send_wrapper|gloo)\b' <<< "$relay_deps" | grep -vE '^helpwire-core\b' || true)"
  fi
  return $failed
}

if [ "${1:-}" = "--self-test" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  expect_failure() {
    local what=$1 file=$2 line=$3
    rm -rf "$scratch/tree"
    mkdir -p "$scratch/tree"
    cp -r core src relay "$scratch/tree/"
    printf '%s\n' "$line" >> "$scratch/tree/$file"
    if check "$scratch/tree" 2> /dev/null; then
      echo "check-layers --self-test: a tree where $what passed the check" >&2
      exit 1
    fi
    echo "  refused: $what"
  }
  check . || { echo "check-layers --self-test: this checkout fails the check itself" >&2; exit 1; }
  expect_failure "json.rs imports the engine" core/src/json.rs 'use crate::engine::Engine;'
  expect_failure "model.rs imports a protocol" core/src/model.rs 'use crate::protocol::wire;'
  expect_failure "a protocol imports the engine" core/src/protocol/wire.rs 'use crate::engine::Command;'
  expect_failure "the engine names web_sys" core/src/engine/schedule.rs 'fn f(_: web_sys::Window) {}'
  expect_failure "a protocol names leptos" core/src/protocol/bot.rs 'use leptos::prelude::*;'
  expect_failure "core names the widget crate" core/src/time.rs 'use helpwire::web;'
  expect_failure "the web layer imports the ui" src/web/browser.rs 'use crate::ui::Widget;'
  expect_failure "the ui imports api.rs" src/ui/dom.rs 'use crate::api::boot;'
  expect_failure "core depends on js-sys" core/Cargo.toml $'\n[dependencies]\njs-sys = "0.3"'
  expect_failure "the relay names the widget crate" relay/src/api.rs 'use helpwire::api;'
  expect_failure "the relay names wasm_bindgen" relay/src/lib.rs 'use wasm_bindgen::prelude::*;'
  expect_failure "the relay depends on the widget" relay/Cargo.toml $'\n[dev-dependencies]\nhelpwire = { path = ".." }'
  echo "check-layers --self-test: every rule refuses a tree that breaks it"
  exit 0
fi

check .
echo "check-layers: every layer imports only the layers below it"
