#include "http/exchange/exchange_driver.hpp"

#include <chrono>
#include <cstdio>

#include "core/address_text.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/exchange/canned_response.hpp"
#include "http/exchange/head_pick_keys.hpp"
#include "http/exchange/redirect_location.hpp"
#include "http/exchange/rule_matcher.hpp"
#include "http/h1/char_class.hpp"
#include "http/h1/head_writer.hpp"

namespace fulcrum::http {

ExchangeDriver::ExchangeDriver(ExchangeWorker& worker, ClientSide& client, Exchange& x, const ClientFacts& who)
    : w_(worker),
      side_(client),
      client_(client.stream()),
      in_(client.input()),
      deadline_(client.deadline()),
      x_(x),
      who_(who),
      snapshot_(x.snapshot.get()) {}

upstream::TrafficStats* ExchangeDriver::listener_stats() const {
  const auto& current = w_.upstreams.snapshot();
  if (!current || who_.listener_index >= current->listener_stats.size()) return nullptr;
  return current->listener_stats[who_.listener_index].get();
}

std::string_view ExchangeDriver::client_ip(char (&out)[INET6_ADDRSTRLEN]) const {
  const std::string_view text = core::address_text(who_.family, who_.address, out);
  return text.empty() ? std::string_view("?") : text;
}

security::ClientAddress ExchangeDriver::client_address() const {
  return security::ClientAddress::from_bytes(who_.family, who_.address);
}

void ExchangeDriver::start() {
  static const char* digits = "0123456789abcdef";
  const uint64_t parts[2] = {w_.request_id_prefix, ++w_.request_id_counter};
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 16; ++i) x_.request_id[p * 16 + i] = digits[(parts[p] >> (60 - 4 * i)) & 15];
  }
  w_.total_requests.fetch_add(1, std::memory_order_relaxed);
}

asio::awaitable<void> ExchangeDriver::refuse(uint16_t status) {
  x_.status = status;
  co_await respond(status, true, &x_);
  log_request(x_);
}

asio::awaitable<bool> ExchangeDriver::run(const RequestHead& head, const Classification& c, size_t head_size) {
  Exchange& x = x_;
  // The head's listener settings; a reload while the head arrived leaves them alive (admit()).
  const auto& l = listener();
  // Facts for the log and the rest of the exchange, copied while the views are valid.
  x.method.assign(head.method);
  x.host.assign(head.host());
  x.path.assign(head.target);
  if (core::log_settings().access_format == core::AccessLogFormat::combined) {
    for (const Header& h : head.headers()) {
      if (h.id != HeaderId::other) continue;
      if (equals_lower(h.name, "referer")) x.referer.assign(h.value);
      else if (equals_lower(h.name, "user-agent")) x.user_agent.assign(h.value);
    }
  }
  x.method_id = head.method_id;
  x.client_http10 = head.version_major == 1 && head.version_minor == 0;
  x.client_keep_alive = head.keep_alive && !w_.draining;
  x.framing = head.framing;
  x.idempotent = head.method_id == Method::get || head.method_id == Method::head || head.method_id == Method::put ||
                 head.method_id == Method::delete_ || head.method_id == Method::options ||
                 head.method_id == Method::trace;
  x.expect_continue = head.expectation == Expectation::continue_100 && !x.client_http10;
  x.upgrade = head.upgrade && !head.is_connect();
  x.desync = c.reason;
  x.tier = c.tier;

  const Admission a = admit(head, c, in_.view().substr(head_size));
  if (a.status != 0) {
    // Answered here; a body we did not read means the connection cannot continue.
    if (a.consume) in_.consume(head_size + x.buffered_body);
    const bool keep = a.fixed != nullptr
                          ? co_await respond(a.status, a.close, &x, {}, a.fixed->content_type, a.fixed->body, false)
                          : co_await respond(a.status, a.close, &x, a.extra_headers());
    log_request(x);
    co_return keep;
  }

  // The head toward the target, rewritten now while the parsed views are valid.
  RequestForwarding forwarding;
  char ip[INET6_ADDRSTRLEN];
  forwarding.client_ip = client_ip(ip);
  forwarding.listen_port = l.listen.port();
  if (who_.secure) forwarding.proto = "https";
  forwarding.request_id = std::string_view(x.request_id, sizeof x.request_id);
  forwarding.close = x.close_after || snapshot_->groups[static_cast<size_t>(x.group_index)].config->keepalive_connections == 0;
  forwarding.add_forwarded = l.add_forwarded;
  forwarding.add_via = l.add_via;
  forwarding.keep_upgrade = x.upgrade;
  forwarding.drop_expect = x.expect_continue;
  std::string local_host;
  if (head.host_index < 0) forwarding.host_when_missing = local_host = side_.local_authority();
  x.out_lease = w_.buffers.borrow();
  x.out_head = write_head(x, head_size + 4096, [&](HeadWriter& out) { write_request_head(out, head, forwarding); });
  in_.consume(head_size);

  // Pattern rules over the body: its first waf_body_bytes are read before anything is sent.
  if (security::WafRules* waf = w_.waf_for(who_.listener_index); waf != nullptr && waf->inspects_body()) {
    if (const std::optional<bool> answered = co_await inspect_body(x, *waf)) {
      log_request(x);
      co_return *answered;
    }
  }

  const bool keep = co_await forward(x);
  log_request(x);
  co_return keep;
}

