"""h2spec's http2/3.x, 4.x and 5.x groups: the connection preface, frame format and size, field
block compression, stream states and identifiers, concurrency, priority dependencies, error
handling and extensions.

IDs keep h2spec's numbering, which follows RFC 7540; the `rfc` column names the RFC 9113 section
(RFC 7540's 3.5 is RFC 9113's 3.4; the others kept their numbers)."""

from framework import (CANCEL, COMPRESSION_ERROR, FRAME_SIZE_ERROR, INITIAL_WINDOW_SIZE, MAX_CONCURRENT_STREAMS,
                       PING, PROTOCOL_ERROR, REFUSED_STREAM, SETTINGS, STREAM_CLOSED, END_HEADERS, END_STREAM,
                       HEADERS, EXPECT_PING_ACK, EXPECT_RESPONSE, OK, Frame, Outcome, Skip, case,
                       connection_closed, connection_error, dummy_headers, expect_connection_error,
                       expect_stream_error, goaway, ping_ack, require, response_headers, stream_closed,
                       stream_error, DEFAULT_MAX_FRAME_SIZE, DUMMY_VALUE_LENGTH)

# A frame of a type no specification defines (h2spec uses 0x16), with an 8-octet payload.
UNKNOWN_FRAME_TYPE = 0x16


# -- http2/3.5: HTTP/2 Connection Preface (RFC 9113 §3.4) ------------------------------------

@case("http2/3.5/1", "RFC 9113 §3.4", "a SETTINGS frame without ACK as the server's first frame")
def preface_then_settings(conn, ctx):
    """Sends the client connection preface"""
    conn.send_preface()
    conn.send_settings((INITIAL_WINDOW_SIZE, 65535))
    event = conn.next_event()
    return Outcome(isinstance(event, Frame) and event.type == SETTINGS and not event.is_ack, str(event))


@case("http2/3.5/2", "RFC 9113 §3.4", expect_connection_error(PROTOCOL_ERROR))
def invalid_preface(conn, ctx):
    """Sends an invalid connection preface"""
    conn.send(b"INVALID CONNECTION PREFACE\r\n\r\n", note="INVALID CONNECTION PREFACE")
    return connection_error(conn, PROTOCOL_ERROR)


# -- http2/4.1: Frame Format ---------------------------------------------------------------

@case("http2/4.1/1", "RFC 9113 §4.1, §5.5", EXPECT_PING_ACK)
def unknown_frame_type(conn, ctx):
    """Sends a frame with an unknown type, then a PING: the unknown frame is ignored"""
    conn.handshake()
    conn.send_raw(UNKNOWN_FRAME_TYPE, 0, 0, b"\0" * 8)
    conn.send_ping(b"\0" * 8)
    return ping_ack(conn, b"\0" * 8)


@case("http2/4.1/2", "RFC 9113 §4.1", EXPECT_PING_ACK)
def undefined_flags(conn, ctx):
    """Sends a PING frame with undefined flags set (0x16): they are ignored"""
    conn.handshake()
    conn.send_raw(PING, 0x16, 0, b"\0" * 8)
    return ping_ack(conn, b"\0" * 8)


@case("http2/4.1/3", "RFC 9113 §4.1", EXPECT_PING_ACK)
def reserved_bit(conn, ctx):
    """Sends a PING frame with the reserved bit of the stream identifier set: it is ignored"""
    conn.handshake()
    conn.send_raw(PING, 0x16, 0x80000000, b"\0" * 8)
    return ping_ack(conn, b"\0" * 8)


# -- http2/4.2: Frame Size -----------------------------------------------------------------

def post_headers(conn, ctx, stream_id=1, extra=()):
    conn.send_headers(stream_id, conn.encode(ctx.request("POST", extra)), end_stream=False)


@case("http2/4.2/1", "RFC 9113 §4.2", EXPECT_RESPONSE)
def data_of_2_14_octets(conn, ctx):
    """Sends a DATA frame of 2^14 octets, the size every implementation must receive"""
    conn.handshake()
    post_headers(conn, ctx)
    # 2^14 as the RFC (and h2spec's title) says, not the server's SETTINGS_MAX_FRAME_SIZE as h2spec's
    # code does: nginx announces 2^24-1, and 16 MiB would overrun the stream's flow-control window.
    conn.send_data(1, b"x" * DEFAULT_MAX_FRAME_SIZE, end_stream=True)
    return response_headers(conn, 1, OK)


