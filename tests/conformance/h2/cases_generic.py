"""h2spec's generic/ group: things every HTTP/2 server must simply accept and answer.

Each case sends something valid and expects a normal reaction (a response, a SETTINGS or PING
acknowledgement). The section numbers of the IDs are h2spec's own (generic/3.1 is 'DATA'), the
`rfc` column gives the RFC 9113 or RFC 7541 section the behaviour comes from."""

from framework import (DATA, ENABLE_PUSH, EXPECT_PING_ACK, EXPECT_PING_ACK_OR_CLOSED,
                       EXPECT_RESPONSE, HEADER_TABLE_SIZE, INITIAL_WINDOW_SIZE, MAX_CONCURRENT_STREAMS,
                       MAX_FRAME_SIZE, MAX_HEADER_LIST_SIZE, NO_ERROR, OK, CANCEL, SETTINGS, Frame, Outcome,
                       case, frame_of_type, ping_ack, require, response_headers, settings_ack,
                       stream_closed)
import hpack_wire as wire

H2SPEC_PING = b"h2spec\0\0"


# -- generic/1: Starting HTTP/2 ------------------------------------------------------------

@case("generic/1/1", "RFC 9113 §3.4", "a SETTINGS frame without ACK as the server's first frame")
def client_preface(conn, ctx):
    """Sends a client connection preface"""
    conn.send_preface()
    conn.send_settings((INITIAL_WINDOW_SIZE, 65535))
    event = conn.next_event()
    ok = isinstance(event, Frame) and event.type == SETTINGS and not event.is_ack
    return Outcome(ok, str(event))


# -- generic/2: Streams and Multiplexing ---------------------------------------------------

@case("generic/2/1", "RFC 9113 §5.1", EXPECT_PING_ACK)
def priority_on_idle_stream(conn, ctx):
    """Sends a PRIORITY frame on an idle stream, then a PING"""
    conn.handshake()
    conn.send_priority(1, depends_on=0, weight=255)
    conn.send_ping(b"\0" * 8)
    return ping_ack(conn, b"\0" * 8)


@case("generic/2/2", "RFC 9113 §5.1", "a DATA frame on the stream")
def window_update_half_closed_remote(conn, ctx):
    """Sends a WINDOW_UPDATE frame on a half-closed (remote) stream (initial window 0)"""
    conn.handshake()
    conn.send_settings((INITIAL_WINDOW_SIZE, 0))
    conn.send_request(1)
    conn.send_window_update(1, 1)
    return frame_of_type(conn, DATA, stream_id=1)


@case("generic/2/3", "RFC 9113 §5.1", "a DATA frame on the stream")
def priority_half_closed_remote(conn, ctx):
    """Sends a PRIORITY frame on a half-closed (remote) stream, then WINDOW_UPDATE"""
    conn.handshake()
    conn.send_settings((INITIAL_WINDOW_SIZE, 0))
    conn.send_request(1)
    conn.send_priority(1, depends_on=0, weight=255)
    conn.send_window_update(1, 1)
    return frame_of_type(conn, DATA, stream_id=1)


@case("generic/2/4", "RFC 9113 §5.1", EXPECT_PING_ACK_OR_CLOSED)
def rst_stream_half_closed_remote(conn, ctx):
    """Sends a RST_STREAM frame on a half-closed (remote) stream, then a PING"""
    conn.handshake()
    conn.send_request(1)
    conn.send_rst_stream(1, CANCEL)
    conn.send_ping(b"\0" * 8)
    return ping_ack(conn, b"\0" * 8, or_closed=True)


@case("generic/2/5", "RFC 9113 §5.1", EXPECT_PING_ACK)
def priority_on_closed_stream(conn, ctx):
    """Sends a PRIORITY frame on a closed stream, then a PING"""
    conn.handshake()
    conn.send_request(1)
    require(stream_closed(conn), "the response to stream 1 did not end")
    conn.send_priority(1, depends_on=0, weight=255)
    conn.send_ping(b"\0" * 8)
    return ping_ack(conn, b"\0" * 8)


