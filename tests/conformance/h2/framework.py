"""The client side of the HTTP/2 conformance suite: one raw connection per case.

Frames that a well-behaved client would send are built with hyperframe and
header blocks with hpack; frames that are deliberately invalid (wrong length,
stream 0 where a stream is required, ...) are crafted as bytes, because
hyperframe and python3-h2 refuse to build them. Received frames are parsed here
by hand, so that whatever a server sends back (even something malformed) can
be reported instead of raising.

The verifiers follow h2spec's semantics (spec/verifier.go), with one deliberate
difference: h2spec keeps reading after a GOAWAY or RST_STREAM with the wrong
error code and passes if the connection then closes; here a wrong code is a
failure, because the RFC names the code. --lenient restores h2spec's verdict.
"""

import socket
import ssl
import struct
import threading
import time

import hyperframe.frame as hf
from hpack import Decoder, Encoder
from hpack.exceptions import HPACKError

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types (RFC 9113 section 6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
FRAME_NAMES = {DATA: "DATA", HEADERS: "HEADERS", PRIORITY: "PRIORITY", RST_STREAM: "RST_STREAM",
               SETTINGS: "SETTINGS", PUSH_PROMISE: "PUSH_PROMISE", PING: "PING", GOAWAY: "GOAWAY",
               WINDOW_UPDATE: "WINDOW_UPDATE", CONTINUATION: "CONTINUATION"}

# Flags.
END_STREAM = ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

# Error codes (RFC 9113 section 7).
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT, STREAM_CLOSED, \
    FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR, CONNECT_ERROR, ENHANCE_YOUR_CALM, \
    INADEQUATE_SECURITY, HTTP_1_1_REQUIRED = range(14)
ERROR_NAMES = {NO_ERROR: "NO_ERROR", PROTOCOL_ERROR: "PROTOCOL_ERROR", INTERNAL_ERROR: "INTERNAL_ERROR",
               FLOW_CONTROL_ERROR: "FLOW_CONTROL_ERROR", SETTINGS_TIMEOUT: "SETTINGS_TIMEOUT",
               STREAM_CLOSED: "STREAM_CLOSED", FRAME_SIZE_ERROR: "FRAME_SIZE_ERROR",
               REFUSED_STREAM: "REFUSED_STREAM", CANCEL: "CANCEL", COMPRESSION_ERROR: "COMPRESSION_ERROR",
               CONNECT_ERROR: "CONNECT_ERROR", ENHANCE_YOUR_CALM: "ENHANCE_YOUR_CALM",
               INADEQUATE_SECURITY: "INADEQUATE_SECURITY", HTTP_1_1_REQUIRED: "HTTP_1_1_REQUIRED"}

# SETTINGS identifiers (RFC 9113 section 6.5.2).
HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE, \
    MAX_HEADER_LIST_SIZE = range(1, 7)

DEFAULT_WINDOW = 65535
DEFAULT_MAX_FRAME_SIZE = 16384
# The length of each dummy header value, as h2spec's --max-header-length default.
DUMMY_VALUE_LENGTH = 4000


def error_name(code):
    return ERROR_NAMES.get(code, "0x%x" % code)


def raw_frame(frame_type, flags, stream_id, payload=b"", length=None):
    """A frame as bytes, with nothing checked: length may lie, stream_id may carry the reserved bit."""
    if length is None:
        length = len(payload)
    return struct.pack(">I", length)[1:] + bytes([frame_type, flags]) + struct.pack(">I", stream_id) + payload


def settings_payload(*pairs):
    return b"".join(struct.pack(">HI", ident, value) for ident, value in pairs)


def dummy_headers(count, value_length=DUMMY_VALUE_LENGTH):
    """Large filler fields, as h2spec's DummyHeaders: x-dummy0..N with a value of 'x' repeated."""
    return [("x-dummy%d" % i, "x" * value_length) for i in range(count)]


class Context:
    """What every case needs to know about the server under test."""

    def __init__(self, host, port, tls, path, timeout, verbose):
        self.host, self.port, self.tls, self.path = host, port, tls, path
        self.timeout, self.verbose = timeout, verbose
        self.scheme = "https" if tls else "http"
        default_port = 443 if tls else 80
        self.authority = host if port == default_port else "%s:%d" % (host, port)
        # Length of the body GET path answers with; measured once by the runner (None: not measured).
        self.response_body_length = None

    def request(self, method="GET", extra=()):
        """The pseudo-header fields of a simple request, then any extra fields, as (name, value) pairs."""
        return [(":method", method), (":scheme", self.scheme), (":path", self.path),
                (":authority", self.authority)] + list(extra)


class Frame:
    """A frame received from the server, parsed only as far as the verifiers need."""

    def __init__(self, frame_type, flags, stream_id, payload):
        self.type, self.flags, self.stream_id, self.payload = frame_type, flags, stream_id, payload
        self.headers = None  # decoded field list, set on the frame that ends a field block

    @property
    def name(self):
        return FRAME_NAMES.get(self.type, "UNKNOWN(0x%x)" % self.type)

    @property
    def error_code(self):
        if self.type == RST_STREAM and len(self.payload) >= 4:
            return struct.unpack(">I", self.payload[:4])[0]
        if self.type == GOAWAY and len(self.payload) >= 8:
            return struct.unpack(">I", self.payload[4:8])[0]
        return None

    @property
    def ends_stream(self):
        return self.type in (DATA, HEADERS) and bool(self.flags & END_STREAM)

    @property
    def is_ack(self):
        return self.type in (SETTINGS, PING) and bool(self.flags & ACK)

    def settings(self):
        body = self.payload
        return [struct.unpack(">HI", body[i:i + 6]) for i in range(0, len(body) - len(body) % 6, 6)]

    def field_block_fragment(self):
        """The HPACK bytes of a HEADERS or CONTINUATION frame, without padding or priority fields."""
        body = self.payload
        if self.type == HEADERS:
            pad = 0
            if self.flags & PADDED:
                pad, body = body[0], body[1:]
            if self.flags & PRIORITY_FLAG:
                body = body[5:]
            return body[:len(body) - pad] if pad else body
        return body

    def status(self):
        for name, value in self.headers or ():
            if name == ":status":
                return value
        return None

    def __str__(self):
        text = "%s(stream=%d" % (self.name, self.stream_id)
        if self.type in (RST_STREAM, GOAWAY) and self.error_code is not None:
            text += ", " + error_name(self.error_code)
            if self.type == GOAWAY:
                text += ", last_stream=%d" % (struct.unpack(">I", self.payload[:4])[0] & 0x7fffffff)
                if len(self.payload) > 8:
                    text += ", debug=%r" % self.payload[8:72].decode("latin-1")
        elif self.type == DATA:
            text += ", length=%d" % len(self.payload)
        elif self.type == HEADERS and self.status() is not None:
            text += ", :status %s" % self.status()
        elif self.type == SETTINGS and not self.is_ack:
            text += ", %s" % ",".join("%d=%d" % pair for pair in self.settings())
        elif self.type == PING:
            text += ", data=%s" % self.payload.hex()
        if self.flags & END_STREAM and self.type in (DATA, HEADERS):
            text += ", END_STREAM"
        if self.is_ack:
            text += ", ACK"
        return text + ")"


class Closed:
    """The server closed (or reset) the connection."""

    def __init__(self, how="connection closed"):
        self.how = how

    def __str__(self):
        return self.how


class Timeout:
    def __init__(self, seconds):
        self.seconds = seconds

    def __str__(self):
        return "timeout (%.1f s without a frame)" % self.seconds


class CaseError(Exception):
    """A precondition of a case failed (no handshake, no answer to a probe request...)."""


class Skip(Exception):
    """The case does not apply to this server (h2spec's ErrSkipped)."""


class Outcome:
    def __init__(self, passed, seen):
        self.passed, self.seen = passed, seen


class Connection:
    """One TCP or TLS connection speaking raw HTTP/2 as a client."""

    def __init__(self, ctx, log=None):
        self.ctx = ctx
        self.timeout = ctx.timeout
        self.log = log if log is not None else []
        self.sock = None
        self.closed = False
        self.buffer = b""
        self.encoder = Encoder()
        self.decoder = Decoder()
        self.server_settings = {}
        self.pending_block = {}    # stream id -> header block bytes awaiting END_HEADERS
        self.unacked_window = {0: 0}  # bytes received but not yet given back with WINDOW_UPDATE
        self.lock = threading.Lock()

    # -- transport -------------------------------------------------------

    def connect(self):
        raw = socket.create_connection((self.ctx.host, self.ctx.port), timeout=self.timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ctx.tls:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            # The suite tests framing, not certificates: test servers use self-signed ones.
            tls.check_hostname = False
            tls.verify_mode = ssl.CERT_NONE
            tls.set_alpn_protocols(["h2"])
            raw = tls.wrap_socket(raw, server_hostname=self.ctx.host)
            if raw.selected_alpn_protocol() != "h2":
                raw.close()
                raise CaseError("ALPN selected %r, not h2" % raw.selected_alpn_protocol())
        self.sock = raw

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass

    def send(self, data, note=None):
        """Writes bytes; a write to a connection the server already closed is not an error here."""
        if note:
            self.log.append("send " + note)
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError) as error:
            self.log.append("send failed: %s" % error)

    def send_frame(self, frame):
        self.send(frame.serialize(), note=_describe_sent(frame))

    def send_raw(self, frame_type, flags, stream_id, payload=b"", length=None, note=None):
        description = note or "%s(stream=%d, flags=0x%02x, length=%d) [raw]" % (
            FRAME_NAMES.get(frame_type, "type 0x%x" % frame_type), stream_id, flags,
            len(payload) if length is None else length)
        self.send(raw_frame(frame_type, flags, stream_id, payload, length), note=description)

    def _read_exact(self, count, deadline):
        while len(self.buffer) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            except ssl.SSLWantReadError:
                continue
            except (ConnectionResetError, ssl.SSLError, OSError) as error:
                raise _ClosedSignal("connection reset (%s)" % error.__class__.__name__)
            if not chunk:
                raise _ClosedSignal("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def next_event(self, timeout=None):
        """The next frame, or Closed, or Timeout after `timeout` seconds (the per-case timeout) of silence."""
        if self.closed:
            return Closed()
        seconds = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + seconds
        try:
            header = self._read_exact(9, deadline)
            if header is None:
                event = Timeout(seconds)
                self.log.append("recv %s" % event)
                return event
            length = struct.unpack(">I", b"\0" + header[:3])[0]
            # A frame that has started arriving gets a little longer than the silence timeout.
            payload = self._read_exact(length, max(deadline, time.monotonic() + seconds))
            if payload is None:
                event = Timeout(seconds)
                self.log.append("recv %s (inside a frame)" % event)
                return event
        except _ClosedSignal as closed:
            self.closed = True
            self.log.append("recv " + closed.how)
            return Closed(closed.how)
        frame = Frame(header[3], header[4], struct.unpack(">I", header[5:9])[0] & 0x7fffffff, payload)
        log_index = len(self.log)
        self.log.append(None)  # the frame's line goes before whatever _react sends in answer
        self._react(frame)
        self.log[log_index] = "recv %s" % frame
        return frame

    def _react(self, frame):
        """What any client does without being asked: acknowledge SETTINGS, decode field blocks,
        and give back flow-control credit for received DATA (as h2spec's updateWindowSize)."""
        if frame.type == SETTINGS and not frame.is_ack:
            for ident, value in frame.settings():
                self.server_settings[ident] = value
            self.send(raw_frame(SETTINGS, ACK, 0), note="SETTINGS(ACK)")
        elif frame.type in (HEADERS, PUSH_PROMISE, CONTINUATION):
            fragment = frame.field_block_fragment()
            if frame.type == PUSH_PROMISE:
                fragment = fragment[4:]
            block = self.pending_block.pop(frame.stream_id, b"") + fragment
            if frame.flags & END_HEADERS:
                try:
                    frame.headers = [(n.decode("latin-1") if isinstance(n, bytes) else n,
                                      v.decode("latin-1") if isinstance(v, bytes) else v)
                                     for n, v in self.decoder.decode(block)]
                except (HPACKError, UnicodeDecodeError, IndexError) as error:
                    frame.headers = [("x-conformance-decode-error", str(error))]
            else:
                self.pending_block[frame.stream_id] = block
        elif frame.type == DATA and frame.payload:
            for stream_id in (0, frame.stream_id):
                self.unacked_window[stream_id] = self.unacked_window.get(stream_id, 0) + len(frame.payload)
                if self.unacked_window[stream_id] >= DEFAULT_WINDOW // 2:
                    self.send(raw_frame(WINDOW_UPDATE, 0, stream_id,
                                        struct.pack(">I", self.unacked_window[stream_id])),
                              note="WINDOW_UPDATE(stream=%d, auto)" % stream_id)
                    self.unacked_window[stream_id] = 0

    # -- HTTP/2 ----------------------------------------------------------

    def send_preface(self):
        self.send(PREFACE, note="connection preface")

    def handshake(self, settings=((INITIAL_WINDOW_SIZE, DEFAULT_WINDOW),)):
        """Preface and SETTINGS; then waits for the server's SETTINGS and the ACK of ours (as h2spec)."""
        self.send_preface()
        self.send_settings(*settings)
        got_settings = got_ack = False
        deadline = time.monotonic() + self.timeout
        while not (got_settings and got_ack):
            remaining = deadline - time.monotonic()
            event = self.next_event(timeout=max(remaining, 0.01))
            if not isinstance(event, Frame):
                raise CaseError("handshake: %s before %s" % (
                    event, "the server's SETTINGS" if not got_settings else "the ACK of our SETTINGS"))
            if event.type == SETTINGS:
                if event.is_ack:
                    got_ack = True
                else:
                    got_settings = True

    def hold_responses(self):
        """Announces a stream window of 0, so that the server can send a response's HEADERS but not
        its DATA: a stream the client ended stays half-closed (remote) instead of racing to closed.
        Cases about the half-closed (remote) state use it; h2spec does not, and its verdicts then
        depend on whether the server finished answering first."""
        self.send_settings((INITIAL_WINDOW_SIZE, 0))

    @property
    def max_frame_size(self):
        return self.server_settings.get(MAX_FRAME_SIZE, DEFAULT_MAX_FRAME_SIZE)

    def encode(self, headers, huffman=True):
        return self.encoder.encode(headers, huffman=huffman)

    def set_encoder_table_size(self, size):
        """The next encoded block starts with a dynamic table size update to `size`."""
        self.encoder.header_table_size = size

    def send_settings(self, *pairs):
        frame = hf.SettingsFrame(0, settings=dict(pairs))
        if len(set(ident for ident, _ in pairs)) != len(pairs):
            # hyperframe keeps settings in a dict; repeated identifiers need raw bytes.
            self.send_raw(SETTINGS, 0, 0, settings_payload(*pairs),
                          note="SETTINGS(%s) [raw]" % ",".join("%d=%d" % p for p in pairs))
        else:
            self.send_frame(frame)

    def send_headers(self, stream_id, block, end_stream=True, end_headers=True, pad_length=None,
                     priority=None):
        """priority: (depends_on, weight 0..255, exclusive)."""
        frame = hf.HeadersFrame(stream_id, block)
        if end_stream:
            frame.flags.add("END_STREAM")
        if end_headers:
            frame.flags.add("END_HEADERS")
        if pad_length is not None:
            frame.flags.add("PADDED")
            frame.pad_length = pad_length
        if priority is not None:
            frame.flags.add("PRIORITY")
            frame.depends_on, frame.stream_weight, frame.exclusive = priority
        self.send_frame(frame)

    def send_request(self, stream_id, headers=None, end_stream=True, method="GET"):
        self.send_headers(stream_id, self.encode(headers or self.ctx.request(method)), end_stream=end_stream)

    def send_continuation(self, stream_id, block, end_headers=True):
        if stream_id == 0:
            self.send_raw(CONTINUATION, END_HEADERS if end_headers else 0, 0, block)
            return
        frame = hf.ContinuationFrame(stream_id, block)
        if end_headers:
            frame.flags.add("END_HEADERS")
        self.send_frame(frame)

    def send_data(self, stream_id, data, end_stream=True, pad_length=None):
        if stream_id == 0:
            self.send_raw(DATA, END_STREAM if end_stream else 0, 0, data)
            return
        frame = hf.DataFrame(stream_id, data)
        if end_stream:
            frame.flags.add("END_STREAM")
        if pad_length is not None:
            frame.flags.add("PADDED")
            frame.pad_length = pad_length
        self.send_frame(frame)

    def send_priority(self, stream_id, depends_on=0, weight=255, exclusive=False):
        payload = struct.pack(">IB", depends_on | (0x80000000 if exclusive else 0), weight)
        self.send_raw(PRIORITY, 0, stream_id, payload,
                      note="PRIORITY(stream=%d, depends_on=%d, weight=%d%s)" % (
                          stream_id, depends_on, weight, ", exclusive" if exclusive else ""))

    def send_rst_stream(self, stream_id, code):
        self.send_raw(RST_STREAM, 0, stream_id, struct.pack(">I", code),
                      note="RST_STREAM(stream=%d, %s)" % (stream_id, error_name(code)))

    def send_ping(self, data=b"\0" * 8, ack=False):
        self.send_raw(PING, ACK if ack else 0, 0, data,
                      note="PING(data=%s%s)" % (data.hex(), ", ACK" if ack else ""))

    def send_goaway(self, last_stream_id, code, debug=b""):
        self.send_raw(GOAWAY, 0, 0, struct.pack(">II", last_stream_id, code) + debug,
                      note="GOAWAY(last_stream=%d, %s)" % (last_stream_id, error_name(code)))

    def send_window_update(self, stream_id, increment):
        self.send_raw(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment),
                      note="WINDOW_UPDATE(stream=%d, increment=%d)" % (stream_id, increment))


class _ClosedSignal(Exception):
    def __init__(self, how):
        super().__init__(how)
        self.how = how


def _describe_sent(frame):
    name = type(frame).__name__.replace("Frame", "").upper()
    name = {"RSTSTREAM": "RST_STREAM", "WINDOWUPDATE": "WINDOW_UPDATE", "GOAWAY": "GOAWAY"}.get(name, name)
    flags = ",".join(sorted(frame.flags))
    body = getattr(frame, "data", b"")
    extra = ", length=%d" % len(body) if body else ""
    if isinstance(frame, hf.SettingsFrame):
        extra = ", " + ",".join("%d=%d" % pair for pair in frame.settings.items())
    return "%s(stream=%d%s%s)" % (name, frame.stream_id, extra, ", " + flags if flags else "")


# -- verifiers: each reads events until it can decide, as h2spec's Verify* ----------------

def _until(conn, decide, budget_factor=4):
    """Feeds events to decide(event) until it returns an Outcome; the first Timeout or Closed that
    decide() does not accept ends the wait. The whole wait is bounded to budget_factor x timeout."""
    seen = []
    hard_deadline = time.monotonic() + conn.timeout * budget_factor
    while True:
        event = conn.next_event()
        outcome = decide(event)
        if outcome is not None:
            return outcome
        if isinstance(event, (Timeout, Closed)) or time.monotonic() > hard_deadline:
            seen.append(str(event))
            return Outcome(False, _summary(seen))
        seen.append(str(event))


def _summary(seen, keep=4):
    shown = seen if len(seen) <= keep else ["..."] + seen[-keep:]
    return "; ".join(shown)


# h2spec's verdicts instead of the suite's own (--lenient): a GOAWAY or RST_STREAM with the wrong
# error code is noted and reading goes on, so that a close after it still passes, as in h2spec.
LENIENT = False


def _error_verdict(event, codes, wrong_codes_seen):
    if event.error_code in codes:
        return Outcome(True, str(event))
    if LENIENT:
        wrong_codes_seen.append(str(event))
        return None
    return Outcome(False, str(event))


def _closed_verdict(event, wrong_codes_seen):
    seen = "; ".join(wrong_codes_seen + [str(event)])
    return Outcome(True, seen + (" (h2spec's verdict: wrong code, then closed)" if wrong_codes_seen else ""))


def connection_error(conn, *codes):
    """GOAWAY with one of `codes`, or the connection closed (h2spec's VerifyConnectionError)."""
    wrong = []

    def decide(event):
        if isinstance(event, Closed):
            return _closed_verdict(event, wrong)
        if isinstance(event, Frame) and event.type == GOAWAY:
            return _error_verdict(event, codes, wrong)
        return None
    return _until(conn, decide)


def stream_error(conn, *codes):
    """RST_STREAM or GOAWAY with one of `codes`, or the connection closed (h2spec's VerifyStreamError)."""
    wrong = []

    def decide(event):
        if isinstance(event, Closed):
            return _closed_verdict(event, wrong)
        if isinstance(event, Frame) and event.type in (GOAWAY, RST_STREAM):
            return _error_verdict(event, codes, wrong)
        return None
    return _until(conn, decide)


def connection_closed(conn):
    """The TCP connection closed; frames before that (a GOAWAY, say) are fine."""
    def decide(event):
        return Outcome(True, str(event)) if isinstance(event, Closed) else None
    return _until(conn, decide)


def goaway(conn, *codes):
    """A GOAWAY frame with one of `codes`; a bare close is not enough (h2spec's strict 5.4.1/2)."""
    def decide(event):
        if isinstance(event, Frame) and event.type == GOAWAY:
            return Outcome(event.error_code in codes, str(event))
        return None
    return _until(conn, decide)


def rst_stream(conn, stream_id, *codes):
    """RST_STREAM on `stream_id` with one of `codes` (h2spec 6.9.1/3)."""
    def decide(event):
        if isinstance(event, Frame) and event.type == RST_STREAM and event.stream_id == stream_id:
            return Outcome(event.error_code in codes, str(event))
        return None
    return _until(conn, decide)


def stream_closed(conn):
    """The response ended: DATA or HEADERS with END_STREAM, or RST_STREAM(NO_ERROR) (VerifyStreamClose)."""
    def decide(event):
        if isinstance(event, Frame) and (event.ends_stream or (
                event.type == RST_STREAM and event.error_code == NO_ERROR)):
            return Outcome(True, str(event))
        return None
    return _until(conn, decide)


def response_headers(conn, stream_id, statuses=None):
    """A HEADERS frame on `stream_id` (h2spec's VerifyHeadersFrame). With `statuses`, its :status
    must also be one of them: the suite checks the answer is a normal one, not just any HEADERS."""
    def decide(event):
        if isinstance(event, Frame) and event.type == HEADERS and event.stream_id == stream_id:
            status = event.status()
            if statuses is None or status in statuses or (status is None and not event.flags & END_HEADERS):
                return Outcome(True, str(event))
            return Outcome(False, str(event))
        if isinstance(event, Frame) and event.type in (GOAWAY, RST_STREAM):
            return Outcome(False, str(event))
        return None
    return _until(conn, decide)


def settings_ack(conn):
    def decide(event):
        if isinstance(event, Frame) and event.type == SETTINGS and event.is_ack:
            return Outcome(True, str(event))
        if isinstance(event, Frame) and event.type == GOAWAY:
            return Outcome(False, str(event))
        return None
    return _until(conn, decide)


def ping_ack(conn, data, or_closed=False):
    """A PING with ACK echoing `data`; with or_closed, a closed connection passes too."""
    def decide(event):
        if isinstance(event, Closed) and or_closed:
            return Outcome(True, str(event))
        if isinstance(event, Frame) and event.type == PING:
            if event.is_ack and event.payload == data:
                return Outcome(True, str(event))
            if event.is_ack:
                return Outcome(False, str(event))
        if isinstance(event, Frame) and event.type == GOAWAY and not or_closed:
            return Outcome(False, str(event))
        return None
    return _until(conn, decide)


def frame_of_type(conn, frame_type, stream_id=None, length=None):
    """The first frame of `frame_type` (and `stream_id`); with `length`, it must have that many octets."""
    def decide(event):
        if isinstance(event, Frame) and event.type == frame_type and (
                stream_id is None or event.stream_id == stream_id):
            return Outcome(length is None or len(event.payload) == length, str(event))
        if isinstance(event, Frame) and event.type in (GOAWAY, RST_STREAM):
            return Outcome(False, str(event))
        return None
    return _until(conn, decide)


def require(outcome, what):
    """A verifier used as a precondition: a failure aborts the case with what went wrong."""
    if not outcome.passed:
        raise CaseError("%s: %s" % (what, outcome.seen))
    return outcome


# -- the case registry ------------------------------------------------------------------

CASES = []


class Case:
    def __init__(self, case_id, rfc, expect, title, run, strict):
        self.id, self.rfc, self.expect, self.title, self.run, self.strict = \
            case_id, rfc, expect, title, run, strict

    @property
    def section(self):
        """h2spec's group: 'http2/6.5.3' for 'http2/6.5.3/2'."""
        return self.id.rsplit("/", 1)[0]


def case(case_id, rfc, expect, strict=False):
    """Registers a case under the h2spec ID it mirrors. `rfc` names the section of RFC 9113 (or
    RFC 7541) that requires the reaction, `expect` says the reaction in words; the function's
    docstring's first line says what the case sends. strict: h2spec runs it only with --strict
    (a SHOULD of the RFC rather than a MUST)."""
    def register(run):
        title = (run.__doc__ or "").strip().splitlines()[0]
        CASES.append(Case(case_id, rfc, expect, title, run, strict))
        return run
    return register


# Wording of the usual expectations, so that every case row reads the same way.
def expect_connection_error(*codes):
    return "GOAWAY(%s) or connection closed" % "|".join(error_name(c) for c in codes)


def expect_stream_error(*codes):
    return "RST_STREAM or GOAWAY (%s) or connection closed" % "|".join(error_name(c) for c in codes)


EXPECT_RESPONSE = "HEADERS with :status 200 on the stream"
EXPECT_PING_ACK = "PING with ACK and the same payload"
EXPECT_PING_ACK_OR_CLOSED = "PING with ACK and the same payload, or connection closed"
OK = ("200",)
