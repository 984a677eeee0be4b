"""h2spec's http2/6.x groups: the frame definitions of RFC 9113 section 6, one frame type at a
time (DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION),
including SETTINGS parameters and flow control."""

from framework import (CANCEL, DATA, END_HEADERS, END_STREAM, ENABLE_PUSH, EXPECT_PING_ACK,
                       EXPECT_RESPONSE, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, GOAWAY, HEADERS,
                       INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE, OK, PADDED, PING, PRIORITY, PROTOCOL_ERROR,
                       RST_STREAM, SETTINGS, STREAM_CLOSED, ACK, WINDOW_UPDATE, Skip, case,
                       connection_error, dummy_headers, expect_connection_error, expect_stream_error,
                       frame_of_type, goaway, ping_ack, require, response_headers, rst_stream,
                       settings_ack, settings_payload, stream_error)

MAX_WINDOW = 2 ** 31 - 1


def post_headers(conn, ctx, stream_id=1, extra=(), end_stream=False, end_headers=True):
    conn.send_headers(stream_id, conn.encode(ctx.request("POST", extra)), end_stream=end_stream,
                      end_headers=end_headers)


# -- http2/6.1: DATA -----------------------------------------------------------------------

@case("http2/6.1/1", "RFC 9113 §6.1", expect_connection_error(PROTOCOL_ERROR))
def data_on_stream_zero(conn, ctx):
    """Sends a DATA frame with stream identifier 0"""
    conn.handshake()
    conn.send_data(0, b"test")
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.1/2", "RFC 9113 §6.1", expect_stream_error(STREAM_CLOSED))
def data_on_half_closed_stream(conn, ctx):
    """Sends a DATA frame on a stream not in "open" or "half-closed (local)" (the request had END_STREAM)"""
    conn.handshake()
    conn.hold_responses()
    post_headers(conn, ctx, end_stream=True)
    conn.send_data(1, b"test")
    return stream_error(conn, STREAM_CLOSED)


@case("http2/6.1/3", "RFC 9113 §6.1", expect_connection_error(PROTOCOL_ERROR))
def data_invalid_pad_length(conn, ctx):
    """Sends a DATA frame whose pad length (6) is not smaller than its payload (5 octets)"""
    conn.handshake()
    post_headers(conn, ctx, extra=[("content-length", "4")])
    conn.send_raw(DATA, PADDED | END_STREAM, 1, b"\x06Test")
    return connection_error(conn, PROTOCOL_ERROR)


# -- http2/6.2: HEADERS --------------------------------------------------------------------

@case("http2/6.2/1", "RFC 9113 §6.2", expect_connection_error(PROTOCOL_ERROR))
def headers_without_end_headers_then_priority(conn, ctx):
    """Sends a HEADERS frame without END_HEADERS, then a PRIORITY frame"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), end_stream=False, end_headers=False)
    conn.send_priority(1, depends_on=0, weight=255)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.2/2", "RFC 9113 §6.2", expect_connection_error(PROTOCOL_ERROR))
def headers_to_other_stream_inside_field_block(conn, ctx):
    """Sends a HEADERS frame to another stream while a field block is open"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), end_stream=False, end_headers=False)
    conn.send_headers(3, conn.encode(ctx.request()))
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.2/3", "RFC 9113 §6.2", expect_connection_error(PROTOCOL_ERROR))
def headers_on_stream_zero(conn, ctx):
    """Sends a HEADERS frame with stream identifier 0"""
    conn.handshake()
    conn.send_raw(HEADERS, END_STREAM | END_HEADERS, 0, conn.encode(ctx.request()))
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.2/4", "RFC 9113 §6.2, §6.1", expect_stream_error(PROTOCOL_ERROR))
def headers_invalid_pad_length(conn, ctx):
    """Sends a HEADERS frame whose pad length exceeds the rest of its payload"""
    conn.handshake()
    block = conn.encode(ctx.request())
    payload = bytes([len(block) + 2]) + block  # Pad Length, then the block and no room for padding
    conn.send_raw(HEADERS, PADDED | END_HEADERS | END_STREAM, 1, payload)
    return stream_error(conn, PROTOCOL_ERROR)


