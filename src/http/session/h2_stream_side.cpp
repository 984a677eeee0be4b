#include "http/session/h2_stream_side.hpp"

#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "http/session/h2_connection.hpp"

namespace fulcrum::http {
namespace {
constexpr uint32_t kInternalError = 0x2;
}  // namespace

H2StreamSide::H2StreamSide(H2Connection& connection, int32_t id, Method method, bool chunked_body, bool body_done)
    : c_(connection),
      id_(id),
      deadline_(connection.worker().deadlines),
      body_end_(body_done),
      chunked_(chunked_body),
      response_(method),
      read_wake_(connection.worker().loop()),
      write_wake_(connection.worker().loop()) {}

H2StreamSide::~H2StreamSide() = default;

void H2StreamSide::body_arrived(std::string_view data, bool end) {
  if (drop_body_) {
    c_.engine().body_consumed(id_, data.size());  // nobody reads it: keep the windows open
  } else {
    body_.append(data);
  }
  if (end) body_end_ = true;
  read_wake_.wake();
}

void H2StreamSide::engine_closed() {
  open_ = false;
  read_wake_.wake();
  write_wake_.wake();
}

void H2StreamSide::window_moved() {
  if (write_wake_.waiting() && c_.engine().queued_body(id_) <= kHighWater) write_wake_.wake();
}

void H2StreamSide::exchange_over() {
  running_ = false;
  deadline_.disarm();
  if (!open_) return;
  if (!response_.complete() && !response_.finish(*this)) {
    reset(kInternalError);  // the client learns the response broke off
  } else if (!body_end_) {
    // Answered before the body was read (a refusal, a redirect): what is left is dropped as it
    // comes, so the connection's window stays open for the other streams.
    drop_body_ = true;
    c_.engine().body_consumed(id_, body_.size() - body_begin_);
    body_.clear();
    body_begin_ = 0;
  }
  c_.kick();
}

void H2StreamSide::reset(uint32_t error_code) {
  if (reset_sent_ || !open_) return;
  reset_sent_ = true;
  c_.engine().reset(id_, error_code);
  c_.kick();
}

asio::awaitable<bool> H2StreamSide::hold_body(size_t threshold, int64_t timeout_ms) {
  if (chunked_) co_return open_;  // no length to contradict; a stream (gRPC, uploads) starts at once
  deadline_.arm(timeout_ms, this);
  bool in_time = true;
  while (open_ && !body_end_ && body_.size() - body_begin_ < threshold && in_time) {
    in_time = co_await read_wake_.wait();
  }
  deadline_.disarm();
  co_return open_ && in_time;
}

void H2StreamSide::cancel() {
  read_wake_.cancel();
  write_wake_.cancel();
}

size_t H2StreamSide::take_body(char* data, size_t size) {
  const size_t n = std::min(size, body_.size() - body_begin_);
  if (n == 0) return 0;
  std::memcpy(data, body_.data() + body_begin_, n);
  body_begin_ += n;
  if (body_begin_ == body_.size()) {
    body_.clear();
    body_begin_ = 0;
  }
  // The exchange has the bytes: the client may send as many more.
  c_.engine().body_consumed(id_, n);
  c_.kick();
  return n;
}

void H2StreamSide::frame(std::string_view text) {
  std::memcpy(framing_, text.data(), text.size());
  framing_begin_ = 0;
  framing_end_ = static_cast<uint8_t>(text.size());
}

size_t H2StreamSide::take_chunked(char* data, size_t size) {
  size_t produced = 0;
  while (produced < size) {
    if (framing_begin_ < framing_end_) {
      const size_t n = std::min<size_t>(size - produced, framing_end_ - framing_begin_);
      std::memcpy(data + produced, framing_ + framing_begin_, n);
      framing_begin_ = static_cast<uint8_t>(framing_begin_ + n);
      produced += n;
    } else if (chunk_left_ > 0) {
      const size_t n = take_body(data + produced, std::min(size - produced, chunk_left_));
      chunk_left_ -= n;
      produced += n;
      if (chunk_left_ == 0) frame("\r\n");
    } else if (const size_t available = body_.size() - body_begin_; available > 0) {
      // A chunk of every byte there is now; its size line, data and CRLF may take several reads.
      framing_begin_ = 0;
      framing_end_ = static_cast<uint8_t>(std::snprintf(framing_, sizeof framing_, "%zx\r\n", available));
      chunk_left_ = available;
    } else if (body_end_ && !last_chunk_given_) {
      last_chunk_given_ = true;
      frame("0\r\n\r\n");
    } else {
      break;
    }
  }
  return produced;
}

asio::awaitable<ByteStream::ReadResult> H2StreamSide::read_some(char* data, size_t size) {
  for (;;) {
    if (!open_ || closed_by_exchange_) co_return ReadResult{asio::error::connection_reset, 0};
    // Whatever room the exchange has: it may read into the few bytes left of its buffer.
    const size_t produced = chunked_ ? take_chunked(data, size) : take_body(data, size);
    if (produced > 0) co_return ReadResult{asio::error_code{}, produced};
    if (body_end_) co_return ReadResult{asio::error::eof, 0};  // the last chunk too, when chunked
    // (The awaited value goes to a variable first: GCC 12 miscompiles some co_await and
    // co_return expressions in conditions; the first version of write() crashed on it.)
    const bool woken = co_await read_wake_.wait();
    if (!woken) co_return ReadResult{asio::error::operation_aborted, 0};
  }
}

asio::awaitable<asio::error_code> H2StreamSide::write(std::string_view a, std::string_view b) {
  asio::error_code result;
  if (!open_ || closed_by_exchange_) {
    result = asio::error::connection_reset;
  } else if (!response_.feed(a, *this) || !response_.feed(b, *this)) {
    reset(kInternalError);
    result = asio::error::connection_reset;
  } else {
    c_.kick();
    // A slow client slows the target: the exchange reads no more while the client's window
    // leaves this much of the response waiting.
    while (open_ && c_.engine().queued_body(id_) > kHighWater) {
      const bool woken = co_await write_wake_.wait();
      if (!woken) {
        result = asio::error::operation_aborted;
        break;
      }
    }
    // The stream ended while the write waited for window: an error only if the response was
    // not whole. A stream ends normally as this write's last bytes go out (the whole response
    // was handed to the engine, as bytes a socket accepted are), and the exchange must not then
    // take it for a client gone and drop a target connection it read to the end.
    if (!result && !open_ && !response_.complete()) result = asio::error::connection_reset;
  }
  co_return result;
}

asio::error_code H2StreamSide::shutdown_send() {
  // A body delimited by the target's close ends with the exchange's side.
  if (open_ && !response_.complete() && response_.head_done()) {
    if (!response_.finish(*this)) reset(kInternalError);
    c_.kick();
  }
  return {};
}

void H2StreamSide::close() {
  // Closed with the response unfinished: the body broke off (or nothing was answered).
  if (!response_.complete()) reset(kInternalError);
  closed_by_exchange_ = true;
  cancel();
}

std::string H2StreamSide::Client::local_authority() { return side_.c_.local_authority(); }

void H2StreamSide::on_head(uint16_t status, std::span<const H2Field> fields, bool end) {
  if (!c_.engine().respond(id_, status, fields, end)) reset(kInternalError);
}

void H2StreamSide::on_body(std::string_view data, bool end) {
  if (!c_.engine().send_body(id_, data, end)) reset(kInternalError);
}

}  // namespace fulcrum::http
