#!/usr/bin/env bash
# TCP (layer 4) benchmark: Fulcrum vs HAProxy (mode tcp) on the same backends, in one run.
# Bulk throughput both ways and new-connection rate, ROUNDS rounds alternating the two
# proxies; prints the median of each and the Fulcrum/HAProxy ratio. Then iperf3 through both
# to an iperf3 server: one stream (iperf1), eight (iperf8), and one stream against HAProxy
# without splice (iperf1-nosplice: its default, as the issue's table measured it).
#
#   bench/tcp.sh [seconds per measurement, default 5] [rounds, default 3] [threads, default 1]
#
# Fairness: both proxies get the same number of threads (default 1, as shared/bench/peers.sh),
# HAProxy gets `option splice-auto` (its zero-copy path, like ours), logging off on both.
# The load generator, the proxies and the backends share this machine's cores: only the
# ratios from one run mean anything.
set -euo pipefail
SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
THREADS=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
source "$root/bench/lib/start_fulcrum.sh"
for tool in "$build/fulcrum" "$build/tcp_load" "$build/test_backend"; do
  [[ -x "$tool" ]] || { echo "missing $tool: run 'make build' first" >&2; exit 1; }
done
for tool in haproxy iperf3; do
  command -v $tool >/dev/null || { echo "$tool is missing: run scripts/setup" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Backends: sink (upload), source (download), name-once (new connections).
SINK=28001 SOURCE=28002 ONCE=28003 IPERF=28004
FU_BASE=28100 HA_BASE=28200
"$build/test_backend" --listen 127.0.0.1:$SINK --mode sink >/dev/null & pids+=($!)
"$build/test_backend" --listen 127.0.0.1:$SOURCE --mode source >/dev/null & pids+=($!)
"$build/test_backend" --listen 127.0.0.1:$ONCE --mode name-once --backlog 4096 >/dev/null & pids+=($!)
iperf3 -s -B 127.0.0.1 -p $IPERF >/dev/null & pids+=($!)

{
  echo "workers: $THREADS"
  echo "listeners:"
  for i in 1 2 3 4; do
    echo "  - { name: l$i, listen: 127.0.0.1:$((FU_BASE + i)), protocol: tcp, default: { forward: g$i } }"
  done
  echo "target_groups:"
  i=1
  for be in $SINK $SOURCE $ONCE $IPERF; do
    echo "  - { name: g$i, algorithm: round_robin, targets: [ { address: 127.0.0.1:$be } ] }"
    i=$((i + 1))
  done
} > "$work/fulcrum.yaml"
start_fulcrum "$work/fulcrum.yaml"

{
  echo "global"
  echo "  nbthread $THREADS"
  echo "  maxconn 4000"  # 2 fds per proxied connection must fit the 20000-fd limit
  echo "defaults"
  echo "  mode tcp"
  echo "  option splice-auto"
  echo "  timeout connect 5s"
  echo "  timeout client 30s"
  echo "  timeout server 30s"
  i=1
  for be in $SINK $SOURCE $ONCE $IPERF; do
    echo "listen l$i"
    echo "  bind 127.0.0.1:$((HA_BASE + i))"
    echo "  server s1 127.0.0.1:$be"
    i=$((i + 1))
  done
  echo "listen l5"  # iperf3 without splice: HAProxy's own default
  echo "  no option splice-auto"
  echo "  bind 127.0.0.1:$((HA_BASE + 5))"
  echo "  server s1 127.0.0.1:$IPERF"
} > "$work/haproxy.cfg"
haproxy -f "$work/haproxy.cfg" -q & pids+=($!)
sleep 1

measure() {  # port mode connections -> rate
  if [[ $2 == iperf* ]]; then  # Gbit/s received, over the parallel streams
    iperf3 -c 127.0.0.1 -p "$1" -t "$SECONDS_EACH" -P "$3" -J |
      python3 -c 'import json, sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9, 2))'
    return
  fi
  "$build/tcp_load" --port "$1" --mode "$2" --connections "$3" --seconds "$SECONDS_EACH" | tee -a "$work/load.log" | sed -E 's/.*rate=([0-9.]+).*/\1/'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A results
tests=("upload:1:8" "download:2:8" "connect:3:16" "iperf1:4:1" "iperf8:4:8" "iperf1-nosplice:4:1")
for round in $(seq 1 "$ROUNDS"); do
  for t in "${tests[@]}"; do
    IFS=: read -r mode idx conns <<< "$t"
    for proxy in fulcrum haproxy; do
      base=$FU_BASE; [[ $proxy == haproxy ]] && base=$HA_BASE
      port=$((base + idx)); [[ $proxy == haproxy && $mode == iperf1-nosplice ]] && port=$((HA_BASE + 5))
      r=$(measure "$port" "$mode" "$conns")
      results[$proxy,$mode]+="$r "
      echo "round $round $mode $proxy: $r" >&2
    done
  done
done

cat "$work/load.log" >&2
printf "\n%-16s %14s %14s %8s\n" "test" "fulcrum" "haproxy" "ratio"
for t in "${tests[@]}"; do
  IFS=: read -r mode idx conns <<< "$t"
  f=$(echo "${results[fulcrum,$mode]}" | tr ' ' '\n' | grep . | median)
  h=$(echo "${results[haproxy,$mode]}" | tr ' ' '\n' | grep . | median)
  unit="MB/s"; [[ $mode == connect ]] && unit="conn/s"; [[ $mode == iperf* ]] && unit="Gbit/s"
  printf "%-16s %9s %-6s %9s %-6s %6.2f\n" "$mode" "$f" "$unit" "$h" "$unit" "$(echo "$f $h" | awk '{print ($2 > 0) ? $1 / $2 : 0}')"
done
echo "(medians of $ROUNDS rounds of ${SECONDS_EACH}s; $THREADS thread(s) per proxy; ratio = fulcrum / haproxy)"
