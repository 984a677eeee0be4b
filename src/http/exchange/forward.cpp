// The request toward a target: pick and connect (pooled or new), send the rewritten head and
// the body, read the response head; on the way, the retries the client never sees
// (docs/configuration.md § Retries). Works on the target as a ByteStream behind a
// TargetConnector, so it does not care what carries either side.
#include <algorithm>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/exchange/exchange_driver.hpp"
#include "http/h1/head_writer.hpp"
#include "http/h1/response_parser.hpp"

namespace fulcrum::http {

asio::awaitable<ConnectFailure> ExchangeDriver::connect(Exchange& x, bool allow_pool, bool same_target) {
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  const uint32_t max_attempts = std::min<uint32_t>(group.config->max_connect_attempts, kMaxConnectAttempts);
  for (;;) {
    // Our indexes belong to snapshot_; after a health change the request goes on picking from
    // it (WorkerUpstreams::picker_for). A reload's new configuration may have moved the group: 502.
    balance::Picker* picker = w_.upstreams.picker_for(*snapshot_, static_cast<size_t>(x.group_index), x.own_picker);
    if (picker == nullptr) {
      x.failure = ConnectFailure::reconfigured;
      break;
    }
    balance::PickRequest request;
    request.hash = x.pick_hash;
    request.now_ms = core::now_ms();
    request.avoid = std::span<const uint32_t>(x.avoid.data(), x.attempts);
    std::optional<uint32_t> picked;
    if (same_target) {
      // A pooled connection the target had closed: the same target on a fresh connection, not a
      // retry (the target did nothing wrong), so no attempt and no budget is spent.
      same_target = false;
      picked = static_cast<uint32_t>(x.target_index);
      --x.attempts;
    } else if (x.attempts >= max_attempts) {
      break;
    } else if (x.attempts > 0 && x.target_saw_request &&
               !x.budgeted.allow_retry()) {
      core::LogLine(core::LogLevel::debug, "http.retry_budget_spent")
          .field("listener", listener().name)
          .field("group", group.name())
          .emit();
      break;
    } else if (x.sticky_target >= 0 && x.attempts == 0) {
      picked = static_cast<uint32_t>(x.sticky_target);
    } else {
      picked = picker->pick(request);
      if (x.sticky_target >= 0 || group.config->stickiness.type == config::StickinessType::lb_cookie) {
        x.issue_cookie = true;  // the sticky target failed to connect: the client moves, and is told
      }
    }
    if (!picked) break;
    x.avoid[x.attempts++] = *picked;
    const auto& target = group.targets[*picked];
    if (x.attempts > 1 && target.stats) target.stats->local().retries.add();
    x.target_index = static_cast<int>(*picked);
    x.in_flight = InFlight(target.counters.get());
    if (allow_pool && group.config->keepalive_connections > 0) {
      if (x.target.take_pooled(group, target, request.now_ms, x.replayable)) {
        x.reused = true;
        x.connect_us = 0;
        x.registered.emplace(w_.upstreams.sessions(), target.outcomes.get(), -1, x.target.stream().native_handle());
        co_return ConnectFailure::none;
      }
    }
    x.reused = false;
    const int64_t started = core::now_us();
    x.drop_target();
    const DialResult result = co_await x.target.dial(static_cast<size_t>(x.group_index), group, target, deadline_);
    if (result.tcp_connected && target.stats) target.stats->local().connections_opened.add();
    x.connect_us = core::now_us() - started;
    if (!result.error) {
      x.registered.emplace(w_.upstreams.sessions(), target.outcomes.get(), -1, x.target.stream().native_handle());
      co_return ConnectFailure::none;
    }
    connect_failed(x, group, target, result);
    x.drop_target();  // after the log: its reason may point into the TLS connection
  }
  x.in_flight.release();
  co_return x.failure;
}

void ExchangeDriver::connect_failed(Exchange& x, const upstream::GroupSnapshot& group,
                                  const upstream::TargetInfo& target, const DialResult& dial) {
  const ConnectFailure failure =
      dial.error == asio::error::timed_out ? ConnectFailure::timeout : ConnectFailure::refused;
  x.failure = failure;
  x.target_saw_request = false;
  x.outcome = failure == ConnectFailure::timeout ? TargetOutcome::connect_timeout : TargetOutcome::connect_refused;
  if (target.stats) target.stats->local().connect_errors.add();
  report_target_outcome(group, target, x.outcome, 0, x.connect_us, core::now_us());
  core::LogLine(core::LogLevel::warn, dial.tls_failed ? "http.target_tls_failed" : "http.connect_failed")
      .field("listener", listener().name)
      .field("group", group.name())
      .field("target", target.address_text)
      .field("reason", failure == ConnectFailure::timeout ? std::string_view("connect timeout") : dial.reason)
      .emit();
}

void ExchangeDriver::write_failed(Exchange& x, const upstream::GroupSnapshot& group,
                                  const upstream::TargetInfo& target) {
  x.outcome = TargetOutcome::failed;
  report_target_outcome(group, target, x.outcome, 0, -1, core::now_us());
}

bool ExchangeDriver::retry_after(Exchange& x, AttemptFailure failure) const {
  x.failure = failure == AttemptFailure::timed_out ? ConnectFailure::timeout : ConnectFailure::refused;
  x.target_saw_request = failure != AttemptFailure::not_sent;
  // Only a request that can be sent again whole: in the buffer, or its streamed body kept.
  if (!x.replayable) return false;
  const auto& group = *snapshot_->groups[static_cast<size_t>(x.group_index)].config;
  // Some of the body may have reached the target: a large one is not sent twice.
  if (std::max<size_t>(x.buffered_body, x.replay.size()) > group.retry_body_limit) return false;
  switch (failure) {
    case AttemptFailure::not_sent: return true;  // nothing reached the target: any method
    case AttemptFailure::no_response: return x.idempotent;  // it may have acted on it
    case AttemptFailure::timed_out: return x.idempotent && group.retry_on_timeout;
  }
  return false;
}

// Sends the request and relays the response. Returns whether the client connection may serve
// another request. Every path answers the client (or closes it) before returning.
asio::awaitable<bool> ExchangeDriver::forward(Exchange& x) {
  const auto& l = listener();
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  // The body bytes that came with the head; kept in place until the target has answered, so a
  // request whose whole body came with it can be replayed on a fresh connection.
  const size_t body_begin = in_.begin;
  const size_t saved_end = in_.end;
  const size_t buffered = x.buffered_body;
  RecvBuffer tin;  // the target's bytes
  ResponseHead response(std::span<Header>(w_.header_scratch));
  ResponseParser response_parser(limits_of(l));
  ParseResult head_result;
  bool allow_pool = true;
  bool same_target = false;
  int64_t sent_us = 0;
  x.budgeted.reset(group.retry_budget.get(), group.config->retry_budget_percent);

  for (int round = 0;; ++round) {
    if (round > 0 && !x.replay_started) {
      in_.begin = body_begin;
      in_.end = saved_end;
    }
    ConnectFailure failure = co_await connect(x, allow_pool, same_target);
    same_target = false;
    if (failure != ConnectFailure::none) {
      const uint16_t status = failure == ConnectFailure::no_target ? 503
                              : failure == ConnectFailure::timeout ? 504
                                                                   : 502;
      co_return co_await respond(status, !x.body_done || x.close_after || !x.client_keep_alive, &x);
    }
    const auto& target = group.targets[static_cast<size_t>(x.target_index)];
    const bool may_replay = x.reused && x.replayable && round == 0;
    // The head and the body bytes that came with it, in one write (on a retry of a streamed
    // body: the head and every body byte sent so far).
    const std::string_view body_so_far = x.replay_started ? std::string_view(x.replay.data(), x.replay.size())
                                                          : std::string_view(in_.data + body_begin, buffered);
    deadline_.arm(l.idle_timeout.count(), &x.target.stream());
    const asio::error_code write_ec = co_await x.target.stream().write(x.out_head, body_so_far);
    deadline_.disarm();
    if (write_ec) {
      x.drop_target();
      if (may_replay) {
        allow_pool = false;  // a pooled connection died under us: once more on a fresh one
        same_target = true;
        continue;
      }
      write_failed(x, group, target);
      if (retry_after(x, AttemptFailure::not_sent)) continue;  // nothing was answered: another target
      co_return co_await respond(502, true, &x);
    }
    if (!x.replay_started) in_.consume(buffered);
    if (!x.body_done && !x.replay_started && x.replayable) {
      // The body streams from here: keep what was sent so far while it may still be replayed.
      x.replay_started = true;
      const uint64_t known_size = x.framing == BodyFraming::content_length ? buffered + x.length_body.remaining() : buffered;
      if (known_size <= group.config->retry_body_limit) {
        x.replay.assign(in_.data + body_begin, in_.data + body_begin + buffered);
      } else {
        x.replayable = false;
      }
    }
    if (x.expect_continue && !x.continue_sent && !x.body_done && round == 0) {
      // The target is connected and has the head: the client may send its body now. (Expect is
      // not forwarded; answering it here keeps the body streaming in one direction at a time.)
      constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      x.bytes_out += kContinue.size();
      if (!co_await write_client(kContinue)) {
        x.drop_target();
        co_return false;
      }
    }
    // The rest of the body, streamed as it arrives.
    bool resend = false;  // a body write failed and the request goes to another target
    const uint32_t min_rate = l.security.min_body_rate;
    const int64_t body_started_ms = min_rate != 0 ? core::now_ms() : 0;
    uint64_t body_read = 0;
    while (!x.body_done) {
      if (in_.empty()) {
        in_.begin = in_.end = 0;
        int64_t wait_ms = l.idle_timeout.count();
        bool rate_bound = false;
        if (min_rate != 0) {
          // security.min_body_rate (slow POST): after a one-second grace, the next byte is due
          // by the time the bytes so far would have taken at the minimum rate.
          const int64_t due = body_started_ms + 1000 + static_cast<int64_t>((body_read + 1) * 1000 / min_rate);
          const int64_t left = std::max<int64_t>(due - core::now_ms(), 1);
          if (left < wait_ms) {
            wait_ms = left;
            rate_bound = true;
          }
        }
        deadline_.arm(wait_ms, &client_);
        auto [read_ec, n] = co_await client_.read_some(in_.free_space(), in_.free_size());
        deadline_.disarm();
        if (read_ec) {
          x.drop_target();
          if (deadline_.expired() && rate_bound) {
            if (const security::ListenerGuard* guard = w_.any_guard(who_.listener_index)) {
              auto line = w_.guards->record(*guard, security::Event::body_too_slow,
                                            client_address());
              if (line.enabled()) line.field("min_body_rate", min_rate).field("body_bytes", body_read).emit();
            }
            co_return co_await respond(408, true, &x);
          }
          // The client went away or stalled mid-body: nobody is left to answer.
          x.status = deadline_.expired() ? 408 : 499;
          co_return false;
        }
        in_.end += n;
        x.bytes_in += n;
        body_read += n;
      }
      size_t take;
      if (x.framing == BodyFraming::chunked) {
        ChunkedResult r = x.chunked.feed(in_.view());
        if (r.error()) {
          x.drop_target();
          x.desync = r.reason;
          x.tier = tier_of(r.reason);
          co_return co_await respond(r.error_status, true, &x);
        }
        take = r.consumed;
        x.body_done = r.done();
        if (l.max_body_bytes > 0 && x.chunked.payload_bytes() > l.max_body_bytes) {
          x.drop_target();
          co_return co_await respond(413, true, &x);
        }
      } else {
        take = x.length_body.feed(in_.size());
        x.body_done = x.length_body.done();
      }
      deadline_.arm(l.idle_timeout.count(), &x.target.stream());
      const asio::error_code body_ec = co_await x.target.stream().write(std::string_view(in_.data + in_.begin, take));
      deadline_.disarm();
      // What was decoded is part of the body now, sent or not: kept for a replay, or the body
      // can no longer be replayed once it outgrows retry_body_limit.
      if (x.replayable && x.replay_started) {
        if (x.replay.size() + take <= group.config->retry_body_limit) {
          x.replay.insert(x.replay.end(), in_.data + in_.begin, in_.data + in_.begin + take);
        } else {
          x.replayable = false;
          std::vector<char>().swap(x.replay);
        }
      }
      in_.consume(take);
      if (body_ec) {
        x.drop_target();
        write_failed(x, group, target);
        resend = retry_after(x, AttemptFailure::not_sent);
        if (resend) break;  // the write failed: another target
        co_return co_await respond(502, true, &x);
      }
    }
    if (resend) continue;
    sent_us = core::now_us();

    // The response head (after any interim 1xx).
    tin.ensure(w_.buffers);
    tin.begin = tin.end = 0;
    response_parser.reset();
    bool retry = false;
    bool retry_elsewhere = false;
    for (;;) {
      head_result = tin.empty() ? ParseResult::more() : response_parser.parse(tin.view(), response, x.method_id);
      if (head_result.complete()) {
        if (!response.interim()) break;
        // 100 Continue / 103 Early Hints: passed on (not to HTTP/1.0 clients), then the real one.
        if (!x.client_http10) {
          char storage[4096];
          HeadWriter out(storage, sizeof storage);
          write_response_head(out, response, ResponseForwarding{});
          if (!out.overflowed()) {
            x.bytes_out += out.size();
            if (!co_await write_client(out.view())) {
              x.drop_target();
              co_return false;
            }
          }
        }
        tin.consume(head_result.head_size);
        continue;
      }
      if (head_result.error()) {
        x.outcome = TargetOutcome::bad_response;
        report_target_outcome(group, target, x.outcome, 0, core::now_us() - sent_us, core::now_us());
        x.drop_target();
        core::LogLine(core::LogLevel::warn, "http.bad_response")
            .field("listener", l.name)
            .field("target", target.address_text)
            .field("reason", to_string(head_result.reason))
            .emit();
        co_return co_await respond(502, x.close_after || !x.client_keep_alive, &x);
      }
      if (tin.full()) {
        if (tin.begin > 0) {
          tin.compact();
        } else if (tin.capacity < l.max_header_bytes + 1024u) {
          tin.grow(l.max_header_bytes + 1024u);
        }
      }
      deadline_.arm(l.response_timeout.count(), &x.target.stream());
      auto [read_ec, n] = co_await x.target.stream().read_some(tin.free_space(), tin.free_size());
      deadline_.disarm();
      if (read_ec) {
        const bool nothing_yet = x.first_byte_us < 0;
        x.drop_target();
        if (deadline_.expired()) {
          x.outcome = TargetOutcome::timed_out;
          report_target_outcome(group, target, x.outcome, 0, core::now_us() - sent_us, core::now_us());
          if (nothing_yet && retry_after(x, AttemptFailure::timed_out)) {
            retry_elsewhere = true;  // retry_on_timeout: another target, the client unaware
            break;
          }
          co_return co_await respond(504, true, &x);
        }
        if (nothing_yet && may_replay) {
          retry = true;  // the target closed an idle connection just as we reused it
          break;
        }
        x.outcome = TargetOutcome::failed;
        report_target_outcome(group, target, x.outcome, 0, core::now_us() - sent_us, core::now_us());
        if (nothing_yet && retry_after(x, AttemptFailure::no_response)) {
          // The target dropped the request unanswered: another target (the failed one stays in
          // the avoid list), the client unaware.
          retry_elsewhere = true;
          break;
        }
        co_return co_await respond(502, true, &x);
      }
      if (x.first_byte_us < 0) x.first_byte_us = core::now_us() - sent_us;
      tin.end += n;
    }
    if (retry) {
      allow_pool = false;
      same_target = true;
      continue;
    }
    if (retry_elsewhere) {
      x.first_byte_us = -1;
      continue;
    }
    break;
  }

  co_return co_await relay_response(x, tin, response, head_result.head_size);
}

}  // namespace fulcrum::http
