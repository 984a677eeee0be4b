#pragma once
// The exchange in memory: a client and targets that are ByteStreams of our own, so that
// admission, routing, stickiness and the forward/retry loop run without a socket. A Rig holds
// one worker (HttpWorker over a core::Worker whose loop the test drives) with a snapshot built
// from YAML, and serves a request the way the HTTP/1.1 session does: parse, classify,
// ExchangeDriver::run.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "core/clock.hpp"
#include "core/worker.hpp"
#include "http/exchange/client_side.hpp"
#include "http/exchange/exchange.hpp"
#include "http/exchange/exchange_driver.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http/h1/request_parser.hpp"
#include "http/session/http_worker.hpp"
#include "http/target/target_connector.hpp"
#include "security/guards.hpp"
#include "upstream/target_registry.hpp"
#include "upstream/worker_home.hpp"

namespace fulcrum::http::testing {

// The plainest request the exchange tests send.
inline const std::string kGet = "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n";

// A ByteStream in memory. Reads hand out `input` (at most `read_chunk` bytes a call), then end
// as `at_end` says; writes are collected in `written` unless `fail_writes`. A read hanging at
// the end goes on when feed() brings more.
class FakeStream final : public ByteStream {
 public:
  enum class AtEnd { eof, reset, hang };
  explicit FakeStream(asio::io_context& loop) : timer_(loop) {}

  std::string input;
  size_t read_chunk = 1u << 30;
  AtEnd at_end = AtEnd::eof;
  bool fail_writes = false;
  std::string written;
  int shutdowns = 0;

  // More input, later (a target that answers when the test says).
  void feed(std::string_view more, AtEnd then) {
    input.append(more);
    at_end = then;
    if (hanging_) {
      fed_ = true;
      timer_.cancel();
    }
  }
  // How much of `input` has been read.
  size_t consumed() const { return read_; }

  asio::awaitable<ReadResult> read_some(char* data, size_t size) override {
    for (;;) {
      if (!open_) co_return ReadResult{asio::error::bad_descriptor, 0};
      if (read_ < input.size()) {
        const size_t n = std::min({size, read_chunk, input.size() - read_});
        std::memcpy(data, input.data() + read_, n);
        read_ += n;
        co_return ReadResult{asio::error_code(), n};
      }
      switch (at_end) {
        case AtEnd::eof: co_return ReadResult{asio::error::eof, 0};
        case AtEnd::reset: co_return ReadResult{asio::error::connection_reset, 0};
        case AtEnd::hang: break;
      }
      // Until a deadline cancels it, the stream is closed, or feed() brings more.
      hanging_ = true;
      timer_.expires_at(asio::steady_timer::time_point::max());
      co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      hanging_ = false;
      if (!fed_) co_return ReadResult{asio::error::operation_aborted, 0};
      fed_ = false;
    }
  }
  asio::awaitable<asio::error_code> write(std::string_view a, std::string_view b = {}) override {
    if (!open_) co_return asio::error::bad_descriptor;
    if (fail_writes) co_return asio::error::broken_pipe;
    written.append(a);
    written.append(b);
    co_return asio::error_code();
  }
  asio::error_code shutdown_send() override {
    ++shutdowns;
    return {};
  }
  void close() override {
    open_ = false;
    timer_.cancel();
  }
  bool is_open() const override { return open_; }
  void cancel() override { timer_.cancel(); }
  int native_handle() const override { return -1; }

 private:
  asio::steady_timer timer_;
  size_t read_ = 0;
  bool open_ = true;
  bool hanging_ = false;
  bool fed_ = false;
};

// The client of one request: its head (and any body that came with it) already in the receive
// buffer, the rest in its stream's input.
class FakeClient final : public ClientSide {
 public:
  FakeClient(asio::io_context& loop, DeadlineWatch& deadlines, core::BufferPool& buffers)
      : stream_(loop), deadline_(deadlines) {
    in_.ensure(buffers);
  }
  FakeStream stream_;
  RecvBuffer in_;
  Deadline deadline_;
  bool lingered = false;
  bool ended = false;

