#pragma once
// The exchange: what happens to every request, whatever protocol brought it. A client codec
// (the HTTP/1.1 session; HTTP/2 streams later) reads and classifies a head, then calls run():
// admission (desync action, 417, 413, the request rate, the WAF), routing (redirects, fixed
// responses, the group split), stickiness, the head rewritten for the target, the body's
// pattern rules, forwarding with retries the client never sees, the response relayed, passive
// health reports, stats and the access-log line. It sees the client only as a ClientSide (a
// ByteStream and a receive buffer) and targets only through a TargetConnector.
#include <asio/awaitable.hpp>
#include <netinet/in.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/exchange/client_side.hpp"
#include "http/exchange/exchange.hpp"
#include "http/exchange/exchange_worker.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http/h1/head_writer.hpp"
#include "http/h1/parse_result.hpp"
#include "http/h1/request_head.hpp"
#include "http/h1/response_head.hpp"
#include "security/waf_rules.hpp"
#include "upstream/traffic_stats.hpp"

namespace fulcrum::http {

// What admission decided for a request, before any byte goes to a target.
struct Admission {
  uint16_t status = 0;  // 0: forward to x.group_index; else answer with this status
  bool close = true;    // the connection ends after the answer
  bool consume = false;  // the head and the body bytes that came with it are used up first
  const config::FixedResponse* fixed = nullptr;  // a fixed_response action's content
  std::string location;  // a redirect's "Location: ...\r\n"
  char retry_after[40];  // a 429's "Retry-After: N\r\n"
  uint8_t retry_after_size = 0;

  // The header lines that go with the answer (Location or Retry-After), if any.
  std::string_view extra_headers() const {
    return location.empty() ? std::string_view(retry_after, retry_after_size) : std::string_view(location);
  }
};

class ExchangeDriver {
 public:
  ExchangeDriver(ExchangeWorker& worker, ClientSide& client, Exchange& x, const ClientFacts& who);

  // The head is complete: the request gets its id and is counted.
  void start();
  // The one entry point for a complete, classified head: serves the request to its end and
  // writes its log line. Returns whether the client connection may serve another request.
  asio::awaitable<bool> run(const RequestHead& head, const Classification& c, size_t head_size);
  // A request refused before it could be read (timeout mid-head, malformed head): answered with
  // `status`, the connection closed, the line logged.
  asio::awaitable<void> refuse(uint16_t status);

  // Admission and routing, no I/O: the body bytes that came with the head (`after_head`) are
  // checked too. For a forward, x.group_index, x.sticky_target and x.pick_hash are set.
  Admission admit(const RequestHead& head, const Classification& c, std::string_view after_head);

 private:
  asio::awaitable<bool> respond(uint16_t status, bool close, Exchange* exchange = nullptr,
                                std::string_view extra_headers = {}, std::string_view content_type = {},
                                std::string_view body = {}, bool use_default_body = true);
  asio::awaitable<bool> write_client(std::string_view a, std::string_view b = {});
  // Picks and connects; on a retry (x.attempts > 0) only within max_connect_attempts and the
  // group's retry budget. same_target: a fresh connection to x.target_index first.
  asio::awaitable<ConnectFailure> connect(Exchange& x, bool allow_pool, bool same_target = false);
  // A dial that failed: counted, reported (passive health), logged.
  void connect_failed(Exchange& x, const upstream::GroupSnapshot& group, const upstream::TargetInfo& target,
                      const DialResult& dial);
  // A write to the target failed: reported (passive health).
  void write_failed(Exchange& x, const upstream::GroupSnapshot& group, const upstream::TargetInfo& target);
  // Records how the attempt failed (for the answer, and for connect()'s budget) and says whether
  // the request may go to another target.
  bool retry_after(Exchange& x, AttemptFailure failure) const;
  asio::awaitable<bool> forward(Exchange& x);
  // The response after its head: rewritten head and body to the client, the target connection
  // back to the pool or closed.
  asio::awaitable<bool> relay_response(Exchange& x, RecvBuffer& tin, ResponseHead& response, size_t head_size);
  // nullopt: the body passed; else the request was answered (true: the connection goes on).
  asio::awaitable<std::optional<bool>> inspect_body(Exchange& x, security::WafRules& waf);
  void record_waf(const Exchange& x, const security::WafVerdict& verdict, std::string_view part);
  asio::awaitable<void> tunnel(Exchange& x, RecvBuffer& tin, std::string_view head);
  void find_sticky_target(Exchange& x, const RequestHead& head);
  std::string_view sticky_set_cookie(Exchange& x, const ResponseHead& response, char (&out)[256]);
  // A head written by `write(HeadWriter&)` into the exchange's pooled buffer or, when it does not
  // fit, into a one-off buffer of `large_size` bytes.
  template <class Write>
  static std::string_view write_head(Exchange& x, size_t large_size, Write&& write) {
    HeadWriter out(x.out_lease.data(), core::BufferPool::kBufferSize);
    write(out);
    if (out.overflowed()) {
      x.out_large.resize(large_size);
      out = HeadWriter(x.out_large.data(), x.out_large.size());
      write(out);
    }
    return out.view();
  }
  void log_request(Exchange& x);
  std::string_view protocol(const Exchange& x) const;
  void record_stats(const Exchange& x);
  std::string_view tried_targets(const Exchange& x, char (&out)[512]) const;

  const config::ListenerConfig& listener() const { return snapshot_->config->listeners[who_.listener_index]; }
  // The listener's counters: the same object in every snapshot (listeners outlive reloads).
  upstream::TrafficStats* listener_stats() const;
  // The client's address as text, for headers and the log.
  std::string_view client_ip(char (&out)[INET6_ADDRSTRLEN]) const;
  security::ClientAddress client_address() const;

  ExchangeWorker& w_;
  ClientSide& side_;
  ByteStream& client_;
  RecvBuffer& in_;
  Deadline& deadline_;
  Exchange& x_;
  const ClientFacts& who_;
  // The snapshot the request is served from (x.snapshot keeps it alive).
  const upstream::Snapshot* snapshot_;
  // The one the head arrived under, when a reload replaced it meanwhile: kept alive until the
  // request ends (the head's listener settings refer into it).
  std::shared_ptr<const upstream::Snapshot> head_snapshot_;
};

}  // namespace fulcrum::http
