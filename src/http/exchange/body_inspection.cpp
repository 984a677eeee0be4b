#include <algorithm>

#include "http/exchange/exchange_driver.hpp"
#include "http/h1/chunked_decoder.hpp"

namespace fulcrum::http {

// The body's pattern rules (security.waf targets: body). Like ModSecurity's request body
// access and AWS WAF's body inspection, the first waf_body_bytes of the body (de-chunked)
// are read and searched before any of it goes to a target; the rest then streams
// uninspected. Reading them is bounded: within client_header_timeout, and at most
// 4 x waf_body_bytes + 16 KiB of raw (chunked) bytes in the connection's buffer. A request
// whose rules block is answered 403 here (and the connection closed when its body is not
// all read).
asio::awaitable<std::optional<bool>> ExchangeDriver::inspect_body(Exchange& x, security::WafRules& waf) {
  const auto& l = listener();
  const size_t wanted = waf.body_bytes();
  const size_t raw_cap = wanted * 4 + 16 * 1024;
  auto payload = [&]() -> uint64_t {
    return x.framing == BodyFraming::chunked ? x.chunked.payload_bytes() : x.buffered_body;
  };
  if (!x.body_done && payload() < wanted) {
    if (x.expect_continue) {
      // The client waits for this before it sends a body we need to see.
      constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      x.bytes_out += kContinue.size();
      if (!co_await write_client(kContinue)) co_return false;
      x.continue_sent = true;
    }
    deadline_.arm(l.client_header_timeout.count(), &client_);
    while (!x.body_done && payload() < wanted) {
      if (in_.full()) {
        if (in_.begin > 0) {
          in_.compact();
        } else if (in_.capacity < raw_cap) {
          in_.grow(std::min(raw_cap, in_.capacity * 2));
        } else {
          break;  // framing bytes filled the cap: inspect the payload that came with them
        }
      }
      auto [ec, n] = co_await client_.read_some(in_.free_space(), in_.free_size());
      if (ec) {
        deadline_.disarm();
        if (deadline_.expired()) {
          co_await respond(408, true, &x);
        } else {
          x.status = 499;  // the client went away mid-body: nobody is left to answer
        }
        co_return false;
      }
      in_.end += n;
      x.bytes_in += n;
      const std::string_view fresh = in_.view().substr(x.buffered_body);
      if (x.framing == BodyFraming::chunked) {
        ChunkedResult r = x.chunked.feed(fresh);
        if (r.error()) {
          deadline_.disarm();
          x.desync = r.reason;
          x.tier = tier_of(r.reason);
          co_await respond(r.error_status, true, &x);
          co_return false;
        }
        x.buffered_body += r.consumed;
        x.body_done = r.done();
        if (l.max_body_bytes > 0 && x.chunked.payload_bytes() > l.max_body_bytes) {
          deadline_.disarm();
          co_await respond(413, true, &x);
          co_return false;
        }
      } else {
        x.buffered_body += x.length_body.feed(fresh.size());
        x.body_done = x.length_body.done();
      }
    }
    deadline_.disarm();
  }

  std::string_view body = in_.view().substr(0, x.buffered_body);
  if (x.framing == BodyFraming::chunked) {
    // The rules search the payload, not the chunk framing (tiny chunks would split a pattern).
    std::string& text = w_.waf_body;
    text.clear();
    ChunkedDecoder decoder;
    while (!body.empty() && text.size() < wanted) {
      ChunkedResult r = decoder.next(body);
      text.append(r.payload.substr(0, wanted - text.size()));
      if (r.consumed == 0 || r.error() || r.done()) break;
      body.remove_prefix(r.consumed);
    }
    body = text;
  }
  security::WafVerdict verdict;
  waf.inspect_body(body, verdict);
  if (!verdict.matched()) co_return std::nullopt;
  record_waf(x, verdict, "body");
  if (verdict.block == nullptr) co_return std::nullopt;
  in_.consume(x.buffered_body);
  const bool close = !x.body_done || x.close_after || !x.client_keep_alive;
  // Kept open only when the whole body was read: the next request can follow.
  co_return co_await respond(403, close, &x);
}


}  // namespace fulcrum::http
