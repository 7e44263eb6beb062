#!/usr/bin/env bash
# Runs every check and test the project has, installing what is missing first:
# formatting, clippy (native and wasm32), native unit/scenario/agent tests, wasm tests
# under Node and headless Chromium, the release build of the lab, and browser tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" --tests
cd "$ROOT"

step() {
  local name=$1
  shift
  printf '\n\033[1;34m== %s\033[0m\n' "$name"
  local start=$SECONDS
  "$@"
  printf '\033[1;32m== %s: ok (%ss)\033[0m\n' "$name" "$((SECONDS - start))"
}

WASM=(--target wasm32-unknown-unknown)

step "format" cargo fmt --all -- --check
step "clippy, native" cargo clippy --workspace --all-targets --locked -- -D warnings
step "clippy, wasm32" cargo clippy -p gossip-core -p gossip-sim -p gossip-web -p gossip-bench-wasm --all-targets "${WASM[@]}" --locked -- -D warnings
step "tests, native" cargo test --workspace --locked
step "tests, wasm32 under Node" cargo test -p gossip-sim --test wasm "${WASM[@]}" --locked
step "tests, wasm32 in headless Chromium" env WASM_BINDGEN_USE_BROWSER=1 \
  cargo test -p gossip-sim --test wasm "${WASM[@]}" --locked
step "lab, release build" trunk build --release
step "browser tests" bash -c 'cd tests/e2e && node --test'
