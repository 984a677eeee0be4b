#!/usr/bin/env bash
# TLS benchmark: Fulcrum vs HAProxy terminating TLS in front of the same backend (nginx
# answering "ok"), in one run, with the same certificate (ECDSA P-256 by default, RSA 2048 with
# KEY=rsa) and the same protocol (TLS 1.3, X25519). For each proxy:
#   full handshakes/s     wrk -H "Connection: close": every request a new TLS connection, full
#                         handshake (wrk resumes nothing), CONNS connections in parallel
#   resumed handshakes/s  openssl s_time -reuse: one client reconnecting serially, each time
#                         resuming its session (ticket); and s_time -new for the serial full rate
#   keep-alive req/s      wrk over one TLS connection per client, CONNS clients
# ROUNDS rounds alternate the proxies; medians and ratios Fulcrum/HAProxy are printed, with each
# proxy's own CPU time per 1,000 connections (full) and per 1,000 keep-alive requests, taken over
# the same wrk runs: the steadier figure on a shared 2-core machine (bench/lib/process_cpu.sh).
#
#   bench/tls.sh [seconds per measurement, default 5] [rounds, default 3] [connections, default 50]
#
# Fairness (as shared/bench/peers.sh): one thread/worker each, logging off, keep-alive to the
# backend on both (HAProxy `http-reuse always`, Fulcrum's pool), tickets and session cache on
# both (their defaults). Clients, proxies and backend share this machine's cores: only the ratios
# of one run mean anything; quote `uptime` with them.
set -euo pipefail
SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
CONNS=${3:-50}
KEY=${KEY:-ec}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib/process_cpu.sh"
build=${BUILD_DIR:-$root/build/release}
[[ -x "$build/fulcrum" ]] || { echo "missing $build/fulcrum: run 'make build' first" >&2; exit 1; }
for tool in wrk haproxy nginx openssl; do
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

BE=29180 FU=29181 HA=29182
if [[ $KEY == rsa ]]; then keyopt=(-newkey rsa:2048); else keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); fi
openssl req -x509 "${keyopt[@]}" -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" > "$work/haproxy.pem"

cat > "$work/backend.conf" <<C
worker_processes 1; pid $work/be.pid; daemon on; error_log $work/be.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$BE reuseport backlog=4096; location / { return 200 "ok\n"; } } }
C
cat > "$work/haproxy.cfg" <<C
global
  nbthread 1
  maxconn 8000
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend fe
  bind 127.0.0.1:$HA ssl crt $work/haproxy.pem alpn http/1.1
  default_backend be
backend be
  balance roundrobin
  server s1 127.0.0.1:$BE
C
cat > "$work/fulcrum.yaml" <<C
workers: 1
admin: { enabled: false }
listeners:
  - name: web
    listen: 127.0.0.1:$FU
    protocol: https
    tls: { certificates: [ { cert: $work/cert.pem, key: $work/key.pem } ], policy: intermediate }
    default: { forward: be }
target_groups:
  - { name: be, algorithm: round_robin, keepalive_connections: 64, targets: [ { address: 127.0.0.1:$BE } ] }
C
nginx -c "$work/backend.conf"
haproxy -D -p "$work/ha.pid" -f "$work/haproxy.cfg"
"$build/fulcrum" run -c "$work/fulcrum.yaml" --access-log off --log-level warn & pids+=($!)
sleep 1
for p in $FU $HA; do curl -skf -o /dev/null "https://127.0.0.1:$p/" || { echo "proxy on $p does not answer" >&2; exit 1; }; done
declare -A proxy_pid=([fulcrum]=${pids[0]} [haproxy]=$(cat "$work/ha.pid"))

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# s_time prints "N connections in T real seconds": connections per wall-clock second.
s_time_rate() { openssl s_time -connect "127.0.0.1:$1" "$2" -time "$SECONDS_EACH" 2>/dev/null |
                awk '/connections in .* real seconds/ { printf "%.0f\n", $1 / $4 }' | tail -1; }

for round in $(seq 1 "$ROUNDS"); do
  for t in fulcrum:$FU haproxy:$HA; do
    name=${t%%:*} port=${t##*:}
    before=$(cpu_ticks "${proxy_pid[$name]}")
    r=$(wrk -t1 -c"$CONNS" -d"${SECONDS_EACH}s" -H "Connection: close" "https://127.0.0.1:$port/" 2>&1)
    cpu_ms_per_1k "$before" "$(cpu_ticks "${proxy_pid[$name]}")" "$(echo "$r" | wrk_requests)" >> "$work/$name.full_cpu"
    echo "$r" | awk '/Requests\/sec/ { print $2 }' >> "$work/$name.full"
    s_time_rate "$port" -reuse >> "$work/$name.resumed"
    s_time_rate "$port" -new >> "$work/$name.serial_full"
    before=$(cpu_ticks "${proxy_pid[$name]}")
    r=$(wrk -t1 -c"$CONNS" -d"${SECONDS_EACH}s" "https://127.0.0.1:$port/" 2>&1)
    cpu_ms_per_1k "$before" "$(cpu_ticks "${proxy_pid[$name]}")" "$(echo "$r" | wrk_requests)" >> "$work/$name.ka_cpu"
    echo "$r" | awk '/Requests\/sec/ { print $2 }' >> "$work/$name.ka"
  done
done

printf "%-8s %18s %22s %20s %18s %20s %20s\n" proxy "full handshakes/s" "resumed (serial) /s" "full (serial) /s" \
  "keep-alive req/s" "CPU ms/1k full" "CPU ms/1k keep-alive"
for name in fulcrum haproxy; do
  full=$(median < "$work/$name.full"); res=$(median < "$work/$name.resumed")
  sfull=$(median < "$work/$name.serial_full"); ka=$(median < "$work/$name.ka")
  full_cpu=$(median < "$work/$name.full_cpu"); ka_cpu=$(median < "$work/$name.ka_cpu")
  printf "%-8s %18.0f %22.0f %20.0f %18.0f %20.1f %20.1f\n" "$name" "$full" "$res" "$sfull" "$ka" "$full_cpu" "$ka_cpu"
  eval "${name}_full=$full ${name}_res=$res ${name}_sfull=$sfull ${name}_ka=$ka ${name}_full_cpu=$full_cpu ${name}_ka_cpu=$ka_cpu"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "fulcrum/haproxy: full handshakes $(ratio "$fulcrum_full" "$haproxy_full")x, resumed $(ratio "$fulcrum_res" "$haproxy_res")x, serial full $(ratio "$fulcrum_sfull" "$haproxy_sfull")x, keep-alive $(ratio "$fulcrum_ka" "$haproxy_ka")x"
echo "proxy CPU per connection (full) $(ratio "$fulcrum_full_cpu" "$haproxy_full_cpu")x, per keep-alive request $(ratio "$fulcrum_ka_cpu" "$haproxy_ka_cpu")x (below 1: Fulcrum spends less)"
echo "(key $KEY, TLS 1.3; $ROUNDS rounds of ${SECONDS_EACH}s, $CONNS connections, medians; $(uptime | sed 's/.*load/load/'))"
