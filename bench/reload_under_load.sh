#!/usr/bin/env bash
# Reloads under load: wrk drives an HTTP listener of Fulcrum (2 workers) in front of two nginx
# backends while the configuration is reloaded RELOADS times (alternately POST /api/v1/reload
# and SIGHUP), each reload changing the target set (the second backend joins, changes weight,
# leaves). Prints wrk's totals and its failures (non-2xx/3xx answers and socket errors), which
# must be 0, for keep-alive clients and for a new connection per request.
#
#   bench/reload_under_load.sh [reloads, default 20] [connections, default 2]
#   bench/reload_under_load.sh --upgrade [connections, default 2]
#
# --upgrade: instead of reloads, one hot binary upgrade per wrk run (`fulcrum run --upgrade`,
# docs/operations.md) halfway through it; the old process must drain and exit 0.
#
# "About half of capacity": wrk has no rate limit, so the load is set by the number of
# connections; the script first measures capacity with 50 connections and prints both rates.
# Everything shares this machine's cores: quote `uptime` with the figures.
set -euo pipefail
MODE=reload
if [[ "${1:-}" == "--upgrade" ]]; then MODE=upgrade; shift; set -- 20 "$@"; fi
RELOADS=${1:-20}
CONNS=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
[[ -x "$build/fulcrum" ]] || { echo "missing $build/fulcrum: run 'make build' first" >&2; exit 1; }
for tool in wrk nginx curl; do command -v $tool >/dev/null || { echo "$tool is missing: run scripts/setup" >&2; exit 1; }; done

work=$(mktemp -d)
fulcrum_pid=""
cleanup() {
  for f in "$work"/*.pid; do [[ -e "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  [[ -n "$fulcrum_pid" ]] && kill "$fulcrum_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
B1=$(free_port) B2=$(free_port) FU=$(free_port)

for b in $B1 $B2; do
  cat > "$work/be$b.conf" <<C
worker_processes 1; pid $work/be$b.pid; daemon on; error_log $work/be$b.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$b reuseport backlog=4096; location / { return 200 "ok\n"; } } }
C
  nginx -c "$work/be$b.conf"
done

write_config() {  # $1: the second target's line (or nothing)
  cat > "$work/fulcrum.yaml" <<C
workers: 2
shutdown_timeout: 2s
listeners:
  - { name: web, listen: 127.0.0.1:$FU, protocol: http, default: { forward: be } }
target_groups:
  - name: be
    algorithm: round_robin
    deregistration_delay: 2s
    targets:
      - { address: 127.0.0.1:$B1 }
$1
C
}
write_config ""
"$build/fulcrum" run -c "$work/fulcrum.yaml" --admin-listen 127.0.0.1:0 --access-log off --log-level info \
  --upgrade-socket "$work/upgrade.sock" 2> "$work/fulcrum.err" & fulcrum_pid=$!
for _ in $(seq 50); do grep -q "admin.start" "$work/fulcrum.err" 2>/dev/null && break; sleep 0.1; done
ADMIN=$(grep -o 'admin.start listen=[0-9.:]*' "$work/fulcrum.err" | cut -d= -f2)
curl -sf -o /dev/null "http://127.0.0.1:$FU/" || { echo "fulcrum does not answer" >&2; exit 1; }

reloads() {
  local ok=0
  for i in $(seq "$RELOADS"); do
    case $((i % 3)) in
      0) write_config "" ;;
      1) write_config "      - { address: 127.0.0.1:$B2 }" ;;
      2) write_config "      - { address: 127.0.0.1:$B2, weight: 3 }" ;;
    esac
    if ((i % 2)); then
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$ADMIN/api/v1/reload")
      [[ "$code" == 200 ]] && ok=$((ok + 1))
    else
      kill -HUP "$fulcrum_pid"
      ok=$((ok + 1))
    fi
    sleep 0.25
  done
  echo "$ok" > "$work/reloads_ok"
}

upgrade() {  # one hot binary upgrade halfway through the wrk run (in a subshell: count the files)
  sleep $(( (RELOADS / 4 + 3) / 2 ))
  local upgrades
  upgrades=$(( $(find "$work" -name "fulcrum-upgrade-*.err" | wc -l) + 1 ))
  local log="$work/fulcrum-upgrade-$upgrades.err" ok=0 old
  old=$(cat "$work/fulcrum.serving" 2>/dev/null || echo "$fulcrum_pid")
  "$build/fulcrum" run --upgrade -c "$work/fulcrum.yaml" --admin-listen 127.0.0.1:0 --access-log off \
    --upgrade-socket "$work/upgrade.sock" 2> "$log" & local new=$!
  echo "$new" > "$work/fulcrum-upgrade-$upgrades.pid"  # killed by cleanup
  for _ in $(seq 100); do grep -q "upgrade.done" "$log" 2>/dev/null && break; sleep 0.1; done
  # The old process drains and exits on its own.
  for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || { ok=1; break; }; sleep 0.1; done
  grep -q "upgrade.done" "$log" || ok=0
  echo "$new" > "$work/fulcrum.serving"
  echo "$ok" > "$work/reloads_ok"
}

run() {  # $1: label, rest: wrk arguments
  local label=$1; shift
  if [[ $MODE == upgrade ]]; then upgrade & else reloads & fi
  local reloader=$!
  wrk -t1 -c"$CONNS" -d"$(( RELOADS / 4 + 3 ))s" "$@" "http://127.0.0.1:$FU/" > "$work/wrk.out" 2>&1
  wait $reloader
  local total non2xx errors
  total=$(awk '/requests in/ { print $1 }' "$work/wrk.out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$work/wrk.out"); non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$work/wrk.out"); errors=${errors:-0}
  local changes="reloads_ok=$(cat "$work/reloads_ok")/$RELOADS"
  [[ $MODE == upgrade ]] && changes="upgrades_ok=$(cat "$work/reloads_ok")/1"
  printf '%-28s requests=%s  failed(non-2xx)=%s  socket_errors=%s  %s\n' \
    "$label" "$total" "$non2xx" "$errors" "$changes"
  grep "Socket errors" "$work/wrk.out" || true
}

capacity=$(wrk -t1 -c50 -d3s "http://127.0.0.1:$FU/" | awk '/Requests\/sec/ { print $2 }')
echo "capacity (50 connections, 3 s): $capacity req/s; load below with $CONNS connections"
run "keep-alive" --latency
run "new connection per request" -H "Connection: close"
if [[ $MODE == upgrade ]]; then
  echo "old processes' drain: $(grep -h 'fulcrum.stopping' "$work"/fulcrum*.err | grep -c 'signal=upgrade') upgrades," \
    "$(grep -h 'fulcrum.shutdown_timeout' "$work"/fulcrum*.err | wc -l) cut short by shutdown_timeout"
  uptime
  exit 0
fi
applied=$(grep -c "config.reloaded" "$work/fulcrum.err" || true)
failed=$(grep -c "config.reload_failed" "$work/fulcrum.err" || true)
echo "fulcrum log: config.reloaded=$applied config.reload_failed=$failed"
uptime
