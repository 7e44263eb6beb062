#!/usr/bin/env bash
# Our agent (`gossip agent --preset lan`) beside HashiCorp Serf (`serf agent -profile=lan`),
# each cluster on 127.0.0.1 inside a fresh network namespace of its own. A benchmark, not a
# test: it prints a Markdown table and fails only when something could not be run.
#
#   1. Failure detection: a cluster of --nodes-small agents; one is killed with SIGKILL and
#      each survivor is polled every 50 ms (ours: GET /api/members, status "dead"; serf:
#      `serf members -format=json`, status "failed") until every survivor reports it.
#      Seconds from the kill, over --runs fresh clusters: mean, min, max.
#   2. Idle cost: a cluster of --nodes-large agents, converged and left to settle, then
#      watched for --window seconds: CPU time from /proc/PID/stat (utime + stime) and
#      VmRSS from /proc/PID/status, mean per agent.
#   3. Idle traffic, same cluster and window: the namespace's loopback counters
#      (tx_bytes, tx_packets) and UDP/TCP counters (/proc/net/snmp), read at the window's
#      edges with nothing polling the agents in between: bytes per second per agent and
#      the mean packet size. For ours also the sizes by message kind from /api/stats.
#
#   scripts/bench-agents.sh [--nodes-small 5] [--nodes-large 20] [--window 30] [--runs 3]
#                           [--quick] [--ours-set FIELD=VALUE ...] [--keep-logs]
#
# --quick is a smoke run (3 and 6 agents, one run, a 5 s window; flags after it still
# apply). --ours-set passes `--set FIELD=VALUE` to our agents (e.g.
# suspicion_confirmations=2, memberlist's SuspicionMult - 2). Needs root (ip netns), jq,
# curl and Debian's serf (installed with apt-get when missing). Uses
# ${CARGO_TARGET_DIR:-target}/release/gossip, building it if missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/bench-agents.sh"

say() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[bench]\033[0m %s\n' "$*" >&2; exit 1; }

# ---- pollers, run inside a namespace: `bench-agents.sh __poll KIND ADDR NAME OUT SECONDS` ----
# Writes the time ($EPOCHREALTIME, taken as the successful query was sent) at which the
# agent at ADDR first reported NAME dead (ours) or failed (serf), or nothing on timeout.
if [ "${1:-}" = __poll ]; then
  kind=$2 addr=$3 name=$4 out=$5 limit=$6
  end=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$end" ]; do
    t=$EPOCHREALTIME
    if [ "$kind" = ours ]; then
      json=$(curl -fsS --max-time 1 "http://$addr/api/members" 2>/dev/null) || json='[]'
      filter='.[] | select(.name == $n and .status == "dead")'
    else
      json=$(serf members -format=json -rpc-addr="$addr" 2>/dev/null) || json='{"members":[]}'
      filter='.members[] | select(.name == $n and .status == "failed")'
    fi
    if jq -e --arg n "$name" "$filter" <<<"$json" >/dev/null 2>&1; then
      printf '%s\n' "$t" >"$out"
      exit 0
    fi
    sleep 0.05
  done
  exit 0
fi

# ---- flags ----
NODES_SMALL=5 NODES_LARGE=20 WINDOW=30 RUNS=3 SETTLE=15 KEEP_LOGS=0
OURS_SET=()
while [ $# -gt 0 ]; do
  case $1 in
    --nodes-small) NODES_SMALL=$2; shift 2 ;;
    --nodes-large) NODES_LARGE=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --quick) NODES_SMALL=3 NODES_LARGE=6 WINDOW=5 RUNS=1 SETTLE=3; shift ;;
    --ours-set) OURS_SET+=(--set "$2"); shift 2 ;;
    --keep-logs) KEEP_LOGS=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown flag $1 (see --help)" ;;
  esac
done
for v in NODES_SMALL NODES_LARGE WINDOW RUNS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "${v,,} must be a whole number"
done
[ "$NODES_SMALL" -ge 3 ] || die "--nodes-small must be at least 3"
[ "$NODES_LARGE" -ge 2 ] || die "--nodes-large must be at least 2"
[ "$RUNS" -ge 1 ] && [ "$WINDOW" -ge 1 ] || die "--runs and --window must be at least 1"
DETECT_LIMIT=120 # seconds to wait for every survivor before a run counts as undetected

