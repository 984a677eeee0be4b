#pragma once
// One worker's side of a `protocol: udp` listener. The worker owns a SO_REUSEPORT datagram
// socket on the listen address; the kernel hashes each client address:port to one of the
// workers' sockets, so a flow lives on one worker and needs no lock. The first datagram of a
// flow picks a target with the group's picker and opens a socket connected to it (its own
// ephemeral port, so the target's replies say which flow they belong to); later datagrams of
// the flow go the same way until it has been idle for the listener's idle_timeout. Replies go
// back to the client from the listener's socket, hence from the address the client sent to.
//
// Syscall economy: both directions wait for readiness and then drain with recvmmsg() in
// batches; replies leave with one sendmmsg() per batch. Nothing is allocated per datagram.
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "balance/picker.hpp"
#include "core/endpoint.hpp"
#include "l4/udp_flow_table.hpp"
#include "l4/worker_context.hpp"
#include "upstream/traffic_stats.hpp"

namespace fulcrum::l4 {

// Per forwarder, single-writer counters (the worker's thread adds without a locked
// instruction); the control thread sums them for GET /metrics.
struct UdpCounters {
  using Counter = upstream::StatCounter;
  Counter datagrams_in;   // client -> target, forwarded
  Counter datagrams_out;  // target -> client, forwarded
  Counter bytes_in;       // of the datagrams_in
  Counter bytes_out;      // received from targets for clients
  Counter flows_created;
  Counter flows_closed;  // for any reason: created - closed are open now
  Counter flows_expired;
  Counter flows_evicted;
  Counter flows_target_unreachable;
  Counter flows_deregistered;  // ended when their target's deregistration delay ran out
  Counter flows_target_unhealthy;  // ended because their target was ejected on traffic
  Counter datagrams_rerouted;      // refused by a closed port (ICMP) and sent to another target
  Counter dropped_no_target;   // no eligible target or no socket for a new flow
  Counter dropped_send;        // a socket buffer was full (UDP: dropped, as a router would)
};

class UdpForwarder {
 public:
  // `socket` is this worker's bound socket of the listener; max_flows is this worker's share.
  UdpForwarder(WorkerContext& context, size_t listener_index, asio::ip::udp::socket socket, uint32_t max_flows);
  ~UdpForwarder();
  UdpForwarder(const UdpForwarder&) = delete;
  UdpForwarder& operator=(const UdpForwarder&) = delete;

  // Starts receiving (call on the worker's thread, or before the worker runs).
  void start();
  // Closes the listener socket and every flow (worker's thread).
  void stop();
  // Ends the flows to `target` (identified by its TrafficOutcomes, as the snapshot's TargetInfo
  // has it) because its deregistration delay ran out; returns how many (worker's thread).
  size_t close_target(const upstream::TrafficOutcomes* target);
  const UdpCounters& counters() const { return counters_; }
  int native_handle() { return socket_.native_handle(); }  // handed to a hot upgrade's successor

 private:
  struct Flow {
    explicit Flow(asio::io_context& loop) : upstream(loop) {}
    asio::ip::udp::socket upstream;
    sockaddr_storage client{};
    socklen_t client_length = 0;
    std::shared_ptr<balance::TargetCounters> target_counters;  // its `active` counts this flow
    const upstream::TargetInfo* target = nullptr;               // valid while `snapshot` lives
    std::shared_ptr<const upstream::Snapshot> snapshot;         // what the flow started with
    int group_index = -1;
    int64_t started_ms = 0;
    int64_t started_us = 0;  // the flow's first datagram: least_response_time times its first reply
    uint64_t datagrams_in = 0, datagrams_out = 0, bytes_in = 0, bytes_out = 0;
    // The flow's first datagram (up to kReplayLimit bytes) until the target answers, so that a
    // target whose port turns out closed (ICMP) costs the client nothing: it goes to another
    // target. Kept with the slot, so its capacity is reused by the slot's next flows.
    std::string unanswered;
    // Targets this client's datagram was sent to and that refused it (at most kMaxAttempts).
    std::array<const balance::TargetCounters*, 4> refused_by{};
    uint32_t attempts = 0;
    uint64_t checked_version = 0;  // the snapshot version still_served last looked at
  };
  static constexpr size_t kReplayLimit = 1500;
  static constexpr uint32_t kMaxAttempts = 4;

  void wait_client();
  void drain_client();
  void forward(const sockaddr* client, socklen_t client_length, const char* data, size_t size, int64_t now_ms);
  // A new flow for `client` on a target of the current snapshot, avoiding `refused_by` (targets
  // that refused this client's datagram); kNone when none is left.
  uint32_t open_flow(const FlowKey& key, const sockaddr* client, socklen_t client_length, int64_t now_ms,
                     std::span<const balance::TargetCounters* const> refused_by = {});
  // Whether the flow's target may still take its datagrams: it was not ejected on traffic in the
  // current snapshot. A target that only fails its checks keeps its flows (its UDP service may
  // still answer; HAProxy and nginx keep sessions too), and a draining one keeps them until
  // deregistration_delay. Looked up once per snapshot change per flow.
  bool still_served(Flow& flow);
  // The flow's target refused its first datagram before any answer: sends that datagram to
  // another target on a new flow, up to max_connect_attempts in all. False when it cannot.
  bool reroute_unanswered(uint32_t slot);
  void wait_target(uint32_t slot);
  void drain_target(uint32_t slot);
  void close_flow(uint32_t slot, const char* reason);
  void schedule_sweep();
  void sweep();
  std::chrono::milliseconds idle_timeout() const;

  WorkerContext& context_;
  size_t listener_index_;
  asio::ip::udp::socket socket_;
  asio::steady_timer sweep_timer_;
  UdpFlowTable table_;
  std::vector<std::unique_ptr<Flow>> flows_;  // by slot; created on first use, then reused
  // One batch of receive buffers shared by both directions (they never run at once). Sized for
  // the largest datagram but never written through: pages a small datagram does not reach are
  // never backed by memory.
  static constexpr size_t kBatch = 16;
  static constexpr size_t kMaxDatagram = 65536;
  std::unique_ptr<char[]> batch_;
  std::array<mmsghdr, kBatch> messages_{};
  std::array<iovec, kBatch> vectors_{};
  std::array<sockaddr_storage, kBatch> sources_{};
  bool stopped_ = false;
  UdpCounters counters_;
};

}  // namespace fulcrum::l4