# -- http2/6.3: PRIORITY -------------------------------------------------------------------

@case("http2/6.3/1", "RFC 9113 §6.3", expect_connection_error(PROTOCOL_ERROR))
def priority_on_stream_zero(conn, ctx):
    """Sends a PRIORITY frame with stream identifier 0"""
    conn.handshake()
    conn.send_priority(0, depends_on=0, weight=255)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.3/2", "RFC 9113 §6.3", expect_stream_error(FRAME_SIZE_ERROR))
def priority_wrong_length(conn, ctx):
    """Sends a PRIORITY frame 4 octets long instead of 5"""
    conn.handshake()
    conn.send_request(1)
    conn.send_raw(PRIORITY, 0, 1, b"\x80\x00\x00\x01")
    return stream_error(conn, FRAME_SIZE_ERROR)


# -- http2/6.4: RST_STREAM -----------------------------------------------------------------

@case("http2/6.4/1", "RFC 9113 §6.4", expect_connection_error(PROTOCOL_ERROR))
def rst_stream_on_stream_zero(conn, ctx):
    """Sends a RST_STREAM frame with stream identifier 0"""
    conn.handshake()
    conn.send_rst_stream(0, CANCEL)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.4/2", "RFC 9113 §6.4", expect_connection_error(PROTOCOL_ERROR))
def rst_stream_on_idle_stream(conn, ctx):
    """Sends a RST_STREAM frame on an idle stream"""
    conn.handshake()
    conn.send_rst_stream(1, CANCEL)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.4/3", "RFC 9113 §6.4", expect_stream_error(FRAME_SIZE_ERROR))
def rst_stream_wrong_length(conn, ctx):
    """Sends a RST_STREAM frame 3 octets long instead of 4 (h2spec accepts a stream error too)"""
    conn.handshake()
    conn.send_request(1)
    conn.send_raw(RST_STREAM, 0, 1, b"\0\0\0")
    return stream_error(conn, FRAME_SIZE_ERROR)


# -- http2/6.5: SETTINGS -------------------------------------------------------------------

@case("http2/6.5/1", "RFC 9113 §6.5", expect_connection_error(FRAME_SIZE_ERROR))
def settings_ack_with_payload(conn, ctx):
    """Sends a SETTINGS frame with ACK and a payload"""
    conn.handshake()
    conn.send_raw(SETTINGS, ACK, 0, b"\0")
    return connection_error(conn, FRAME_SIZE_ERROR)


@case("http2/6.5/2", "RFC 9113 §6.5", expect_connection_error(PROTOCOL_ERROR))
def settings_on_a_stream(conn, ctx):
    """Sends a SETTINGS frame with stream identifier 1"""
    conn.handshake()
    conn.send_raw(SETTINGS, 0, 1, settings_payload((3, 100)))
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.5/3", "RFC 9113 §6.5", expect_stream_error(PROTOCOL_ERROR, FRAME_SIZE_ERROR))
def settings_length_not_multiple_of_6(conn, ctx):
    """Sends a SETTINGS frame 3 octets long (not a multiple of 6)"""
    conn.handshake()
    conn.send_raw(SETTINGS, 0, 0, b"\x00\x03\x00")
    return stream_error(conn, PROTOCOL_ERROR, FRAME_SIZE_ERROR)


# -- http2/6.5.2: Defined SETTINGS Parameters ----------------------------------------------

def bad_setting(conn, ident, value, code):
    conn.handshake()
    conn.send_raw(SETTINGS, 0, 0, settings_payload((ident, value)),
                  note="SETTINGS(%d=%d) [raw]" % (ident, value))
    return connection_error(conn, code)


@case("http2/6.5.2/1", "RFC 9113 §6.5.2", expect_connection_error(PROTOCOL_ERROR))
def enable_push_2(conn, ctx):
    """SETTINGS_ENABLE_PUSH (0x2): Sends a value other than 0 or 1"""
    return bad_setting(conn, ENABLE_PUSH, 2, PROTOCOL_ERROR)