Admission ExchangeDriver::admit(const RequestHead& head, const Classification& c, std::string_view after_head) {
  Exchange& x = x_;
  const auto& l = listener();
  Admission a;
  const DesyncAction action = desync_action(c, l.desync_mode);
  if (action == DesyncAction::reject) {
    a.status = c.status;
    return a;
  }
  x.close_after = action == DesyncAction::forward_then_close;
  if (head.expectation == Expectation::unsupported) {
    a.status = 417;
    return a;
  }
  if (l.max_body_bytes > 0 && head.framing == BodyFraming::content_length && head.content_length > l.max_body_bytes) {
    a.status = 413;
    return a;
  }

  // The body bytes that came with the head are checked before anything goes to a target, so a
  // malformed chunked body behind a valid head is refused with nothing forwarded.
  if (head.framing == BodyFraming::chunked) {
    ChunkedResult r = x.chunked.feed(after_head);
    if (r.error()) {
      x.desync = r.reason;
      x.tier = tier_of(r.reason);
      a.status = r.error_status;
      return a;
    }
    x.buffered_body = r.consumed;
    x.body_done = r.done();
    if (l.max_body_bytes > 0 && x.chunked.payload_bytes() > l.max_body_bytes) {
      a.status = 413;
      return a;
    }
  } else if (head.framing == BodyFraming::content_length) {
    x.length_body = ContentLengthBody(head.content_length);
    x.buffered_body = x.length_body.feed(after_head.size());
    x.body_done = x.length_body.done();
  }
  x.replayable = true;  // in the buffer, or kept as it streams (forward) while within retry_body_limit

  // A reload may have installed a newer snapshot while the head arrived. The worker's routes
  // already name that snapshot's groups, and connect() refuses to pick from a snapshot that is
  // no longer current (502): serve the request from the current one. The one the head arrived
  // under stays alive until this request ends (`l` and the head refer into it).
  if (w_.upstreams.snapshot() != x.snapshot) {
    head_snapshot_ = std::move(x.snapshot);
    x.snapshot = w_.upstreams.snapshot();
    snapshot_ = x.snapshot.get();
  }

  // An answer from here on leaves the connection open when the whole request was read.
  const bool close = !x.body_done || x.close_after || !x.client_keep_alive;

  // Per-client request rate (security.rate_limit): 429 with the wait before the next token.
  if (who_.ticket != nullptr && who_.ticket->held()) {
    const security::ListenerGuard* guard = w_.guard(who_.listener_index);
    uint32_t retry_after_s = 0;
    if (guard != nullptr && !w_.guards->admit_request(*guard, client_address(), *who_.ticket, retry_after_s)) {
      const int n = std::snprintf(a.retry_after, sizeof a.retry_after, "Retry-After: %u\r\n", retry_after_s);
      a.retry_after_size = static_cast<uint8_t>(n);
      a.status = 429;
      a.close = close;
      a.consume = true;
      return a;
    }
  }

  // Pattern rules (security.waf): 403 naming the rule that fired; log-only rules just log.
  if (security::WafRules* waf = w_.waf_for(who_.listener_index)) {
    security::WafVerdict verdict;
    std::string_view path;
    std::string_view query;
    split_target(head.target, path, query);
    waf->inspect_path(path, verdict);
    waf->inspect_query(query, verdict);
    for (const Header& h : head.headers()) waf->inspect_header(h.name, h.value, verdict);
    // The body is inspected before it is forwarded (inspect_body(), once it has arrived).
    if (verdict.matched()) record_waf(x, verdict, "head");
    if (verdict.block != nullptr) {
      a.status = 403;
      a.close = close;
      a.consume = true;
      return a;
    }
  }

  // Route: the first rule whose conditions all hold, else the default action.
  RequestFacts facts;
  facts.method = head.method;
  facts.host = host_without_port(head.host());
  split_target(head.target, facts.path, facts.query);
  facts.headers = head.headers();
  facts.family = who_.family;
  facts.address = who_.address;
  RouteTarget& route = w_.routes[who_.listener_index].route(facts);
  x.rule = route.rule_name;
  const config::Action& chosen = *route.action;
  if (chosen.kind != config::Action::Kind::forward) {
    a.close = close;
    a.consume = true;
    if (chosen.kind == config::Action::Kind::redirect) {
      RedirectRequest request{who_.secure ? "https" : "http", facts.host, l.listen.port(), facts.path, facts.query};
      if (const std::string_view full_host = head.host(); full_host.size() > facts.host.size() + 1) {
        // The port the client used (Host: name:port) is the request's port.
        const auto port_text = full_host.substr(facts.host.size() + 1);
        uint32_t port = 0;
        for (char ch : port_text) port = ch >= '0' && ch <= '9' ? port * 10 + static_cast<uint32_t>(ch - '0') : 1u << 20;
        if (port > 0 && port < 65536) request.port = static_cast<uint16_t>(port);
      }
      a.location = "Location: " + redirect_location(chosen.redirect, request) + "\r\n";
      a.status = static_cast<uint16_t>(chosen.redirect.status);
    } else {
      a.fixed = &chosen.fixed_response;
      a.status = static_cast<uint16_t>(chosen.fixed_response.status);
    }
    return a;
  }
  x.group_index = route.split.next();
  if (x.group_index < 0) {
    a.status = 503;
    a.close = !x.body_done || !x.client_keep_alive;
    a.consume = true;
    return a;
  }

  find_sticky_target(x, head);
  if (const auto& key_source = snapshot_->groups[static_cast<size_t>(x.group_index)].key_source; key_source.hashes()) {
    const HeadPickKeys pick_keys(head);
    x.pick_hash = upstream::pick_hash(
        key_source, {.client = upstream::ClientAddress::from_bytes(who_.family, who_.address), .request = &pick_keys});
  }
  return a;
}

