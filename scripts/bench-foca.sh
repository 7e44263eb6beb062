#!/usr/bin/env bash
# Our simulator beside foca 2 (a sans-IO SWIM by caio) on the same workload: a converged
# cluster, lan settings, the lan network (1 ms plus up to 1 ms, no loss), no faults.
# Builds `gossip` and compare/foca (its own workspace, outside the project's build),
# runs `gossip sim bench`, the foca bench and our simulator on the probe path only
# (the part of the workload foca also does), and prints one JSON object with the three
# reports and the ratios of deliveries per second. compare/foca/README.md says what is
# matched and what is not.
#
#   scripts/bench-foca.sh [--nodes 1000] [--periods 100] [--seed 1] [--callgrind PERIODS]
#
# --callgrind PERIODS adds instructions per delivered message under valgrind's callgrind
# for each, from a run of PERIODS periods minus a run of 1 (the build), as
# docs/PERFORMANCE.md counts them. At 1,000 nodes, --callgrind 20 takes about a minute
# and a half (foca's O(n^2) build alone is half a minute under valgrind).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Set-up chatter goes to stderr: stdout is the JSON report alone.
source "$ROOT/scripts/setup.sh" >&2
cd "$ROOT"

NODES=1000
PERIODS=100
SEED=1
CALLGRIND_PERIODS=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case $1 in
    --nodes) NODES=$2 ;;
    --periods) PERIODS=$2 ;;
    --seed) SEED=$2 ;;
    --callgrind) CALLGRIND_PERIODS=$2 ;;
    *) die "unknown flag $1 (--nodes N, --periods P, --seed S, --callgrind P)" ;;
  esac
  shift 2
done

ensure_tool() { # COMMAND PACKAGE
  command -v "$1" >/dev/null && return
  say "installing Debian's $2"
  as_root apt-get install -y --no-install-recommends "$2" >/dev/null \
    || { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends "$2" >/dev/null; } \
    || die "could not install $2"
}
ensure_tool jq jq
[ -z "$CALLGRIND_PERIODS" ] || ensure_tool valgrind valgrind

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
say "building gossip and foca-bench (release)"
cargo build --release --locked --quiet -p gossip-agent
cargo build --release --locked --quiet --manifest-path compare/foca/Cargo.toml --target-dir "$TARGET"
GOSSIP="$TARGET/release/gossip"
FOCA="$TARGET/release/foca-bench"

ARGS=(--nodes "$NODES" --periods "$PERIODS" --seed "$SEED" --format json)
say "seed $SEED: gossip sim bench ${ARGS[*]}"
OURS=$("$GOSSIP" sim bench "${ARGS[@]}")
say "seed $SEED: foca-bench ${ARGS[*]}"
THEIRS=$("$FOCA" "${ARGS[@]}")
say "seed $SEED: foca-bench --protocol ours-probe-path ${ARGS[*]}"
OURS_PROBE=$("$FOCA" --protocol ours-probe-path "${ARGS[@]}")

# Instructions per delivered message: `instructions_per_delivery COMMAND...` runs the
# command (which takes --periods last) at CALLGRIND_PERIODS and at 1 under callgrind.
instructions_per_delivery() {
  local out ir=() delivered=() periods
  out=$(mktemp -d)
  for periods in "$CALLGRIND_PERIODS" 1; do
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
      "$@" --nodes "$NODES" --seed "$SEED" --format json --periods "$periods" \
      >"$out/report.json" 2>"$out/valgrind.log" \
      || { cat "$out/valgrind.log" >&2; die "callgrind failed: $*"; }
    ir+=("$(sed -n 's/^summary: *//p' "$out/callgrind.out")")
    delivered+=("$(jq .results.messages_delivered "$out/report.json")")
  done
  rm -rf "$out"
  jq -n --argjson a "${ir[0]}" --argjson b "${ir[1]}" \
    --argjson da "${delivered[0]}" --argjson db "${delivered[1]}" \
    '{instructions: ($a - $b), deliveries: ($da - $db), per_delivery: (($a - $b) / ([$da - $db, 1] | max))}'
}

CALLGRIND=null
if [ -n "$CALLGRIND_PERIODS" ]; then
  say "callgrind, $CALLGRIND_PERIODS periods minus 1: ours"
  CG_OURS=$(instructions_per_delivery "$GOSSIP" sim bench)
  say "callgrind: foca"
  CG_FOCA=$(instructions_per_delivery "$FOCA")
  say "callgrind: ours, probe path"
  CG_PROBE=$(instructions_per_delivery "$FOCA" --protocol ours-probe-path)
  CALLGRIND=$(jq -n --argjson p "$CALLGRIND_PERIODS" --argjson o "$CG_OURS" \
    --argjson f "$CG_FOCA" --argjson q "$CG_PROBE" \
    '{periods: $p, ours: $o, foca: $f, ours_probe_path: $q}')
fi

jq -n --argjson ours "$OURS" --argjson foca "$THEIRS" --argjson probe "$OURS_PROBE" \
  --argjson callgrind "$CALLGRIND" \
  --argjson nodes "$NODES" --argjson periods "$PERIODS" --argjson seed "$SEED" '
  def rate(r): r.results.deliveries_per_second;
  {
    nodes: $nodes, periods: $periods, seed: $seed,
    deliveries_per_second_ratio: (rate($ours) / rate($foca)),
    probe_path_deliveries_per_second_ratio: (rate($probe) / rate($foca)),
    ours: $ours, foca: $foca, ours_probe_path: $probe
  } + (if $callgrind == null then {} else {callgrind: $callgrind} end)'
