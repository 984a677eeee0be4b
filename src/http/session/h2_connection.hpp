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
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "http/h2/h2_server_session.hpp"
#include "http/session/http_worker.hpp"
#include "http/stream/deadline_watch.hpp"
#include "http/stream/socket_stream.hpp"
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

class H2Connection final : private H2ServerSession::Events {
 public:
  H2Connection(HttpWorker& worker, SocketStream socket, H2Client client);
  // Counted closed here (it was counted open when accepted, as an HTTP/1.1 session).
  ~H2Connection() override;
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  // Serves the connection to its end. `received`: bytes already read from it (the preface, or
  // its start), taken before this returns.
  static void start(std::unique_ptr<H2Connection> self, std::string_view received);

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
  bool secure() const { return socket_.secure(); }
  std::string local_authority() const;
  // The engine has something to send: the writer goes on.
  void kick();

 private:
  static asio::awaitable<void> read_loop(std::unique_ptr<H2Connection> self);
  asio::awaitable<void> write_loop();
  asio::awaitable<void> serve_stream(int32_t id);
  // Idle (no stream open): the deadline that ends the connection unless a request comes.
  void arm_idle();
  void stream_done(int32_t id);
  void end_all_streams();
  const config::ListenerConfig* listener() const;
  void shut_down();

  // H2ServerSession::Events
  void on_request(int32_t stream, const H2Request& request) override;
  void on_body(int32_t stream, std::string_view data, bool end) override;
  void on_stream_closed(int32_t stream, uint32_t error_code) override;

  HttpWorker& w_;
  SocketStream socket_;
  H2Client client_;
  H2ServerSession engine_;
  Deadline idle_deadline_;
  Deadline send_deadline_;
  std::map<int32_t, std::unique_ptr<H2StreamSide>> streams_;
  std::string out_;         // bytes gathered from the engine for one write
  std::string head_text_;   // a request's HTTP/1.1 form while it is written
  asio::steady_timer writer_wake_;
  asio::steady_timer finished_;  // the reader waits here for the writer and the streams
  uint32_t running_ = 0;         // writer and stream coroutines not yet ended
  bool writer_waiting_ = false;
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
