"""h2spec's http2/7 (error codes) and http2/8.x (HTTP message exchanges) groups.

h2spec numbers section 8 after RFC 7540; RFC 9113 reorganised it, so the `rfc` column maps each
group: 8.1.2 (field names) is RFC 9113 §8.2.1, 8.1.2.1 (pseudo-header fields) §8.3, 8.1.2.2
(connection-specific fields) §8.2.2, 8.1.2.3 (request pseudo-header fields) §8.3.1, 8.1.2.6
(malformed messages) §8.1.1, 8.2 (server push) §8.4. A malformed request is a stream error of
type PROTOCOL_ERROR (RFC 9113 §8.1.1)."""

from framework import (EXPECT_PING_ACK_OR_CLOSED, PROTOCOL_ERROR, PUSH_PROMISE, END_HEADERS, case,
                       connection_error, expect_connection_error, expect_stream_error, ping_ack,
                       stream_error)
import struct

MALFORMED = expect_stream_error(PROTOCOL_ERROR)


# -- http2/7: Error Codes ------------------------------------------------------------------

@case("http2/7/1", "RFC 9113 §7", EXPECT_PING_ACK_OR_CLOSED)
def goaway_unknown_error_code(conn, ctx):
    """Sends a GOAWAY frame with an unknown error code (0xff): it is not a reason to misbehave"""
    conn.handshake()
    conn.send_goaway(0, 0xff)
    conn.send_ping(b"h2spec\0\0")
    return ping_ack(conn, b"h2spec\0\0", or_closed=True)


@case("http2/7/2", "RFC 9113 §7", EXPECT_PING_ACK_OR_CLOSED)
def rst_stream_unknown_error_code(conn, ctx):
    """Sends a RST_STREAM frame with an unknown error code (0xff)"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request("POST")), end_stream=False)
    conn.send_rst_stream(1, 0xff)
    conn.send_ping(b"h2spec\0\0")
    return ping_ack(conn, b"h2spec\0\0", or_closed=True)


# -- http2/8.1: HTTP Request/Response Exchange (RFC 9113 §8.1) -----------------------------

@case("http2/8.1/1", "RFC 9113 §8.1", MALFORMED)
def second_headers_without_end_stream(conn, ctx):
    """Sends a second HEADERS frame (trailers) without END_STREAM"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request("POST")), end_stream=False)
    conn.send_data(1, b"test", end_stream=False)
    conn.send_headers(1, conn.encode([("x-test", "ok")]), end_stream=False)
    return stream_error(conn, PROTOCOL_ERROR)


# -- http2/8.1.2: HTTP Header Fields (RFC 9113 §8.2.1) -------------------------------------

def malformed_request(conn, ctx, fields, end_stream=True):
    """Sends one request with exactly `fields` and expects it refused as malformed."""
    conn.handshake()
    conn.send_headers(1, conn.encode(fields), end_stream=end_stream)
    return stream_error(conn, PROTOCOL_ERROR)


@case("http2/8.1.2/1", "RFC 9113 §8.2.1", MALFORMED)
def uppercase_field_name(conn, ctx):
    """Sends a HEADERS frame with a field name in uppercase letters (X-TEST)"""
    return malformed_request(conn, ctx, ctx.request(extra=[("X-TEST", "ok")]))


# -- http2/8.1.2.1: Pseudo-Header Fields (RFC 9113 §8.3) -----------------------------------

@case("http2/8.1.2.1/1", "RFC 9113 §8.3", MALFORMED)
def unknown_pseudo_header(conn, ctx):
    """Sends a HEADERS frame with an unknown pseudo-header field (:test)"""
    return malformed_request(conn, ctx, ctx.request(extra=[(":test", "ok")]))


@case("http2/8.1.2.1/2", "RFC 9113 §8.3", MALFORMED)
def response_pseudo_header_in_request(conn, ctx):
    """Sends a HEADERS frame with the response pseudo-header field :status"""
    return malformed_request(conn, ctx, ctx.request(extra=[(":status", "200")]))


