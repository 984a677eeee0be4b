#!/usr/bin/python3
"""HTTP/2 requests that must never reach an HTTP/1.1 target (issue 19's smuggling list).

A proxy that turns HTTP/2 into HTTP/1.1 writes a request line, field lines and a body framing
of its own; each shape below would, passed on, split one request into two or smuggle framing
past the proxy's checks. Each is sent on a connection of its own, with raw frames and a header
block encoded by hand (hpack_wire.py: no library normalises the names or values first), then
the script waits for the server's reaction: RST_STREAM, GOAWAY, a 4xx answer or a close.

    smuggling.py --host 127.0.0.1 --port P [--tls]

Prints one line per shape with what the server did, and exits 0 when every shape was refused
(stream or connection error, or a 4xx). Whether any byte reached the target is for the caller
to check on the target (tests/integration/http2_test.cpp counts the backend's requests).
"""

import argparse
import socket
import ssl
import struct
import sys
import time

import hpack_wire as hw

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0, 1, 3, 4, 7
END_STREAM, END_HEADERS = 0x1, 0x4
WITHOUT_INDEXING = (4, 0x00)  # literal field line without indexing (RFC 7541 section 6.2.2)


def frame(frame_type, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([frame_type, flags]) + struct.pack(">I", stream_id) + payload


def block(fields):
    return b"".join(hw.literal(WITHOUT_INDEXING, name, value) for name, value in fields)


def request(path="/", authority="127.0.0.1", method="GET", extra=(), pseudo_after=()):
    fields = [(":method", method), (":scheme", "http"), (":path", path)]
    if authority is not None:
        fields.append((":authority", authority))
    return fields + list(extra) + list(pseudo_after)


# (name, header fields, DATA payloads; None: the HEADERS frame ends the stream)
SHAPES = [
    ("content-length above the DATA", request(method="POST", extra=[("content-length", "10")]), [b"abc"]),
    ("content-length below the DATA", request(method="POST", extra=[("content-length", "2")]), [b"abcdef"]),
    ("transfer-encoding", request(method="POST", extra=[("transfer-encoding", "chunked")]), [b"0\r\n\r\n"]),
    ("connection", request(extra=[("connection", "keep-alive")]), None),
    ("keep-alive", request(extra=[("keep-alive", "timeout=5")]), None),
    ("proxy-connection", request(extra=[("proxy-connection", "keep-alive")]), None),
    ("upgrade", request(extra=[("upgrade", "websocket")]), None),
    ("te other than trailers", request(extra=[("te", "gzip")]), None),
    ("CR in a value", request(extra=[("x-a", "b\rc")]), None),
    ("LF in a value", request(extra=[("x-a", "b\nGET /smuggled HTTP/1.1")]), None),
    ("NUL in a value", request(extra=[("x-a", "b\x00c")]), None),
    ("CRLF in a name", request(extra=[("x-a\r\nx-b", "c")]), None),
    ("CR in :path", request(path="/a\rb"), None),
    ("LF in :authority", request(authority="a\nb"), None),
    ("NUL in :method", request(method="GE\x00T"), None),
    ("upper-case name", request(extra=[("X-Upper", "1")]), None),
    ("space in :path", request(path="/a HTTP/1.1\r\nx: y"), None),
    ("space in :path, plain", request(path="/a b"), None),
    (":path without a leading slash", request(path="a/b"), None),
    ("no :authority and no host", request(authority=None), None),
    ("space in :method", request(method="GET /x"), None),
    ("pseudo-header after a field", request(extra=[("x-a", "b")], pseudo_after=[(":extra", "1")]), None),
]


def run(host, port, tls, name, fields, data, timeout=2.0):
    sock = socket.create_connection((host, port), timeout=timeout)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(sock, server_hostname="localhost")
    out = PREFACE + frame(SETTINGS, 0, 0)
    flags = END_HEADERS | (END_STREAM if data is None else 0)
    out += frame(HEADERS, flags, 1, block(fields))
    for i, payload in enumerate(data or []):
        out += frame(DATA, END_STREAM if i == len(data) - 1 else 0, 1, payload)
    sock.sendall(out)
    received = b""
    deadline = time.monotonic() + timeout
    verdict = "no reaction"
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, ssl.SSLError):
            verdict = "connection reset"
            break
        if not chunk:
            verdict = verdict if verdict != "no reaction" else "connection closed"
            break
        received += chunk
        at = 0
        while at + 9 <= len(received):
            length = int.from_bytes(received[at:at + 3], "big")
            if at + 9 + length > len(received):
                break
            frame_type, stream = received[at + 3], int.from_bytes(received[at + 5:at + 9], "big") & 0x7fffffff
            payload = received[at + 9:at + 9 + length]
            if frame_type == RST_STREAM and stream == 1:
                return "RST_STREAM(%d)" % int.from_bytes(payload[:4], "big"), True
            if frame_type == GOAWAY:
                return "GOAWAY(%d)" % int.from_bytes(payload[4:8], "big"), True
            if frame_type == HEADERS and stream == 1:
                # :status comes first; a static-table index 8-14 is 200..500 (RFC 7541 appendix A).
                first = payload[0] if payload else 0
                statuses = {0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500}
                status = statuses.get(first)
                if status is None and first & 0xf0 in (0x00, 0x10, 0x40) and len(payload) > 4:
                    status = int(payload[2:5]) if payload[1] == 3 else None
                refused = status is not None and 400 <= status < 500
                return "answered %s" % status, refused
            at += 9 + length
    sock.close()
    return verdict, verdict in ("connection closed", "connection reset")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    failed = 0
    for name, fields, data in SHAPES:
        verdict, refused = run(args.host, args.port, args.tls, name, fields, data)
        failed += not refused
        print("%-36s %-8s %s" % (name, "REFUSED" if refused else "PASSED ON", verdict))
    print("refused %d of %d" % (len(SHAPES) - failed, len(SHAPES)))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
