#!/usr/bin/python3
"""A small authoritative DNS server for the DNS-discovery integration tests.

Fulcrum resolves target names with c-ares and parses the answers itself. The
tests start this server, point Fulcrum at it, and rewrite its zone file while
it runs to add, remove and break names.

Usage:
  python3 tests/support/dns_test_server.py --zone-file ZONE.json --port-file PORT.txt
          [--log-file QUERIES.log] [--address 127.0.0.1]

It binds UDP and TCP on one kernel-chosen port at --address and, once both
listen, writes that port number to --port-file (atomically: tests wait for
the file). It serves UDP and TCP (RFC 7766: length-prefixed, several queries
per connection) until SIGTERM or SIGINT. With --log-file it appends one line
per query, flushed at once, which tests count:

  <udp|tcp> <qname, lowercase, no trailing dot> <QTYPE name> <behaviour>
  e.g.  udp web.test A answer

Unparseable input is logged as "<transport> - - garbage" and ignored.

Zone file (re-read on the next query whenever it changes; tests replace it
atomically by rename; a file that does not parse keeps the previous zone):

  { "names": {
      "web.test":   { "ttl": 1, "a": ["127.0.0.2", "127.0.0.3"], "aaaa": ["::1"] },
      "gone.test":  { "rcode": "NXDOMAIN" },
      "broken.test":{ "rcode": "SERVFAIL" },
      "_http._tcp.api.test": { "ttl": 5, "srv": [
          {"priority": 10, "weight": 5, "port": 8080, "target": "a.api.test"} ] },
      "a.api.test": { "ttl": 5, "a": ["127.0.0.4"] },
      "slow.test":  { "a": ["127.0.0.2"], "behaviour": "drop" }
  }}

Per name: "ttl" (default 30, for all its records), "a", "aaaa", "srv"
(priority and weight default to 0), "rcode" (any RCODE name: the answer then
has no records), "behaviour" (default "answer"). Names are case-insensitive.

Answers: AA set, RA clear, question echoed, RD copied. A name not in the zone
gets NXDOMAIN; a known name without records of the asked type gets NOERROR
with no answer (NODATA). EDNS queries get an OPT record (UDP size 1232). SRV
answers carry the A/AAAA records of every target the zone knows in the
additional section (as Consul and CoreDNS do). Over UDP an answer larger than
512 bytes (no EDNS) or min(client's EDNS size, 1232) goes out as header +
question (+ OPT) with TC=1, so the client retries over TCP.

Behaviours (both transports unless stated):
  answer                      a normal answer
  drop                        never answer (the client times out)
  wrong_id                    a correct answer with id = query id + 1
  truncate_udp                TC=1 over UDP even if it fits; full answer over TCP
  malformed_truncated_record  ANCOUNT=1, an A record whose rdlength says 4
                              but only 2 bytes follow
  malformed_compression_loop  the answer's owner name points to itself
  claims_10000                ANCOUNT=10000, one real A record
  ttl_zero                    every record's TTL is 0
  delay:MS                    a normal answer after MS milliseconds
The malformed answers are always one A record (the name's first address, or
127.0.0.1) whatever the question, keep the query id, and set QR=1 so that a
client takes them as the answer to its query.
"""

import argparse
import importlib.util
import ipaddress
import json
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time

if importlib.util.find_spec("dnslib") is None:
    # The PATH's python3 may be a private build (pyenv) that does not see
    # Debian's python3-dnslib; that package lives here.
    sys.path.append("/usr/lib/python3/dist-packages")

from dnslib import AAAA, A, DNSHeader, DNSLabel, DNSQuestion, DNSRecord, EDNS0, QTYPE, RCODE, RR, SRV
from dnslib.label import DNSBuffer


