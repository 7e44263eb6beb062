#!/usr/bin/env bash
# The simulator benchmark (`gossip sim bench`) compiled to WebAssembly and run under
# Node, to compare with the native figures. Same flags and JSON fields as the native one:
#
#   scripts/bench-wasm.sh --nodes 1000 --periods 100 [--seed 1]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Whatever set-up installs reports on stderr: stdout is the JSON alone.
source "$ROOT/scripts/setup.sh" >&2
cd "$ROOT"
command -v node >/dev/null || die "node not found (Debian: apt-get install nodejs)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release --locked --quiet -p gossip-bench-wasm --target wasm32-unknown-unknown
wasm-bindgen --target nodejs --out-dir "$TARGET/bench-wasm" \
  "$TARGET/wasm32-unknown-unknown/release/gossip_bench_wasm.wasm"
BENCH_WASM_DIR="$TARGET/bench-wasm" node scripts/bench-wasm.mjs "$@"