// A client that takes none of it for send_timeout is dropped (slow read), as nginx's send_timeout.
asio::awaitable<bool> ExchangeDriver::write_client(std::string_view a, std::string_view b) {
  deadline_.arm(listener().send_timeout.count(), &client_);
  const asio::error_code ec = co_await client_.write(a, b);
  deadline_.disarm();
  co_return !ec;
}

asio::awaitable<bool> ExchangeDriver::respond(uint16_t status, bool close, Exchange* exchange,
                                              std::string_view extra_headers, std::string_view content_type,
                                              std::string_view body, bool use_default_body) {
  char storage[2048];
  std::unique_ptr<char[]> large;
  char* data = storage;
  size_t capacity = sizeof storage;
  if (body.size() + extra_headers.size() + 512 > capacity) {
    capacity = body.size() + extra_headers.size() + 512;
    large = std::make_unique<char[]>(capacity);
    data = large.get();
  }
  HeadWriter out(data, capacity);
  const bool head_request = exchange != nullptr && exchange->method_id == Method::head;
  write_canned_response(out, status, close, extra_headers,
                        content_type.empty() ? std::string_view("text/plain; charset=utf-8") : content_type, body,
                        head_request, use_default_body);
  if (exchange != nullptr) {
    exchange->status = status;
    exchange->bytes_out += out.size();
  }
  const bool written = co_await write_client(out.view());
  if (!written) {
    client_.close();
    co_return false;
  }
  if (close) {
    co_await side_.linger_close();
    co_return false;
  }
  co_return true;
}

// Counts and logs the rules that fired (the log within the security budget).
void ExchangeDriver::record_waf(const Exchange& x, const security::WafVerdict& verdict, std::string_view part) {
  const security::ListenerGuard* guard = w_.any_guard(who_.listener_index);
  if (guard == nullptr) return;
  const auto client = client_address();
  for (const security::WafRule* rule : {verdict.log, verdict.block}) {
    if (rule == nullptr) continue;
    auto line = w_.guards->record(*guard, rule->block ? security::Event::waf_blocked : security::Event::waf_logged,
                                  client);
    if (line.enabled()) {
      line.field("rule", rule->id).field("message", rule->message).field("method", x.method.view())
          .field("path", x.path.view()).field("part", part)
          .field("request_id", std::string_view(x.request_id, sizeof x.request_id)).emit();
    }
  }
}

}  // namespace fulcrum::http
