#pragma once
// An HTTP/2 connection in memory: H2ConnectionOver over a client stream of our own (H2Wire: the
// test plays the client with raw frames and reads the server's frames back) and targets that
// are FakeConnectors (exchange_fakes.hpp), one per stream, scripted in order. The worker, its
// configuration and its loop are an exchange Rig's; the loop runs only when a test says, so
// what happens between two steps is exactly what those steps caused.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <asio/use_awaitable.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "../exchange/exchange_fakes.hpp"
#include "../h2/h2_wire.hpp"
#include "http/session/h2_connection_over.hpp"
#include "http/session/wake_signal.hpp"

namespace fulcrum::http::testing {

// The client's end of the connection. What the client sends waits in `incoming` until the
// connection reads it; what the connection writes is collected and split into frames
// (`frames`). With `stall_writes` the connection's writes take no byte: they wait until
// cancelled (a send_timeout), as toward a client that stopped reading.
class H2Wire {
 public:
  explicit H2Wire(asio::io_context& loop)
      : readable_(loop), writable_(loop) {}

  // The client's side.
  void send(std::string_view bytes) {
    incoming_.append(bytes);
    readable_.wake();
  }
  void end() {
    eof_ = true;
    readable_.wake();
  }
  wire::Reader frames;
  wire::Encoder encoder;
  bool stall_writes = false;
  bool closed = false;  // the connection closed its stream
  size_t written = 0;   // bytes the connection wrote

  // The connection's side (through H2WireStream).
  asio::awaitable<asio::error_code> wait_readable() {
    while (!closed && taken_ == incoming_.size() && !eof_) {
      const bool woken = co_await readable_.wait();
      if (!woken) co_return asio::error::operation_aborted;
    }
    co_return closed ? asio::error::bad_descriptor : asio::error_code{};
  }
  asio::awaitable<ByteStream::ReadResult> read_some(char* data, size_t size) {
    const asio::error_code ec = co_await wait_readable();
    if (ec) co_return ByteStream::ReadResult{ec, 0};
    const size_t n = std::min(size, incoming_.size() - taken_);
    if (n == 0) co_return ByteStream::ReadResult{asio::error::eof, 0};
    std::memcpy(data, incoming_.data() + taken_, n);
    taken_ += n;
    co_return ByteStream::ReadResult{asio::error_code{}, n};
  }
  asio::awaitable<asio::error_code> write(std::string_view a, std::string_view b) {
    if (closed) co_return asio::error::bad_descriptor;
    if (stall_writes) {
      co_await writable_.wait();  // only a cancel ends it
      co_return asio::error::operation_aborted;
    }
    written += a.size() + b.size();
    frames.feed(a);
    frames.feed(b);
    co_return asio::error_code{};
  }
  void cancel() {
    readable_.cancel();
    writable_.cancel();
  }
  void close() {
    closed = true;
    cancel();
  }

 private:
  WakeSignal readable_;
  WakeSignal writable_;
  std::string incoming_;
  size_t taken_ = 0;
  bool eof_ = false;
};

// What the connection holds: a handle on the test's H2Wire (movable, as a socket is).
class H2WireStream final : public ByteStream {
 public:
  explicit H2WireStream(H2Wire& wire) : wire_(&wire) {}
  H2WireStream(H2WireStream&&) = default;

  bool has_pending() const { return false; }
  bool secure() const { return false; }
  H2Wire& wire() { return *wire_; }

  asio::awaitable<ReadResult> read_some(char* data, size_t size) override { return wire_->read_some(data, size); }
  asio::awaitable<asio::error_code> write(std::string_view a, std::string_view b = {}) override {
    return wire_->write(a, b);
  }
  asio::error_code shutdown_send() override { return {}; }
  void close() override { wire_->close(); }
  bool is_open() const override { return !wire_->closed; }
  void cancel() override { wire_->cancel(); }
  int native_handle() const override { return -1; }

 private:
  H2Wire* wire_;
};

// The connection's wait for readability (see H2ConnectionOver).
inline asio::awaitable<std::tuple<asio::error_code>> wait_readable(H2WireStream& stream) {
  const asio::error_code ec = co_await stream.wire().wait_readable();
  co_return std::tuple<asio::error_code>{ec};
}

// Targets for the streams' exchanges: each exchange gets a connector of its own, whose first
// dial takes the next of `scripts` (none left: refused).
struct TargetPlan {
  std::deque<TargetScript> scripts;
  std::vector<std::unique_ptr<FakeConnector>> connectors;  // in the order the exchanges began