@case("http2/6.5.2/2", "RFC 9113 §6.5.2", expect_connection_error(FLOW_CONTROL_ERROR))
def initial_window_too_large(conn, ctx):
    """SETTINGS_INITIAL_WINDOW_SIZE (0x4): Sends a value above the maximum window size (2^31)"""
    return bad_setting(conn, INITIAL_WINDOW_SIZE, 2 ** 31, FLOW_CONTROL_ERROR)


@case("http2/6.5.2/3", "RFC 9113 §6.5.2", expect_connection_error(PROTOCOL_ERROR))
def max_frame_size_too_small(conn, ctx):
    """SETTINGS_MAX_FRAME_SIZE (0x5): Sends a value below the initial value (16383)"""
    return bad_setting(conn, MAX_FRAME_SIZE, 16383, PROTOCOL_ERROR)


@case("http2/6.5.2/4", "RFC 9113 §6.5.2", expect_connection_error(PROTOCOL_ERROR))
def max_frame_size_too_large(conn, ctx):
    """SETTINGS_MAX_FRAME_SIZE (0x5): Sends a value above the maximum allowed (2^24)"""
    return bad_setting(conn, MAX_FRAME_SIZE, 2 ** 24, PROTOCOL_ERROR)


@case("http2/6.5.2/5", "RFC 9113 §6.5.2", EXPECT_PING_ACK)
def unknown_setting(conn, ctx):
    """Sends a SETTINGS frame with an unknown identifier (0xff): it is ignored"""
    conn.handshake()
    conn.send_raw(SETTINGS, 0, 0, settings_payload((0xff, 1)), note="SETTINGS(255=1) [raw]")
    conn.send_ping(b"\0" * 8)
    return ping_ack(conn, b"\0" * 8)


# -- http2/6.5.3: Settings Synchronization -------------------------------------------------

def need_body(ctx, octets=1):
    if (ctx.response_body_length or 0) < octets:
        raise Skip("GET %s answers %s octets; the case needs at least %d" % (
            ctx.path, ctx.response_body_length, octets))


@case("http2/6.5.3/1", "RFC 9113 §6.5.3", "SETTINGS ACK, then a DATA frame of 1 octet")
def settings_processed_in_order(conn, ctx):
    """Sends SETTINGS_INITIAL_WINDOW_SIZE twice in one frame (100, then 1): the last value wins"""
    need_body(ctx, 1)
    conn.handshake()
    conn.send_settings((INITIAL_WINDOW_SIZE, 100), (INITIAL_WINDOW_SIZE, 1))
    require(settings_ack(conn), "no SETTINGS ACK")
    conn.send_request(1)
    return frame_of_type(conn, DATA, stream_id=1, length=1)


@case("http2/6.5.3/2", "RFC 9113 §6.5.3", "SETTINGS with ACK")
def settings_acknowledged(conn, ctx):
    """Sends a SETTINGS frame without ACK (ENABLE_PUSH 0)"""
    conn.handshake()
    conn.send_settings((ENABLE_PUSH, 0))
    return settings_ack(conn)


# -- http2/6.7: PING -----------------------------------------------------------------------

@case("http2/6.7/1", "RFC 9113 §6.7", EXPECT_PING_ACK)
def ping(conn, ctx):
    """Sends a PING frame"""
    conn.handshake()
    conn.send_ping(b"h2spec\0\0")
    return ping_ack(conn, b"h2spec\0\0")


@case("http2/6.7/2", "RFC 9113 §6.7", "no answer to the PING with ACK; an ACK of the second PING only")
def ping_with_ack_not_answered(conn, ctx):
    """Sends a PING frame with ACK (not to be answered), then a PING"""
    conn.handshake()
    conn.send_ping(b"invalid\0", ack=True)
    conn.send_ping(b"h2spec\0\0")
    return ping_ack(conn, b"h2spec\0\0")


@case("http2/6.7/3", "RFC 9113 §6.7", expect_connection_error(PROTOCOL_ERROR))
def ping_on_a_stream(conn, ctx):
    """Sends a PING frame with stream identifier 1"""
    conn.handshake()
    conn.send_raw(PING, 0, 1, b"\0" * 8)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.7/4", "RFC 9113 §6.7", expect_connection_error(FRAME_SIZE_ERROR))