def _encode_name_within_pointer_reach(self, name):
    """dnslib 0.9.23's encode_name, except that a name is remembered for
    compression only when it starts below 16 KiB: a pointer has 14 bits, and
    dnslib would otherwise write pointers that wrap past 0x3FFF into the label
    type bits (a 1,000-record SRV answer over TCP is about 54 KB)."""
    if not isinstance(name, DNSLabel):
        name = DNSLabel(name)
    labels = list(name.label)
    while labels:
        known = self.names.get(tuple(labels))
        if known is not None:
            self.pack("!H", 0xC000 | known)
            return
        if self.offset < 0x4000:
            self.names[tuple(labels)] = self.offset
        element = labels.pop(0)
        self.pack("!B", len(element))
        self.append(element)
    self.append(b"\x00")


DNSBuffer.encode_name = _encode_name_within_pointer_reach

DEFAULT_TTL = 30
SERVER_EDNS_SIZE = 1232  # the DNS flag day 2020 size: no IP fragmentation
PLAIN_UDP_SIZE = 512
TCP_MAX_MESSAGE = 65535
TCP_IDLE_SECONDS = 120  # so that connections the client forgot do not pile up threads
CACHE_LIMIT = 4096

SIMPLE_BEHAVIOURS = {
    "answer", "drop", "wrong_id", "truncate_udp", "ttl_zero",
    "malformed_truncated_record", "malformed_compression_loop", "claims_10000",
}
ENTRY_KEYS = {"ttl", "a", "aaaa", "srv", "rcode", "behaviour"}
ANSWERED_TYPES = {QTYPE.A, QTYPE.AAAA, QTYPE.SRV}

FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_RD = 0x0100


class ZoneError(ValueError):
    """The zone file is not valid JSON or not in the documented format."""


class Entry:
    """One name of the zone, checked and ready to answer from."""

    def __init__(self, name, spec):
        if not isinstance(spec, dict):
            raise ZoneError(f"{name}: expected an object")
        unknown = set(spec) - ENTRY_KEYS
        if unknown:
            raise ZoneError(f"{name}: unknown keys {sorted(unknown)}")
        self.ttl = _check_ttl(name, spec.get("ttl", DEFAULT_TTL))
        self.a = [_check_ip(name, ip, 4) for ip in _check_list(name, spec, "a")]
        self.aaaa = [_check_ip(name, ip, 6) for ip in _check_list(name, spec, "aaaa")]
        self.srv = [_check_srv(name, s) for s in _check_list(name, spec, "srv")]
        self.rcode = _check_rcode(name, spec.get("rcode"))
        self.behaviour, self.delay = _check_behaviour(name, spec.get("behaviour", "answer"))


def _check_ttl(name, ttl):
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= 0x7FFFFFFF:
        raise ZoneError(f"{name}: bad ttl {ttl!r}")
    return ttl


def _check_list(name, spec, key):
    value = spec.get(key, [])
    if not isinstance(value, list):
        raise ZoneError(f"{name}: {key} must be a list")
    return value


def _check_ip(name, text, version):
    try:
        address = ipaddress.ip_address(text)
    except (ValueError, TypeError):
        raise ZoneError(f"{name}: bad address {text!r}") from None
    if address.version != version:
        raise ZoneError(f"{name}: {text!r} is not IPv{version}")
    return str(address)


def _check_srv(name, srv):
    if not isinstance(srv, dict) or not isinstance(srv.get("target"), str):
        raise ZoneError(f"{name}: an srv entry needs a target")
    fields = []
    for key, default in (("priority", 0), ("weight", 0), ("port", None)):
        value = srv.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
            raise ZoneError(f"{name}: srv {key} {value!r} is not 0..65535")
        fields.append(value)
    return (*fields, normalise(srv["target"]))


def _check_rcode(name, rcode):
    if rcode is None:
        return None
    code = RCODE.reverse.get(str(rcode).upper()) if isinstance(rcode, str) else None
    if code is None:
        raise ZoneError(f"{name}: unknown rcode {rcode!r}")
    return code


