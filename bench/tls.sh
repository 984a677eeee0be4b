#!/usr/bin/env bash
# TLS benchmark: Fulcrum vs HAProxy terminating TLS in front of the same backend (nginx
# answering "ok"), in one run, with the same certificate (ECDSA P-256 by default, RSA 2048 with
# KEY=rsa) and the same protocol (TLS 1.3, X25519). For each proxy:
#   full handshakes/s     CLIENTS `openssl s_time -new -www /` in parallel: each connection a
#                         full handshake and one request (s_time -new never offers a session)
#   resumed handshakes/s  CLIENTS `openssl s_time -reuse -www /` in parallel: each connection
#                         resumes the session of its client's first one (by ticket) and makes
#                         one request. (Without -www, s_time closes before the TLS 1.3 ticket
#                         arrives and resumes nothing.)
#   new connections/s     wrk -H "Connection: close", CONNS connections: a new TLS connection
#                         per request, each resuming with the ticket its last connection got,
#                         as browsers and OpenSSL clients do (one use per TLS 1.3 ticket)
#   keep-alive req/s      wrk over one TLS connection per client, CONNS clients
# ROUNDS rounds alternate the proxies; medians and ratios Fulcrum/HAProxy are printed, with each
# proxy's own CPU time per 1,000 connections (full, resumed, and wrk's new connections) and per
# 1,000 keep-alive requests, taken over the same runs: the steadier figure on a shared 2-core
# machine (bench/lib/process_cpu.sh).
#
#   bench/tls.sh [seconds per measurement, default 5] [rounds, default 3] [connections, default 50]
#                CLIENTS=4 (parallel s_time clients)
#
# Fairness (as shared/bench/peers.sh): one thread/worker each, logging off, keep-alive to the
# backend on both (HAProxy `http-reuse always`, Fulcrum's pool), tickets and session cache on
# both (their defaults). Clients, proxies and backend share this machine's cores: only the ratios
# of one run mean anything; quote `uptime` with them.
set -euo pipefail
SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
CONNS=${3:-50}
CLIENTS=${CLIENTS:-4}
KEY=${KEY:-ec}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib/process_cpu.sh"
source "$root/bench/lib/start_fulcrum.sh"
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
  - { name: be, algorithm: round_robin, targets: [ { address: 127.0.0.1:$BE } ] }
C
nginx -c "$work/backend.conf"
haproxy -D -p "$work/ha.pid" -f "$work/haproxy.cfg"
start_fulcrum "$work/fulcrum.yaml"
sleep 1
for p in $FU $HA; do curl -skf -o /dev/null "https://127.0.0.1:$p/" || { echo "proxy on $p does not answer" >&2; exit 1; }; done
declare -A proxy_pid=([fulcrum]=${pids[0]} [haproxy]=$(cat "$work/ha.pid"))

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# CLIENTS parallel `openssl s_time -connect PORT MODE -www /` for SECONDS_EACH: records NAME's
# connections/s (all clients together, over the wall-clock time) in FIGURE and the proxy's CPU
# per 1,000 of them in FIGURE_cpu. s_time prints "N connections in T real seconds" (T rounded).
s_time_run() {
  local name=$1 port=$2 mode=$3 figure=$4 before start end n clients=()
  before=$(cpu_ticks "${proxy_pid[$name]}")
  start=$(date +%s.%N)
  for i in $(seq 1 "$CLIENTS"); do
    openssl s_time -connect "127.0.0.1:$port" "$mode" -www / -time "$SECONDS_EACH" > "$work/s_time.$i" 2>/dev/null &
    clients+=($!)
  done
  wait "${clients[@]}"
  end=$(date +%s.%N)
  n=$(cat "$work"/s_time.* | awk '/connections in .* real seconds/ { n += $1 } END { print n + 0 }')
  awk -v n="$n" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f\n", n / (b - a) }' >> "$work/$name.$figure"
  cpu_ms_per_1k "$before" "$(cpu_ticks "${proxy_pid[$name]}")" "$n" >> "$work/$name.${figure}_cpu"
  rm -f "$work"/s_time.*
}

# wrk (CONNS connections, then any extra wrk arguments) against PORT for SECONDS_EACH: records
# NAME's requests/s in FIGURE and the proxy's CPU per 1,000 requests in FIGURE_cpu.
wrk_run() {
  local name=$1 port=$2 figure=$3 before r
  shift 3
  before=$(cpu_ticks "${proxy_pid[$name]}")
  r=$(wrk -t1 -c"$CONNS" -d"${SECONDS_EACH}s" "$@" "https://127.0.0.1:$port/" 2>&1)
  cpu_ms_per_1k "$before" "$(cpu_ticks "${proxy_pid[$name]}")" "$(echo "$r" | wrk_requests)" >> "$work/$name.${figure}_cpu"
  echo "$r" | awk '/Requests\/sec/ { print $2 }' >> "$work/$name.$figure"
}

for round in $(seq 1 "$ROUNDS"); do
  for t in fulcrum:$FU haproxy:$HA; do
    name=${t%%:*} port=${t##*:}
    s_time_run "$name" "$port" -new full
    s_time_run "$name" "$port" -reuse resumed
    wrk_run "$name" "$port" conn -H "Connection: close"
    wrk_run "$name" "$port" ka
  done
done

printf "%-8s %20s %20s %20s %20s\n" proxy "full handshakes/s" "resumed /s" "new conns/s (wrk)" "keep-alive req/s"
printf "%-8s %20s %20s %20s %20s\n" "" "(CPU ms per 1k)" "(CPU ms per 1k)" "(CPU ms per 1k)" "(CPU ms per 1k)"
for name in fulcrum haproxy; do
  row=()
  for f in full resumed conn ka; do
    figure=$(median < "$work/$name.$f") cpu=$(median < "$work/$name.${f}_cpu")
    eval "${name}_$f=$figure ${name}_${f}_cpu=$cpu"
    row+=("$figure ($cpu)")
  done
  printf "%-8s %20s %20s %20s %20s\n" "$name" "${row[@]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "fulcrum/haproxy: full handshakes $(ratio "$fulcrum_full" "$haproxy_full")x, resumed $(ratio "$fulcrum_resumed" "$haproxy_resumed")x, new connections $(ratio "$fulcrum_conn" "$haproxy_conn")x, keep-alive $(ratio "$fulcrum_ka" "$haproxy_ka")x"
echo "proxy CPU per full handshake $(ratio "$fulcrum_full_cpu" "$haproxy_full_cpu")x, per resumed $(ratio "$fulcrum_resumed_cpu" "$haproxy_resumed_cpu")x, per new connection $(ratio "$fulcrum_conn_cpu" "$haproxy_conn_cpu")x, per keep-alive request $(ratio "$fulcrum_ka_cpu" "$haproxy_ka_cpu")x (below 1: Fulcrum spends less)"
echo "(key $KEY, TLS 1.3; $ROUNDS rounds of ${SECONDS_EACH}s, $CLIENTS s_time clients, $CONNS wrk connections, medians; $(uptime | sed 's/.*load/load/'))"