def ping_wrong_length(conn, ctx):
    """Sends a PING frame 6 octets long instead of 8"""
    conn.handshake()
    conn.send_raw(PING, 0, 0, b"\0" * 6)
    return connection_error(conn, FRAME_SIZE_ERROR)


# -- http2/6.8: GOAWAY ---------------------------------------------------------------------

@case("http2/6.8/1", "RFC 9113 §6.8", expect_connection_error(PROTOCOL_ERROR))
def goaway_on_a_stream(conn, ctx):
    """Sends a GOAWAY frame with stream identifier 1"""
    conn.handshake()
    conn.send_raw(GOAWAY, 0, 1, b"\0" * 8)
    return connection_error(conn, PROTOCOL_ERROR)


# -- http2/6.9: WINDOW_UPDATE --------------------------------------------------------------

@case("http2/6.9/1", "RFC 9113 §6.9", expect_connection_error(PROTOCOL_ERROR))
def window_update_zero_connection(conn, ctx):
    """Sends a WINDOW_UPDATE frame with an increment of 0 on the connection"""
    conn.handshake()
    conn.send_window_update(0, 0)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.9/2", "RFC 9113 §6.9", expect_stream_error(PROTOCOL_ERROR))
def window_update_zero_stream(conn, ctx):
    """Sends a WINDOW_UPDATE frame with an increment of 0 on an open stream"""
    conn.handshake()
    conn.send_request(1, end_stream=False)
    conn.send_window_update(1, 0)
    return stream_error(conn, PROTOCOL_ERROR)


@case("http2/6.9/3", "RFC 9113 §6.9", expect_connection_error(FRAME_SIZE_ERROR))
def window_update_wrong_length(conn, ctx):
    """Sends a WINDOW_UPDATE frame 3 octets long instead of 4"""
    conn.handshake()
    conn.send_raw(WINDOW_UPDATE, 0, 0, b"\0\0\x01")
    return connection_error(conn, FRAME_SIZE_ERROR)


# -- http2/6.9.1: The Flow-Control Window --------------------------------------------------

@case("http2/6.9.1/1", "RFC 9113 §6.9.1", "SETTINGS ACK, then a DATA frame of 1 octet")
def respects_window_of_one(conn, ctx):
    """Sends SETTINGS_INITIAL_WINDOW_SIZE 1, then a request: DATA may not exceed the window"""
    need_body(ctx, 1)
    conn.handshake()
    conn.send_settings((INITIAL_WINDOW_SIZE, 1))
    require(settings_ack(conn), "no SETTINGS ACK")
    conn.send_request(1)
    return frame_of_type(conn, DATA, stream_id=1, length=1)


@case("http2/6.9.1/2", "RFC 9113 §6.9.1", "GOAWAY(FLOW_CONTROL_ERROR)")
def connection_window_overflow(conn, ctx):
    """Sends WINDOW_UPDATE frames taking the connection window above 2^31-1"""
    conn.handshake()
    conn.send_window_update(0, MAX_WINDOW)
    conn.send_window_update(0, MAX_WINDOW)
    return goaway(conn, FLOW_CONTROL_ERROR)


@case("http2/6.9.1/3", "RFC 9113 §6.9.1", "RST_STREAM(FLOW_CONTROL_ERROR) on the stream")
def stream_window_overflow(conn, ctx):
    """Sends WINDOW_UPDATE frames taking a stream's window above 2^31-1"""
    conn.handshake()
    conn.send_request(1, end_stream=False)
    conn.send_window_update(1, MAX_WINDOW)
    conn.send_window_update(1, MAX_WINDOW)
    return rst_stream(conn, 1, FLOW_CONTROL_ERROR)


# -- http2/6.9.2: Initial Flow-Control Window Size -----------------------------------------

@case("http2/6.9.2/1", "RFC 9113 §6.9.2", "a DATA frame of 1 octet after the window opens")
def initial_window_change_applies_to_open_streams(conn, ctx):
    """Changes SETTINGS_INITIAL_WINDOW_SIZE from 0 to 1 after sending the request"""
    need_body(ctx, 1)
    conn.handshake()
    conn.send_settings((INITIAL_WINDOW_SIZE, 0))
    require(settings_ack(conn), "no SETTINGS ACK")
    conn.send_request(1)
    conn.send_settings((INITIAL_WINDOW_SIZE, 1))
    return frame_of_type(conn, DATA, stream_id=1, length=1)