def _check_behaviour(name, behaviour):
    """Returns (behaviour, delay in seconds)."""
    if behaviour in SIMPLE_BEHAVIOURS:
        return behaviour, 0.0
    if isinstance(behaviour, str) and behaviour.startswith("delay:"):
        try:
            ms = int(behaviour[len("delay:"):])
        except ValueError:
            ms = -1
        if ms >= 0:
            return behaviour, ms / 1000.0
    raise ZoneError(f"{name}: unknown behaviour {behaviour!r}")


def normalise(name):
    """The zone's and the log's spelling of a name: lowercase, no trailing dot."""
    name = str(name).lower()
    if name.endswith(".") and name != ".":
        name = name[:-1]
    return name or "."


class Zone:
    """One version of the zone file, with the answers built from it so far."""

    def __init__(self, names):
        self.names = names
        # Built answers (id 0, RD clear): the 1,000-SRV answer takes tens of
        # milliseconds to build, so each is built once per zone version.
        self.cache = {}

    @classmethod
    def parse(cls, text):
        try:
            data = json.loads(text)
        except ValueError as e:
            raise ZoneError(f"not JSON: {e}") from None
        if not isinstance(data, dict) or not isinstance(data.get("names"), dict):
            raise ZoneError('expected {"names": {...}}')
        return cls({normalise(name): Entry(name, spec) for name, spec in data["names"].items()})


class ZoneFile:
    """The zone file, re-read when it changes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.signature = None
        self.text = None
        self.zone = None

    def load_first(self):
        """The zone at start-up: a bad file there is the test's mistake, so it is fatal."""
        with open(self.path, "rb") as f:
            self.text = f.read()
        self.signature = self._stat()
        self.zone = Zone.parse(self.text)

    def current(self):
        signature = self._stat()
        if signature is None or (signature == self.signature and not self._recent(signature)):
            return self.zone
        with self.lock:
            self._reload(signature)
            return self.zone

    def _stat(self):
        try:
            st = os.stat(self.path)
        except OSError:
            return None  # between unlink and rename, or removed: keep what we have
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    @staticmethod
    def _recent(signature):
        # File times tick in coarse steps (a few ms), and a renamed-in file may
        # reuse the old inode, so two rewrites of the same size in one tick
        # look the same: while the file is that young, compare its contents.
        return time.time_ns() - signature[2] < 2_000_000_000

    def _reload(self, signature):
        try:
            with open(self.path, "rb") as f:
                text = f.read()
        except OSError:
            return
        self.signature = signature
        if text == self.text:
            return
        self.text = text
        try:
            self.zone = Zone.parse(text)
        except ZoneError as e:
            print(f"dns_test_server: {self.path}: {e}; keeping the previous zone",
                  file=sys.stderr, flush=True)


class QueryLog:
    """The one-line-per-query log the tests count."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8") if path else None

    def write(self, transport, qname, qtype, behaviour):
        if self.file is None:
            return
        with self.lock:
            self.file.write(f"{transport} {qname} {qtype} {behaviour}\n")
            self.file.flush()


class _SRVNoCompress(SRV):
    # RFC 2782: the SRV target is never compressed (BIND does the same);
    # dnslib would compress it.
    def pack(self, buffer):
        buffer.pack("!HHH", self.priority, self.weight, self.port)
        buffer.encode_name_nocompress(self.target)


class Query:
    """What the server needs from one parsed query."""

    def __init__(self, record):
        self.id = record.header.id
        self.rd = bool(record.header.rd)
        self.question = record.q
        self.qname = normalise(record.q.qname)
        self.qtype = record.q.qtype
        self.qtype_name = QTYPE.forward.get(self.qtype) or f"TYPE{self.qtype}"
        self.edns_size = None
        for rr in record.ar:
            if rr.rtype == QTYPE.OPT:
                self.edns_size = rr.rclass

    def udp_limit(self):
        if self.edns_size is None:
            return PLAIN_UDP_SIZE
        return max(PLAIN_UDP_SIZE, min(self.edns_size, SERVER_EDNS_SIZE))


def parse_query(data):
    """The query in data, or None for anything that is not one question."""
    try:
        record = DNSRecord.parse(data)
    except Exception:  # dnslib raises a zoo of exceptions on garbage
        return None
    header = record.header
    # QR=1 is someone's answer: replying to it could start a loop.
    if header.qr or header.opcode != 0 or len(record.questions) != 1:
        return None
    return Query(record)


def build_answer(zone, entry, query):
    """The full answer (id 0, RD clear), from the zone version's cache when built before."""
    label = query.question.qname
    key = (label.label, query.qtype, query.question.qclass, query.edns_size is not None)
    packet = zone.cache.get(key)
    if packet is None:
        if len(zone.cache) >= CACHE_LIMIT:
            zone.cache.clear()
        packet = _pack_answer(zone, entry, query)
        zone.cache[key] = packet
    return packet


