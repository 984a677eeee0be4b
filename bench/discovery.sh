#!/usr/bin/env bash
# DNS discovery (docs/design/discovery.md): what following names costs and how fast traffic
# follows a change.
#
#   bench/discovery.sh [seconds of CPU sampling, default 20]
#
# 1. CPU of Fulcrum's control thread (the process's main thread, where c-ares and the snapshot
#    builds run) while it follows one SRV name of 1,000 targets at TTL 1 s (the answer, ~54 KB,
#    comes over TCP after a truncated UDP one), read from /proc/PID/task/PID/stat over the
#    sampling period:
#      - "same": every answer identical (nothing to publish);
#      - "churn": every answer differs (one target's port changes each second: a snapshot of
#        1,000 targets built and published each time, one target drained).
#    Goal: <= 5 % of one core.
# 2. The time from a DNS change to traffic following it: a dns: name at TTL 1 s and 5 s moves
#    from one backend to another while curl asks once every 20 ms; the time from the zone
#    change to the first request on the new backend, 5 times each. Goal: <= TTL + 1 s.
#
# The DNS server is tests/support/dns_test_server.py (python3-dnslib), the backends
# tests/support/http_backend. Health checks are off, so only discovery is measured.
set -euo pipefail
SECONDS_CPU=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
for tool in "$build/fulcrum" "$build/http_backend"; do
  [[ -x "$tool" ]] || { echo "missing $tool: run 'make build' first" >&2; exit 1; }