@case("http2/4.2/2", "RFC 9113 §4.2", expect_stream_error(FRAME_SIZE_ERROR))
def data_over_max_frame_size(conn, ctx):
    """Sends a DATA frame one octet larger than SETTINGS_MAX_FRAME_SIZE"""
    conn.handshake()
    post_headers(conn, ctx)
    conn.send_data(1, b"x" * (conn.max_frame_size + 1), end_stream=True)
    return stream_error(conn, FRAME_SIZE_ERROR)


@case("http2/4.2/3", "RFC 9113 §4.2", expect_connection_error(FRAME_SIZE_ERROR))
def headers_over_max_frame_size(conn, ctx):
    """Sends a HEADERS frame larger than SETTINGS_MAX_FRAME_SIZE: a frame carrying a field block
    changes the connection's HPACK state, so it is a connection error"""
    conn.handshake()
    # Enough 4,000-octet fields (not Huffman-coded, so each costs its full length) to pass the limit.
    count = conn.max_frame_size // DUMMY_VALUE_LENGTH + 1
    block = conn.encode(ctx.request() + dummy_headers(count), huffman=False)
    conn.send_headers(1, block)
    return connection_error(conn, FRAME_SIZE_ERROR)


# -- http2/4.3: Header Compression and Decompression ---------------------------------------

@case("http2/4.3/1", "RFC 9113 §4.3", expect_connection_error(COMPRESSION_ERROR))
def invalid_field_block(conn, ctx):
    """Sends an invalid field block fragment (a literal with incremental indexing and no name)"""
    conn.handshake()
    conn.send_raw(HEADERS, END_STREAM | END_HEADERS, 1, b"\x40")
    return connection_error(conn, COMPRESSION_ERROR)


@case("http2/4.3/2", "RFC 9113 §4.3", expect_connection_error(PROTOCOL_ERROR))
def priority_inside_field_block(conn, ctx):
    """Sends a PRIORITY frame between a HEADERS frame and its CONTINUATION"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), end_stream=False, end_headers=False)
    conn.send_priority(1, depends_on=0, weight=255)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/4.3/3", "RFC 9113 §4.3", expect_connection_error(PROTOCOL_ERROR))
def headers_other_stream_inside_field_block(conn, ctx):
    """Sends a HEADERS frame for another stream between a HEADERS frame and its CONTINUATION"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), end_stream=False, end_headers=False)
    conn.send_headers(3, conn.encode(ctx.request()))
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)


# -- http2/5.1: Stream States --------------------------------------------------------------

@case("http2/5.1/1", "RFC 9113 §5.1", expect_stream_error(PROTOCOL_ERROR, STREAM_CLOSED))
def idle_data(conn, ctx):
    """idle: Sends a DATA frame (h2spec accepts a stream error too)"""
    conn.handshake()
    conn.send_data(1, b"test")
    return stream_error(conn, PROTOCOL_ERROR, STREAM_CLOSED)


@case("http2/5.1/2", "RFC 9113 §5.1", expect_connection_error(PROTOCOL_ERROR))
def idle_rst_stream(conn, ctx):
    """idle: Sends a RST_STREAM frame"""
    conn.handshake()
    conn.send_rst_stream(1, CANCEL)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/5.1/3", "RFC 9113 §5.1", expect_connection_error(PROTOCOL_ERROR))
def idle_window_update(conn, ctx):
    """idle: Sends a WINDOW_UPDATE frame"""
    conn.handshake()
    conn.send_window_update(1, 100)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/5.1/4", "RFC 9113 §5.1", expect_connection_error(PROTOCOL_ERROR))
