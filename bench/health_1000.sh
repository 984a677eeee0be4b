#!/usr/bin/env bash
# CPU cost of active health checks: 1,000 targets checked every second by Fulcrum's control
# thread. The targets are 1,000 listening sockets in one helper process
# (tests/support/listen_many.cpp); Fulcrum runs with one worker and no traffic, so what it
# spends is the checker's. Prints the CPU use of the control thread and of the whole process
# in % of one core over the measured window, and the load average (the machine is shared).
#
#   bench/health_1000.sh [BUILD_DIR] [seconds] [tcp|http|http-close] [targets]
# http: targets keep the check's connection (keep-alive, reused by the checker);
# http-close: they close it after each answer (a new connection per check).
# Then HAProxy checks the same targets the same way (1 thread, `check inter 1s`; `option
# httpchk` for http) for the same window, and the ratio of whole-process CPU is printed. On
# loopback the target's side of each TCP handshake runs in the checker's system calls, so the
# kernel share is larger than it would be against remote targets, for both checkers alike.
set -euo pipefail
build=${1:-build/release}
seconds=${2:-30}
mode=${3:-http}
count=${4:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d /tmp/fulcrum-health-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

"$build/listen_many" --count "$count" --mode "$mode" --ports-file "$work/ports" >"$work/targets.out" &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/targets.out" 2>/dev/null && break; sleep 0.1; done

listen_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  echo "workers: 1"
  echo "listeners:"
  echo "  - { name: front, listen: 127.0.0.1:$listen_port, protocol: tcp, default: { forward: many } }"
  echo "target_groups:"
  echo "  - name: many"
  if [[ $mode == http* ]]; then
    echo "    health_check: { protocol: http, path: /health, interval: 1s, timeout: 500ms }"
  else
    echo "    health_check: { protocol: tcp, interval: 1s, timeout: 500ms }"
  fi
  echo "    targets:"
  while read -r port; do echo "      - 127.0.0.1:$port"; done <"$work/ports"
} >"$work/fulcrum.yaml"

"$build/fulcrum" run -c "$work/fulcrum.yaml" --admin-listen 127.0.0.1:0 --access-log off 2>"$work/fulcrum.err" &
fulcrum=$!
pids+=($fulcrum)
# Warm-up: every target judged (one interval plus the first checks' spread).
sleep 3
[[ -n "${HEALTH_BENCH_HOOK:-}" ]] && eval "$HEALTH_BENCH_HOOK"
healthy=$(grep -c "to=healthy" "$work/fulcrum.err" || true)

ticks=$(getconf CLK_TCK)
cpu_of() { awk '{print $14 + $15}' "$1"; }  # utime + stime, in ticks
sys_of() { awk '{print $15}' "$1"; }
read -r _ idle_before < <(head -1 /proc/stat | awk '{print "x", $5}')
control_before=$(cpu_of "/proc/$fulcrum/task/$fulcrum/stat")
process_before=$(cpu_of "/proc/$fulcrum/stat")
system_before=$(sys_of "/proc/$fulcrum/stat")
start=$(date +%s.%N)
sleep "$seconds"
control_after=$(cpu_of "/proc/$fulcrum/task/$fulcrum/stat")
process_after=$(cpu_of "/proc/$fulcrum/stat")
system_after=$(sys_of "/proc/$fulcrum/stat")
end=$(date +%s.%N)
unhealthy=$(grep -c "to=unhealthy" "$work/fulcrum.err" || true)
rss_kib=$(awk '/VmRSS/{print $2}' "/proc/$fulcrum/status")

python3 - "$control_before" "$control_after" "$process_before" "$process_after" "$start" "$end" "$ticks" "$system_before" "$system_after" <<'PY'
import sys
cb, ca, pb, pa, start, end, ticks, sb, sa = map(float, sys.argv[1:])
wall = end - start
print(f"window:            {wall:.1f} s")
print(f"control thread:    {100 * (ca - cb) / ticks / wall:.2f} % of a core")
print(f"whole process:     {100 * (pa - pb) / ticks / wall:.2f} % of a core, of which in the kernel {100 * (sa - sb) / ticks / wall:.2f} %")
PY
echo "targets:           $count ($mode checks, interval 1s), healthy after warm-up: $healthy, unhealthy transitions: $unhealthy"
echo "fulcrum RSS:       ${rss_kib} KiB"
fulcrum_pct=$(python3 -c "print(100 * ($process_after - $process_before) / $ticks / ($end - $start))")
kill "$fulcrum" 2>/dev/null || true
wait "$fulcrum" 2>/dev/null || true

# HAProxy on the same targets, same interval, same window.
if command -v haproxy >/dev/null; then
  {
    echo "global"
    echo "  nbthread 1"
    echo "  maxconn 4000"
    echo "defaults"
    echo "  mode tcp"
    echo "  timeout connect 500ms"
    echo "  timeout check 500ms"
    echo "  timeout client 30s"
    echo "  timeout server 30s"
    echo "listen front"
    echo "  bind 127.0.0.1:$listen_port"
    if [[ $mode == http* ]]; then
      echo "  option httpchk GET /health"
      echo "  http-check expect status 200"
    fi
    i=0
    while read -r port; do echo "  server s$i 127.0.0.1:$port check inter 1s"; i=$((i + 1)); done <"$work/ports"
  } >"$work/haproxy.cfg"
  haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.err" 2>&1 &
  haproxy_pid=$!
  pids+=($haproxy_pid)
  sleep 3
  h_before=$(cpu_of "/proc/$haproxy_pid/stat")
  h_start=$(date +%s.%N)
  sleep "$seconds"
  h_after=$(cpu_of "/proc/$haproxy_pid/stat")
  h_end=$(date +%s.%N)
  python3 - "$h_before" "$h_after" "$h_start" "$h_end" "$ticks" "$fulcrum_pct" <<'PY'
import sys
hb, ha, start, end, ticks, fulcrum = map(float, sys.argv[1:])
haproxy = 100 * (ha - hb) / ticks / (end - start)
print(f"haproxy:           {haproxy:.2f} % of a core (whole process, same targets and interval)")
print(f"fulcrum/haproxy:   {fulcrum / haproxy:.2f}x CPU (lower is better)" if haproxy > 0 else "haproxy used no measurable CPU")
PY
fi
echo "load:              $(uptime | sed 's/.*load average/load average/')"
