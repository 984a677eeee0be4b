#!/usr/bin/env python3
"""Writes the DNS fuzz seed corpus (tests/fuzz/corpus/dns/): well-formed queries of each shape
the responder handles, and a few malformed ones near the edges. Run from the repository root."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dns")


def name(text):
    out = b""
    for label in text.split(".") if text else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def opt(payload=1232, version=0, do=False, options=b""):
    return b"\0" + struct.pack("!HHBBHH", 41, payload, 0, version, 0x8000 if do else 0, len(options)) + options


def ecs(family, prefix, address):
    data = struct.pack("!HBB", family, prefix, 0) + address
    return struct.pack("!HH", 8, len(data)) + data


def question(qname, qtype=1, qclass=1):
    return name(qname) + struct.pack("!HH", qtype, qclass)


SEEDS = {
    "a_plain": header() + question("www.example.com"),
    "aaaa_plain": header() + question("www.example.com", 28),
    "a_edns": header(ar=1) + question("www.example.com") + opt(),
    "a_edns_do": header(ar=1) + question("WwW.ExAmPlE.cOm") + opt(4096, do=True),
    "a_ecs_v4": header(ar=1) + question("www.example.com") + opt(options=ecs(1, 24, bytes([10, 1, 2]))),
    "a_ecs_v6": header(ar=1) + question("www.example.com") + opt(options=ecs(2, 56, bytes(7))),
    "a_ecs_odd_prefix": header(ar=1) + question("www.example.com") + opt(options=ecs(1, 20, bytes([10, 1, 0x20]))),
    "soa_apex": header() + question("example.com", 6),
    "any": header() + question("www.example.com", 255),
    "txt": header() + question("www.example.com", 16),
    "root": header() + question(""),
    "chaos": header() + question("version.bind", 16, 3),
    "edns_v1": header(ar=1) + question("www.example.com") + opt(version=1),
    "notify_opcode": header(flags=0x2000) + question("example.com", 6),
    "long_name": header() + question(".".join(["a" * 63] * 3 + ["b" * 61])),
    # malformed
    "bad_pointer_in_question": header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
    "bad_label_length": header() + b"\x40" + b"a" * 64 + b"\0" + struct.pack("!HH", 1, 1),
    "short_question": header() + name("www.example.com")[:5],
    "two_opt": header(ar=2) + question("a.example.com") + opt() + opt(),
    "ecs_bad_length": header(ar=1) + question("a.example.com") + opt(options=struct.pack("!HHHBB", 8, 9, 1, 24, 0) + b"\x0a\x01"),
    "response_bit": header(flags=0x8100) + question("www.example.com"),
    "two_questions": header(qd=2) + question("a.example.com") + question("b.example.com"),
    "trailing": header() + question("www.example.com") + b"\0\0",
    "rr_in_answer_pointer": header(an=1) + question("a.example.com") + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 4) + b"\x7f\0\0\1",
    "header_only": header(qd=0),
}

os.makedirs(OUT, exist_ok=True)
for seed, data in SEEDS.items():
    with open(os.path.join(OUT, seed), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {OUT}")
