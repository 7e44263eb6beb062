#!/usr/bin/env bash
# Installs what the lab needs, skipping whatever is already there at the right version,
# so a warm run takes about a second. Sourced by scripts/serve.sh and scripts/test.sh.
#
#   setup.sh            Rust targets, trunk, wasm-bindgen, wasm-opt (enough to serve the lab)
#   setup.sh --tests    also Chromium, chromedriver, the browser-test packages and promtool
#
# Versions are pinned here and in Trunk.toml; nothing is downloaded from outside the
# package registries (crates.io, Debian, npm).
set -euo pipefail

TRUNK_VERSION=0.21.14
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup]\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo clippy --version >/dev/null 2>&1 || ! cargo fmt --version >/dev/null 2>&1; then
    say "adding clippy and rustfmt"
    rustup component add clippy rustfmt
  fi
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION (about 10 minutes, once)"
    cargo install trunk --version "=$TRUNK_VERSION" --locked
  fi
}

# The wasm-bindgen CLI must equal the library version in Cargo.lock, which Trunk.toml
# names too; otherwise trunk would try to download one.
ensure_wasm_bindgen() {
  local locked pinned
  locked=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print }' "$ROOT/Cargo.lock")
  pinned=$(sed -n 's/^wasm_bindgen = "\(.*\)"/\1/p' "$ROOT/Trunk.toml")
  [ -n "$locked" ] || die "no wasm-bindgen in Cargo.lock"
  [ "$locked" = "$pinned" ] || die "Trunk.toml pins wasm-bindgen $pinned but Cargo.lock has $locked: make them equal"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $locked" ]; then
    say "installing wasm-bindgen-cli $locked (about 3 minutes, once)"
    cargo install wasm-bindgen-cli --version "=$locked" --locked \
      || cargo install wasm-bindgen-cli --version "=$locked"
  fi
}

# trunk runs cargo offline (Trunk.toml), so the crates must be in the local cache.
ensure_crates() {
  (cd "$ROOT" && cargo fetch --locked --quiet)
}

ensure_chromium() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    return
  fi
  say "installing Debian's chromium and chromium-driver"
  local packages=(chromium chromium-driver)
  as_root apt-get install -y --no-install-recommends "${packages[@]}" \
    || { as_root apt-get update && as_root apt-get install -y --no-install-recommends "${packages[@]}"; }
}

# promtool checks the agent's /metrics in the tests (Debian's prometheus package).
ensure_promtool() {
  if command -v promtool >/dev/null; then
    return
  fi
  say "installing Debian's prometheus (for promtool)"
  as_root apt-get install -y --no-install-recommends prometheus \
    || { as_root apt-get update && as_root apt-get install -y --no-install-recommends prometheus; }
}

ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null && return
  say "installing Debian's nodejs and npm"
  as_root apt-get install -y --no-install-recommends nodejs npm \
    || { as_root apt-get update && as_root apt-get install -y --no-install-recommends nodejs npm; }
}

# Installs the npm package `name` in `dir` (from its package-lock) unless the version
# its package.json pins is there already.
ensure_npm_package() {
  local dir=$1 name=$2 why=$3 wanted have=""
  wanted=$(sed -n "s/.*\"$name\": \"\(.*\)\".*/\1/p" "$dir/package.json")
  if [ -f "$dir/node_modules/$name/package.json" ]; then
    have=$(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$dir/node_modules/$name/package.json" | head -n 1)
  fi
  if [ "$wanted" != "$have" ]; then
    say "installing $name $wanted ($why)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# wasm-opt for the release build, pinned in Trunk.toml; trunk finds it on PATH.
ensure_wasm_opt() {
  ensure_node
  ensure_npm_package "$ROOT/scripts/tools" binaryen "wasm-opt for the release build"
  export PATH="$ROOT/scripts/tools/node_modules/.bin:$PATH"
}

ensure_rust
ensure_trunk
ensure_wasm_bindgen
ensure_crates
ensure_wasm_opt
if [ "${1:-}" = "--tests" ]; then
  ensure_chromium
  ensure_promtool
  ensure_npm_package "$ROOT/tests/e2e" playwright-core "the library only: it uses Debian's chromium"
fi
