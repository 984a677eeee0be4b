#pragma once
// The authoritative responder's I/O: UDP and TCP on `dns.listen`, on a thread of its own (the
// control side of the process, DESIGN.md § Process model, kept off the control loop so a query
// flood cannot delay health checks or reloads). It answers from the upstream snapshot the
// control thread posts to it, the same one the workers read.
//
// UDP: wait for readiness, drain with recvmmsg() in batches, answer the batch with one
// sendmmsg(). Malformed queries are dropped and counted (never answered: a FORMERR to a forged
// source is a reflection). TCP (RFC 7766): length-prefixed messages, several per connection,
// idle connections closed after kTcpIdle, at most kMaxTcpConnections at once.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "config/config.hpp"
#include "dns/authority.hpp"
#include "dns/message.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::dns {

struct DnsCounters {
  std::atomic<uint64_t> queries_udp{0};
  std::atomic<uint64_t> queries_tcp{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> truncated{0};  // answered with TC set
  std::atomic<uint64_t> nxdomain{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> failed_open{0};  // no healthy site: answered with every target of one
};

class DnsServer {
 public:
  static constexpr std::chrono::seconds kTcpIdle{10};
  static constexpr uint32_t kMaxTcpConnections = 256;

  DnsServer() = default;
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Binds UDP and TCP on `listen`; false with `error` set when it cannot.
  // `inherited_udp`/`inherited_tcp`: already bound (and listening) descriptors to serve instead
  // (a hot upgrade's sockets).
  bool bind(const core::Endpoint& listen, std::string& error, int inherited_udp = -1, int inherited_tcp = -1);
  // The sockets, handed to a hot upgrade's successor.
  int udp_handle() { return udp_.native_handle(); }
  int tcp_handle() { return tcp_.native_handle(); }
  // Serves from `snapshot` (and its config's dns section) from now on; callable from any thread.
  void install(std::shared_ptr<const upstream::Snapshot> snapshot);
  void start();
  // Closes the sockets and joins the thread; logs the counters.
  void stop();
  const DnsCounters& counters() const { return counters_; }

 private:
  static constexpr size_t kBatch = 32;
  static constexpr size_t kQueryBuffer = 4096;  // a query longer than this is not one we answer

  void wait_udp();
  void drain_udp();
  // Decodes and answers one message; returns the response length, 0 to stay silent.
  size_t respond(std::span<const uint8_t> packet, const sockaddr* peer, bool over_tcp, std::span<uint8_t> out);
  void accept_tcp();
  void note_malformed(DecodeError error, const sockaddr* peer);

  asio::io_context loop_{1};
  asio::ip::udp::socket udp_{loop_};
  asio::ip::tcp::acceptor tcp_{loop_};
  std::thread thread_;
  std::unique_ptr<Authority> authority_;
  DnsCounters counters_;
  uint32_t tcp_connections_ = 0;
  uint64_t random_state_ = 0x853c49e6748fea9bULL;
  int64_t last_malformed_log_ms_ = 0;
  bool stopped_ = false;

  std::array<mmsghdr, kBatch> messages_{};
  std::array<iovec, kBatch> vectors_{};
  std::array<sockaddr_storage, kBatch> peers_{};
  std::unique_ptr<uint8_t[]> queries_;    // kBatch * kQueryBuffer
  std::unique_ptr<uint8_t[]> responses_;  // kBatch * kOurUdpPayloadSize
  std::array<mmsghdr, kBatch> replies_{};
  std::array<iovec, kBatch> reply_vectors_{};
};

}  // namespace fulcrum::dns
