#!/usr/bin/env bash
# DNS responder benchmark: answers/s of Fulcrum's `dns:` responder under dns_load (ours), with
# its baseline measured in the same run: the same load through a bare UDP echo (udp_backend
# --mode echo, which answers each query with itself). The echo costs one recvmmsg/sendmmsg pass
# and no DNS work, so it is the ceiling of this machine, kernel and load tool; the ratio says how
# much of it the responder keeps. Policies measured: failover (no per-query randomness), weighted,
# nearest with EDNS Client Subnet found in the CIDR table, and nearest+geoip: a subnet in no
# network, so its region comes from a MaxMind database (dns.geoip_file, written here by
# tests/support/write_test_mmdb.pl; an IPv4 /24 record sits 120 nodes deep in the IPv6 tree, as
# in GeoLite2, so the lookup walks as far as in the real database).
#
#   bench/dns.sh [seconds per measurement, default 5] [rounds, default 3]
set -euo pipefail
SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
FLOWS=${FLOWS:-16}
WINDOW=${WINDOW:-16}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
for tool in "$build/fulcrum" "$build/dns_load" "$build/udp_backend"; do
  [[ -x "$tool" ]] || { echo "missing $tool: run 'make build' first" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

DNS=29301 ECHO=29302 WEB=29303
perl "$root/tests/support/write_test_mmdb.pl" "$work/geo.mmdb" 203.0.113.0/24=JP/AS 198.51.100.0/24=US/NA \
  10.3.0.0/16=DE/EU "2001:db8:1::/48=FR/EU"
"$build/udp_backend" --listen 127.0.0.1:$ECHO --mode echo --threads 1 >/dev/null & pids+=($!)
cat > "$work/fulcrum.yaml" <<YAML
workers: 1
listeners:
  - { name: web, listen: 127.0.0.1:$WEB, default: { forward: eu } }
target_groups:
  - { name: eu, targets: [ { address: 192.0.2.1:80 }, { address: 192.0.2.2:80 }, { address: 192.0.2.3:80 } ] }
  - { name: us, targets: [ { address: 198.51.100.1:80 }, { address: 198.51.100.2:80 } ] }
dns:
  listen: 127.0.0.1:$DNS
  zones: [example.com]
  sites: [ { name: eu-west, group: eu }, { name: us-east, group: us } ]
  geoip_file: $work/geo.mmdb
  regions:
    - { name: america, networks: [10.2.0.0/16], countries: [US], sites_by_distance: [us-east, eu-west] }
    - { name: europe, networks: [10.1.0.0/16], continents: [EU], sites_by_distance: [eu-west, us-east] }
    - { name: asia, countries: [JP], sites_by_distance: [us-east, eu-west] }
  names:
    - { name: db.example.com, policy: failover, sites: [eu-west, us-east] }
    - { name: api.example.com, policy: weighted, sites: [ { site: eu-west, weight: 3 }, { site: us-east, weight: 1 } ] }
    - { name: www.example.com, policy: nearest, sites: [eu-west, us-east] }
YAML
"$build/fulcrum" run -c "$work/fulcrum.yaml" --admin-listen 127.0.0.1:0 --access-log off --log-level warn & pids+=($!)
sleep 1

measure() {  # port name [ecs] -> rate
  local extra=()
  [[ -n "${3:-}" ]] && extra=(--ecs "$3")
  "$build/dns_load" --port "$1" --name "$2" --flows "$FLOWS" --window "$WINDOW" --seconds "$SECONDS_EACH" "${extra[@]}" |
    tee -a "$work/load.log" | sed -E 's/.*rate=([0-9.]+).*/\1/'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A results
tests=("echo:$ECHO:db.example.com:" "failover:$DNS:db.example.com:" "weighted:$DNS:api.example.com:" "nearest+ecs:$DNS:www.example.com:10.2.3.0/24"
       "nearest+geoip:$DNS:www.example.com:203.0.113.0/24")
for round in $(seq 1 "$ROUNDS"); do
  for t in "${tests[@]}"; do
    IFS=: read -r label port name ecs <<< "$t"
    r=$(measure "$port" "$name" "$ecs")
    results[$label]+="$r "
    echo "round $round $label: $r" >&2
  done
done
cat "$work/load.log" >&2
baseline=$(echo "${results[echo]}" | tr ' ' '\n' | grep . | median)
printf "\n%-14s %12s %10s\n" "test" "answers/s" "vs echo"
for t in "${tests[@]}"; do
  IFS=: read -r label _ <<< "$t"
  r=$(echo "${results[$label]}" | tr ' ' '\n' | grep . | median)
  printf "%-14s %12s %10.2f\n" "$label" "$r" "$(echo "$r $baseline" | awk '{print ($2 > 0) ? $1 / $2 : 0}')"
done
echo "(medians of $ROUNDS rounds of ${SECONDS_EACH}s; $FLOWS sockets x $WINDOW queries in flight; 1 responder thread; load: $(cut -d' ' -f1-3 /proc/loadavg))"
