#!/usr/bin/env bash
# The lab page's frame rate in headless Chromium (Debian's, through playwright-core):
# builds the release page, runs the simulation at a chosen speed at each cluster size,
# and prints frame times (mean, p50, p95, p99), the main thread's work per frame and
# whether simulated time kept pace, as JSON.
#
#   scripts/bench-page.sh [--seconds 10] [--speed 1] [--seed 7] [--nodes 5,200,1000]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Whatever set-up installs reports on stderr: stdout is the JSON alone.
source "$ROOT/scripts/setup.sh" --tests >&2
cd "$ROOT"
trunk build --release >/dev/null 2>&1 || trunk build --release >&2
node tests/e2e/bench-page.mjs "$@"
