#!/usr/bin/python3
"""HTTP/2 conformance suite for a server speaking h2 (TLS, ALPN) or h2c with prior knowledge.

Mirrors h2spec's list of server cases (RFC 9113 sections 3 to 8 as h2spec numbers them after
RFC 7540, and RFC 7541 for HPACK): every case carries the h2spec ID it mirrors. Each case opens
its own connection, sends raw frames and checks the reaction the RFC requires. See README.md.

Runs with Debian's python3-hyperframe and python3-hpack (scripts/setup installs them), hence
/usr/bin/python3 rather than whatever python3 comes first on PATH.
"""

import argparse
import concurrent.futures
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework  # noqa: E402
from framework import CaseError, Connection, Context, Skip  # noqa: E402
import cases_generic  # noqa: E402,F401  pyflakes: ignore (importing registers the cases)
import cases_http2_3_5  # noqa: E402,F401
import cases_http2_6  # noqa: E402,F401
import cases_http2_7_8  # noqa: E402,F401
import cases_hpack  # noqa: E402,F401


def run_case(test, ctx):
    """Runs one case on a fresh connection; returns a result dict."""
    log = []
    started = time.monotonic()
    conn = Connection(ctx, log)
    try:
        conn.connect()
        outcome = test.run(conn, ctx)
        status, seen = ("PASS" if outcome.passed else "FAIL"), outcome.seen
    except Skip as skip:
        status, seen = "SKIP", str(skip)
    except CaseError as error:
        status, seen = "FAIL", str(error)
    except OSError as error:
        status, seen = "FAIL", "connection failed: %s" % error
    except Exception as error:  # a bug in a case must show up as that case failing, not stop the run
        status, seen = "FAIL", "suite error: %s: %s" % (type(error).__name__, error)
    finally:
        conn.close()
    return {"id": test.id, "status": status, "title": test.title, "rfc": test.rfc,
            "expected": test.expect, "seen": seen, "strict": test.strict,
            "seconds": round(time.monotonic() - started, 2), "log": log}


def measure_body_length(ctx):
    """The length of the body GET path answers with (h2spec's ServerDataLength): cases on flow
    control need a body of at least a few octets. Also proves the server is there and speaks h2."""
    conn = Connection(ctx)
    try:
        conn.connect()
        conn.handshake()
        conn.send_request(1)
        length, status = 0, None
        deadline = time.monotonic() + ctx.timeout * 3
        while time.monotonic() < deadline:
            event = conn.next_event()
            if not isinstance(event, framework.Frame):
                break
            if event.type == framework.HEADERS and event.stream_id == 1 and status is None:
                status = event.status()
            if event.type == framework.DATA and event.stream_id == 1:
                length += len(event.payload)
            if event.stream_id == 1 and event.ends_stream:
                return length, status
        raise CaseError("no complete answer to GET %s: %s" % (ctx.path, "; ".join(conn.log[-3:])))
    finally:
        conn.close()


def load_expected_failures(path):
    """Lines 'ID reason...'; '#' starts a comment. A listed case that fails is XFAIL, not FAIL."""
    expected = {}
    with open(path) as listing:
        for line in listing:
            line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if not line:
                continue
            case_id, _, reason = line.partition(" ")
            if not reason.strip():
                raise SystemExit("%s: %s has no reason" % (path, case_id))
            expected[case_id] = reason.strip()
    return expected


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls", action="store_true", help="TLS with ALPN h2, certificate not verified")
    parser.add_argument("--path", default="/", help="the path requests ask for (default /)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only cases whose ID starts with this prefix (repeatable, or comma-separated)")
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="seconds of silence after which a case stops waiting (h2spec: 2)")
    parser.add_argument("--jobs", type=int, default=16, help="cases run in parallel (default 16)")
    parser.add_argument("--no-strict", action="store_true",
                        help="leave out the cases h2spec runs only with --strict (SHOULDs)")
    parser.add_argument("--lenient", action="store_true",
                        help="h2spec's verdicts: a wrong error code followed by a close passes")
    parser.add_argument("--expect-failures", metavar="FILE",
                        help="known failures, one 'ID reason' a line: they do not fail the run")
    parser.add_argument("--verbose", action="store_true", help="print every frame sent and received")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)

    prefixes = [p for item in args.only for p in item.split(",") if p]
    cases = [c for c in framework.CASES
             if (not prefixes or any(c.id.startswith(p) for p in prefixes))
             and not (args.no_strict and c.strict)]
    if args.list:
        for c in cases:
            print("%-18s %-24s %s -> %s" % (c.id, c.rfc, c.title, c.expect))
        print("%d cases" % len(cases))
        return 0
    if not cases:
        print("no case matches %s" % prefixes, file=sys.stderr)
        return 2

    framework.LENIENT = args.lenient
    expected_failures = load_expected_failures(args.expect_failures) if args.expect_failures else {}
    ctx = Context(args.host, args.port, args.tls, args.path, args.timeout, args.verbose)
    started = time.monotonic()
    try:
        ctx.response_body_length, status = measure_body_length(ctx)
    except (CaseError, OSError) as error:
        print("cannot run: %s:%d does not answer a GET over HTTP/2: %s" % (args.host, args.port, error),
              file=sys.stderr)
        return 2

    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, c, ctx) for c in cases]
        for future in futures:  # in the suite's order, each as soon as it and those before it are done
            result = future.result()
            reason = expected_failures.get(result["id"])
            if reason is not None:
                result["known_failure"] = reason
                result["status"] = {"FAIL": "XFAIL", "PASS": "XPASS"}.get(result["status"], result["status"])
            results.append(result)
            if not args.json:
                print_result(result, args.verbose)

    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("PASS", "FAIL", "SKIP", "XFAIL", "XPASS")}
    passed = counts["PASS"] + counts["XPASS"]
    summary = "passed %d of %d" % (passed, len(results))
    details = ["%d %s" % (counts[s], s.lower()) for s in ("FAIL", "SKIP", "XFAIL", "XPASS") if counts[s]]
    elapsed = time.monotonic() - started
    if args.json:
        json.dump({"server": "%s:%d" % (args.host, args.port), "tls": args.tls, "summary": summary,
                   "counts": counts, "seconds": round(elapsed, 1),
                   "results": [{k: v for k, v in r.items() if k != "log" or args.verbose} for r in results]},
                  sys.stdout, indent=1)
        print()
    else:
        print("%s%s (%.1f s, GET %s answered %s with %d octets)" % (
            summary, " (" + ", ".join(details) + ")" if details else "", elapsed, args.path, status,
            ctx.response_body_length))
        # The line CI runners read: failed counts the unexpected failures only, and a known failure
        # (XFAIL) counts as skipped, neither passed nor failed.
        print("%d passed, %d failed, %d skipped" % (passed, counts["FAIL"], counts["SKIP"] + counts["XFAIL"]))
    return 1 if counts["FAIL"] else 0


def print_result(result, verbose):
    line = "%-18s %-5s %s" % (result["id"], result["status"], result["title"])
    if result["status"] in ("FAIL", "XFAIL") or verbose:
        line += "\n    expected: %s\n    seen:     %s" % (result["expected"], result["seen"])
        if result.get("known_failure"):
            line += "\n    known:    %s" % result["known_failure"]
    elif result["status"] == "SKIP":
        line += " (%s)" % result["seen"]
    elif result["status"] == "XPASS":
        line += " (listed as a known failure, passes now: %s)" % result["known_failure"]
    print(line)
    if verbose:
        for entry in result["log"]:
            print("      " + entry)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