@case("http2/8.1.2.1/3", "RFC 9113 §8.3", MALFORMED)
def pseudo_header_in_trailers(conn, ctx):
    """Sends trailers that contain a pseudo-header field (:method)"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request("POST")), end_stream=False)
    conn.send_data(1, b"test", end_stream=False)
    # Without END_STREAM, as h2spec sends it.
    conn.send_headers(1, conn.encode([(":method", "POST")]), end_stream=False)
    return stream_error(conn, PROTOCOL_ERROR)


@case("http2/8.1.2.1/4", "RFC 9113 §8.3", MALFORMED)
def pseudo_header_after_regular_field(conn, ctx):
    """Sends a HEADERS frame with the pseudo-header fields after a regular field"""
    return malformed_request(conn, ctx, [("x-test", "ok")] + ctx.request())


# -- http2/8.1.2.2: Connection-Specific Header Fields (RFC 9113 §8.2.2) --------------------

@case("http2/8.1.2.2/1", "RFC 9113 §8.2.2", MALFORMED)
def connection_specific_field(conn, ctx):
    """Sends a HEADERS frame with the connection-specific field connection: keep-alive"""
    return malformed_request(conn, ctx, ctx.request(extra=[("connection", "keep-alive")]))


@case("http2/8.1.2.2/2", "RFC 9113 §8.2.2", MALFORMED)
def te_other_than_trailers(conn, ctx):
    """Sends a HEADERS frame with TE: trailers, deflate (only "trailers" is allowed)"""
    return malformed_request(conn, ctx, ctx.request(extra=[("trailers", "test"), ("te", "trailers, deflate")]))


# -- http2/8.1.2.3: Request Pseudo-Header Fields (RFC 9113 §8.3.1) -------------------------

def without(fields, name):
    return [f for f in fields if f[0] != name]


@case("http2/8.1.2.3/1", "RFC 9113 §8.3.1", MALFORMED)
def empty_path(conn, ctx):
    """Sends a HEADERS frame with an empty :path"""
    fields = [(n, "" if n == ":path" else v) for n, v in ctx.request()]
    return malformed_request(conn, ctx, fields)


@case("http2/8.1.2.3/2", "RFC 9113 §8.3.1", MALFORMED)
def missing_method(conn, ctx):
    """Sends a HEADERS frame without :method"""
    return malformed_request(conn, ctx, without(ctx.request(), ":method"))


@case("http2/8.1.2.3/3", "RFC 9113 §8.3.1", MALFORMED)
def missing_scheme(conn, ctx):
    """Sends a HEADERS frame without :scheme"""
    return malformed_request(conn, ctx, without(ctx.request(), ":scheme"))


@case("http2/8.1.2.3/4", "RFC 9113 §8.3.1", MALFORMED)
def missing_path(conn, ctx):
    """Sends a HEADERS frame without :path"""
    return malformed_request(conn, ctx, without(ctx.request(), ":path"))


def duplicated(fields, name):
    value = dict(fields)[name]
    # The copy goes right after the pseudo-header fields, so only the duplication is wrong.
    pseudo = [f for f in fields if f[0].startswith(":")]
    return pseudo + [(name, value)] + [f for f in fields if not f[0].startswith(":")]


@case("http2/8.1.2.3/5", "RFC 9113 §8.3.1", MALFORMED)
def duplicated_method(conn, ctx):
    """Sends a HEADERS frame with :method twice"""
    return malformed_request(conn, ctx, duplicated(ctx.request(), ":method"))


@case("http2/8.1.2.3/6", "RFC 9113 §8.3.1", MALFORMED)
def duplicated_scheme(conn, ctx):
    """Sends a HEADERS frame with :scheme twice"""
    return malformed_request(conn, ctx, duplicated(ctx.request(), ":scheme"))


@case("http2/8.1.2.3/7", "RFC 9113 §8.3.1", MALFORMED)
def duplicated_path(conn, ctx):
    """Sends a HEADERS frame with :path twice"""
    return malformed_request(conn, ctx, duplicated(ctx.request(), ":path"))


# -- http2/8.1.2.6: Malformed Requests and Responses (RFC 9113 §8.1.1) ---------------------

@case("http2/8.1.2.6/1", "RFC 9113 §8.1.1", MALFORMED)
def content_length_mismatch(conn, ctx):
    """Sends content-length: 1 and a DATA frame of 4 octets"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request("POST", [("content-length", "1")])), end_stream=False)
    conn.send_data(1, b"test", end_stream=True)
    return stream_error(conn, PROTOCOL_ERROR)


@case("http2/8.1.2.6/2", "RFC 9113 §8.1.1", MALFORMED)
def content_length_mismatch_multiple_data(conn, ctx):
    """Sends content-length: 1 and two DATA frames of 4 octets each"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request("POST", [("content-length", "1")])), end_stream=False)
    conn.send_data(1, b"test", end_stream=False)
    conn.send_data(1, b"test", end_stream=True)
    return stream_error(conn, PROTOCOL_ERROR)


# -- http2/8.2: Server Push (RFC 9113 §8.4) ------------------------------------------------

@case("http2/8.2/1", "RFC 9113 §8.4", expect_connection_error(PROTOCOL_ERROR))
def push_promise_from_client(conn, ctx):
    """Sends a PUSH_PROMISE frame (only servers may)"""
    conn.handshake()
    block = conn.encode(ctx.request())
    conn.send_raw(PUSH_PROMISE, END_HEADERS, 1, struct.pack(">I", 3) + block,
                  note="PUSH_PROMISE(stream=1, promised=3) [raw]")
    return connection_error(conn, PROTOCOL_ERROR)
