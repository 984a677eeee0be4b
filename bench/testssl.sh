#!/usr/bin/env bash
# Audits a Fulcrum https listener with testssl.sh (Debian package `testssl.sh`) and prints a
# summary by severity. The listener uses the `intermediate` policy (or POLICY=modern|legacy)
# and a certificate from a throw-away CA made here (testssl is told to trust it with --add-ca,
# so that findings are about Fulcrum's TLS, not about a self-signed test certificate; the leaf
# carries CRL and OCSP URIs and a one-year validity for the same reason).
#
#   bench/testssl.sh [output directory, default: a temporary one]
#
# The full JSON (every finding) is left in the output directory; docs/tls-audit.md keeps the
# summary of the last run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
POLICY=${POLICY:-intermediate}
[[ -x "$build/fulcrum" ]] || { echo "missing $build/fulcrum: run 'make build' first" >&2; exit 1; }
command -v testssl >/dev/null || { echo "testssl is missing: run scripts/setup" >&2; exit 1; }
out=${1:-$(mktemp -d)}
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -e "$work/be.pid" ]] && kill "$(cat "$work/be.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

BE=29280 FU=29281
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
  -days 30 -subj "/CN=Fulcrum audit CA" -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/leaf.key" -out "$work/leaf.csr" \
  -subj /CN=audit.fulcrum.test 2>/dev/null
cat > "$work/leaf.ext" <<X
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:audit.fulcrum.test
crlDistributionPoints=URI:http://ca.fulcrum.test/crl.pem
authorityInfoAccess=OCSP;URI:http://ocsp.fulcrum.test/
X
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -out "$work/leaf.pem" -days 365 -extfile "$work/leaf.ext" 2>/dev/null

cat > "$work/backend.conf" <<C
worker_processes 1; pid $work/be.pid; daemon on; error_log $work/be.err;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$BE; location / { return 200 "ok\n"; } } }
C
cat > "$work/fulcrum.yaml" <<C
workers: 1
admin: { enabled: false }
listeners:
  - name: audit
    listen: 127.0.0.1:$FU
    protocol: https
    tls: { certificates: [ { cert: $work/leaf.pem, key: $work/leaf.key } ], policy: $POLICY }
    default: { forward: be }
target_groups:
  - { name: be, targets: [ { address: 127.0.0.1:$BE } ] }
C
nginx -c "$work/backend.conf"
"$build/fulcrum" run -c "$work/fulcrum.yaml" --access-log off --log-level error & pids+=($!)
sleep 1

rm -f "$out/testssl.json"
testssl --quiet --color 0 --warnings off --add-ca "$work/ca.pem" --ip 127.0.0.1 \
  --jsonfile "$out/testssl.json" "audit.fulcrum.test:$FU" > "$out/testssl.txt" 2>&1 || true

python3 - "$out/testssl.json" "$POLICY" <<'PY'
import collections, json, sys
findings = json.load(open(sys.argv[1]))
by = collections.defaultdict(list)
for f in findings:
    by[f["severity"]].append(f)
print(f"testssl.sh against a Fulcrum https listener, policy {sys.argv[2]}:")
for level in ["CRITICAL", "HIGH", "MEDIUM", "LOW", "WARN", "OK", "INFO"]:
    print(f"  {level:8} {len(by[level])}")
for level in ["CRITICAL", "HIGH", "MEDIUM", "LOW", "WARN"]:
    for f in by[level]:
        print(f"  {level}: {f['id']}: {f['finding']}")
for key in ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "overall_grade", "final_score"]:
    for f in findings:
        if f["id"] == key:
            print(f"  {key}: {f['finding']}")
PY