@case("http2/6.9.2/2", "RFC 9113 §6.9.2", "a DATA frame of 1 octet once the window is positive again")
def negative_window_tracked(conn, ctx):
    """Sends SETTINGS that make a stream's window negative (3, then 2 after 3 octets sent), then WINDOW_UPDATE 2"""
    need_body(ctx, 4)
    conn.handshake()
    conn.send_settings((INITIAL_WINDOW_SIZE, 3))
    require(settings_ack(conn), "no SETTINGS ACK")
    conn.send_request(1)
    require(frame_of_type(conn, DATA, stream_id=1), "no DATA within the window of 3")
    conn.send_settings((INITIAL_WINDOW_SIZE, 2))
    require(settings_ack(conn), "no SETTINGS ACK")
    conn.send_window_update(1, 2)
    return frame_of_type(conn, DATA, stream_id=1, length=1)


@case("http2/6.9.2/3", "RFC 9113 §6.9.2", expect_connection_error(FLOW_CONTROL_ERROR))
def initial_window_above_maximum(conn, ctx):
    """Sends SETTINGS_INITIAL_WINDOW_SIZE 2^31 (above the maximum window size)"""
    conn.handshake()
    conn.send_raw(SETTINGS, 0, 0, b"\x00\x04\x80\x00\x00\x00", note="SETTINGS(4=2147483648) [raw]")
    return connection_error(conn, FLOW_CONTROL_ERROR)


# -- http2/6.10: CONTINUATION --------------------------------------------------------------

@case("http2/6.10/1", "RFC 9113 §6.10", EXPECT_RESPONSE)
def continuation_frames(conn, ctx):
    """Sends multiple CONTINUATION frames after a HEADERS frame"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), end_headers=False)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=False)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return response_headers(conn, 1, OK)


@case("http2/6.10/2", "RFC 9113 §6.10", expect_connection_error(PROTOCOL_ERROR))
def continuation_followed_by_data(conn, ctx):
    """Sends a CONTINUATION frame (no END_HEADERS) followed by a DATA frame"""
    conn.handshake()
    post_headers(conn, ctx, end_headers=False)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=False)
    conn.send_data(1, b"test")
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.10/3", "RFC 9113 §6.10", expect_connection_error(PROTOCOL_ERROR))
def continuation_on_stream_zero(conn, ctx):
    """Sends a CONTINUATION frame with stream identifier 0"""
    conn.handshake()
    conn.send_headers(1, conn.encode(ctx.request()), end_headers=False)
    conn.send_continuation(0, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.10/4", "RFC 9113 §6.10", expect_connection_error(PROTOCOL_ERROR))
def continuation_after_end_headers(conn, ctx):
    """Sends a CONTINUATION frame after a HEADERS frame that had END_HEADERS"""
    conn.handshake()
    conn.hold_responses()
    conn.send_headers(1, conn.encode(ctx.request()), end_stream=True, end_headers=True)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.10/5", "RFC 9113 §6.10", expect_connection_error(PROTOCOL_ERROR))
def continuation_after_continuation_end_headers(conn, ctx):
    """Sends a CONTINUATION frame after a CONTINUATION frame that had END_HEADERS"""
    conn.handshake()
    conn.hold_responses()
    conn.send_headers(1, conn.encode(ctx.request()), end_headers=False)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)


@case("http2/6.10/6", "RFC 9113 §6.10", expect_connection_error(PROTOCOL_ERROR))
def continuation_after_data(conn, ctx):
    """Sends a CONTINUATION frame after a DATA frame (while a field block is open)"""
    conn.handshake()
    post_headers(conn, ctx, end_headers=False)
    conn.send_data(1, b"test")
    conn.send_continuation(1, conn.encode(dummy_headers(1)), end_headers=False)
    conn.send_continuation(0, conn.encode(dummy_headers(1)), end_headers=True)
    return connection_error(conn, PROTOCOL_ERROR)
