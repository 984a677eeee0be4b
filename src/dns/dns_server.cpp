#include "dns/dns_server.hpp"

#include <netinet/in.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <cstring>
#include <vector>

#include "balance/mix.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/use_tuple.hpp"

namespace fulcrum::dns {
namespace {

using namespace asio::experimental::awaitable_operators;

ClientLocation location_of(const Query& query, const sockaddr* peer) {
  ClientLocation client;
  if (query.client_subnet) {
    client.family = query.client_subnet->family == 1 ? AF_INET : AF_INET6;
    client.bytes = query.client_subnet->address;
  } else if (peer->sa_family == AF_INET) {
    client.family = AF_INET;
    std::memcpy(client.bytes.data(), &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, 4);
  } else if (peer->sa_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      client.family = AF_INET;
      std::memcpy(client.bytes.data(), v6.s6_addr + 12, 4);
    } else {
      client.family = AF_INET6;
      std::memcpy(client.bytes.data(), v6.s6_addr, 16);
    }
  }
  return client;
}

std::string peer_text(const sockaddr* peer) {
  core::Endpoint endpoint;
  socklen_t length = peer->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&endpoint.storage, peer, length);
  endpoint.length = length;
  return endpoint.to_string();
}

}  // namespace

DnsServer::~DnsServer() { stop(); }

bool DnsServer::bind(const core::Endpoint& listen, std::string& error, int inherited_udp, int inherited_tcp) {
  asio::error_code ec;
  asio::ip::udp::endpoint udp_endpoint;
  std::memcpy(udp_endpoint.data(), listen.address(), listen.length);
  if (inherited_udp >= 0) {
    udp_.assign(udp_endpoint.protocol(), inherited_udp, ec);
  } else {
    udp_.open(udp_endpoint.protocol(), ec);
    if (!ec) udp_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) udp_.bind(udp_endpoint, ec);
  }
  if (!ec) udp_.non_blocking(true, ec);
  if (ec) {
    error = "dns: cannot listen on udp " + listen.to_string() + ": " + ec.message();
    return false;
  }
  asio::ip::tcp::endpoint tcp_endpoint;
  std::memcpy(tcp_endpoint.data(), listen.address(), listen.length);
  if (inherited_tcp >= 0) {
    tcp_.assign(tcp_endpoint.protocol(), inherited_tcp, ec);
  } else {
    tcp_.open(tcp_endpoint.protocol(), ec);
    if (!ec) tcp_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) tcp_.bind(tcp_endpoint, ec);
    if (!ec) tcp_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    error = "dns: cannot listen on tcp " + listen.to_string() + ": " + ec.message();
    return false;
  }
  return true;
}

void DnsServer::install(std::shared_ptr<const upstream::Snapshot> snapshot) {
  asio::post(loop_, [this, snapshot = std::move(snapshot)]() mutable {
    authority_ = std::make_unique<Authority>(std::move(snapshot));
  });
}

void DnsServer::start() {
  queries_ = std::make_unique_for_overwrite<uint8_t[]>(kBatch * kQueryBuffer);
  responses_ = std::make_unique_for_overwrite<uint8_t[]>(kBatch * kOurUdpPayloadSize);
  for (size_t i = 0; i < kBatch; ++i) {
    vectors_[i] = {queries_.get() + i * kQueryBuffer, kQueryBuffer};
    messages_[i].msg_hdr.msg_iov = &vectors_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
    reply_vectors_[i].iov_base = responses_.get() + i * kOurUdpPayloadSize;
    replies_[i].msg_hdr.msg_iov = &reply_vectors_[i];
    replies_[i].msg_hdr.msg_iovlen = 1;
  }
  wait_udp();
  accept_tcp();
  thread_ = std::thread([this] { loop_.run(); });
}

void DnsServer::stop() {
  if (!thread_.joinable()) return;
  asio::post(loop_, [this] {
    stopped_ = true;
    asio::error_code ignored;
    udp_.close(ignored);
    tcp_.close(ignored);
    loop_.stop();  // TCP connections in progress end with the loop
  });
  thread_.join();
  core::LogLine(core::LogLevel::info, "dns.stopped")
      .field("queries_udp", counters_.queries_udp.load())
      .field("queries_tcp", counters_.queries_tcp.load())
      .field("malformed", counters_.malformed.load())
      .field("truncated", counters_.truncated.load())
      .field("nxdomain", counters_.nxdomain.load())
      .field("refused", counters_.refused.load())
      .field("failed_open", counters_.failed_open.load())
      .emit();
}

void DnsServer::wait_udp() {
  udp_.async_wait(asio::socket_base::wait_read, [this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    drain_udp();
    wait_udp();
  });
}

