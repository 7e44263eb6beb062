#!/usr/bin/env bash
# Serves the browser lab on http://127.0.0.1:8080, installing what is missing first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
exec trunk serve "$@"
