#!/usr/bin/env bash
# HTTP/2 benchmark (issue 19): Fulcrum vs HAProxy vs nginx serving HTTP/2 to clients, each
# forwarding over HTTP/1.1 keep-alive to the same nginx target answering "ok", in one run.
#
#   throughput  h2load, CONNS connections x STREAMS concurrent streams (default 10 x 10), one
#               thread, SECONDS each run, through each proxy in turn, RUNS runs (medians):
#                 h2c  HTTP/2 over cleartext with prior knowledge
#                 tls  HTTP/2 over TLS 1.3 (ALPN h2), ECDSA P-256, the same certificate on all
#               requests/s, p50 and p99 (ms, computed from h2load's --log-file: every request of
#               the run, not a sample), each proxy process's CPU seconds per 10,000 requests
#               (user + kernel, /proc/PID/stat over the same run), ratios to HAProxy.
#               Goal (issue 19): Fulcrum >= 1.2 x HAProxy's requests/s, p99 <= HAProxy's.
#   idle memory IDLE h2c client connections (default 5,000), opened one after the other, one
#               request each, then held idle (bench/lib/h2_idle_clients.py); RSS growth of each
#               proxy, freshly started, divided by the connections. Goal: Fulcrum <= HAProxy.
#
#   bench/h2.sh [seconds per run, default 5] [idle connections, default 5000]
#               RUNS=3 CONNS=10 STREAMS=10
#
# Fairness (as shared/bench/peers.sh): one thread/worker each, logging off, keep-alive to the
# target on all three (nginx `keepalive 64` + proxy_http_version 1.1, HAProxy `http-reuse
# always`, Fulcrum's pool of 128: HAProxy keeps idle target connections without a bound, and 10 x 10 streams need 100 at once). HAProxy: `bind ... proto h2` (h2c) and `ssl crt ... alpn
# h2,http/1.1`; nginx: `listen ... http2` and `listen ... ssl http2`; Fulcrum: protocol http with
# `http2: true`, protocol https with `tls: {alpn: [h2, "http/1.1"]}`, `max_concurrent_streams:
# 100` (HAProxy's default is 100, nginx's 128; 10 streams per connection are asked for). Fulcrum
# runs as two processes (h2c and TLS), so that a failure of one leaves the other's row.
# A proxy that does not start, or whose h2load runs get no 2xx answer, is printed as failed with
# the reason; the others are measured all the same. h2load, the proxies and the target share this
# machine's cores: only the ratios of one run mean anything; `uptime` is printed with them.
set -euo pipefail
SECONDS_EACH=${1:-5}
IDLE=${2:-5000}
RUNS=${RUNS:-3}
CONNS=${CONNS:-10}
STREAMS=${STREAMS:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/lib/process_cpu.sh"
source "$root/bench/lib/start_fulcrum.sh"
build=${BUILD_DIR:-$root/build/release}
for tool in h2load haproxy nginx openssl python3; do
  command -v $tool >/dev/null || { echo "$tool is missing: run scripts/setup" >&2; exit 1; }
done
have_fulcrum=1
[[ -x "$build/fulcrum" ]] || { echo "missing $build/fulcrum ('make build'): its rows will be absent" >&2; have_fulcrum=0; }

# Descriptors: the idle client holds IDLE, each proxy IDLE + a few, HAProxy two per client.
limit=$(ulimit -n)
if (( limit < 2 * IDLE + 200 )); then
  ulimit -n $((2 * IDLE + 200)) 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  limit=$(ulimit -n)
fi
if (( limit < IDLE + 100 )); then
  echo "ulimit -n is $limit and cannot be raised: raise it above $((IDLE + 100)) or give fewer idle connections" >&2
  exit 1
fi
HA_IDLE=$(( IDLE < (limit - 200) / 2 ? IDLE : (limit - 200) / 2 ))

work=$(mktemp -d)
pids=()
cleanup() {
  for f in "$work"/*.pid; do [[ -e "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

BE=29280 FU_C=29281 FU_T=29282 HA_C=29283 HA_T=29284 NG_C=29285 NG_T=29286
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=bench.test -addext subjectAltName=DNS:bench.test 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" > "$work/haproxy.pem"

cat > "$work/backend.conf" <<C
worker_processes 1; pid $work/be.pid; daemon on; error_log $work/be.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$BE reuseport backlog=4096; location / { return 200 "ok\n"; } } }
C
# keepalive_requests also bounds the requests of one HTTP/2 connection in nginx >= 1.19.7 (1,000
# by default: h2load's connections would be sent GOAWAY); keepalive_timeout is the idle timeout.
cat > "$work/ngproxy.conf" <<C
worker_processes 1; pid $work/ng.pid; daemon on; error_log $work/ng.err;
worker_rlimit_nofile $limit;
events { worker_connections $((IDLE + 1000)); }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 600s;
  ssl_protocols TLSv1.2 TLSv1.3;
  upstream be { server 127.0.0.1:$BE; keepalive 64; }
  server { listen 127.0.0.1:$NG_C http2 backlog=4096; listen 127.0.0.1:$NG_T ssl http2 backlog=4096;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
C
cat > "$work/haproxy.cfg" <<C
global
  nbthread 1
  maxconn $((HA_IDLE + 10))
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 600s
  timeout server 30s
  timeout http-keep-alive 600s
  http-reuse always
frontend h2c
  bind 127.0.0.1:$HA_C proto h2
  default_backend be
frontend tls
  bind 127.0.0.1:$HA_T ssl crt $work/haproxy.pem alpn h2,http/1.1
  default_backend be
backend be
  balance roundrobin
  server s1 127.0.0.1:$BE
C
cat > "$work/fulcrum_h2c.yaml" <<C
workers: 1
listeners:
  - { name: h2c, listen: 127.0.0.1:$FU_C, protocol: http, http2: true, max_concurrent_streams: 100,
      idle_timeout: 600s, default: { forward: be } }
target_groups:
  - { name: be, algorithm: round_robin, targets: [ { address: 127.0.0.1:$BE } ] }
C
cat > "$work/fulcrum_tls.yaml" <<C
workers: 1
listeners:
  - name: tls
    listen: 127.0.0.1:$FU_T
    protocol: https
    tls: { certificates: [ { cert: $work/cert.pem, key: $work/key.pem } ], policy: intermediate, alpn: [h2, "http/1.1"] }
    max_concurrent_streams: 100
    idle_timeout: 600s
    default: { forward: be }
target_groups:
  - { name: be, algorithm: round_robin, targets: [ { address: 127.0.0.1:$BE } ] }
C

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }
url() { [[ $1 == tls ]] && echo "https://127.0.0.1:$2/" || echo "http://127.0.0.1:$2/"; }

# 2xx answers in an h2load report on stdin ("status codes: N 2xx, ...").
h2load_2xx() { awk '$1 == "status" && $2 == "codes:" { print $3 + 0 }' | tail -1; }
# Why an h2load run got no answer: its requests line and any error lines, on one line.
h2load_why() {
  grep -Ei '^requests:|error|fail|refused|negotiat|not support|reset|closed' | grep -v '^status codes' \
    | head -4 | tr '\n' ';' | sed 's/;$//; s/  */ /g' || true
}

# The protocol an h2load report on stdin says it spoke: h2c, h2, or http/1.1 when the server's
# ALPN chose it (h2load then goes on in HTTP/1.1 without complaint, so this is checked).
h2load_protocol() { awk '/^Application protocol:/ { print $3 }' | tail -1; }
# Why an h2load report on stdin (of workload WL) does not count as HTTP/2 answered; empty if it does.
h2load_wrong_protocol() {  # workload
  local want=h2 got
  [[ $1 == h2c ]] && want=h2c
  got=$(h2load_protocol)
  [[ -z $got || $got == "$want" ]] || echo "spoke $got, not $want (ALPN or upgrade chose it)"
}

# One request over HTTP/2 (h2c or TLS): 0 if answered 2xx in HTTP/2, else prints why.
probe() {  # workload port
  local r wrong
  r=$(timeout 15 h2load -t1 -c1 -m1 -n1 "$(url "$1" "$2")" 2>&1) || true
  wrong=$(echo "$r" | h2load_wrong_protocol "$1")
  [[ -n $wrong ]] && { echo "$wrong"; return 1; }
  [[ "$(echo "$r" | h2load_2xx)" == 1 ]] && return 0
  echo "$r" | h2load_why
  return 1
}

# Waits (up to 5 s) for 127.0.0.1:PORT to accept connections while PID lives.
wait_port() {  # port pid
  for _ in $(seq 1 50); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ", and the process died (by signal N)" when PID is gone (the status only for our children).
died_note() {  # pid
  kill -0 "$1" 2>/dev/null && return 0
  local st=0
  wait "$1" 2>/dev/null || st=$?
  if (( st > 128 && st != 127 )); then echo ", and the process died (by signal $((st - 128)): $(kill -l $((st - 128))))"
  else echo ", and the process died"; fi
}

stop_pid() {  # pid: SIGTERM, then wait until it is gone (up to 10 s)
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

# Starts Fulcrum on the config of WORKLOAD (h2c|tls): sets fulcrum_pid, or fulcrum_why (and
# returns 1) when it is missing, exits or does not listen.
start_fulcrum_for() {  # workload port
  fulcrum_pid="" fulcrum_why=""
  if (( ! have_fulcrum )); then fulcrum_why="no $build/fulcrum"; return 1; fi
  start_fulcrum "$work/fulcrum_$1.yaml" > "$work/fulcrum_$1.out" 2> "$work/fulcrum_$1.err"
  local pid=${pids[-1]}
  if ! wait_port "$2" "$pid"; then
    # The first message, without the list of keys an "unknown key" error goes on with.
    fulcrum_why="did not start: $(grep -v '^[[:space:]]*$' "$work/fulcrum_$1.err" | head -1 \
      | sed "s|$work/||; s/; expected one of.*//" | cut -c1-200)"
    stop_pid "$pid"
    return 1
  fi
  fulcrum_pid=$pid
}

start_haproxy() { haproxy -D -p "$work/ha.pid" -f "$work/haproxy.cfg"; wait_port $HA_C "$(cat "$work/ha.pid")"; }
start_nginx() { nginx -c "$work/ngproxy.conf"; wait_port $NG_C "$(cat "$work/ng.pid")"; }
stop_haproxy() { stop_pid "$(cat "$work/ha.pid")"; rm -f "$work/ha.pid"; }
stop_nginx() { stop_pid "$(cat "$work/ng.pid")"; rm -f "$work/ng.pid"; }

nginx -c "$work/backend.conf"
start_haproxy
start_nginx

# Each proxy's process per workload (nginx: its worker; HAProxy: its one process) and port;
# `why` holds the reason a proxy's row is absent.
declare -A pid_of port_of why
port_of=([fulcrum.h2c]=$FU_C [fulcrum.tls]=$FU_T [haproxy.h2c]=$HA_C [haproxy.tls]=$HA_T [nginx.h2c]=$NG_C [nginx.tls]=$NG_T)
for wl in h2c tls; do
  pid_of[haproxy.$wl]=$(cat "$work/ha.pid")
  pid_of[nginx.$wl]=$(pgrep -P "$(cat "$work/ng.pid")" | head -1)
  if start_fulcrum_for $wl "${port_of[fulcrum.$wl]}"; then
    pid_of[fulcrum.$wl]=$fulcrum_pid
  else
    why[fulcrum.$wl]=$fulcrum_why
  fi
done
proxies="fulcrum haproxy nginx"
# Warm-up (the first TLS handshakes, pools to the target) and the check that each answers.
for wl in h2c tls; do
  for name in $proxies; do
    [[ -n ${why[$name.$wl]:-} ]] && continue
    if ! reason=$(probe $wl "${port_of[$name.$wl]}"); then
      why[$name.$wl]="h2load: $reason$(died_note "${pid_of[$name.$wl]}")"
      continue
    fi
    timeout 30 h2load -t1 -c"$CONNS" -m"$STREAMS" -n 2000 "$(url $wl "${port_of[$name.$wl]}")" > /dev/null 2>&1 || true
  done
done
[[ -z ${why[haproxy.h2c]:-}${why[nginx.h2c]:-} ]] || echo "warning: a peer does not answer: ${why[haproxy.h2c]:-}${why[nginx.h2c]:-}" >&2

# One h2load run: records NAME's requests/s, p50/p99 (ms), CPU s per 10k requests (user and
# kernel) and requests without a 2xx answer, in $work/NAME.WL.*; a run without any 2xx answer
# records its reason in NAME.WL.failed instead.
h2load_run() {  # name workload
  local name=$1 wl=$2 key=$1.$2 before after r ok total
  local log="$work/h2load.log" out="$work/$1.$2"
  rm -f "$log"
  read -r -a before < <(cpu_ticks_split "${pid_of[$key]}")
  r=$(timeout $((SECONDS_EACH + 30)) h2load -t1 -c"$CONNS" -m"$STREAMS" -D "$SECONDS_EACH" --log-file "$log" \
        "$(url "$wl" "${port_of[$key]}")" 2>&1) || true
  if ! kill -0 "${pid_of[$key]}" 2>/dev/null; then
    why[$key]="the process exited during a run$(died_note "${pid_of[$key]}")"; echo "${why[$key]}" >> "$out.failed"; return
  fi
  read -r -a after < <(cpu_ticks_split "${pid_of[$key]}")
  local wrong; wrong=$(echo "$r" | h2load_wrong_protocol "$wl")
  if [[ -n $wrong ]]; then echo "$wrong" >> "$out.failed"; return; fi
  ok=$(echo "$r" | h2load_2xx); ok=${ok:-0}
  total=$(echo "$r" | awk '$1 == "requests:" { print $2 + 0 }'); total=${total:-0}
  if (( ok == 0 )); then
    echo "0 of $total requests answered 2xx: $(echo "$r" | h2load_why)" >> "$out.failed"
    return
  fi
  echo "$r" | awk '$1 == "finished" { for (i = 1; i < NF; i++) if ($(i + 1) == "req/s,") print $i }' >> "$out.rps"
  echo $((total - ok)) >> "$out.bad"
  # log: start (us since epoch) TAB status TAB microseconds to the end of the answer.
  awk -F'\t' '$2 >= 200 && $2 < 300 { print $3 }' "$log" | sort -n | awk '{ a[NR] = $1 }
    END { i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
          printf "%.3f %.3f\n", a[i50] / 1000, a[i99] / 1000 }' > "$work/pct"
  read -r p50 p99 < "$work/pct"
  echo "$p50" >> "$out.p50"; echo "$p99" >> "$out.p99"
  local hz; hz=$(getconf CLK_TCK)
  awk -v a="${before[0]}" -v b="${after[0]}" -v n="$ok" -v hz="$hz" 'BEGIN { printf "%.3f\n", (b - a) / hz / (n / 10000) }' >> "$out.user"
  awk -v a="${before[1]}" -v b="${after[1]}" -v n="$ok" -v hz="$hz" 'BEGIN { printf "%.3f\n", (b - a) / hz / (n / 10000) }' >> "$out.kernel"
}

for run in $(seq 1 "$RUNS"); do
  for wl in h2c tls; do
    for name in $proxies; do
      [[ -n ${why[$name.$wl]:-} ]] || h2load_run "$name" "$wl"
    done
  done
done

declare -A fig
summary() {  # workload title
  local wl=$1
  echo
  echo "$2: h2load -t1 -c$CONNS -m$STREAMS -D $SECONDS_EACH, medians of $RUNS runs"
  printf "%-8s %10s %8s %8s %26s %8s   %s\n" proxy "req/s" "p50 ms" "p99 ms" "CPU s/10k req user+kernel" "non-2xx" \
    "vs haproxy: req/s p99 CPU"
  for name in $proxies; do
    local out="$work/$name.$wl" key=$name.$wl
    if [[ ! -s "$out.rps" ]]; then
      local reason=${why[$key]:-$( [[ -s "$out.failed" ]] && head -1 "$out.failed" )}
      printf "%-8s %s\n" "$name" "FAILED: ${reason:-no run}"
      continue
    fi
    local rps p50 p99 user kernel cpu bad nfail note=""
    rps=$(median < "$out.rps"); p50=$(median < "$out.p50"); p99=$(median < "$out.p99")
    user=$(median < "$out.user"); kernel=$(median < "$out.kernel"); bad=$(awk '{ s += $1 } END { print s + 0 }' "$out.bad")
    cpu=$(awk -v u="$user" -v k="$kernel" 'BEGIN { printf "%.3f", u + k }')
    fig[$key.rps]=$rps fig[$key.p99]=$p99 fig[$key.cpu]=$cpu
    nfail=$( [[ -e "$out.failed" ]] && wc -l < "$out.failed" || echo 0 )
    (( nfail > 0 )) && note=" ($nfail of $RUNS runs failed: $(head -1 "$out.failed"))"
    printf "%-8s %10.0f %8.2f %8.2f %26s %8s   %s%s\n" "$name" "$rps" "$p50" "$p99" "$user + $kernel = $cpu" "$bad" \
      "$(ratio "$rps" "${fig[haproxy.$wl.rps]:-}")x $(ratio "$p99" "${fig[haproxy.$wl.p99]:-}")x $(ratio "$cpu" "${fig[haproxy.$wl.cpu]:-}")x" "$note"
  done
  if [[ -n ${fig[fulcrum.$wl.rps]:-} && -n ${fig[haproxy.$wl.rps]:-} ]]; then
    awk -v r="$(ratio "${fig[fulcrum.$wl.rps]}" "${fig[haproxy.$wl.rps]}")" -v p="${fig[fulcrum.$wl.p99]}" -v hp="${fig[haproxy.$wl.p99]}" \
      'BEGIN { printf "goal (issue 19): fulcrum req/s >= 1.2 x haproxy: %s (%sx); p99 <= haproxy: %s (%.2f vs %.2f ms)\n",
               (r >= 1.2 ? "met" : "NOT met"), r, (p + 0 <= hp + 0 ? "met" : "NOT met"), p, hp }'
  else
    echo "goal (issue 19): fulcrum req/s >= 1.2 x haproxy, p99 <= haproxy: not measured"
  fi
}
# haproxy's figures first, so that the ratios can be printed on every row.
proxies="haproxy fulcrum nginx"
summary h2c "h2c (HTTP/2 cleartext, prior knowledge)"
summary tls "h2 over TLS 1.3 (ALPN h2, ECDSA P-256)"
echo "(req/s: h2load's, 2xx answers over the run; p50/p99 from every 2xx request in h2load's --log-file; CPU: the proxy process, /proc/PID/stat over the same run)"

# --- Idle memory: each proxy alone and freshly started, IDLE h2c connections held idle. -------
stop_haproxy; stop_nginx
for wl in h2c tls; do
  if [[ -n ${pid_of[fulcrum.$wl]:-} ]]; then stop_pid "${pid_of[fulcrum.$wl]}"; fi
done

rss_kib() {  # total VmRSS of the given pids
  local total=0
  for p in "$@"; do total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"))); done
  echo $total
}

declare -A mem
# Prints NAME's row; its growth per connection goes to mem[NAME].
measure_idle() {  # name port count pid...
  local name=$1 port=$2 n=$3 reason
  shift 3
  if ! reason=$(probe h2c "$port"); then printf "%-8s FAILED: h2load: %s%s\n" "$name" "$reason" "$(died_note "$1")"; return; fi
  sleep 0.5
  local before after client
  before=$(rss_kib "$@")
  python3 "$root/bench/lib/h2_idle_clients.py" --port "$port" --count "$n" --hold-seconds 600 \
    > "$work/$name.clients" 2> "$work/$name.clients.err" &
  client=$!; pids+=($client)
  for _ in $(seq 1 1800); do
    grep -q ready "$work/$name.clients" 2>/dev/null && break
    kill -0 $client 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q ready "$work/$name.clients"; then
    printf "%-8s FAILED: %s\n" "$name" "$(head -1 "$work/$name.clients.err")"
    kill $client 2>/dev/null; wait $client 2>/dev/null || true
    return
  fi
  sleep 1
  after=$(rss_kib "$@")
  kill $client; wait $client 2>/dev/null || true
  local closed; closed=$(awk '$1 == "held" { print $4 }' "$work/$name.clients")
  local per=$(( (after - before) * 1024 / n ))
  mem[$name]=$per
  printf "%-8s %6d %10d %10d %12d %12d %s\n" "$name" "$n" "$before" "$after" "$per" $(( after * 1024 / n )) \
    "$([[ ${closed:-0} != 0 ]] && echo "(${closed:-?} closed by the proxy while held)")"
}

echo
echo "idle HTTP/2 client connections (h2c, one request each, then idle; each proxy freshly started)"
printf "%-8s %6s %10s %10s %12s %12s\n" proxy conns "RSS KiB" "after KiB" "B/conn growth" "B/conn total"
if start_fulcrum_for h2c $FU_C; then
  measure_idle fulcrum $FU_C "$IDLE" "$fulcrum_pid"
  stop_pid "$fulcrum_pid"
else
  printf "%-8s FAILED: %s\n" fulcrum "$fulcrum_why"
fi
start_haproxy
measure_idle haproxy $HA_C "$HA_IDLE" "$(cat "$work/ha.pid")"
stop_haproxy
start_nginx
master=$(cat "$work/ng.pid")
measure_idle nginx $NG_C "$IDLE" "$master" $(pgrep -P "$master")
stop_nginx
if [[ -n ${mem[fulcrum]:-} && -n ${mem[haproxy]:-} ]]; then
  echo "goal (issue 19): fulcrum bytes per idle connection <= haproxy: $( (( mem[fulcrum] <= mem[haproxy] )) && echo met || echo "NOT met") ($(ratio "${mem[fulcrum]}" "${mem[haproxy]}")x haproxy, $(ratio "${mem[fulcrum]}" "${mem[nginx]:-}")x nginx)"
else
  echo "goal (issue 19): fulcrum bytes per idle connection <= haproxy: not measured"
fi
echo "(RSS summed over the proxy's processes, read 1 s after the last connection's answer; nginx's includes its master; $(uptime | sed 's/.*load/load/'))"
