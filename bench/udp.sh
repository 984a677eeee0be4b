#!/usr/bin/env bash
# UDP (layer 4) benchmark: Fulcrum vs nginx `stream` UDP proxy on the same echo backend, in
# one run. Request/reply datagrams (udp_load keeps a window in flight per flow), ROUNDS rounds
# alternating the two proxies; prints the median datagrams/s of each and the ratio.
#
#   bench/udp.sh [seconds per measurement, default 5] [rounds, default 3] [threads, default 1]
#
# Fairness: the same number of threads/processes (default 1), logging off on both, the same
# idle timeout (nginx without proxy_responses, so a session carries many replies). The load
# generator, the proxies and the backend share this machine's cores: only the ratio from one
# run means anything. Needs the nginx stream module (Debian libnginx-mod-stream, scripts/setup).
set -euo pipefail
SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
THREADS=${3:-1}
FLOWS=${FLOWS:-32}
WINDOW=${WINDOW:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
source "$root/bench/lib/start_fulcrum.sh"
for tool in "$build/fulcrum" "$build/udp_load" "$build/udp_backend"; do
  [[ -x "$tool" ]] || { echo "missing $tool: run 'make build' first" >&2; exit 1; }
done
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
[[ -f $stream_module ]] || { echo "nginx stream module missing: run scripts/setup (libnginx-mod-stream)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

BACKEND=29001 FULCRUM=29101 NGINX=29201 READY=29102
"$build/udp_backend" --listen 127.0.0.1:$BACKEND --mode echo --threads 1 >/dev/null & pids+=($!)

cat > "$work/fulcrum.yaml" <<YAML
workers: $THREADS
listeners:
  - { name: dgram, listen: 127.0.0.1:$FULCRUM, protocol: udp, idle_timeout: 30s, default: { forward: echo } }
target_groups:
  - { name: echo, algorithm: round_robin, targets: [ { address: 127.0.0.1:$BACKEND } ] }
YAML
start_fulcrum "$work/fulcrum.yaml"

mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
load_module $stream_module;
daemon off;
master_process off;
worker_processes $THREADS;
pid $work/nginx.pid;
error_log $work/nginx/error.log crit;
events { worker_connections 8192; }
stream {
  access_log off;
  server {
    listen 127.0.0.1:$NGINX udp reuseport;
    proxy_pass 127.0.0.1:$BACKEND;
    proxy_timeout 30s;
  }
}
CONF
# master_process off runs one worker in the foreground; with THREADS>1 use a master.
if [[ $THREADS -gt 1 ]]; then sed -i 's/^master_process off;/master_process on;/' "$work/nginx.conf"; fi
nginx -c "$work/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" & pids+=($!)
sleep 1

measure() {  # port -> rate
  "$build/udp_load" --port "$1" --flows "$FLOWS" --window "$WINDOW" --seconds "$SECONDS_EACH" | tee -a "$work/load.log" |
    sed -E 's/.*rate=([0-9.]+).*/\1/'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

f_all="" n_all=""
for round in $(seq 1 "$ROUNDS"); do
  f=$(measure $FULCRUM); f_all+="$f "; echo "round $round fulcrum: $f" >&2
  n=$(measure $NGINX); n_all+="$n "; echo "round $round nginx: $n" >&2
done
cat "$work/load.log" >&2
f=$(echo "$f_all" | tr ' ' '\n' | grep . | median)
n=$(echo "$n_all" | tr ' ' '\n' | grep . | median)
printf "\n%-10s %14s %14s %8s\n" "test" "fulcrum" "nginx" "ratio"
printf "%-10s %9s dg/s %9s dg/s %6.2f\n" "echo" "$f" "$n" "$(echo "$f $n" | awk '{print ($2 > 0) ? $1 / $2 : 0}')"
echo "(medians of $ROUNDS rounds of ${SECONDS_EACH}s; $FLOWS flows x $WINDOW in flight, 64-byte datagrams; $THREADS thread(s) per proxy; ratio = fulcrum / nginx; load: $(cut -d' ' -f1-3 /proc/loadavg))"