# -- generic/3.x: Frame Definitions --------------------------------------------------------

def post_headers(conn, ctx, stream_id=1, extra=()):
    conn.send_headers(stream_id, conn.encode(ctx.request("POST", extra)), end_stream=False)


@case("generic/3.1/1", "RFC 9113 §6.1", EXPECT_RESPONSE)
def data_frame(conn, ctx):
    """Sends a DATA frame (POST with a 4-octet body)"""
    conn.handshake()
    post_headers(conn, ctx)
    conn.send_data(1, b"test", end_stream=True)
    return response_headers(conn, 1, OK)


@case("generic/3.1/2", "RFC 9113 §6.1", EXPECT_RESPONSE)
def multiple_data_frames(conn, ctx):
    """Sends multiple DATA frames"""
    conn.handshake()
    post_headers(conn, ctx)
    conn.send_data(1, b"test", end_stream=False)
    conn.send_data(1, b"test", end_stream=True)
    return response_headers(conn, 1, OK)


@case("generic/3.1/3", "RFC 9113 §6.1", EXPECT_RESPONSE)
def data_frame_with_padding(conn, ctx):
    """Sends a DATA frame with padding (5 octets)"""
    conn.handshake()
    post_headers(conn, ctx)
    conn.send_data(1, b"test", end_stream=True, pad_length=5)
    return response_headers(conn, 1, OK)


@case("generic/3.2/1", "RFC 9113 §6.2", EXPECT_RESPONSE)
def headers_frame(conn, ctx):
    """Sends a HEADERS frame (GET)"""
    conn.handshake()
    conn.send_request(1)
    return response_headers(conn, 1, OK)


@case("generic/3.2/2", "RFC 9113 §6.2", EXPECT_RESPONSE)
def headers_frame_with_padding(conn, ctx):
    """Sends a HEADERS frame with padding (8 octets)"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), pad_length=8)
    return response_headers(conn, 1, OK)


@case("generic/3.2/3", "RFC 9113 §6.2", EXPECT_RESPONSE)
def headers_frame_with_priority(conn, ctx):
    """Sends a HEADERS frame with priority (depends on 0, weight 256)"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), priority=(0, 255, False))
    return response_headers(conn, 1, OK)


def priority_then_request(conn, ctx, priority_stream, depends_on, weight, exclusive):
    conn.handshake()
    conn.send_priority(priority_stream, depends_on=depends_on, weight=weight, exclusive=exclusive)
    conn.send_request(1)
    return response_headers(conn, 1, OK)


@case("generic/3.3/1", "RFC 9113 §6.3", EXPECT_RESPONSE)
def priority_weight_1(conn, ctx):
    """Sends a PRIORITY frame with priority 1, then a request on that stream"""
    return priority_then_request(conn, ctx, 1, 0, 0, False)


@case("generic/3.3/2", "RFC 9113 §6.3", EXPECT_RESPONSE)
def priority_weight_256(conn, ctx):
    """Sends a PRIORITY frame with priority 256, then a request on that stream"""
    return priority_then_request(conn, ctx, 1, 0, 255, False)


@case("generic/3.3/3", "RFC 9113 §6.3", EXPECT_RESPONSE)
def priority_with_dependency(conn, ctx):
    """Sends a PRIORITY frame with a stream dependency (stream 3 on stream 1), then a request on 1"""
    return priority_then_request(conn, ctx, 3, 1, 0, False)


@case("generic/3.3/4", "RFC 9113 §6.3", EXPECT_RESPONSE)
def priority_exclusive(conn, ctx):
    """Sends a PRIORITY frame with the exclusive flag, then a request on that stream"""
    return priority_then_request(conn, ctx, 1, 0, 0, True)


@case("generic/3.3/5", "RFC 9113 §6.3, §5.1.1", EXPECT_RESPONSE)
def priority_idle_then_lower_stream(conn, ctx):
    """Sends a PRIORITY frame for idle stream 3, then a HEADERS frame for the lower stream 1"""
    return priority_then_request(conn, ctx, 3, 0, 255, False)