void DnsServer::drain_udp() {
  const int fd = udp_.native_handle();
  for (int round = 0; round < 8; ++round) {
    for (size_t i = 0; i < kBatch; ++i) {
      messages_[i].msg_hdr.msg_name = &peers_[i];
      messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      messages_[i].msg_hdr.msg_flags = 0;
    }
    int received = ::recvmmsg(fd, messages_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (received <= 0) return;
    unsigned answers = 0;
    for (int i = 0; i < received; ++i) {
      const auto* peer = reinterpret_cast<const sockaddr*>(&peers_[i]);
      if (messages_[i].msg_hdr.msg_flags & MSG_TRUNC) {
        note_malformed(DecodeError::trailing_bytes, peer);
        continue;
      }
      std::span<uint8_t> out(static_cast<uint8_t*>(reply_vectors_[answers].iov_base), kOurUdpPayloadSize);
      size_t length = respond({queries_.get() + i * kQueryBuffer, messages_[i].msg_len}, peer, false, out);
      if (length == 0) continue;
      reply_vectors_[answers].iov_len = length;
      replies_[answers].msg_hdr.msg_name = &peers_[i];
      replies_[answers].msg_hdr.msg_namelen = messages_[i].msg_hdr.msg_namelen;
      ++answers;
    }
    if (answers > 0) ::sendmmsg(fd, replies_.data(), answers, MSG_DONTWAIT);
    if (static_cast<size_t>(received) < kBatch) return;
  }
}

void DnsServer::note_malformed(DecodeError error, const sockaddr* peer) {
  counters_.malformed.fetch_add(1, std::memory_order_relaxed);
  int64_t now = core::now_ms();
  if (now - last_malformed_log_ms_ >= 1000) {  // a flood of garbage must not become a flood of logs
    last_malformed_log_ms_ = now;
    core::LogLine(core::LogLevel::warn, "dns.malformed")
        .field("client", peer_text(peer))
        .field("reason", to_string(error))
        .field("total", counters_.malformed.load(std::memory_order_relaxed))
        .emit();
  }
}

size_t DnsServer::respond(std::span<const uint8_t> packet, const sockaddr* peer, bool over_tcp, std::span<uint8_t> out) {
  Query query;
  DecodeError error = decode_query(packet, query);
  if (error != DecodeError::none) {
    note_malformed(error, peer);
    return 0;
  }
  (over_tcp ? counters_.queries_tcp : counters_.queries_udp).fetch_add(1, std::memory_order_relaxed);
  if (!authority_) return 0;
  std::array<Address, kMaxAnswers> scratch;
  random_state_ += balance::kWeylIncrement;
  Decision decision = authority_->decide(query, location_of(query, peer), scratch, balance::mix64(random_state_));
  if (decision.answer.rcode == Rcode::name_error) counters_.nxdomain.fetch_add(1, std::memory_order_relaxed);
  if (decision.answer.rcode == Rcode::refused) counters_.refused.fetch_add(1, std::memory_order_relaxed);
  if (decision.failed_open) counters_.failed_open.fetch_add(1, std::memory_order_relaxed);
  const size_t limit = over_tcp ? 65535 : udp_response_limit(query);
  size_t length = encode_response(query, packet, decision.answer, decision.ecs_scope_prefix, out, limit);
  if (length >= 3 && (out[2] & 0x02)) counters_.truncated.fetch_add(1, std::memory_order_relaxed);
  return length;
}

void DnsServer::accept_tcp() {
  tcp_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (!ec) {
      if (tcp_connections_ >= kMaxTcpConnections) {
        asio::error_code ignored;
        socket.close(ignored);  // resolvers retry elsewhere or later; the bound keeps memory bounded
      } else {
        ++tcp_connections_;
        asio::co_spawn(
            loop_,
            [this, socket = std::move(socket)]() mutable -> asio::awaitable<void> {
              std::vector<uint8_t> in(65535), out(65535 + 2);
              asio::steady_timer idle(loop_);
              asio::error_code peer_ec;
              auto remote = socket.remote_endpoint(peer_ec);
              sockaddr_storage peer{};
              if (!peer_ec) std::memcpy(&peer, remote.data(), remote.size());
              for (;;) {
                uint8_t prefix[2];
                idle.expires_after(kTcpIdle);
                auto got = co_await (asio::async_read(socket, asio::buffer(prefix), use_tuple) || idle.async_wait(use_tuple));
                if (got.index() == 1 || std::get<0>(std::get<0>(got))) break;  // idle, closed or reset
                const size_t length = (size_t{prefix[0]} << 8) | prefix[1];
                idle.expires_after(kTcpIdle);
                auto body = co_await (asio::async_read(socket, asio::buffer(in.data(), length), use_tuple) ||
                                      idle.async_wait(use_tuple));
                if (body.index() == 1 || std::get<0>(std::get<0>(body))) break;
                size_t answer = respond({in.data(), length}, reinterpret_cast<const sockaddr*>(&peer), true,
                                        {out.data() + 2, out.size() - 2});
                if (answer == 0) break;  // malformed: a stream cannot resynchronise after garbage
                out[0] = static_cast<uint8_t>(answer >> 8);
                out[1] = static_cast<uint8_t>(answer);
                auto [write_ec, n] = co_await asio::async_write(socket, asio::buffer(out.data(), answer + 2), use_tuple);
                if (write_ec) break;
              }
              --tcp_connections_;
            },
            asio::detached);
      }
    }
    accept_tcp();
  });
}

}  // namespace fulcrum::dns
