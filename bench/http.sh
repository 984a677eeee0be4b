#!/usr/bin/env bash
# HTTP/1.1 reverse-proxy benchmark: Fulcrum vs HAProxy vs nginx in front of the same backend
# (nginx answering "ok"), in one run. For each proxy: wrk keep-alive requests/s and p99, and
# requests/s with `Connection: close` (a new client connection per request). ROUNDS rounds
# alternate the proxies; the median of each figure is printed with the ratios to HAProxy/nginx,
# with each proxy's own CPU per keep-alive request (user space and kernel apart) and that of
# wrk and the backend together, over the same wrk runs (bench/lib/process_cpu.sh).
#
# A row `logged` is Fulcrum with the same configuration and its access log on, to a file (one
# structured line per request, as a user gets it by default, but on disk): its requests/s against
# the `fulcrum` row's is the access log's cost.
#
# A row `relay`, is a Fulcrum `protocol: tcp` listener in front of the same backend:
# bytes relayed with no HTTP work at all, each client on its own backend connection. Its user
# time is what moving the bytes costs in user space. HAProxy makes the fewest system calls per
# keep-alive request (2 recv, 2 send, ~0.1 epoll_wait). The last line combines the two into a
# bound: the requests/s a proxy as lean as HAProxy in the kernel and as the relay in user space
# would reach against HAProxy, when the two cores are saturated and requests/s follow the CPU
# the whole machine spends per request.
#
#   bench/http.sh [seconds per measurement, default 5] [rounds, default 3] [connections, default 50]
#
# Fairness (as shared/bench/peers.sh): one thread/worker each, logging off, keep-alive to the
# backend on all three (nginx `keepalive 64`, HAProxy `http-reuse always`, Fulcrum's pool).
# wrk, the proxies and the backend share this machine's cores: only the ratios of one run mean
# anything; quote `uptime` with them.
set -euo pipefail
SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
CONNS=${3:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib/process_cpu.sh"
source "$root/bench/lib/start_fulcrum.sh"
build=${BUILD_DIR:-$root/build/release}
[[ -x "$build/fulcrum" ]] || { echo "missing $build/fulcrum: run 'make build' first" >&2; exit 1; }
for tool in wrk haproxy nginx; do
  command -v $tool >/dev/null || { echo "$tool is missing: run scripts/setup" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for f in "$work"/*.pid; do [[ -e "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

BE=29080 FU=29081 HA=29082 NG=29083 RE=29084 LO=29085
cat > "$work/backend.conf" <<C
worker_processes 1; pid $work/be.pid; daemon on; error_log $work/be.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$BE reuseport backlog=4096; location / { return 200 "ok\n"; } } }
C
# SAME_HEADERS=1: HAProxy and nginx send the target the headers Fulcrum always sends
# (X-Forwarded-For appended, X-Forwarded-Proto, X-Forwarded-Port, X-Real-IP, X-Request-Id when
# absent), so that all three do the same work and the backend parses the same request. Off by
# default, as in shared/bench/peers.sh.
ngx_headers="" ha_headers=""
if [[ ${SAME_HEADERS:-0} == 1 ]]; then
  ngx_headers='proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Port $server_port; proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Request-Id $request_id;'
  ha_headers='  option forwardfor
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Port %[dst_port]
  http-request set-header X-Real-IP %[src]
  unique-id-format %{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
  unique-id-header X-Request-Id'
fi
cat > "$work/ngproxy.conf" <<C
worker_processes 1; pid $work/ng.pid; daemon on; error_log $work/ng.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000;
  upstream be { server 127.0.0.1:$BE; keepalive 64; }
  server { listen 127.0.0.1:$NG backlog=4096; location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
$ngx_headers } } }
C
cat > "$work/haproxy.cfg" <<C
global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend fe
  bind 127.0.0.1:$HA
$ha_headers
  default_backend be
backend be
  balance roundrobin
  server s1 127.0.0.1:$BE
C
cat > "$work/fulcrum.yaml" <<C
workers: 1
listeners:
  - { name: web, listen: 127.0.0.1:$FU, protocol: http, default: { forward: be } }
target_groups:
  - { name: be, targets: [ { address: 127.0.0.1:$BE } ] }
C
sed "s/127.0.0.1:$FU/127.0.0.1:$LO/" "$work/fulcrum.yaml" > "$work/logged.yaml"
cat > "$work/relay.yaml" <<C
workers: 1
listeners:
  - { name: relay, listen: 127.0.0.1:$RE, protocol: tcp, default: { forward: be } }
target_groups:
  - { name: be, algorithm: round_robin, targets: [ { address: 127.0.0.1:$BE } ] }
C
nginx -c "$work/backend.conf"
nginx -c "$work/ngproxy.conf"
haproxy -D -p "$work/ha.pid" -f "$work/haproxy.cfg"
start_fulcrum "$work/fulcrum.yaml"
start_fulcrum "$work/relay.yaml"
start_fulcrum "$work/logged.yaml" "$work/access.log"
sleep 1
for p in $FU $HA $NG $RE $LO; do curl -sf -o /dev/null "http://127.0.0.1:$p/" || { echo "proxy on $p does not answer" >&2; exit 1; }; done
# The process doing each proxy's work: Fulcrum itself, HAProxy's (one) process, nginx's worker.
declare -A proxy_pid=([fulcrum]=${pids[0]} [haproxy]=$(cat "$work/ha.pid") [nginx]=$(pgrep -P "$(cat "$work/ng.pid")" | head -1)
                      [relay]=${pids[1]} [logged]=${pids[2]})
backend_pid=$(pgrep -P "$(cat "$work/be.pid")" | head -1)

# wrk prints p99 with a unit (us/ms/s): in microseconds.
to_us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /ms$/) n *= 1000; else if (v ~ /[0-9]s$/ && v !~ /us$/) n *= 1000000; printf "%.0f\n", n }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# One wrk run against PORT; records NAME's requests/s, p99, and CPU per request (microseconds,
# i.e. ms per 1,000): the proxy's user space, its kernel, and wrk + backend together.
keep_alive_run() {
  local name=$1 port=$2 before after be_before r others
  read -r -a before < <(cpu_ticks_split "${proxy_pid[$name]}")
  be_before=$(cpu_ticks "$backend_pid")
  r=$(wrk -t1 -c"$CONNS" -d"${SECONDS_EACH}s" --latency "http://127.0.0.1:$port/" 2>&1; children_cpu_ticks "$work/times")
  read -r -a after < <(cpu_ticks_split "${proxy_pid[$name]}")
  local n; n=$(echo "$r" | wrk_requests)
  cpu_ms_per_1k "${before[0]}" "${after[0]}" "$n" >> "$work/$name.ka_user"
  cpu_ms_per_1k "${before[1]}" "${after[1]}" "$n" >> "$work/$name.ka_kernel"
  others=$(( $(echo "$r" | tail -1) + $(cpu_ticks "$backend_pid") - be_before ))
  cpu_ms_per_1k 0 "$others" "$n" >> "$work/$name.ka_others"
  echo "$r" | awk '/Requests\/sec/ { print $2 }' >> "$work/$name.ka_rps"
  to_us "$(echo "$r" | awk '$1 == "99%" { print $2 }')" >> "$work/$name.ka_p99"
}

for round in $(seq 1 "$ROUNDS"); do
  for t in fulcrum:$FU haproxy:$HA nginx:$NG relay:$RE logged:$LO; do
    name=${t%%:*} port=${t##*:}
    keep_alive_run "$name" "$port"
    r=$(wrk -t1 -c"$CONNS" -d"${SECONDS_EACH}s" -H "Connection: close" "http://127.0.0.1:$port/" 2>&1)
    echo "$r" | awk '/Requests\/sec/ { print $2 }' >> "$work/$name.close_rps"
    : > "$work/access.log"  # O_APPEND: the writer goes on at the new end
  done
done

printf "%-8s %14s %10s %12s %28s %22s\n" proxy "keep-alive r/s" "p99 (us)" "close r/s" \
  "proxy CPU us/req user+kernel" "wrk+backend us/req"
for name in fulcrum haproxy nginx relay logged; do
  ka=$(median < "$work/$name.ka_rps"); p99=$(median < "$work/$name.ka_p99"); cl=$(median < "$work/$name.close_rps")
  user=$(median < "$work/$name.ka_user"); kernel=$(median < "$work/$name.ka_kernel"); others=$(median < "$work/$name.ka_others")
  cpu=$(awk -v u="$user" -v k="$kernel" 'BEGIN { printf "%.1f", u + k }')
  printf "%-8s %14.0f %10.0f %12.0f %28s %22.1f\n" "$name" "$ka" "$p99" "$cl" "$user + $kernel = $cpu" "$others"
  eval "${name}_ka=$ka ${name}_p99=$p99 ${name}_cl=$cl ${name}_cpu=$cpu ${name}_user=$user ${name}_kernel=$kernel ${name}_others=$others"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "fulcrum/haproxy: keep-alive $(ratio "$fulcrum_ka" "$haproxy_ka")x, p99 $(ratio "$fulcrum_p99" "$haproxy_p99")x, close $(ratio "$fulcrum_cl" "$haproxy_cl")x, CPU per request $(ratio "$fulcrum_cpu" "$haproxy_cpu")x"
echo "fulcrum/nginx:   keep-alive $(ratio "$fulcrum_ka" "$nginx_ka")x, p99 $(ratio "$fulcrum_p99" "$nginx_p99")x, close $(ratio "$fulcrum_cl" "$nginx_cl")x, CPU per request $(ratio "$fulcrum_cpu" "$nginx_cpu")x"
echo "access log to a file: keep-alive $(ratio "$logged_ka" "$fulcrum_ka")x of logs off, close $(ratio "$logged_cl" "$fulcrum_cl")x, CPU per request $(ratio "$logged_cpu" "$fulcrum_cpu")x"
echo "bound: a proxy with HAProxy's kernel time per request and the relay's user time (bytes moved, no HTTP work) would reach $(awk -v h="$haproxy_cpu" -v o="$haproxy_others" -v k="$haproxy_kernel" -v u="$relay_user" 'BEGIN { printf "%.2f", (h + o) / (k + u + o) }')x HAProxy's keep-alive requests/s (CPU per request of the whole machine, wrk and backend included)"
echo "($ROUNDS rounds of ${SECONDS_EACH}s, $CONNS connections, medians, SAME_HEADERS=${SAME_HEADERS:-0}; $(uptime | sed 's/.*load/load/'))"
