#!/usr/bin/env bash
# The lab page's frame rate in headless Chromium (Debian's, through playwright-core):
# builds the release page, runs the simulation at a chosen speed, and prints frames per
# second and the main thread's work per frame as JSON.
#
#   scripts/bench-page.sh [--seconds 10] [--speed 8] [--seed 7] [--nodes 5]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" --tests
cd "$ROOT"
trunk build --release >/dev/null 2>&1 || trunk build --release
node tests/e2e/bench-page.mjs "$@"
