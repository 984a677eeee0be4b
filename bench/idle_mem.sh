#!/usr/bin/env bash
# Memory per idle keep-alive client: RSS growth of Fulcrum, HAProxy and nginx (each in front of
# the same nginx backend) while N clients hold a connection open after one request each.
#
#   bench/idle_mem.sh [connections, default 10000]
#   BURST=1 bench/idle_mem.sh 5000
#
# BURST=1: the clients all connect first, then all send their request at the same moment and
# wait for the answers together (idle_clients --burst 1), so that each proxy has N requests in
# flight at once (buffers, target connections); the reading then shows what the proxy keeps
# after the burst, when every client is idle again.
#
# Each proxy runs with one thread/worker and long keep-alive timeouts; its RSS (summed over its
# processes; for nginx master + worker) is read from /proc before the clients connect (after a
# warm-up request) and once all N have had their answer. Both the growth per connection and
# the whole RSS per connection are printed. The reading comes 1 s after the last answer: Fulcrum
# parks a connection idle for 200 ms (src/http/session/idle_parking.hpp), so all are parked by then; the
# sessions alive at once while clients connect (those of any 200 ms), freed, stay in the
# process's heap and count in the growth. nginx allocates and touches its connection array
# (worker_connections) at start, so part of its per-connection cost is in its baseline. Needs `ulimit -n` above N + a margin
# for each process (the client holds N descriptors, each proxy N + a few; HAProxy 2 per client,
# so at ulimit -n 20000 it is measured with 9,900 clients).
set -euo pipefail
N=${1:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
for tool in "$build/fulcrum" "$build/idle_clients"; do
  [[ -x "$tool" ]] || { echo "missing $tool: run 'make build' first" >&2; exit 1; }
done
limit=$(ulimit -n)
if (( limit < N + 100 )); then
  echo "ulimit -n is $limit: raise it above $((N + 100)) (ulimit -n $((N + 1000)))" >&2
  exit 1
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for f in "$work"/*.pid; do [[ -e "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

BE=29180 FU=29181 HA=29182 NG=29183
conns=$((N + 1000))
# The nginx proxy counts its connections to the backend too: a burst has N of them at once.
ng_conns=$(( 2 * N + 1000 < limit - 100 ? 2 * N + 1000 : limit - 100 ))
# HAProxy reserves two descriptors per connection (client and server side) and refuses to start
# when maxconn does not fit ulimit -n: it gets as many clients as fit (9,900 at 20,000).
HA_N=$(( N < (limit - 200) / 2 ? N : (limit - 200) / 2 ))
ha_conns=$((HA_N + 10))
cat > "$work/backend.conf" <<C
worker_processes 1; pid $work/be.pid; daemon on; error_log $work/be.err;
worker_rlimit_nofile $limit;
events { worker_connections $conns; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$BE backlog=4096; location / { return 200 "ok\n"; } } }
C
cat > "$work/ngproxy.conf" <<C
worker_processes 1; pid $work/ng.pid; daemon on; error_log $work/ng.err;
worker_rlimit_nofile $limit;
events { worker_connections $ng_conns; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 600s;
  upstream be { server 127.0.0.1:$BE; keepalive 64; }
  server { listen 127.0.0.1:$NG backlog=4096; location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
C
cat > "$work/haproxy.cfg" <<C
global
  nbthread 1
  maxconn $ha_conns
defaults
  mode http
  timeout connect 5s
  timeout client 600s
  timeout server 30s
  timeout http-keep-alive 600s
  http-reuse always
frontend fe
  bind 127.0.0.1:$HA
  default_backend be
backend be
  server s1 127.0.0.1:$BE
C
cat > "$work/fulcrum.yaml" <<C
workers: 1
listeners:
  - { name: web, listen: 127.0.0.1:$FU, protocol: http, idle_timeout: 600s, default: { forward: be } }
target_groups:
  - { name: be, targets: [ { address: 127.0.0.1:$BE } ] }
C
nginx -c "$work/backend.conf"

rss_kib() {  # total VmRSS of the given pids
  local total=0
  for p in "$@"; do total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"))); done
  echo $total
}

measure() {  # name port count pid...
  local name=$1 port=$2 n=$3
  shift 3
  curl -sf -o /dev/null "http://127.0.0.1:$port/"
  sleep 0.5
  local before after
  before=$(rss_kib "$@")
  "$build/idle_clients" --port "$port" --count "$n" --hold-seconds 600 --burst "${BURST:-0}" > "$work/$name.clients" &
  local client=$!
  for _ in $(seq 1 600); do grep -q ready "$work/$name.clients" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$work/$name.clients" || { echo "$name: clients did not get ready" >&2; kill $client; return 1; }
  # Parked within 200 ms; after a burst, Fulcrum hands freed memory back once a second has
  # passed without it, within about 2.5 s (src/runtime/heap_return.hpp): the reading comes after
  # both, for every proxy alike.
  sleep $([[ ${BURST:-0} == 1 ]] && echo 5 || echo 1)
  after=$(rss_kib "$@")
  kill $client; wait $client 2>/dev/null || true
  local per=$(( (after - before) * 1024 / n ))
  printf "%-8s %6d clients: RSS %7d KiB -> %7d KiB: %6d bytes per idle connection (growth), %5d bytes per connection of the total\n" \
    "$name" "$n" "$before" "$after" "$per" $(( after * 1024 / n ))
  eval "${name}_per=$per"
}

"$build/fulcrum" run -c "$work/fulcrum.yaml" --admin-listen 127.0.0.1:0 --access-log off --log-level warn & fpid=$!; pids+=($fpid)
sleep 1
measure fulcrum $FU $N $fpid
kill $fpid; wait $fpid 2>/dev/null || true

haproxy -D -p "$work/ha.pid" -f "$work/haproxy.cfg"
sleep 0.5
measure haproxy $HA $HA_N $(cat "$work/ha.pid")
kill "$(cat "$work/ha.pid")"; rm -f "$work/ha.pid"

nginx -c "$work/ngproxy.conf"
sleep 0.5
master=$(cat "$work/ng.pid")
measure nginx $NG $N $master $(pgrep -P "$master")
kill "$master"; rm -f "$work/ng.pid"

awk -v f="$fulcrum_per" -v h="$haproxy_per" -v n="$nginx_per" \
  'BEGIN { printf "fulcrum/haproxy %.2fx, fulcrum/nginx %.2fx (lower is better)\n", f / h, f / n }'
echo "($N connections$([[ ${BURST:-0} == 1 ]] && echo ", at once (BURST=1)"); $(uptime | sed 's/.*load/load/'))"