def _pack_answer(zone, entry, query):
    rcode = RCODE.NXDOMAIN if entry is None else (entry.rcode or RCODE.NOERROR)
    reply = _reply_skeleton(query, rcode=rcode)
    if entry is not None and entry.rcode is None:
        ttl_zero = entry.behaviour == "ttl_zero"
        owner = query.question.qname  # the client's spelling: compresses onto the question
        for rr in _records(entry, owner, query.qtype, ttl_zero):
            reply.add_answer(rr)
        if query.qtype in (QTYPE.SRV, QTYPE.ANY):
            for rr in _srv_additionals(zone, entry, ttl_zero):
                reply.add_ar(rr)
    if query.edns_size is not None:
        reply.add_ar(EDNS0(udp_len=SERVER_EDNS_SIZE))
    return reply.pack()


def _reply_skeleton(query, rcode=RCODE.NOERROR, tc=0):
    header = DNSHeader(id=0, qr=1, aa=1, tc=tc, rd=0, ra=0, rcode=rcode)
    question = DNSQuestion(query.question.qname, query.qtype, query.question.qclass)
    return DNSRecord(header, q=question)


def _records(entry, owner, qtype, ttl_zero):
    ttl = 0 if ttl_zero else entry.ttl
    wanted = lambda t: qtype in (t, QTYPE.ANY)
    records = []
    if wanted(QTYPE.A):
        records += [RR(owner, QTYPE.A, rdata=A(ip), ttl=ttl) for ip in entry.a]
    if wanted(QTYPE.AAAA):
        records += [RR(owner, QTYPE.AAAA, rdata=AAAA(ip), ttl=ttl) for ip in entry.aaaa]
    if wanted(QTYPE.SRV):
        records += [RR(owner, QTYPE.SRV, rdata=_SRVNoCompress(p, w, port, DNSLabel(t)), ttl=ttl)
                    for p, w, port, t in entry.srv]
    return records


def _srv_additionals(zone, entry, ttl_zero):
    """The addresses of the SRV targets the zone knows, each target once."""
    records = []
    seen = set()
    for _, _, _, target in entry.srv:
        known = zone.names.get(target)
        if target in seen or known is None or known.rcode is not None:
            continue
        seen.add(target)
        owner = DNSLabel(target)
        for qtype in (QTYPE.A, QTYPE.AAAA):
            records += _records(known, owner, qtype, ttl_zero)
    return records


def truncated_answer(query):
    """Header and question with TC=1: the client retries over TCP.

    An EDNS query still gets its OPT record (RFC 6891 section 7), so that the
    client does not conclude the server lacks EDNS."""
    reply = _reply_skeleton(query, tc=1)
    if query.edns_size is not None:
        reply.add_ar(EDNS0(udp_len=SERVER_EDNS_SIZE))
    return reply.pack()