  ByteStream& stream() override { return stream_; }
  RecvBuffer& input() override { return in_; }
  Deadline& deadline() override { return deadline_; }
  asio::awaitable<void> linger_close() override {
    lingered = true;
    stream_.close();
    co_return;
  }
  void end() override {
    ended = true;
    stream_.close();
  }
  std::string local_authority() override { return "127.0.0.1:80"; }
};

// How one new connection to a target behaves.
struct TargetScript {
  bool refuse = false;      // the connect fails
  bool fail_writes = false;  // the request cannot be written
  std::string response;     // what the target answers (then `at_end`)
  FakeStream::AtEnd at_end = FakeStream::AtEnd::eof;
};

// Targets as scripts: each dial takes the next of `in_order` whichever target was picked, or,
// when that is empty, the next script of its target by address ("127.0.0.1:1"; the last one
// repeats; none: refused). Nothing is pooled unless `pooled` holds a script for the target.
class FakeConnector final : public TargetConnector {
 public:
  explicit FakeConnector(asio::io_context& loop) : loop_(loop) {}
  std::deque<TargetScript> in_order;
  std::map<std::string, std::deque<TargetScript>> scripts;
  std::map<std::string, std::deque<TargetScript>> pooled;
  std::vector<std::string> dialed;  // every dial, in order, pooled ones with a "pooled " prefix
  int given_back = 0;
  std::function<void()> before_dial;  // if set, called at the start of every dial

  // Every connection handed out (dialed or pooled), in order.
  const std::vector<std::unique_ptr<FakeStream>>& streams() const { return streams_; }

  ByteStream& stream() override { return *current_; }
  bool take_pooled(const upstream::GroupSnapshot&, const upstream::TargetInfo& target, int64_t,
                   bool) override {
    auto it = pooled.find(target.address_text);
    if (it == pooled.end() || it->second.empty()) return false;
    start(it->second.front());
    it->second.pop_front();
    dialed.push_back("pooled " + target.address_text);
    return true;
  }
  asio::awaitable<DialResult> dial(size_t, const upstream::GroupSnapshot&, const upstream::TargetInfo& target,
                                   Deadline&) override {
    if (before_dial) before_dial();
    dialed.push_back(target.address_text);
    TargetScript script{.refuse = true};
    if (!in_order.empty()) {
      script = in_order.front();
      in_order.pop_front();
    } else if (auto& queue = scripts[target.address_text]; !queue.empty()) {
      script = queue.front();
      if (queue.size() > 1) queue.pop_front();
    }
    DialResult result;
    if (script.refuse) {
      result.error = asio::error::connection_refused;
      result.reason = "connection refused";
      co_return result;
    }
    result.tcp_connected = true;
    start(script);
    co_return result;
  }
  void give_back(const upstream::GroupSnapshot&, const upstream::TargetInfo&) override {
    ++given_back;
    current_->close();
  }
  void drop() override {
    if (current_ != nullptr) current_->close();
  }

 private:
  void start(const TargetScript& script) {
    streams_.push_back(std::make_unique<FakeStream>(loop_));
    current_ = streams_.back().get();
    current_->input = script.response;
    current_->at_end = script.at_end;
    current_->fail_writes = script.fail_writes;
  }
  asio::io_context& loop_;
  std::vector<std::unique_ptr<FakeStream>> streams_;
  FakeStream* current_ = nullptr;
};

// What an exchange left behind.
struct Served {
  bool keep = false;             // the client connection may serve another request
  std::string to_client;         // every byte written to the client
  uint16_t status = 0;
  uint32_t attempts = 0;
  int group_index = -1;
  int target_index = -1;
  bool lingered = false;         // closed after a refusal
};

class Rig {
 public:
  explicit Rig(const std::string& yaml, bool with_guards = false) : worker_(0), home_(worker_), http_(home_) {
    auto result = config::load_config_text(yaml, "test.yaml");
    if (!result.config) {
      ADD_FAILURE() << (result.errors.empty() ? std::string("no configuration") : result.errors.front().format());
      return;
    }
    config_ = std::make_shared<const config::Config>(std::move(*result.config));
    if (with_guards) {
      guards_.set_workers(1);
      http_.guards = &guards_;
    }
    const auto snapshot = registry_.build(config_, 0);
    home_.upstreams.install(snapshot);  // as the server does: the home first, then the proxy
    http_.install(snapshot);
    if (with_guards) {
      const security::ListenerGuard* guard = http_.guard(0);
      if (guard != nullptr) guards_.admit(*guard, security::ClientAddress::from_bytes(AF_INET, address_), ticket_);
    }
  }
  ~Rig() { http_.release_io(); }

  // A new snapshot installed as the server does: of the same configuration (a health change)
  // when `yaml` is empty, else of the configuration `yaml` (a reload).
  void install(const std::string& yaml = "") {
    if (!yaml.empty()) {
      auto result = config::load_config_text(yaml, "test.yaml");
      ASSERT_TRUE(result.config.has_value());
      config_ = std::make_shared<const config::Config>(std::move(*result.config));
    }
    const auto snapshot = registry_.build(config_, 0);
    home_.upstreams.install(snapshot);
    http_.install(snapshot);
  }

