#pragma once
// An HTTP/2 client connection (h2 over TLS chosen by ALPN, or h2c with prior knowledge on a
// plain listener): the HTTP/1.1 session hands its socket over once it knows, and this serves
// the connection to its end. nghttp2 does the protocol (h2/H2ServerSession); this moves the
// bytes and runs one exchange per stream (http/exchange/), each through an H2StreamSide, the
// stream seen as the ClientSide every exchange expects.
//
// Coroutines: a reader (the connection's owner: it feeds received bytes to the engine and ends
// the connection), a writer (sends what the engine has to send, under send_timeout), and one per
// stream. Timeouts: the preface and first request within client_header_timeout, then
// idle_timeout whenever no stream is open; each is answered with GOAWAY and a close. Draining
// (stop, upgrade) sends GOAWAY: streams under way finish, new ones go elsewhere.
//
// This class is what the streams and the worker know of a connection: the engine, the streams,
// the deadlines and every decision. The coroutines, which await the client's bytes and the
// targets, are H2ConnectionOver's (h2_connection_over.hpp), a template over the stream that
// carries the bytes and where targets come from, so that the socket is called directly (no
// virtual call per read or write) and tests can put streams of their own under it.
#include <asio/error_code.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "http/exchange/exchange.hpp"
#include "http/h2/h2_server_session.hpp"
#include "http/session/http_worker.hpp"
#include "http/stream/byte_stream.hpp"
#include "http/stream/deadline_watch.hpp"
#include "security/client_table.hpp"

namespace fulcrum::http {

class H2StreamSide;

// Who is on the other end, as the HTTP/1.1 session knew it when it handed over.
struct H2Client {
  uint32_t listener_index = 0;
  int family = 0;
  uint8_t address[16] = {};
  security::ClientTicket ticket;  // per-client limits: held for the connection's life
};

class H2Connection : protected H2ServerSession::Events {
 public:
  // Counted closed here (it was counted open when accepted, as an HTTP/1.1 session).
  ~H2Connection() override;
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  // The worker's tick: draining sends GOAWAY on every HTTP/2 connection of the worker (once);
  // a connection idle for kReleaseAfterMs gives nghttp2's frame buffer back to the kernel.
  static void tick_all(HttpWorker& worker, int64_t now_ms, bool draining);
  static constexpr int64_t kReleaseAfterMs = 200;
  // GOAWAY on every HTTP/2 connection of the worker (a reload): streams under way finish.
  static void shut_down_all(HttpWorker& worker);

  // For the streams.
  HttpWorker& worker() { return w_; }
  H2ServerSession& engine() { return engine_; }
  const H2Client& client() const { return client_; }
  bool secure() const { return secure_; }
  std::string local_authority() const;
  // The engine has something to send: the writer goes on.
  void kick();

 protected:
  // A body with a content-length is held up to this before its exchange starts (H2StreamSide::
  // hold_body): smaller ones reach no target unless their DATA frames agree with their length.
  static constexpr size_t kHeldBodyBytes = 64 * 1024;

  // `secure`: the client connection is TLS. attach() names the stream before start.
  H2Connection(HttpWorker& worker, bool secure, H2Client client);
  void attach(ByteStream& stream) { stream_ = &stream; }

  // What the coroutines call, in the order a connection lives.
  // Before the coroutines start: the preface's deadline, GOAWAY at once when the worker drains,
  // and `received`, the bytes the HTTP/1.1 session already read.
  void begin(std::string_view received);
  // The reader goes on reading.
  bool reading() const { return !closing_ && !dead_; }
  // Bytes read from the client, into the engine. False when the engine has nothing more to do.
  bool received(std::string_view bytes);
  // The reader stopped (the client ended, a deadline, an error): GOAWAY if a deadline passed,
  // the streams learn it, the writer flushes what is due.
  void reader_ended();
  // The engine's output gathered for one write (empty: nothing due); streams waiting for window
  // learn that it moved.
  std::string_view gather();
  // Nothing was due: whether the writer stops for good (else it waits for a kick; an idle
  // connection frees its write buffer first).
  bool writer_done();
  int64_t send_timeout_ms() const;
  // How the write of gather()'s bytes went; false: the socket failed and nothing more is sent.
  bool wrote(asio::error_code ec, bool timed_out);
  void writer_ended();
  // A request head from the engine: its stream, with the head's HTTP/1.1 form in its input, or
  // null when the connection is closing (the stream is refused).
  H2StreamSide* open_stream(int32_t id, const H2Request& request);
  ClientFacts client_facts();
  // The exchange of `side` is over (its coroutine ends).
  void stream_ended(H2StreamSide& side);
  // A coroutine (writer or stream) ended: the reader, waiting for the last, closes the socket.
  void coroutine_ended() {
    if (--running_ == 0) finished_.cancel();
  }
  const config::ListenerConfig* listener() const;

  // H2ServerSession::Events (on_request is the coroutines' owner's: it starts one).
  void on_body(int32_t stream, std::string_view data, bool end) override;
  void on_stream_closed(int32_t stream, uint32_t error_code) override;

  asio::steady_timer writer_wake_;
  asio::steady_timer finished_;  // the reader waits here for the writer and the streams
  Deadline send_deadline_;
  uint32_t running_ = 0;         // writer and stream coroutines not yet ended
  bool writer_waiting_ = false;

 private:
  // Idle (no stream open): the deadline that ends the connection unless a request comes.
  void arm_idle();
  void stream_done(int32_t id);
  void end_all_streams();
  void shut_down();

  HttpWorker& w_;
  ByteStream* stream_ = nullptr;
  bool secure_;
  H2Client client_;
  H2ServerSession engine_;
  Deadline idle_deadline_;
  std::map<int32_t, std::unique_ptr<H2StreamSide>> streams_;
  std::string out_;         // bytes gathered from the engine for one write
  std::string head_text_;   // a request's HTTP/1.1 form while it is written
  bool closing_ = false;     // no more reading: streams end, the writer flushes and stops
  bool dead_ = false;        // the socket failed: nothing more is sent
  bool shut_down_ = false;   // GOAWAY sent (drain, timeout)
  bool saw_request_ = false;
  int64_t idle_since_ms_ = 0;     // no stream open since (0: a stream is open)
  bool memory_released_ = false;  // the engine's frame buffer is with the kernel
  // The worker's HTTP/2 connections, for draining (an intrusive list: no allocation).
  H2Connection* prev_ = nullptr;
  H2Connection* next_ = nullptr;
};

}  // namespace fulcrum::http