def finish(packet, query, qid=None):
    """The packet with the query's id (or qid) and RD bit."""
    out = bytearray(packet)
    struct.pack_into("!H", out, 0, query.id if qid is None else qid)
    if query.rd:
        out[2] |= FLAG_RD >> 8
    return bytes(out)


# --- malformed answers, written by hand: dnslib refuses to build them ---

def _wire_name(label):
    return b"".join(bytes([len(part)]) + part for part in label.label) + b"\x00"


def _malformed_start(query, ancount):
    """Header (QR, AA, the query's id and RD) and the echoed question."""
    flags = FLAG_QR | FLAG_AA | (FLAG_RD if query.rd else 0)
    header = struct.pack("!HHHHHH", query.id, flags, 1, ancount, 0, 0)
    question = _wire_name(query.question.qname) + struct.pack("!HH", query.qtype, query.question.qclass)
    return header + question


def _first_address(entry):
    return socket.inet_aton(entry.a[0] if entry is not None and entry.a else "127.0.0.1")


def _ttl(entry):
    return entry.ttl if entry is not None else DEFAULT_TTL


def malformed_truncated_record(entry, query):
    start = _malformed_start(query, 1)
    # Owner: pointer to the question's name (offset 12); rdlength 4, 2 bytes.
    record = struct.pack("!HHHIH", 0xC00C, QTYPE.A, 1, _ttl(entry), 4) + _first_address(entry)[:2]
    return start + record


def malformed_compression_loop(entry, query):
    start = _malformed_start(query, 1)
    owner = struct.pack("!H", 0xC000 | len(start))  # points at its own offset
    record = owner + struct.pack("!HHIH", QTYPE.A, 1, _ttl(entry), 4) + _first_address(entry)
    return start + record


def claims_10000(entry, query):
    start = _malformed_start(query, 10000)
    record = struct.pack("!HHHIH", 0xC00C, QTYPE.A, 1, _ttl(entry), 4) + _first_address(entry)
    return start + record


MALFORMED = {
    "malformed_truncated_record": malformed_truncated_record,
    "malformed_compression_loop": malformed_compression_loop,
    "claims_10000": claims_10000,
}


class Server:
    """Answers queries from both transports; sends through a callback."""

    def __init__(self, zone_file, log):
        self.zone_file = zone_file
        self.log = log

    def handle(self, data, transport, send):
        """Answers one message; send(packet) is called now, later (delay) or never (drop)."""
        query = parse_query(data)
        if query is None:
            self.log.write(transport, "-", "-", "garbage")
            print(f"dns_test_server: {transport}: ignored {len(data)} bytes that are not a query",
                  file=sys.stderr, flush=True)
            return
        zone = self.zone_file.current()
        entry = zone.names.get(query.qname)
        behaviour = entry.behaviour if entry is not None else "answer"
        self.log.write(transport, query.qname, query.qtype_name, behaviour)
        packet = self._respond(zone, entry, query, behaviour, transport)
        if packet is None:
            return
        delay = entry.delay if entry is not None else 0.0
        if delay > 0:
            # A timer per query: a slow name must not hold up the others.
            timer = threading.Timer(delay, send, args=(packet,))
            timer.daemon = True
            timer.start()
        else:
            send(packet)

    def _respond(self, zone, entry, query, behaviour, transport):
        if behaviour == "drop":
            return None
        if behaviour in MALFORMED:
            return MALFORMED[behaviour](entry, query)
        full = build_answer(zone, entry, query)
        limit = query.udp_limit() if transport == "udp" else TCP_MAX_MESSAGE
        if len(full) > limit or (transport == "udp" and behaviour == "truncate_udp"):
            return finish(truncated_answer(query), query)
        if behaviour == "wrong_id":
            return finish(full, query, qid=(query.id + 1) & 0xFFFF)
        return finish(full, query)