  HttpWorker& http() { return http_; }
  asio::io_context& loop() { return worker_.loop(); }
  const upstream::GroupSnapshot& group(size_t index) { return http_.upstreams.snapshot()->groups[index]; }
  const config::ListenerConfig& listener() { return http_.upstreams.snapshot()->config->listeners[0]; }

  // Admission alone (no I/O): the decision and the exchange it filled in.
  struct Admitted {
    Admission admission;
    int group_index = -1;
    int sticky_target = -1;
    bool issue_cookie = false;
    std::optional<uint64_t> pick_hash;
  };
  Admitted admit(const std::string& request) {
    FakeConnector targets(loop());
    FakeClient client(loop(), http_.deadlines, http_.buffers);
    Parsed p = parse(client, request);
    Exchange x(targets, http_.upstreams.snapshot());
    const ClientFacts who = facts();
    ExchangeDriver driver(http_, client, x, who);
    driver.start();
    Admitted out;
    out.admission = driver.admit(*p.head, classify_request(*p.head), client.in_.view().substr(p.head_size));
    out.group_index = x.group_index;
    out.sticky_target = x.sticky_target;
    out.issue_cookie = x.issue_cookie;
    out.pick_hash = x.pick_hash;
    return out;
  }

  // One request through ExchangeDriver::run: `request` is what came with the head (the head and
  // possibly body bytes), `later` what the client sends afterwards.
  Served serve(const std::string& request, TargetConnector& targets, const std::string& later = "") {
    FakeClient client(loop(), http_.deadlines, http_.buffers);
    client.stream_.input = later;
    Parsed p = parse(client, request);
    Exchange x(targets, http_.upstreams.snapshot());
    x.started_us = core::now_us();
    x.bytes_in = request.size();
    const ClientFacts who = facts();
    ExchangeDriver driver(http_, client, x, who);
    driver.start();
    Served out;
    bool done = false;
    asio::co_spawn(
        loop(),
        [&]() -> asio::awaitable<void> {
          out.keep = co_await driver.run(*p.head, classify_request(*p.head), p.head_size);
          done = true;
        },
        asio::detached);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < give_up) {
      if (loop().stopped()) loop().restart();
      loop().run_one_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(done) << "the exchange did not finish";
    out.to_client = client.stream_.written;
    out.status = x.status;
    out.attempts = x.attempts;
    out.group_index = x.group_index;
    out.target_index = x.target_index;
    out.lingered = client.lingered;
    return out;
  }

  // The address text of target `index` of group `g`.
  std::string target(size_t g, size_t index) { return group(g).targets[index].address_text; }

 private:
  struct Parsed {
    std::unique_ptr<RequestHead> head;
    size_t head_size = 0;
  };
  Parsed parse(FakeClient& client, const std::string& request) {
    EXPECT_LE(request.size(), client.in_.capacity);
    std::memcpy(client.in_.data, request.data(), request.size());
    client.in_.end = request.size();
    Parsed p;
    p.head = std::make_unique<RequestHead>(std::span<Header>(http_.header_scratch));
    RequestParser parser(limits_of(listener()));
    const ParseResult parsed = parser.parse(client.in_.view(), *p.head);
    EXPECT_TRUE(parsed.complete()) << request;
    p.head_size = parsed.head_size;
    return p;
  }
  ClientFacts facts() {
    return ClientFacts{0, AF_INET, address_, false, ticket_.held() ? &ticket_ : nullptr};
  }

  core::Worker worker_;
  upstream::WorkerHome home_;
  security::Guards guards_;
  upstream::TargetRegistry registry_;
  std::shared_ptr<const config::Config> config_;
  HttpWorker http_;
  security::ClientTicket ticket_;
  uint8_t address_[16] = {192, 0, 2, 7};
};

// A listener on 127.0.0.1:1 (never bound) forwarding to the group `app` of `targets`.
inline std::string forward_config(const std::vector<std::string>& targets, const std::string& group_extra = "",
                                  const std::string& listener_extra = "", const std::string& algorithm = "round_robin") {
  std::string yaml = "listeners:\n  - name: web\n    listen: 127.0.0.1:1\n    protocol: http\n" + listener_extra +
                     "    default: { forward: app }\ntarget_groups:\n  - name: app\n    algorithm: " + algorithm + "\n" +
                     group_extra + "    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target + " }\n";
  return yaml;
}

inline const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

}  // namespace fulcrum::http::testing
