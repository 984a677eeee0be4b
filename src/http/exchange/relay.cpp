// The response relayed to the client: head rewritten (stickiness cookie, hop-by-hop fields),
// body streamed as it arrives, the target connection pooled or closed; after 101, a tunnel.
#include <asio/experimental/awaitable_operators.hpp>

#include "core/clock.hpp"
#include "http/exchange/exchange_driver.hpp"
#include "http/h1/chunked_decoder.hpp"
#include "http/h1/content_length_body.hpp"
#include "http/h1/head_writer.hpp"

namespace fulcrum::http {

// The response after its head: the head rewritten toward the client and the body streamed
// (de-chunked for HTTP/1.0 clients), an upgrade turned into a tunnel, then the target connection
// back to the pool when both sides agree, and the client connection kept or ended.
asio::awaitable<bool> ExchangeDriver::relay_response(Exchange& x, RecvBuffer& tin, ResponseHead& response,
                                                     size_t head_size) {
  const auto& l = listener();
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  const auto& target = group.targets[static_cast<size_t>(x.target_index)];
  x.status = response.status;
  x.outcome = TargetOutcome::response;
  report_target_outcome(group, target, x.outcome, response.status, x.first_byte_us, core::now_us());
  if (response.tunnel || (response.upgrade && !x.upgrade)) {
    // A tunnel nobody asked for is a protocol error of the target.
    x.drop_target();
    co_return co_await respond(502, true, &x);
  }
  if (response.upgrade) {
    ResponseForwarding upgrade;
    upgrade.keep_upgrade = true;
    HeadWriter out(x.out_lease.data(), core::BufferPool::kBufferSize);
    write_response_head(out, response, upgrade);
    tin.consume(head_size);
    if (out.overflowed()) {
      x.drop_target();
      co_return co_await respond(502, true, &x);
    }
    co_await tunnel(x, tin, out.view());
    co_return false;
  }

  // The response head toward the client, rewritten while the parsed views are valid.
  const bool dechunk = x.client_http10 && response.framing == BodyFraming::chunked;
  bool close_client = x.close_after || !x.client_keep_alive || response.framing == BodyFraming::until_close;
  ResponseForwarding forwarding;
  forwarding.close = close_client;
  forwarding.http10_client = x.client_http10;
  forwarding.dechunk = dechunk;
  char cookie[256];
  forwarding.set_cookie = sticky_set_cookie(x, response, cookie);
  const std::string_view rewritten =
      write_head(x, head_size + 4096, [&](HeadWriter& out) { write_response_head(out, response, forwarding); });
  tin.consume(head_size);
  x.bytes_out += rewritten.size();

  // The body: what came with the head goes out in the same write as the head.
  const BodyFraming framing = response.framing;
  ContentLengthBody length_body(response.content_length);
  ChunkedDecoder chunked;
  bool done = framing == BodyFraming::none || (framing == BodyFraming::content_length && response.content_length == 0);
  bool target_ok = true;
  std::string_view head_view = rewritten;
  for (;;) {
    size_t take = 0;
    std::string_view payload;
    if (!done && !tin.empty()) {
      if (framing == BodyFraming::chunked) {
        ChunkedResult r = dechunk ? chunked.next(tin.view()) : chunked.feed(tin.view());
        if (r.error()) {
          target_ok = false;
          break;
        }
        take = r.consumed;
        payload = dechunk ? r.payload : std::string_view(tin.data + tin.begin, take);
        done = r.done();
      } else if (framing == BodyFraming::content_length) {
        take = length_body.feed(tin.size());
        payload = std::string_view(tin.data + tin.begin, take);
        done = length_body.done();
      } else {  // until_close
        take = tin.size();
        payload = tin.view();
      }
    }
    if (!head_view.empty() || !payload.empty()) {
      if (!co_await write_client(head_view, payload)) {
        x.drop_target();
        co_return false;
      }
      x.bytes_out += payload.size();
      head_view = {};
    }
    tin.consume(take);
    if (done) break;
    if (!tin.empty()) continue;  // dechunking: more runs in the buffer
    deadline_.arm(l.response_timeout.count(), &x.target.stream());
    auto [read_ec, n] = co_await x.target.stream().read_some(tin.free_space(), tin.free_size());
    deadline_.disarm();
    if (read_ec) {
      if (framing == BodyFraming::until_close && read_ec == asio::error::eof) break;
      target_ok = false;
      break;
    }
    tin.end += n;
  }
  if (!target_ok) {
    // The body broke off: the client can only learn it from the connection closing early.
    x.outcome = TargetOutcome::failed;
    report_target_outcome(group, target, x.outcome, response.status, -1, core::now_us());
    x.drop_target();
    client_.close();
    co_return false;
  }
  // The target connection goes back to the pool when both sides agree and nothing is left over.
  const bool reusable = response.keep_alive && framing != BodyFraming::until_close && !x.close_after &&
                        tin.empty() && x.body_done && group.config->keepalive_connections > 0;
  x.in_flight.release();
  if (reusable) {
    x.registered.reset();
    x.target.give_back(group, target);
  } else {
    x.drop_target();
  }
  if (close_client) {
    if (in_.empty()) {
      // The client's request was read whole and nothing follows: close at once (lingering is
      // for refusals, where unread bytes could turn the close into a reset).
      side_.end();
    } else {
      co_await side_.linger_close();
    }
    co_return false;
  }
  co_return true;
}
namespace {
// Copies one direction of a tunnel until EOF or error, then passes the EOF on.
asio::awaitable<void> pump(ByteStream& from, ByteStream& to, RecvBuffer& buffer, Deadline& deadline, int64_t idle_ms,
                           uint64_t& total) {
  for (;;) {
    buffer.begin = buffer.end = 0;
    deadline.arm(idle_ms, &from, &to);
    auto [read_ec, n] = co_await from.read_some(buffer.data, buffer.capacity);
    if (read_ec) break;
    if (co_await to.write(std::string_view(buffer.data, n))) break;
    total += n;
  }
  deadline.disarm();
  to.shutdown_send();
}
}  // namespace

// After 101 Switching Protocols: the connection is the application's (WebSocket). Bytes that
// came behind the heads go first, then both directions are copied until both have ended.
asio::awaitable<void> ExchangeDriver::tunnel(Exchange& x, RecvBuffer& tin, std::string_view head) {
  using namespace asio::experimental::awaitable_operators;
  const auto& l = listener();
  if (!co_await write_client(head, tin.view())) {
    x.drop_target();
    co_return;
  }
  x.bytes_out += head.size() + tin.size();
  if (!in_.empty()) {
    const asio::error_code ec = co_await x.target.stream().write(in_.view());
    if (ec) {
      x.drop_target();
      co_return;
    }
  }
  in_.ensure(w_.buffers);
  tin.ensure(w_.buffers);
  Deadline back(w_.deadlines);
  uint64_t up = 0, down = 0;
  // A tunnel can outlive any request: when the target's deregistration delay ends, both sides
  // are shut down (a plain request only loses its target side, and the client hears 502).
  const auto& tunnelled = snapshot_->groups[static_cast<size_t>(x.group_index)].targets[static_cast<size_t>(x.target_index)];
  x.registered.reset();
  x.registered.emplace(w_.upstreams.sessions(), tunnelled.outcomes.get(), client_.native_handle(),
                       x.target.stream().native_handle());
  co_await (pump(client_, x.target.stream(), in_, deadline_, l.idle_timeout.count(), up) &&
            pump(x.target.stream(), client_, tin, back, l.idle_timeout.count(), down));
  in_.begin = in_.end = 0;
  x.bytes_in += up;
  x.bytes_out += down;
  x.drop_target();
  client_.close();
}

}  // namespace fulcrum::http
