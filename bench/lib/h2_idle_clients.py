#!/usr/bin/env python3
"""Opens N HTTP/2 cleartext (h2c, prior knowledge) client connections, makes one request on each
and reads its whole answer, then keeps them all open and idle: what bench/h2.sh measures a
proxy's memory per idle HTTP/2 client connection against (the HTTP/2 twin of
tests/support/idle_clients.cpp; h2load cannot hold connections idle).

  h2_idle_clients.py --port P --count N [--host 127.0.0.1] [--hold-seconds S]

Prints "ready N" once every connection has had a 200 answer to its request, then holds them for
S seconds (default 600) or until SIGTERM/SIGINT, answering the server's SETTINGS and PINGs as a
client must; on exit prints "held N closed K" (K: connections the server closed while held).
Exits 1 with a message on stderr if a connection fails, is refused, or answers other than 200.

Raw bytes, no h2 library: the connection preface, an empty SETTINGS frame, and one HEADERS frame
(END_STREAM | END_HEADERS, stream 1) whose HPACK block is hand-encoded from the static table.
Only the answer's :status is decoded (the first header field of a response, RFC 9113 8.3).
Connections are opened one after the other, as idle_clients does: at any instant at most one
request is in flight, so the proxy's growth is what idle connections hold.
"""
import argparse
import selectors
import signal
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0x0, 0x1, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def request_block(authority):
    # :method GET (static 2), :scheme http (static 6), :path / (static 4), then :authority as a
    # literal with incremental indexing, name from static entry 1 (0x40 | 1), raw string.
    value = authority.encode()
    assert len(value) < 127
    return bytes([0x82, 0x86, 0x84, 0x41, len(value)]) + value


# HPACK static table entries 8..14 are :status with these values.
STATIC_STATUS = {8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500}
# HPACK Huffman codes (RFC 7541 appendix B) of the ten digits: (code, bit length).
HUFFMAN_DIGITS = {(0x0, 5): "0", (0x1, 5): "1", (0x2, 5): "2", (0x19, 6): "3", (0x1a, 6): "4",
                  (0x1b, 6): "5", (0x1c, 6): "6", (0x1d, 6): "7", (0x1e, 6): "8", (0x1f, 6): "9"}


def huffman_digits(data):
    bits = "".join(f"{b:08b}" for b in data)
    out, i = "", 0
    while i < len(bits):
        for n in (5, 6):
            if i + n <= len(bits) and (int(bits[i:i + n], 2), n) in HUFFMAN_DIGITS:
                out += HUFFMAN_DIGITS[(int(bits[i:i + n], 2), n)]
                i += n
                break
        else:
            if set(bits[i:]) <= {"1"} and len(bits) - i < 8:  # EOS padding
                break
            return None
    return out


def status_of(block):
    """The :status of a response header block (its first field), or None if not decodable."""
    if not block:
        return None
    first = block[0]
    if first & 0x80:  # indexed field
        return STATIC_STATUS.get(first & 0x7F)
    if first & 0xC0 == 0x40:
        name = first & 0x3F  # literal with incremental indexing
    elif first & 0xE0 in (0x00, 0x10):
        name = first & 0x0F  # literal without indexing / never indexed
    else:
        return None
    if name != 8 or len(block) < 2:
        return None
    huffman, length = block[1] & 0x80, block[1] & 0x7F
    raw = block[2:2 + length]
    text = huffman_digits(raw) if huffman else raw.decode("latin-1")
    return int(text) if text and text.isdigit() else None


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.block = b""  # header block of stream 1 being assembled (HEADERS + CONTINUATION)
        self.status = None
        self.done = False  # stream 1 ended
        self.closed = False

    def feed(self, data):
        """Parses frames; answers SETTINGS and PING. Raises RuntimeError on GOAWAY/RST_STREAM."""
        self.buffer += data
        out = b""
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[0:3], "big")
            if len(self.buffer) < 9 + length:
                break
            kind, flags = self.buffer[3], self.buffer[4]
            stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            if kind == SETTINGS and not flags & ACK:
                out += frame(SETTINGS, ACK, 0)
            elif kind == PING and not flags & ACK:
                out += frame(PING, ACK, 0, payload)
            elif kind == GOAWAY:
                code = int.from_bytes(payload[4:8], "big") if len(payload) >= 8 else -1
                if not self.done:
                    raise RuntimeError(f"GOAWAY (error code {code}) before the answer")
            elif kind == RST_STREAM and stream == 1:
                raise RuntimeError(f"RST_STREAM (error code {int.from_bytes(payload[:4], 'big')})")
            elif kind in (HEADERS, CONTINUATION) and stream == 1:
                if kind == HEADERS:
                    pad = 0
                    if flags & PADDED:
                        pad, payload = payload[0], payload[1:]
                    if flags & PRIORITY:
                        payload = payload[5:]
                    payload = payload[:len(payload) - pad] if pad else payload
                    self.block = b""
                self.block += payload
                if flags & END_HEADERS and self.status is None:
                    self.status = status_of(self.block)
                    if self.status is None:
                        raise RuntimeError(f"undecodable :status (header block {self.block[:8].hex()})")
                if kind == HEADERS and flags & END_STREAM:
                    self.done = True
            elif kind == DATA and stream == 1:
                if payload:  # give the window back, as a client that read the body would
                    increment = struct.pack(">I", len(payload))
                    out += frame(WINDOW_UPDATE, 0, 0, increment)
                if flags & END_STREAM:
                    self.done = True
        if out:
            self.sock.sendall(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--hold-seconds", type=float, default=600)
    parser.add_argument("--timeout", type=float, default=5, help="seconds to wait for each answer")
    args = parser.parse_args()

    hello = PREFACE + frame(SETTINGS, 0, 0) + frame(HEADERS, END_STREAM | END_HEADERS, 1,
                                                    request_block("bench"))
    connections = []
    for i in range(args.count):
        try:
            sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(hello)
            c = Connection(sock)
            while not c.done:
                data = sock.recv(65536)
                if not data:
                    raise RuntimeError("closed by the server before the answer")
                c.feed(data)
        except (OSError, RuntimeError) as e:
            print(f"h2_idle_clients: connection {i}: {e}", file=sys.stderr)
            return 1
        if c.status != 200:
            print(f"h2_idle_clients: connection {i}: status {c.status}", file=sys.stderr)
            return 1
        sock.setblocking(False)
        connections.append(c)
    print(f"ready {len(connections)}", flush=True)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    selector = selectors.DefaultSelector()
    for c in connections:
        selector.register(c.sock, selectors.EVENT_READ, c)
    closed = 0
    deadline = time.monotonic() + args.hold_seconds
    while not stop and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.5):
            c = key.data
            try:
                data = c.sock.recv(65536)
                if data:
                    c.feed(data)
                    continue
            except (OSError, RuntimeError):
                pass
            selector.unregister(c.sock)
            c.closed = True
            closed += 1
    print(f"held {len(connections)} closed {closed}", flush=True)
    for c in connections:
        c.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
