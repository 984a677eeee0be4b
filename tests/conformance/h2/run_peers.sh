#!/usr/bin/env bash
# Runs the HTTP/2 conformance suite against HAProxy and/or nginx as shipped by Debian, each in
# front of an nginx HTTP/1.1 backend, on free loopback ports; stops everything it started.
#
#   tests/conformance/h2/run_peers.sh [haproxy|nginx|all] [--tls] [--known] [suite options...]
#
# --tls    run over TLS with ALPN h2 (default: h2c with prior knowledge)
# --known  pass peers/known-failures-PEER[-tls].txt as --expect-failures, so that the run exits 0
#          when the peer fails exactly the cases measured in README.md (a self-test of the suite)
# Other options (--only, --verbose, --json...) go to h2conformance.py.
set -euo pipefail
trap 'echo "run_peers.sh: line $LINENO failed" >&2' ERR

here=$(cd "$(dirname "$0")" && pwd)
peers=(haproxy nginx)
case "${1:-all}" in
  haproxy|nginx) peers=("$1"); shift ;;
  all) [[ $# -gt 0 ]] && shift ;;
  -*) ;;
  *) echo "usage: $0 [haproxy|nginx|all] [--tls] [--known] [suite options...]" >&2; exit 2 ;;
esac
tls=0 known=0 suite_args=()
for arg in "$@"; do
  case "$arg" in
    --tls) tls=1 ;;
    --known) known=1 ;;
    *) suite_args+=("$arg") ;;
  esac
done

for tool in nginx haproxy openssl /usr/bin/python3 timeout; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/setup" >&2; exit 1; }
done
/usr/bin/python3 -c 'import hyperframe, hpack' 2>/dev/null \
  || { echo "python3-hyperframe/python3-hpack are missing: run scripts/setup" >&2; exit 1; }

work=$(mktemp -d /tmp/h2conformance.XXXXXX)
chmod 755 "$work"  # nginx workers run as another user and read the certificate here
pids=()
cleanup() {
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# SIGTERM, then wait until it is gone (up to 5 s), then SIGKILL.
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

# Waits (up to 5 s) for 127.0.0.1:PORT to accept connections while PID lives.
wait_port() {
  for _ in $(seq 1 50); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Three distinct free loopback ports, chosen by the kernel.
read -r BACKEND_PORT H2C_PORT TLS_PORT < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=conformance.test 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" > "$work/haproxy.pem"
chmod 644 "$work"/*.pem
mkdir -p "$work/backend_body" "$work/peer_body" "$work/peer_proxy"
chmod 777 "$work/backend_body" "$work/peer_body" "$work/peer_proxy"

fill() {  # template -> stdout
  sed -e "s|@WORK@|$work|g" -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" \
      -e "s|@H2C_PORT@|$H2C_PORT|g" -e "s|@TLS_PORT@|$TLS_PORT|g" "$1"
}

fill "$here/peers/backend-nginx.conf" > "$work/backend.conf"
nginx -p "$work" -e "$work/backend.err" -c "$work/backend.conf" &
pids+=($!)
wait_port "$BACKEND_PORT" "${pids[-1]}" || { echo "the backend nginx did not start:" >&2; cat "$work/backend.err" >&2; exit 1; }

status=0
for peer in "${peers[@]}"; do
  case "$peer" in
    haproxy)
      fill "$here/peers/haproxy-h2.cfg" > "$work/peer.cfg"
      haproxy -db -f "$work/peer.cfg" >"$work/peer.err" 2>&1 &
      pid=$!; pids+=("$pid")  # recorded at once, so that cleanup stops it whatever fails next
      version=$(haproxy -v 2>&1 | sed -n 1p) ;;  # sed reads it all: no SIGPIPE under pipefail
    nginx)
      fill "$here/peers/nginx-h2.conf" > "$work/peer.conf"
      nginx -p "$work" -e "$work/peer.err" -c "$work/peer.conf" &
      pid=$!; pids+=("$pid")
      version=$(nginx -v 2>&1) ;;
  esac
  port=$H2C_PORT; (( tls )) && port=$TLS_PORT
  if ! wait_port "$port" "$pid"; then
    echo "$peer did not start:" >&2; cat "$work/peer.err" >&2; exit 1
  fi
  mode=h2c; (( tls )) && mode="h2 over TLS"
  echo "== $peer ($version), $mode on 127.0.0.1:$port, backend nginx on 127.0.0.1:$BACKEND_PORT"
  args=(--host 127.0.0.1 --port "$port")
  (( tls )) && args+=(--tls)
  suffix=""; (( tls )) && suffix=-tls
  known_file="$here/peers/known-failures-$peer$suffix.txt"
  [[ -f "$known_file" ]] || known_file="$here/peers/known-failures-$peer.txt"  # TLS fails the same so far
  (( known )) && [[ -f "$known_file" ]] && args+=(--expect-failures "$known_file")
  # Bounded: the suite takes well under a minute; 120 s means something hangs.
  timeout 120 /usr/bin/python3 "$here/h2conformance.py" "${args[@]}" "${suite_args[@]}" || status=$?
  if [[ " ${suite_args[*]} " == *" --verbose "* ]]; then
    echo "-- $peer's error log:"; tail -n 40 "$work/peer.err"
  fi
  stop_pid "$pid"
done
exit "$status"