def idle_continuation(conn, ctx):
    """idle: Sends a CONTINUATION frame"""
    conn.handshake()
    conn.send_continuation(1, conn.encode(ctx.request()), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/5.1/5", "RFC 9113 §5.1", expect_stream_error(STREAM_CLOSED))
def half_closed_remote_data(conn, ctx):
    """half closed (remote): Sends a DATA frame"""
    conn.handshake()
    conn.hold_responses()
    conn.send_request(1)
    conn.send_data(1, b"test")
    return stream_error(conn, STREAM_CLOSED)


@case("http2/5.1/6", "RFC 9113 §5.1", expect_stream_error(STREAM_CLOSED))
def half_closed_remote_headers(conn, ctx):
    """half closed (remote): Sends a HEADERS frame"""
    conn.handshake()
    conn.hold_responses()
    conn.send_request(1)
    conn.send_request(1)
    return stream_error(conn, STREAM_CLOSED)


@case("http2/5.1/7", "RFC 9113 §5.1", expect_stream_error(STREAM_CLOSED, PROTOCOL_ERROR))
def half_closed_remote_continuation(conn, ctx):
    """half closed (remote): Sends a CONTINUATION frame"""
    conn.handshake()
    conn.hold_responses()
    block = conn.encode(ctx.request())
    conn.send_headers(1, block)
    conn.send_continuation(1, block, end_headers=True)
    return stream_error(conn, STREAM_CLOSED, PROTOCOL_ERROR)


def open_then_reset(conn, ctx):
    conn.handshake()
    conn.send_request(1, end_stream=False)
    conn.send_rst_stream(1, CANCEL)


@case("http2/5.1/8", "RFC 9113 §5.1", expect_stream_error(STREAM_CLOSED))
def closed_data_after_rst(conn, ctx):
    """closed: Sends a DATA frame after sending a RST_STREAM frame"""
    open_then_reset(conn, ctx)
    conn.send_data(1, b"test")
    return stream_error(conn, STREAM_CLOSED)


@case("http2/5.1/9", "RFC 9113 §5.1", expect_stream_error(STREAM_CLOSED))
def closed_headers_after_rst(conn, ctx):
    """closed: Sends a HEADERS frame after sending a RST_STREAM frame"""
    open_then_reset(conn, ctx)
    conn.send_request(1)
    return stream_error(conn, STREAM_CLOSED)


@case("http2/5.1/10", "RFC 9113 §5.1", expect_stream_error(STREAM_CLOSED, PROTOCOL_ERROR))
def closed_continuation_after_rst(conn, ctx):
    """closed: Sends a CONTINUATION frame after sending a RST_STREAM frame"""
    open_then_reset(conn, ctx)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return stream_error(conn, STREAM_CLOSED, PROTOCOL_ERROR)


def request_until_closed(conn, ctx):
    conn.handshake()
    conn.send_request(1)
    require(stream_closed(conn), "the response to stream 1 did not end")


@case("http2/5.1/11", "RFC 9113 §5.1", expect_stream_error(STREAM_CLOSED))
def closed_data(conn, ctx):
    """closed: Sends a DATA frame on a stream both sides ended"""
    request_until_closed(conn, ctx)
    conn.send_data(1, b"test")
    return stream_error(conn, STREAM_CLOSED)


@case("http2/5.1/12", "RFC 9113 §5.1", expect_connection_error(STREAM_CLOSED))
def closed_headers(conn, ctx):
    """closed: Sends a HEADERS frame on a stream both sides ended"""
    request_until_closed(conn, ctx)
    conn.send_request(1)
    return connection_error(conn, STREAM_CLOSED)


@case("http2/5.1/13", "RFC 9113 §5.1", expect_connection_error(STREAM_CLOSED, PROTOCOL_ERROR))
def closed_continuation(conn, ctx):
    """closed: Sends a CONTINUATION frame on a stream both sides ended"""
    request_until_closed(conn, ctx)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, STREAM_CLOSED, PROTOCOL_ERROR)


# -- http2/5.1.1: Stream Identifiers -------------------------------------------------------

@case("http2/5.1.1/1", "RFC 9113 §5.1.1", expect_connection_error(PROTOCOL_ERROR))
def even_stream_id(conn, ctx):
    """Sends an even-numbered stream identifier"""
    conn.handshake()
    conn.send_request(2)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/5.1.1/2", "RFC 9113 §5.1.1", expect_connection_error(PROTOCOL_ERROR))