def serve_udp_datagram(server, sock):
    try:
        data, peer = sock.recvfrom(65535)
    except OSError:
        return

    def send(packet):
        try:
            sock.sendto(packet, peer)
        except OSError:
            pass  # the client is gone; nothing to do about it
    _guarded(server, data, "udp", send)


def serve_tcp_connection(server, conn):
    """RFC 7766: length-prefixed messages, several per connection, until the client closes."""
    send_lock = threading.Lock()  # delayed answers are sent from timer threads

    def send(packet):
        with send_lock:
            try:
                conn.sendall(struct.pack("!H", len(packet)) + packet)
            except OSError:
                pass

    conn.settimeout(TCP_IDLE_SECONDS)
    with conn:
        while True:
            prefix = _recv_exact(conn, 2)
            if prefix is None:
                return
            (length,) = struct.unpack("!H", prefix)
            data = _recv_exact(conn, length) if length else b""
            if data is None:
                return
            # The framing is intact even when the message is garbage: go on.
            _guarded(server, data, "tcp", send)


def _recv_exact(conn, n):
    chunks = []
    while n > 0:
        try:
            chunk = conn.recv(n)
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _guarded(server, data, transport, send):
    # A bug met by one odd query must not take the server down for the rest of the test.
    try:
        server.handle(data, transport, send)
    except Exception as e:
        print(f"dns_test_server: {transport}: error answering a query: {e!r}",
              file=sys.stderr, flush=True)


def bind_sockets(address, attempts=50):
    """UDP and TCP on one port: the kernel picks UDP's, TCP may find it taken, then retry."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for _ in range(attempts):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            udp.bind((address, 0))
            port = udp.getsockname()[1]
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((address, port))
            tcp.listen(64)
            return udp, tcp, port
        except OSError:
            udp.close()
            tcp.close()
    raise SystemExit(f"dns_test_server: no port at {address} free for both UDP and TCP")


def write_port_file(path, port):
    # Written then renamed: a test polling for the file never reads half of it.
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


class _Stop(BaseException):
    # Not an Exception: the per-query guard must not swallow a shutdown.
    pass


def _on_signal(signum, frame):
    raise _Stop()


def run(server, udp, tcp):
    """The main loop: UDP answered inline, each TCP connection on its own thread."""
    selector = selectors.DefaultSelector()
    selector.register(udp, selectors.EVENT_READ, "udp")
    selector.register(tcp, selectors.EVENT_READ, "tcp")
    try:
        while True:
            for key, _ in selector.select():
                if key.data == "udp":
                    serve_udp_datagram(server, udp)
                else:
                    _accept(server, tcp)
    except _Stop:
        pass
    finally:
        selector.close()
        udp.close()
        tcp.close()


def _accept(server, tcp):
    try:
        conn, _ = tcp.accept()
    except OSError:
        return
    threading.Thread(target=serve_tcp_connection, args=(server, conn), daemon=True).start()


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Authoritative DNS server for Fulcrum's DNS-discovery tests.")
    parser.add_argument("--zone-file", required=True, metavar="ZONE.json",
                        help="the zone (format: see this file's docstring), re-read whenever it changes")
    parser.add_argument("--port-file", required=True, metavar="PORT.txt",
                        help="written (by rename) with the port once UDP and TCP listen")
    parser.add_argument("--log-file", metavar="QUERIES.log",
                        help="append '<udp|tcp> <qname> <QTYPE> <behaviour>' per query")
    parser.add_argument("--address", default="127.0.0.1", metavar="ADDR",
                        help="IPv4 or IPv6 address to listen on (default 127.0.0.1)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    zone_file = ZoneFile(args.zone_file)
    try:
        zone_file.load_first()
    except (OSError, ZoneError) as e:
        raise SystemExit(f"dns_test_server: {args.zone_file}: {e}")
    server = Server(zone_file, QueryLog(args.log_file))
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    udp, tcp, port = bind_sockets(args.address)
    write_port_file(args.port_file, port)
    run(server, udp, tcp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
