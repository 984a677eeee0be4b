#pragma once
// One HTTP/2 stream as the exchange sees a client: a ClientSide whose ByteStream reads the
// request's body in HTTP/1.1 form (chunked when the client sent no content-length) and takes
// the response in HTTP/1.1 form, read back (h2/H1ResponseReader) into HEADERS and DATA on the
// stream. The input buffer starts with the request's HTTP/1.1 head, as an HTTP/1.1 session's
// would. Flow control both ways: the client's window opens only as the exchange reads the body
// (so a slow target slows the client), and a write waits while more than kHighWater bytes of the
// response wait for the client's window (so a slow client slows the target).
#include <asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/exchange/client_side.hpp"
#include "http/h1/request_head.hpp"
#include "http/h2/h1_response_reader.hpp"
#include "http/session/wake_signal.hpp"
#include "http/stream/byte_stream.hpp"
#include "http/stream/deadline_watch.hpp"
#include "http/stream/recv_buffer.hpp"

namespace fulcrum::http {

class H2Connection;

// ByteStream is the only base with virtual coroutines, and the first: a coroutine reached
// through a this-adjusting thunk (a second base) crashes GCC 12's code on its first resume. The
// ClientSide is a small member that points back here.
class H2StreamSide final : public ByteStream, private H1ResponseReader::Sink {
 public:
  static constexpr size_t kHighWater = 64 * 1024;

  H2StreamSide(H2Connection& connection, int32_t id, Method method, bool chunked_body, bool body_done);
  ~H2StreamSide();
  H2StreamSide(const H2StreamSide&) = delete;
  H2StreamSide& operator=(const H2StreamSide&) = delete;

  // From the engine, through the connection.
  void body_arrived(std::string_view data, bool end);
  void engine_closed();          // the stream is over on the wire (answered, reset, or the connection ended)
  void window_moved();           // response bytes went out: a waiting write may go on
  // The exchange is over: a response it left unfinished resets the stream; a request body it
  // did not read is dropped as it comes.
  void exchange_over();

  // A body announced by content-length is held until it is whole or `threshold` bytes have
  // come, before the exchange starts: a length the DATA frames then contradict (which the
  // engine only sees at their end) resets the stream before any byte reached a target. False:
  // the stream ended meanwhile (reset, or the deadline passed).
  asio::awaitable<bool> hold_body(size_t threshold, int64_t timeout_ms);

  bool open_on_wire() const { return open_; }
  bool running() const { return running_; }
  int32_t id() const { return id_; }

  // What the exchange sees of the client.
  ClientSide& client() { return client_; }
  RecvBuffer& input() { return in_; }

  // ByteStream
  asio::awaitable<ReadResult> read_some(char* data, size_t size) override;
  asio::awaitable<asio::error_code> write(std::string_view a, std::string_view b = {}) override;
  asio::error_code shutdown_send() override;
  void close() override;
  bool is_open() const override { return open_ && !closed_by_exchange_; }
  void cancel() override;
  int native_handle() const override { return -1; }

 private:
  class Client final : public ClientSide {
   public:
    explicit Client(H2StreamSide& side) : side_(side) {}
    ByteStream& stream() override { return side_; }
    RecvBuffer& input() override { return side_.in_; }
    Deadline& deadline() override { return side_.deadline_; }
    // The connection goes on: a body left unread is dropped when the exchange is over.
    asio::awaitable<void> linger_close() override {
      side_.shutdown_send();
      co_return;
    }
    void end() override { side_.shutdown_send(); }
    std::string local_authority() override;

   private:
    H2StreamSide& side_;
  };

  // H1ResponseReader::Sink: the response toward the client.
  void on_head(uint16_t status, std::span<const H2Field> fields, bool end) override;
  void on_body(std::string_view data, bool end) override;
  void reset(uint32_t error_code);
  // Request body bytes for the exchange, at most `size`: as they came, or framed as chunks.
  size_t take_body(char* data, size_t size);
  size_t take_chunked(char* data, size_t size);
  void frame(std::string_view text);  // chunk framing to give before anything else

  H2Connection& c_;
  Client client_{*this};
  int32_t id_;
  RecvBuffer in_;
  Deadline deadline_;
  std::string body_;  // request body received and not yet read by the exchange
  size_t body_begin_ = 0;
  bool body_end_;
  bool chunked_;
  // Chunk framing not yet given (a size line, CRLF, or the last chunk), and what is left of
  // the chunk being given: a read may have room for a few bytes only.
  char framing_[16 + 2 + 1];  // the longest: a size line (16 hex digits, CRLF; snprintf's NUL)
  uint8_t framing_begin_ = 0;
  uint8_t framing_end_ = 0;
  size_t chunk_left_ = 0;
  bool last_chunk_given_ = false;
  bool drop_body_ = false;
  bool open_ = true;      // the engine still has the stream
  bool running_ = true;   // the exchange still runs
  bool closed_by_exchange_ = false;
  bool reset_sent_ = false;
  H1ResponseReader response_;
  WakeSignal read_wake_;   // the exchange waits for request body bytes
  WakeSignal write_wake_;  // the exchange waits for room in the client's window
};

}  // namespace fulcrum::http