done
python=/usr/bin/python3
"$python" -c "import dnslib" 2>/dev/null || { echo "python3-dnslib is missing: run scripts/setup" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

BE=29280 OLD=29281 NEW=29282 FU=29283 ADMIN=29284
clock_ticks=$(getconf CLK_TCK)

# Writes the zone atomically; arguments: python that prints the JSON.
zone() { "$python" -c "$1" > "$work/zone.new" && mv "$work/zone.new" "$work/zone.json"; }
srv_zone() {  # $1: the port of target 0 (changing it changes the answer)
  zone "
import json
names = {'_http._tcp.big.test': {'ttl': 1, 'srv': [{'priority': 0, 'weight': 1, 'port': ($1 if i == 0 else $BE), 'target': 't%d.big.test' % i} for i in range(1000)]}}
for i in range(1000): names['t%d.big.test' % i] = {'ttl': 1, 'a': ['127.0.%d.%d' % (i // 250 + 1, i % 250 + 1)]}
names['web.test'] = {'ttl': ${TTL:-1}, 'a': ['${WEB:-127.0.0.1}']}
print(json.dumps({'names': names}))"
}

start_dns() {
  TTL=1 WEB=127.0.0.1 srv_zone $BE
  "$python" "$root/tests/support/dns_test_server.py" --zone-file "$work/zone.json" --port-file "$work/dns.port" \
    > "$work/dns.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [[ -s "$work/dns.port" ]] && break; sleep 0.05; done
  DNS_PORT=$(cat "$work/dns.port")
}

control_ticks() {  # utime + stime of the main thread of pid $1
  awk '{print $14 + $15}' "/proc/$1/task/$1/stat"
}

wait_for_targets() {  # $1: group, $2: how many
  for _ in $(seq 200); do
    n=$(curl -s "127.0.0.1:$ADMIN/api/v1/target-groups/$1" | "$python" -c \
      "import json,sys; print(len([t for t in json.load(sys.stdin)['targets'] if not t.get('removed')]))" 2>/dev/null || echo 0)
    [[ "$n" == "$2" ]] && return 0
    sleep 0.1
  done
  echo "group $1 never reached $2 targets (has $n)" >&2
  exit 1
}

start_dns
"$build/http_backend" --listen 127.0.0.1:$BE --name be --quiet > /dev/null 2>&1 &
pids+=($!)
cat > "$work/fulcrum.yaml" <<Y
resolver:
  nameservers: [ "127.0.0.1:$DNS_PORT" ]
admin: { listen: 127.0.0.1:$ADMIN }
listeners:
  - { name: big, listen: 127.0.0.1:$FU, protocol: http, default: { forward: big } }
target_groups:
  - name: big
    deregistration_delay: 1s
    targets:
      - { srv: _http._tcp.big.test }
Y
"$build/fulcrum" run -c "$work/fulcrum.yaml" > /dev/null 2> "$work/fulcrum.err" &
fpid=$!
pids+=($fpid)
wait_for_targets big 1000

echo "== control thread CPU, 1,000 SRV targets at TTL 1 s, ${SECONDS_CPU} s each"
for mode in same churn; do
  before=$(control_ticks $fpid)
  start=$(date +%s.%N)
  port=$BE
  end=$(( $(date +%s) + SECONDS_CPU ))
  while (( $(date +%s) < end )); do
    if [[ $mode == churn ]]; then
      port=$(( port == BE ? BE + 100 : BE ))
      TTL=1 srv_zone $port
    fi
    sleep 1
  done
  after=$(control_ticks $fpid)
  elapsed=$(echo "$(date +%s.%N) - $start" | bc -l)
  queries=$(curl -s "127.0.0.1:$ADMIN/metrics" | awk '/^fulcrum_discovery_queries_total/ {print $2}')
  changes=$(curl -s "127.0.0.1:$ADMIN/metrics" | awk '/^fulcrum_discovery_changes_total/ {print $2}')
  printf "%-6s control thread %.2f %% of one core (%d ticks in %.1f s); queries so far %s, changes %s\n" \
    "$mode" "$(echo "100 * ($after - $before) / $clock_ticks / $elapsed" | bc -l)" $((after - before)) "$elapsed" \
    "$queries" "$changes"
done
kill $fpid; wait $fpid 2>/dev/null || true

echo "== from a DNS change to the first request on the new address (curl every 20 ms)"
"$build/http_backend" --listen 127.0.0.2:$BE --name old > "$work/old.out" 2>&1 &
pids+=($!)
"$build/http_backend" --listen 127.0.0.3:$BE --name new > "$work/new.out" 2>&1 &
pids+=($!)
for ttl in 1 5; do
  TTL=$ttl WEB=127.0.0.2 srv_zone $BE
  cat > "$work/follow.yaml" <<Y
resolver:
  nameservers: [ "127.0.0.1:$DNS_PORT" ]
  prefer: ipv4
admin: { listen: 127.0.0.1:$ADMIN }
listeners:
  - { name: web, listen: 127.0.0.1:$FU, protocol: http, default: { forward: web } }
target_groups:
  - name: web
    deregistration_delay: 1s
    targets:
      - { dns: web.test, port: $BE }
Y
  "$build/fulcrum" run -c "$work/follow.yaml" > /dev/null 2> "$work/follow.err" &
  fpid=$!
  pids+=($fpid)
  wait_for_targets web 1
  times=()
  for round in 1 2 3 4 5; do
    to=$([[ $((round % 2)) == 1 ]] && echo 127.0.0.3 || echo 127.0.0.2)
    out=$([[ $to == 127.0.0.3 ]] && echo "$work/new.out" || echo "$work/old.out")
    seen=$(grep -c "request GET /follow" "$out" || true)
    start=$(date +%s.%N)
    TTL=$ttl WEB=$to srv_zone $BE
    while (( $(grep -c "request GET /follow" "$out" || true) <= seen )); do
      curl -s -o /dev/null "http://127.0.0.1:$FU/follow" || true
      sleep 0.02
      if (( $(echo "$(date +%s.%N) - $start > $ttl + 10" | bc -l) )); then echo "no traffic on $to" >&2; exit 1; fi
    done
    times+=("$(echo "$(date +%s.%N) - $start" | bc -l)")
  done
  printf "TTL %d s: " "$ttl"
  printf "%.2f " "${times[@]}"
  printf "s (goal <= %d s)\n" $((ttl + 1))
  kill $fpid; wait $fpid 2>/dev/null || true
done