@case("generic/3.4/1", "RFC 9113 §6.4", EXPECT_PING_ACK_OR_CLOSED)
def rst_stream_frame(conn, ctx):
    """Sends a RST_STREAM frame on an open stream, then a PING"""
    conn.handshake()
    conn.send_request(1, end_stream=False)
    conn.send_rst_stream(1, CANCEL)
    conn.send_ping(b"\0" * 8)
    return ping_ack(conn, b"\0" * 8, or_closed=True)


@case("generic/3.5/1", "RFC 9113 §6.5", "SETTINGS with ACK")
def settings_frame(conn, ctx):
    """Sends a SETTINGS frame with all six defined parameters"""
    conn.handshake()
    conn.send_settings((HEADER_TABLE_SIZE, 4096), (ENABLE_PUSH, 1), (MAX_CONCURRENT_STREAMS, 100),
                       (INITIAL_WINDOW_SIZE, 65535), (MAX_FRAME_SIZE, 16384), (MAX_HEADER_LIST_SIZE, 100))
    return settings_ack(conn)


@case("generic/3.7/1", "RFC 9113 §6.7", EXPECT_PING_ACK)
def ping_frame(conn, ctx):
    """Sends a PING frame"""
    conn.handshake()
    conn.send_ping(H2SPEC_PING)
    return ping_ack(conn, H2SPEC_PING)


@case("generic/3.8/1", "RFC 9113 §6.8", EXPECT_PING_ACK_OR_CLOSED)
def goaway_frame(conn, ctx):
    """Sends a GOAWAY frame (NO_ERROR), then a PING"""
    conn.handshake()
    conn.send_goaway(0, NO_ERROR, b"h2spec")
    conn.send_ping(H2SPEC_PING)
    return ping_ack(conn, H2SPEC_PING, or_closed=True)


@case("generic/3.9/1", "RFC 9113 §6.9", EXPECT_PING_ACK)
def window_update_connection(conn, ctx):
    """Sends a WINDOW_UPDATE frame with stream ID 0, then a PING"""
    conn.handshake()
    conn.send_window_update(0, 1)
    conn.send_ping(b"\0" * 8)
    return ping_ack(conn, b"\0" * 8)


@case("generic/3.9/2", "RFC 9113 §6.9", EXPECT_RESPONSE)
def window_update_stream(conn, ctx):
    """Sends a WINDOW_UPDATE frame with stream ID 1 after the request"""
    conn.handshake()
    conn.send_request(1)
    conn.send_window_update(1, 1)
    return response_headers(conn, 1, OK)


@case("generic/3.10/1", "RFC 9113 §6.10", EXPECT_RESPONSE)
def continuation_frame(conn, ctx):
    """Sends a CONTINUATION frame (the request's field block split in two)"""
    conn.handshake()
    block = conn.encode(ctx.request())
    conn.send_headers(1, block[:5], end_headers=False)
    conn.send_continuation(1, block[5:], end_headers=True)
    return response_headers(conn, 1, OK)


@case("generic/3.10/2", "RFC 9113 §6.10", EXPECT_RESPONSE)
def multiple_continuation_frames(conn, ctx):
    """Sends multiple CONTINUATION frames (the field block split in three)"""
    conn.handshake()
    block = conn.encode(ctx.request())
    conn.send_headers(1, block[:5], end_headers=False)
    conn.send_continuation(1, block[5:10], end_headers=False)
    conn.send_continuation(1, block[10:], end_headers=True)
    return response_headers(conn, 1, OK)


# -- generic/4: HTTP Message Exchanges -----------------------------------------------------

@case("generic/4/1", "RFC 9113 §8.1", EXPECT_RESPONSE)
def get_request(conn, ctx):
    """Sends a GET request"""
    conn.handshake()
    conn.send_request(1)
    return response_headers(conn, 1, OK)


