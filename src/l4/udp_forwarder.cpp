#include "l4/udp_forwarder.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "core/clock.hpp"
#include "core/close_shared_socket.hpp"
#include "core/log.hpp"
#include "upstream/passive_report.hpp"
#include "upstream/pick_request.hpp"

namespace fulcrum::l4 {
namespace {

core::Endpoint endpoint_of(const sockaddr* address, socklen_t length) {
  core::Endpoint out;
  std::memcpy(&out.storage, address, length);
  out.length = length;
  return out;
}

bool is_unreachable(int error) { return error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH; }

}  // namespace

UdpForwarder::UdpForwarder(WorkerContext& context, size_t listener_index, asio::ip::udp::socket socket,
                           uint32_t max_flows)
    : context_(context),
      listener_index_(listener_index),
      socket_(std::move(socket)),
      sweep_timer_(context.loop()),
      table_(max_flows),
      flows_(max_flows) {}

UdpForwarder::~UdpForwarder() = default;

void UdpForwarder::start() {
  batch_ = std::make_unique_for_overwrite<char[]>(kBatch * kMaxDatagram);
  for (size_t i = 0; i < kBatch; ++i) {
    vectors_[i] = {batch_.get() + i * kMaxDatagram, kMaxDatagram};
    messages_[i].msg_hdr.msg_iov = &vectors_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
  asio::error_code ignored;
  socket_.non_blocking(true, ignored);
  wait_client();
  schedule_sweep();
}

void UdpForwarder::stop() {
  if (stopped_) return;
  stopped_ = true;
  core::close_shared_socket(socket_);  // a hot upgrade's successor may hold it too
  sweep_timer_.cancel();
  while (table_.oldest() != UdpFlowTable::kNone) close_flow(table_.oldest(), "shutdown");
}

size_t UdpForwarder::close_target(const upstream::TrafficOutcomes* target) {
  size_t closed = 0;
  for (uint32_t slot = 0; slot < flows_.size(); ++slot) {
    const Flow* flow = flows_[slot].get();
    if (flow == nullptr || flow->target == nullptr || flow->target->outcomes.get() != target) continue;
    close_flow(slot, "deregistered");
    ++closed;
  }
  counters_.flows_deregistered += closed;
  return closed;
}

std::chrono::milliseconds UdpForwarder::idle_timeout() const {
  const auto& snapshot = context_.upstreams.snapshot();
  return snapshot ? snapshot->config->listeners[listener_index_].idle_timeout : std::chrono::milliseconds(30000);
}

void UdpForwarder::wait_client() {
  socket_.async_wait(asio::socket_base::wait_read, [this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    drain_client();
    wait_client();
  });
}

void UdpForwarder::drain_client() {
  const int fd = socket_.native_handle();
  // Bounded so that one busy listener cannot starve the worker's other sockets.
  for (int round = 0; round < 8; ++round) {
    for (size_t i = 0; i < kBatch; ++i) {
      messages_[i].msg_hdr.msg_name = &sources_[i];
      messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      messages_[i].msg_hdr.msg_flags = 0;
    }
    int received = ::recvmmsg(fd, messages_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (received <= 0) return;
    const int64_t now_ms = core::now_ms();
    for (int i = 0; i < received; ++i) {
      const auto& header = messages_[i].msg_hdr;
      forward(reinterpret_cast<const sockaddr*>(header.msg_name), header.msg_namelen,
              static_cast<const char*>(vectors_[i].iov_base), messages_[i].msg_len, now_ms);
    }
    if (static_cast<size_t>(received) < kBatch) return;
  }
}

void UdpForwarder::forward(const sockaddr* client, socklen_t client_length, const char* data, size_t size,
                           int64_t now_ms) {
  FlowKey key = FlowKey::of(client);
  uint32_t slot = table_.find(key);
  if (slot != UdpFlowTable::kNone && !still_served(*flows_[slot])) {
    // Its target was ejected on traffic (its port refused datagrams): this one goes to a healthy
    // target instead of into the closed port.
    ++counters_.flows_target_unhealthy;
    close_flow(slot, "target_unhealthy");
    slot = UdpFlowTable::kNone;
  }
  if (slot == UdpFlowTable::kNone) {
    slot = open_flow(key, client, client_length, now_ms);
    if (slot == UdpFlowTable::kNone) {
      ++counters_.dropped_no_target;
      return;
    }
  } else {
    table_.touch(slot, now_ms);
  }
  ssize_t sent = ::send(flows_[slot]->upstream.native_handle(), data, size, MSG_DONTWAIT);
  if (sent < 0 && is_unreachable(errno)) {
    // An ICMP error from an earlier datagram: nobody listens there any more. This datagram goes
    // to another target on a new flow.
    ++counters_.flows_target_unreachable;
    const balance::TargetCounters* refused = flows_[slot]->target_counters.get();
    close_flow(slot, "target_unreachable");
    slot = open_flow(key, client, client_length, now_ms, std::span(&refused, 1));
    if (slot == UdpFlowTable::kNone) {
      ++counters_.dropped_no_target;
      return;
    }
    ++counters_.datagrams_rerouted;
    sent = ::send(flows_[slot]->upstream.native_handle(), data, size, MSG_DONTWAIT);
  }
  if (sent < 0) {
    ++counters_.dropped_send;
    return;
  }
  Flow& flow = *flows_[slot];
  if (flow.datagrams_in == 0 && size <= kReplayLimit) flow.unanswered.assign(data, size);  // the slot's capacity
  ++counters_.datagrams_in;
  counters_.bytes_in += size;
  ++flow.datagrams_in;
  flow.bytes_in += size;
}

bool UdpForwarder::still_served(Flow& flow) {
  const auto& current = context_.upstreams.snapshot();
  if (!current || current->version == flow.checked_version) return true;  // one pointer read per datagram
  flow.checked_version = current->version;
  const int group_index = current->group_index(flow.snapshot->groups[static_cast<size_t>(flow.group_index)].name());
  if (group_index < 0) return true;  // the group left the configuration; its flows end as its targets drain
  const auto& group = current->groups[static_cast<size_t>(group_index)];
  const int index = group.index_of(flow.target_counters.get());
  if (index < 0) return true;  // removed from the group: draining until deregistration_delay (close_target)
  const upstream::TargetInfo& target = group.targets[static_cast<size_t>(index)];
  if (target.status.ejected_on_traffic() && !group.failing_open) return false;
  if (current->config == flow.snapshot->config) {
    // A health change only: the flow follows the newer snapshot, so that the old one can go.
    flow.target = &target;
    flow.group_index = group_index;
    flow.snapshot = current;
  }
  return true;
}

bool UdpForwarder::reroute_unanswered(uint32_t slot) {
  Flow& flow = *flows_[slot];
  if (flow.datagrams_out != 0 || flow.unanswered.empty() || flow.target == nullptr) return false;
  const auto& group = flow.snapshot->groups[static_cast<size_t>(flow.group_index)];
  const uint32_t max_attempts = std::min<uint32_t>(group.config->max_connect_attempts, kMaxAttempts);
  if (flow.attempts >= max_attempts) return false;
  // What the next flow needs of this one, before close_flow resets it.
  std::array<const balance::TargetCounters*, kMaxAttempts> refused_by = flow.refused_by;
  const uint32_t refused_count = flow.attempts;
  refused_by[refused_count] = flow.target_counters.get();
  sockaddr_storage client = flow.client;
  const socklen_t client_length = flow.client_length;
  std::string datagram;
  datagram.swap(flow.unanswered);  // no copy: the buffer moves to the next flow
  ++counters_.flows_target_unreachable;
  close_flow(slot, "target_unreachable");
  const auto* client_address = reinterpret_cast<const sockaddr*>(&client);
  const uint32_t next = open_flow(FlowKey::of(client_address), client_address, client_length, core::now_ms(),
                                  std::span(refused_by.data(), refused_count + 1));
  if (next == UdpFlowTable::kNone) return true;  // no target left: the datagram is lost, as it would be
  Flow& retry = *flows_[next];
  retry.refused_by = refused_by;
  retry.attempts = refused_count + 2;
  if (retry.target != nullptr && retry.target->stats) retry.target->stats->local().retries.add();
  ++counters_.datagrams_rerouted;
  if (::send(retry.upstream.native_handle(), datagram.data(), datagram.size(), MSG_DONTWAIT) < 0) {
    ++counters_.dropped_send;
  } else {
    ++retry.datagrams_in;
    retry.bytes_in += datagram.size();
  }
  retry.unanswered.swap(datagram);
  return true;
}

uint32_t UdpForwarder::open_flow(const FlowKey& key, const sockaddr* client, socklen_t client_length,
                                 int64_t now_ms, std::span<const balance::TargetCounters* const> refused_by) {
  std::shared_ptr<const upstream::Snapshot> snapshot = context_.upstreams.snapshot();
  if (!snapshot || listener_index_ >= context_.listener_splits.size()) return UdpFlowTable::kNone;
  int group_index = context_.listener_splits[listener_index_].next();
  if (group_index < 0) return UdpFlowTable::kNone;
  const auto& group = snapshot->groups[static_cast<size_t>(group_index)];
  const auto& listener = snapshot->config->listeners[listener_index_];
  // As for TCP: the client's address (not its port), so one client IP sticks across flows.
  balance::PickRequest request =
      upstream::make_pick_request(group, {.client = upstream::ClientAddress::from(client)}, now_ms);
  std::array<uint32_t, kMaxAttempts> avoid{};
  size_t avoided = 0;
  for (const auto* refused : refused_by) {
    const int index = group.index_of(refused);
    if (index >= 0 && avoided < avoid.size()) avoid[avoided++] = static_cast<uint32_t>(index);
  }
  request.avoid = std::span<const uint32_t>(avoid.data(), avoided);
  auto picked = context_.upstreams.picker(static_cast<size_t>(group_index)).pick(request);
  if (!picked) {
    int64_t now = core::now_ms();
    if (now - context_.last_accept_error_log_ms >= 1000) {
      context_.last_accept_error_log_ms = now;
      core::LogLine(core::LogLevel::warn, "udp.no_target")
          .field("listener", listener.name)
          .field("client", endpoint_of(client, client_length).to_string())
          .field("group", group.name())
          .emit();
    }
    return UdpFlowTable::kNone;
  }
  const upstream::TargetInfo& target = group.targets[*picked];

  int fd = ::socket(target.address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return UdpFlowTable::kNone;
  if (::connect(fd, target.address.address(), target.address.length) != 0) {
    ::close(fd);
    return UdpFlowTable::kNone;
  }

  if (table_.full()) {
    ++counters_.flows_evicted;
    close_flow(table_.oldest(), "evicted");
  }
  uint32_t slot = table_.insert(key, now_ms);
  if (!flows_[slot]) flows_[slot] = std::make_unique<Flow>(context_.loop());
  Flow& flow = *flows_[slot];
  asio::error_code ec;
  flow.upstream.assign(target.address.family() == AF_INET ? asio::ip::udp::v4() : asio::ip::udp::v6(), fd, ec);
  if (ec) {
    ::close(fd);
    table_.erase(slot);
    return UdpFlowTable::kNone;
  }
  std::memcpy(&flow.client, client, client_length);
  flow.client_length = client_length;
  flow.target_counters = target.counters;
  flow.target_counters->active.fetch_add(1, std::memory_order_relaxed);
  flow.target = &target;
  flow.snapshot = std::move(snapshot);
  flow.group_index = group_index;
  flow.started_ms = now_ms;
  flow.started_us = core::now_us();
  flow.datagrams_in = flow.datagrams_out = flow.bytes_in = flow.bytes_out = 0;
  flow.unanswered.clear();
  flow.attempts = 1;
  flow.checked_version = flow.snapshot->version;
  ++counters_.flows_created;
  wait_target(slot);
  return slot;
}

void UdpForwarder::wait_target(uint32_t slot) {
  uint32_t generation = table_.generation(slot);
  flows_[slot]->upstream.async_wait(asio::socket_base::wait_read, [this, slot, generation](const asio::error_code& ec) {
    if (ec || stopped_ || table_.generation(slot) != generation) return;
    drain_target(slot);
  });
}

void UdpForwarder::drain_target(uint32_t slot) {
  Flow& flow = *flows_[slot];
  const int fd = flow.upstream.native_handle();
  for (int round = 0; round < 8; ++round) {
    for (size_t i = 0; i < kBatch; ++i) {
      messages_[i].msg_hdr.msg_name = nullptr;
      messages_[i].msg_hdr.msg_namelen = 0;
      messages_[i].msg_hdr.msg_flags = 0;
    }
    int received = ::recvmmsg(fd, messages_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (received < 0 && is_unreachable(errno)) {
      // The target's port is closed. A flow it never answered sends its first datagram to
      // another target (as TCP retries a refused connect); one it did answer just ends.
      if (!reroute_unanswered(slot)) {
        ++counters_.flows_target_unreachable;
        close_flow(slot, "target_unreachable");
      }
      return;
    }
    if (received <= 0) break;
    // The same messages now carry the replies to the client: each iovec is trimmed to what
    // arrived, and every one is addressed to the flow's client.
    size_t bytes = 0;
    for (int i = 0; i < received; ++i) {
      vectors_[i].iov_len = messages_[i].msg_len;
      bytes += messages_[i].msg_len;
      messages_[i].msg_hdr.msg_name = &flow.client;
      messages_[i].msg_hdr.msg_namelen = flow.client_length;
    }
    int sent = ::sendmmsg(socket_.native_handle(), messages_.data(), static_cast<unsigned>(received), MSG_DONTWAIT);
    for (int i = 0; i < received; ++i) vectors_[i].iov_len = kMaxDatagram;
    if (sent < received) counters_.dropped_send += static_cast<uint64_t>(received - std::max(sent, 0));
    if (flow.datagrams_out == 0 && flow.target_counters) {
      // A flow's response time runs from its first datagram to the first reply (UDP's
      // least_response_time; the reply's arrival, whatever became of sending it on).
      const int64_t now_us = core::now_us();
      flow.target_counters->record_response_time(
          static_cast<uint32_t>(std::clamp<int64_t>(now_us - flow.started_us, 0, UINT32_MAX)), now_us);
      flow.unanswered.clear();  // answered: nothing to send elsewhere (the capacity stays with the slot)
    }
    if (sent > 0) {
      counters_.datagrams_out += static_cast<uint64_t>(sent);
      flow.datagrams_out += static_cast<uint64_t>(sent);
    }
    flow.bytes_out += bytes;
    counters_.bytes_out += bytes;
    upstream::report_traffic_success(*flow.target);  // reads first: no shared write when all is well
    if (static_cast<size_t>(received) < kBatch) break;
  }
  table_.touch(slot, core::now_ms());
  wait_target(slot);
}

void UdpForwarder::close_flow(uint32_t slot, const char* reason) {
  Flow& flow = *flows_[slot];
  const int64_t now_ms = core::now_ms();
  if (flow.target != nullptr) {
    const auto& group = flow.snapshot->groups[static_cast<size_t>(flow.group_index)];
    if (std::string_view(reason) == "target_unreachable") {
      // Passive health: an ICMP "port unreachable" is UDP's connection refused.
      upstream::report_traffic_failure(group, *flow.target, upstream::TrafficFailure::connect_refused);
    }
    core::LogLine::access("udp.flow")
        .field("listener", flow.snapshot->config->listeners[listener_index_].name)
        .field("client", endpoint_of(reinterpret_cast<const sockaddr*>(&flow.client), flow.client_length).to_string())
        .field("group", group.name())
        .field("target", flow.target->address_text)
        .field("datagrams_in", flow.datagrams_in)
        .field("datagrams_out", flow.datagrams_out)
        .field("bytes_in", flow.bytes_in)
        .field("bytes_out", flow.bytes_out)
        .field("duration_ms", now_ms - flow.started_ms)
        .field("close", reason)
        .emit();
  }
  if (std::string_view(reason) == "idle_timeout") ++counters_.flows_expired;
  ++counters_.flows_closed;
  asio::error_code ignored;
  flow.upstream.close(ignored);
  if (flow.target_counters) flow.target_counters->active.fetch_sub(1, std::memory_order_relaxed);
  flow.target_counters.reset();
  flow.target = nullptr;
  flow.snapshot.reset();
  table_.erase(slot);
}

void UdpForwarder::schedule_sweep() {
  // Checking four times per idle_timeout keeps a flow's lifetime within 25% of it.
  auto period = std::clamp(idle_timeout() / 4, std::chrono::milliseconds(25), std::chrono::milliseconds(1000));
  sweep_timer_.expires_after(period);
  sweep_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    sweep();
    schedule_sweep();
  });
}

void UdpForwarder::sweep() {
  const int64_t now_ms = core::now_ms();
  const int64_t idle_ms = idle_timeout().count();
  for (uint32_t slot = table_.oldest(); slot != UdpFlowTable::kNone; slot = table_.oldest()) {
    if (now_ms - table_.last_active_ms(slot) < idle_ms) break;
    close_flow(slot, "idle_timeout");
  }
}

}  // namespace fulcrum::l4