def decreasing_stream_id(conn, ctx):
    """Sends a stream identifier numerically smaller than the previous one (5, then 3)"""
    conn.handshake()
    conn.send_request(5)
    conn.send_request(3)
    return connection_error(conn, PROTOCOL_ERROR)


# -- http2/5.1.2: Stream Concurrency -------------------------------------------------------

@case("http2/5.1.2/1", "RFC 9113 §5.1.2", expect_stream_error(PROTOCOL_ERROR, REFUSED_STREAM))
def over_concurrency_limit(conn, ctx):
    """Sends HEADERS frames that exceed the advertised SETTINGS_MAX_CONCURRENT_STREAMS"""
    conn.handshake()
    limit = conn.server_settings.get(MAX_CONCURRENT_STREAMS)
    if limit is None:
        raise Skip("the server advertises no SETTINGS_MAX_CONCURRENT_STREAMS")
    if limit > 10000:
        raise Skip("SETTINGS_MAX_CONCURRENT_STREAMS %d is too many streams to open here" % limit)
    # A window of 0 keeps the server from finishing (and so closing) the streams meanwhile.
    conn.send_settings((INITIAL_WINDOW_SIZE, 0))
    for index in range(limit + 1):
        conn.send_request(1 + 2 * index)
    return stream_error(conn, PROTOCOL_ERROR, REFUSED_STREAM)


# -- http2/5.3.1: Stream Dependencies ------------------------------------------------------

@case("http2/5.3.1/1", "RFC 7540 §5.3.1 (RFC 9113 §5.3.1)", expect_stream_error(PROTOCOL_ERROR))
def headers_depends_on_itself(conn, ctx):
    """Sends a HEADERS frame that depends on its own stream"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), priority=(1, 255, False))
    return stream_error(conn, PROTOCOL_ERROR)


@case("http2/5.3.1/2", "RFC 7540 §5.3.1 (RFC 9113 §5.3.1)", expect_stream_error(PROTOCOL_ERROR))
def priority_depends_on_itself(conn, ctx):
    """Sends a PRIORITY frame that depends on its own stream"""
    conn.handshake()
    conn.send_priority(1, depends_on=1, weight=255)
    return stream_error(conn, PROTOCOL_ERROR)


# -- http2/5.4.1: Connection Error Handling ------------------------------------------------

@case("http2/5.4.1/1", "RFC 9113 §5.4.1", "connection closed (a GOAWAY before it is fine)")
def connection_error_closes(conn, ctx):
    """Sends an invalid PING frame (stream 3): after the connection error the TCP connection closes"""
    conn.handshake()
    conn.send_raw(PING, 0, 3, b"\0" * 8)
    return connection_closed(conn)


@case("http2/5.4.1/2", "RFC 9113 §5.4.1", "a GOAWAY frame (PROTOCOL_ERROR) before the close", strict=True)
def connection_error_sends_goaway(conn, ctx):
    """Sends an invalid PING frame (stream 3): the endpoint SHOULD first send a GOAWAY frame"""
    conn.handshake()
    conn.send_raw(PING, 0, 3, b"\0" * 8)
    return goaway(conn, PROTOCOL_ERROR)


# -- http2/5.5: Extending HTTP/2 -----------------------------------------------------------

@case("http2/5.5/1", "RFC 9113 §5.5", EXPECT_PING_ACK)
def unknown_extension_frame(conn, ctx):
    """Sends an unknown extension frame, then a PING"""
    conn.handshake()
    conn.send_raw(UNKNOWN_FRAME_TYPE, 0, 0, b"\0" * 8)
    conn.send_ping(b"\0" * 8)
    return ping_ack(conn, b"\0" * 8)


@case("http2/5.5/2", "RFC 9113 §5.5, §6.10", expect_connection_error(PROTOCOL_ERROR))
def unknown_frame_inside_field_block(conn, ctx):
    """Sends an unknown extension frame in the middle of a field block"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), end_headers=False)
    conn.send_raw(UNKNOWN_FRAME_TYPE, 0, 0, b"\0" * 8)
    return connection_error(conn, PROTOCOL_ERROR)