@case("generic/4/2", "RFC 9113 §8.1", EXPECT_RESPONSE)
def head_request(conn, ctx):
    """Sends a HEAD request"""
    conn.handshake()
    conn.send_request(1, method="HEAD")
    return response_headers(conn, 1, OK)


@case("generic/4/3", "RFC 9113 §8.1", EXPECT_RESPONSE)
def post_request(conn, ctx):
    """Sends a POST request with a body"""
    conn.handshake()
    post_headers(conn, ctx)
    conn.send_data(1, b"test", end_stream=True)
    return response_headers(conn, 1, OK)


@case("generic/4/4", "RFC 9113 §8.1", EXPECT_RESPONSE)
def post_request_with_trailers(conn, ctx):
    """Sends a POST request with trailers"""
    conn.handshake()
    post_headers(conn, ctx, extra=[("trailer", "x-test")])
    conn.send_data(1, b"test", end_stream=False)
    conn.send_headers(1, conn.encode([("x-test", "ok")]), end_stream=True)
    return response_headers(conn, 1, OK)


# -- generic/5: HPACK ----------------------------------------------------------------------

def request_with_representation(conn, ctx, representation, before=False):
    """A GET whose field block carries one hand-made representation, after (or before) the usual fields."""
    conn.handshake()
    block = conn.encode(ctx.request())
    block = representation + block if before else block + representation
    conn.send_headers(1, block)
    return response_headers(conn, 1, OK)


def _hpack_case(case_id, title, representation, rfc):
    def run(conn, ctx):
        return request_with_representation(conn, ctx, representation)
    run.__doc__ = title
    case(case_id, rfc, EXPECT_RESPONSE)(run)


_UA = wire.USER_AGENT_INDEX
_hpack_case("generic/5/1", "Sends an indexed field line (static index 58, user-agent)",
            wire.indexed(_UA), "RFC 7541 §6.1")
for _number, (_kind, _kind_name, _section) in enumerate([
        (wire.WITH_INDEXING, "with incremental indexing", "RFC 7541 §6.2.1"),
        (wire.WITHOUT_INDEXING, "without indexing", "RFC 7541 §6.2.2"),
        (wire.NEVER_INDEXED, "never indexed", "RFC 7541 §6.2.3")]):
    # Four variants per kind, in h2spec's order: indexed name, indexed name + Huffman,
    # new name, new name + Huffman.
    _base = 2 + _number * 4
    _hpack_case("generic/5/%d" % _base, "Sends a literal field line %s - indexed name" % _kind_name,
                wire.literal(_kind, _UA, "h2spec"), _section)
    _hpack_case("generic/5/%d" % (_base + 1),
                "Sends a literal field line %s - indexed name, Huffman-coded value" % _kind_name,
                wire.literal(_kind, _UA, "h2spec", huffman=True), _section)
    _hpack_case("generic/5/%d" % (_base + 2), "Sends a literal field line %s - new name" % _kind_name,
                wire.literal(_kind, "x-test", "h2spec"), _section)
    _hpack_case("generic/5/%d" % (_base + 3),
                "Sends a literal field line %s - new name, Huffman-coded" % _kind_name,
                wire.literal(_kind, "x-test", "h2spec", huffman=True), _section)


@case("generic/5/14", "RFC 7541 §6.3", EXPECT_RESPONSE)
def dynamic_table_size_update(conn, ctx):
    """Sends a dynamic table size update (to 128) at the start of a field block"""
    conn.handshake()
    conn.set_encoder_table_size(128)
    conn.send_request(1)
    return response_headers(conn, 1, OK)


@case("generic/5/15", "RFC 7541 §4.2, §6.3", EXPECT_RESPONSE)
def multiple_dynamic_table_size_updates(conn, ctx):
    """Sends two dynamic table size updates (128, then 4096) at the start of a field block"""
    return request_with_representation(
        conn, ctx, wire.table_size_update(128) + wire.table_size_update(4096), before=True)