  // The target connection the `index`-th exchange opened.
  FakeStream& target(size_t index) { return *connectors.at(index)->streams().at(0); }
  bool dialed(size_t index) const { return index < connectors.size() && !connectors[index]->streams().empty(); }
};

struct ScriptedTargets {
  TargetPlan* plan = nullptr;
  FakeConnector& connector(HttpWorker& worker) const {
    auto& made = plan->connectors.emplace_back(std::make_unique<FakeConnector>(worker.loop()));
    if (!plan->scripts.empty()) {
      made->in_order.push_back(plan->scripts.front());
      plan->scripts.pop_front();
    }
    return *made;
  }
};

using WireH2Connection = H2ConnectionOver<H2WireStream, ScriptedTargets>;

// What a client sends first: the preface, its SETTINGS, and (as soon as it read the server's)
// their ACK, which puts the server's stream windows for request bodies in force.
inline std::string client_preface() {
  return std::string(wire::kPreface) + wire::settings() + wire::frame(NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, "");
}

// One HTTP/2 connection served in memory on a Rig's worker, listener 0 forwarding to the group
// `app` (one target, 127.0.0.1:1).
class H2Rig {
 public:
  explicit H2Rig(const std::string& listener_extra = "")
      : rig_(forward_config({"127.0.0.1:1"}, "", listener_extra)), wire(rig_.loop()) {}
  ~H2Rig() {
    // Nothing of the connection may outlive the worker: the client leaves, targets still
    // answering are cut, and the connection is let end.
    if (!opened_ || ended()) return;
    wire.end();
    for (auto& connector : targets.connectors) {
      for (const auto& stream : connector->streams()) stream->close();
    }
    EXPECT_TRUE(run_until([&] { return ended(); })) << "the connection did not end";
  }

  // The connection starts with the client's preface, SETTINGS and its ACK of the server's
  // already read (as when the HTTP/1.1 session hands over) plus `more`.
  void open(std::string_view more = {}) {
    HttpWorker& w = rig_.http();
    w.active_sessions.fetch_add(1);  // counted open at accept, as the HTTP/1.1 session does
    H2Client client;
    client.family = AF_INET;
    const uint8_t address[4] = {192, 0, 2, 7};
    std::memcpy(client.address, address, sizeof address);
    auto connection = std::make_unique<WireH2Connection>(w, H2WireStream(wire), std::move(client),
                                                         ScriptedTargets{&targets});
    opened_ = true;
    WireH2Connection::start(std::move(connection), client_preface() + std::string(more));
  }
  // The connection's destructor ran.
  bool ended() { return opened_ && rig_.http().active_sessions.load() == 0; }

  // Client frames.
  void request(int32_t stream, const wire::Fields& fields, bool end_stream = true) {
    wire.send(wire::headers(stream, wire.encoder.encode(fields), end_stream));
  }

  // Runs what is ready until nothing is: everything the last step caused has happened.
  void settle() {
    for (;;) {
      if (loop().stopped()) loop().restart();
      if (loop().poll() == 0) return;
    }
  }
  // Runs the loop (timers included) until `done`; false if it did not come within 10 s.
  bool run_until(const std::function<bool()>& done) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < give_up) {
      if (loop().stopped()) loop().restart();
      loop().run_one_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  // The DATA bytes the client received on `stream`.
  std::string body(int32_t stream) const {
    std::string out;
    for (const wire::Frame& f : wire.frames.frames) {
      if (f.type == NGHTTP2_DATA && f.stream == stream) out += f.payload;
    }
    return out;
  }
  // Whether the stream's last frame from the server ended it (END_STREAM).
  bool ended_stream(int32_t stream) const {
    for (const wire::Frame& f : wire.frames.frames) {
      if ((f.type == NGHTTP2_DATA || f.type == NGHTTP2_HEADERS) && f.stream == stream &&
          (f.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        return true;
      }
    }
    return false;
  }
  // A response field the client received on `stream` ("" when absent).
  std::string field(int32_t stream, std::string_view name) const {
    auto it = wire.frames.heads.find(stream);
    if (it == wire.frames.heads.end()) return "";
    for (const auto& [n, v] : it->second) {
      if (n == name) return v;
    }
    return "";
  }

  asio::io_context& loop() { return rig_.loop(); }
  HttpWorker& http() { return rig_.http(); }

 private:
  Rig rig_;

 public:
  H2Wire wire;
  TargetPlan targets;

 private:
  bool opened_ = false;
};

// Error codes of RST_STREAM and GOAWAY (RFC 9113 §7).
inline constexpr uint32_t kNoError = 0x0;
inline constexpr uint32_t kProtocolError = 0x1;
inline constexpr uint32_t kInternalError = 0x2;

// Request heads as an h2c client sends them.
inline wire::Fields h2c_get(const std::string& path) {
  return {{":method", "GET"}, {":scheme", "http"}, {":authority", "example.com"}, {":path", path}};
}
inline wire::Fields h2c_post(const std::string& path, wire::Fields more = {}) {
  wire::Fields fields{{":method", "POST"}, {":scheme", "http"}, {":authority", "example.com"}, {":path", path}};
  fields.insert(fields.end(), more.begin(), more.end());
  return fields;
}

// A chunked body's payload, or "<malformed>".
inline std::string dechunk(std::string_view body) {
  std::string out;
  for (;;) {
    const size_t line_end = body.find("\r\n");
    if (line_end == std::string_view::npos) return "<malformed>";
    const size_t size = std::stoul(std::string(body.substr(0, line_end)), nullptr, 16);
    body.remove_prefix(line_end + 2);
    if (size == 0) return body == "\r\n" ? out : "<malformed>";
    if (body.size() < size + 2 || body.substr(size, 2) != "\r\n") return "<malformed>";
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
}

}  // namespace fulcrum::http::testing