# ---- what it needs ----
[ "$(id -u)" = 0 ] || die "run as root: the clusters live in network namespaces (ip netns)"
ensure_pkg() { # COMMAND PACKAGE
  command -v "$1" >/dev/null && return
  say "installing Debian's $2"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$2" >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "$2" >/dev/null; } \
    || die "could not install $2 (apt-get install -y $2)"
  command -v "$1" >/dev/null || die "$2 installed but $1 is not on PATH"
}
ensure_pkg ip iproute2
ensure_pkg jq jq
ensure_pkg curl curl
ensure_pkg serf serf
GOSSIP="${CARGO_TARGET_DIR:-$ROOT/target}/release/gossip"
case $GOSSIP in /*) ;; *) GOSSIP="$ROOT/$GOSSIP" ;; esac
if [ ! -x "$GOSSIP" ]; then
  say "building the release agent"
  (cd "$ROOT" && cargo build --release -p gossip-agent --locked)
fi
[ -x "$GOSSIP" ] || die "no agent at $GOSSIP"
CLK_TCK=$(getconf CLK_TCK)

# ---- processes, namespaces, cleanup ----
LOGS=$(mktemp -d /tmp/bench-agents.XXXXXX)
PIDS=()
POLLERS=()
NAMESPACES=()
NS_SEQ=0
cleanup() {
  local status=$? pid ns
  for pid in "${PIDS[@]}" "${POLLERS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" "${POLLERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ "$status" -ne 0 ] || [ "$KEEP_LOGS" = 1 ]; then
    say "agent logs kept in $LOGS"
  else
    rm -rf "$LOGS"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

NS="" # the namespace of the cluster being measured
new_namespace() {
  NS_SEQ=$((NS_SEQ + 1))
  NS="bench-agents-$$-$NS_SEQ"
  ip netns add "$NS"
  NAMESPACES+=("$NS")
  ip netns exec "$NS" ip link set lo up
}
inns() { ip netns exec "$NS" "$@"; }
pause() { sleep "$1" & wait "$!"; } # a sleep that a signal's trap does not wait out

# Kills the cluster's agents and drops its namespace.
end_cluster() {
  local pid ns
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  ip netns del "$NS" 2>/dev/null || true
  local keep=()
  for ns in "${NAMESPACES[@]}"; do [ "$ns" = "$NS" ] || keep+=("$ns"); done
  NAMESPACES=("${keep[@]}")
  NS=""
}

# Agent i (0-based) of each kind: UDP (and serf's TCP) port, API address.
gossip_port() { echo $((7946 + $1)); }
api_addr() { # KIND I
  if [ "$1" = ours ]; then echo "127.0.0.1:$((9001 + $2))"; else echo "127.0.0.1:$((7373 + $2))"; fi
}
node_name() { if [ "$1" = ours ]; then echo "n$(($2 + 1))"; else echo "s$(($2 + 1))"; fi; }

# Members with status alive as agent I sees them (0 when it does not answer).
alive_count() { # KIND I
  local json
  if [ "$1" = ours ]; then
    json=$(inns curl -fsS --max-time 2 "http://$(api_addr ours "$2")/api/members" 2>/dev/null) || { echo 0; return; }
    jq '[.[] | select(.status == "alive")] | length' <<<"$json" 2>/dev/null || echo 0
  else
    json=$(inns serf members -format=json -rpc-addr="$(api_addr serf "$2")" 2>/dev/null) || { echo 0; return; }
    jq '[.members[] | select(.status == "alive")] | length' <<<"$json" 2>/dev/null || echo 0
  fi
}

wait_up() { # KIND I
  local i
  for i in $(seq 1 200); do
    if [ "$1" = ours ]; then
      inns curl -fsS --max-time 1 "http://$(api_addr ours "$2")/healthz" >/dev/null 2>&1 && return
    else
      inns serf members -rpc-addr="$(api_addr serf "$2")" >/dev/null 2>&1 && return
    fi
    sleep 0.05
  done
  die "$1 agent $2 did not come up (logs in $LOGS)"
}

# Starts N agents of KIND in a new namespace, each joining through the first, and waits
# until every one of them holds all N alive.
start_cluster() { # KIND N
  local kind=$1 n=$2 i log seed
  new_namespace
  seed="127.0.0.1:$(gossip_port 0)"
  for i in $(seq 0 $((n - 1))); do
    log="$LOGS/$NS-$(node_name "$kind" "$i").log"
    local join=()
    if [ "$kind" = ours ]; then
      [ "$i" -gt 0 ] && join=(--join "$seed")
      ip netns exec "$NS" "$GOSSIP" agent --name "$(node_name ours "$i")" \
        --bind "127.0.0.1:$(gossip_port "$i")" --http "$(api_addr ours "$i")" \
        --preset lan --cluster-size "$n" "${OURS_SET[@]}" "${join[@]}" >"$log" 2>&1 &
    else
      [ "$i" -gt 0 ] && join=(-join="$seed")
      ip netns exec "$NS" serf agent -node="$(node_name serf "$i")" \
        -bind="127.0.0.1:$(gossip_port "$i")" -rpc-addr="$(api_addr serf "$i")" \
        -profile=lan -log-level=warn "${join[@]}" >"$log" 2>&1 &
    fi
    PIDS+=("$!")
    # The seed must answer before anyone joins through it (serf's -join gives up at once).
    [ "$i" -eq 0 ] && wait_up "$kind" 0
  done
  for i in $(seq 0 $((n - 1))); do wait_up "$kind" "$i"; done
  local deadline=$((SECONDS + 60))
  while :; do
    local all=1
    for i in $(seq 0 $((n - 1))); do
      [ "$(alive_count "$kind" "$i")" -eq "$n" ] || { all=0; break; }
    done
    [ "$all" = 1 ] && break
    [ "$SECONDS" -lt "$deadline" ] || die "$kind: $n agents did not converge in 60 s (logs in $LOGS)"
    sleep 0.2
  done
}

# ---- 1. failure detection ----
# One run: a fresh cluster, SIGKILL to one non-seed agent, pollers on every survivor.
# Sets FIRST and LAST (seconds until the first and the last survivor reported it), "-"
# when some survivor never did.
FIRST="" LAST=""
detect_once() { # KIND N RUN
  local kind=$1 n=$2 run=$3 i victim name dir t0 t first="" last=""
  start_cluster "$kind" "$n"
  sleep 2 # let the join rumors die down
  victim=$((1 + (run - 1) % (n - 1)))
  name=$(node_name "$kind" "$victim")
  dir="$LOGS/$NS-detect"
  mkdir -p "$dir"
  local pollers=()
  for i in $(seq 0 $((n - 1))); do
    [ "$i" -eq "$victim" ] && continue
    ip netns exec "$NS" bash "$SELF" __poll "$kind" "$(api_addr "$kind" "$i")" "$name" \
      "$dir/$i" "$DETECT_LIMIT" &
    pollers+=("$!")
    POLLERS+=("$!")
  done
  sleep 0.3 # the pollers are polling
  t0=$EPOCHREALTIME
  kill -9 "${PIDS[$victim]}"
  wait "${PIDS[$victim]}" 2>/dev/null || true # (quietly: no "Killed" line from bash)
  for i in "${pollers[@]}"; do wait "$i" || true; done
  POLLERS=()
  for i in $(seq 0 $((n - 1))); do
    [ "$i" -eq "$victim" ] && continue
    if [ ! -s "$dir/$i" ]; then
      first="-" last="-"
      break
    fi
    t=$(awk -v a="$(cat "$dir/$i")" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
    if [ -z "$first" ] || awk -v a="$t" -v b="$first" 'BEGIN { exit !(a < b) }'; then first=$t; fi
    if [ -z "$last" ] || awk -v a="$t" -v b="$last" 'BEGIN { exit !(a > b) }'; then last=$t; fi
  done
  end_cluster
  FIRST=$first LAST=$last
}

# "mean min max" of the numbers on stdin, "- - -" if any is "-".
summary() {
  awk '$1 == "-" { bad = 1 } $1 != "-" { s += $1; n++; if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1 }
       END { if (bad || n == 0) print "- - -"; else printf "%.2f %.2f %.2f\n", s / n, lo, hi }'
}

declare -A DET_ALL DET_FIRST DET_RUNS
for kind in ours serf; do
  say "$kind: failure detection, $NODES_SMALL agents, $RUNS runs"
  firsts="" lasts="" runs=""
  for run in $(seq 1 "$RUNS"); do
    detect_once "$kind" "$NODES_SMALL" "$run"
    say "  run $run: first survivor $FIRST s, every survivor $LAST s"
    firsts+="$FIRST"$'\n' lasts+="$LAST"$'\n' runs+="${runs:+, }$LAST"
  done
  DET_FIRST[$kind]=$(printf '%s' "$firsts" | summary)
  DET_ALL[$kind]=$(printf '%s' "$lasts" | summary)
  DET_RUNS[$kind]=$runs
done

# ---- 2 and 3. idle cost and traffic ----
cpu_ticks() { # PID: utime + stime, in clock ticks
  local stat f
  read -r stat <"/proc/$1/stat"
  read -r -a f <<<"${stat##*) }" # fields from the 3rd (state) on: utime is the 14th
  echo $((f[11] + f[12]))
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# "tx_bytes tx_packets udp_out_datagrams tcp_out_segments" of the namespace.
net_counters() {
  inns sh -c 'cat /sys/class/net/lo/statistics/tx_bytes /sys/class/net/lo/statistics/tx_packets; cat /proc/net/snmp' |
    awk 'NR == 1 { b = $1 } NR == 2 { p = $1 }
         $1 == "Udp:" && uh { for (i = 2; i <= NF; i++) if (hu[i] == "OutDatagrams") u = $i }
         $1 == "Udp:" && !uh { for (i = 2; i <= NF; i++) hu[i] = $i; uh = 1 }
         $1 == "Tcp:" && th { for (i = 2; i <= NF; i++) if (ht[i] == "OutSegs") t = $i }
         $1 == "Tcp:" && !th { for (i = 2; i <= NF; i++) ht[i] = $i; th = 1 }
         END { print b, p, u, t }'
}
our_stats() { # OUT: every agent's /api/stats as one JSON array
  local i
  for i in "${!PIDS[@]}"; do
    inns curl -fsS --max-time 2 "http://$(api_addr ours "$i")/api/stats" || die "no /api/stats from agent $i"
  done | jq -s . >"$1"
}

declare -A IDLE_CPU IDLE_RSS IDLE_BPS IDLE_PPS IDLE_SIZE IDLE_UDP IDLE_TCP
BY_KIND=""
idle_once() { # KIND N
  local kind=$1 n=$2 pid t0 t1 secs ticks0=0 ticks1=0 rss=0 rss_max=0 r
  start_cluster "$kind" "$n"
  say "  $n agents converged; settling ${SETTLE} s, then a ${WINDOW} s window"
  pause "$SETTLE"
  # /api/stats is read just outside the window: its rates are over the time between the
  # middles of the two reads.
  local m0 m1
  if [ "$kind" = ours ]; then
    m0=$EPOCHREALTIME
    our_stats "$LOGS/stats-before.json"
    m0=$(awk -v a="$m0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", (a + b) / 2 }')
  fi
  sleep 1 # the HTTP connections' last segments are out of the counters' way
  local c b0 p0 u0 s0 b1 p1 u1 s1
  c=$(net_counters)
  read -r b0 p0 u0 s0 <<<"$c"
  t0=$EPOCHREALTIME
  for pid in "${PIDS[@]}"; do ticks0=$((ticks0 + $(cpu_ticks "$pid"))); done
  pause "$WINDOW"
  for pid in "${PIDS[@]}"; do ticks1=$((ticks1 + $(cpu_ticks "$pid"))); done
  t1=$EPOCHREALTIME
  c=$(net_counters)
  read -r b1 p1 u1 s1 <<<"$c"
  for pid in "${PIDS[@]}"; do
    r=$(rss_kib "$pid")
    rss=$((rss + r))
    [ "$r" -gt "$rss_max" ] && rss_max=$r
  done
  if [ "$kind" = ours ]; then
    m1=$EPOCHREALTIME
    our_stats "$LOGS/stats-after.json"
    m1=$(awk -v a="$m1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", (a + b) / 2 }')
    STATS_SECS=$(awk -v a="$m1" -v b="$m0" 'BEGIN { printf "%.6f", a - b }')
    BY_KIND=$(jq -r -n --slurpfile b "$LOGS/stats-before.json" --slurpfile a "$LOGS/stats-after.json" '
      def tot(f): [.[] | f | to_entries[]] | group_by(.key)
                  | map({key: .[0].key, value: (map(.value) | add)}) | from_entries;
      ($b[0] | tot(.messages_sent)) as $mb | ($a[0] | tot(.messages_sent)) as $ma
      | ($b[0] | tot(.bytes_sent)) as $bb | ($a[0] | tot(.bytes_sent)) as $ba
      | $ma | keys[] | [., ($ma[.] - ($mb[.] // 0)), ($ba[.] - ($bb[.] // 0))] | @tsv')
    # Agents that were down at either end would make the per-kind figures wrong.
    [ "$(jq length "$LOGS/stats-after.json")" -eq "$n" ] || die "ours: an agent stopped answering"
  fi
  end_cluster
  secs=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.6f", a - b }')
  IDLE_CPU[$kind]=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v s="$secs" -v n="$n" \
    'BEGIN { printf "%.2f", 100 * t / hz / s / n }')
  IDLE_RSS[$kind]=$(awk -v r="$rss" -v m="$rss_max" -v n="$n" 'BEGIN { printf "%.1f (max %.1f)", r / n / 1024, m / 1024 }')
  IDLE_BPS[$kind]=$(awk -v d=$((b1 - b0)) -v s="$secs" -v n="$n" 'BEGIN { printf "%.0f", d / s / n }')
  IDLE_PPS[$kind]=$(awk -v d=$((p1 - p0)) -v s="$secs" -v n="$n" 'BEGIN { printf "%.1f", d / s / n }')
  IDLE_SIZE[$kind]=$(awk -v d=$((b1 - b0)) -v p=$((p1 - p0)) 'BEGIN { if (p > 0) printf "%.0f", d / p; else print "-" }')
  IDLE_UDP[$kind]=$(awk -v d=$((u1 - u0)) -v s="$secs" -v n="$n" 'BEGIN { printf "%.1f", d / s / n }')
  IDLE_TCP[$kind]=$(awk -v d=$((s1 - s0)) -v s="$secs" -v n="$n" 'BEGIN { printf "%.1f", d / s / n }')
  IDLE_SECS=$secs
}

for kind in ours serf; do
  say "$kind: idle cost and traffic, $NODES_LARGE agents"
  idle_once "$kind" "$NODES_LARGE"
done

# ---- the report ----
fmt_det() { # "mean min max"
  local mean lo hi
  read -r mean lo hi <<<"$1"
  if [ "$mean" = - ]; then echo "not every run detected"; else echo "$mean ($lo-$hi)"; fi
}
SERF_VERSION=$(serf version | head -1)
echo
echo "## Our agent beside Serf on loopback"
echo
echo "Ours: \`gossip agent --preset lan --cluster-size N${OURS_SET[*]:+ ${OURS_SET[*]}}\`; serf: \`serf agent -profile=lan\` ($SERF_VERSION). Each cluster in its own network namespace on 127.0.0.1."
echo
echo "| figure | ours | serf |"
echo "| --- | --- | --- |"
echo "| failure detected by every survivor, s: mean (min-max), $NODES_SMALL agents, $RUNS runs | $(fmt_det "${DET_ALL[ours]}") | $(fmt_det "${DET_ALL[serf]}") |"
echo "| failure detected by the first survivor, s: mean (min-max) | $(fmt_det "${DET_FIRST[ours]}") | $(fmt_det "${DET_FIRST[serf]}") |"
echo "| every survivor, each run, s | ${DET_RUNS[ours]} | ${DET_RUNS[serf]} |"
echo "| idle CPU per agent, % of one core, $NODES_LARGE agents | ${IDLE_CPU[ours]} | ${IDLE_CPU[serf]} |"
echo "| RSS per agent, MiB: mean (max) | ${IDLE_RSS[ours]} | ${IDLE_RSS[serf]} |"
echo "| bytes sent per agent per s (loopback tx, IP+UDP/TCP headers included) | ${IDLE_BPS[ours]} | ${IDLE_BPS[serf]} |"
echo "| packets sent per agent per s | ${IDLE_PPS[ours]} | ${IDLE_PPS[serf]} |"
echo "| of which UDP datagrams / TCP segments per agent per s | ${IDLE_UDP[ours]} / ${IDLE_TCP[ours]} | ${IDLE_UDP[serf]} / ${IDLE_TCP[serf]} |"
echo "| mean packet size on loopback, bytes (a UDP datagram carries 28 bytes of IP+UDP header) | ${IDLE_SIZE[ours]} | ${IDLE_SIZE[serf]} |"
echo
echo "Window $(printf '%.1f' "$IDLE_SECS") s after ${SETTLE} s of settling; nothing polled the agents during it."
echo
echo "Ours by message kind, from /api/stats read just before and after the window ($(printf '%.1f' "$STATS_SECS") s apart); payload bytes, without the 28-byte IP+UDP header:"
echo
echo "| kind | datagrams per agent per s | mean payload, bytes |"
echo "| --- | --- | --- |"
awk -F '\t' -v s="$STATS_SECS" -v n="$NODES_LARGE" '$2 > 0 {
  printf "| %s | %.2f | %.0f |\n", $1, $2 / s / n, $3 / $2; m += $2; b += $3 }
  END { if (m > 0) printf "| all | %.2f | %.0f |\n", m / s / n, b / m }' <<<"$BY_KIND"
