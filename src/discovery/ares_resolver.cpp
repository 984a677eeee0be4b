#include "discovery/ares_resolver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <asio/post.hpp>
#include <chrono>
#include <cstring>
#include <mutex>

namespace fulcrum::discovery {
namespace {

// c-ares wants one library init per process before the first channel (a no-op on Linux in
// 1.18, but required by its contract).
void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

}  // namespace

std::string QueryResult::error() const { return ares_strerror(status); }

std::unique_ptr<AresResolver> AresResolver::create(asio::io_context& loop, const config::ResolverConfig& config,
                                                   std::string& error) {
  init_library_once();
  std::unique_ptr<AresResolver> resolver(new AresResolver(loop));
  ares_options options{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ |
             ARES_OPT_ROTATE;
  options.sock_state_cb = &AresResolver::on_socket_state;
  options.sock_state_cb_data = resolver.get();
  options.timeout = static_cast<int>(config.timeout.count());  // per query and nameserver
  // Each nameserver is tried twice in turn before the query fails: a lost datagram on a healthy
  // server should not count as a failed resolution.
  options.tries = 2;
  // EDNS0 with a 1232-byte buffer (DNS flag day 2020); names are absolute, so no search list.
  options.flags = ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH;
  options.ednspsz = 1232;
  if (int rc = ares_init_options(&resolver->channel_, &options, mask); rc != ARES_SUCCESS) {
    error = std::string("c-ares cannot start: ") + ares_strerror(rc);
    return nullptr;
  }
  if (!config.nameservers.empty()) {
    std::vector<ares_addr_port_node> nodes(config.nameservers.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      const auto& server = config.nameservers[i];
      auto& node = nodes[i];
      node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
      node.family = server.family();
      if (node.family == AF_INET) {
        std::memcpy(&node.addr.addr4, &reinterpret_cast<const sockaddr_in*>(server.address())->sin_addr, 4);
      } else {
        std::memcpy(&node.addr.addr6, &reinterpret_cast<const sockaddr_in6*>(server.address())->sin6_addr, 16);
      }
      node.udp_port = server.port();
      node.tcp_port = server.port();
    }
    if (int rc = ares_set_servers_ports(resolver->channel_, nodes.data()); rc != ARES_SUCCESS) {
      error = std::string("c-ares refuses the nameservers: ") + ares_strerror(rc);
      return nullptr;
    }
  }
  return resolver;
}

AresResolver::~AresResolver() {
  *alive_ = false;
  destroying_ = true;
  timer_.cancel();
  // ares_destroy ends every query (ARES_EDESTRUCTION) and closes its sockets, calling
  // on_socket_state for each: the descriptors must still be ours to release then.
  if (channel_ != nullptr) ares_destroy(channel_);
  for (auto& [fd, socket] : sockets_) {
    if (socket.descriptor) (void)socket.descriptor->release();
  }
}

std::vector<std::string> AresResolver::nameservers() const {
  std::vector<std::string> out;
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(channel_, &servers) != ARES_SUCCESS) return out;
  for (auto* node = servers; node != nullptr; node = node->next) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(node->family, &node->addr, text, sizeof text);
    const int port = node->udp_port != 0 ? node->udp_port : 53;
    out.push_back(node->family == AF_INET6 ? "[" + std::string(text) + "]:" + std::to_string(port)
                                           : std::string(text) + ":" + std::to_string(port));
  }
  ares_free_data(servers);
  return out;
}

void AresResolver::query(const std::string& name, uint16_t type, Callback done) {
  auto* pending = new Pending{this, std::move(done)};
  ares_query(channel_, name.c_str(), 1 /* class IN */, type, &AresResolver::on_answer, pending);
  arm_timer();
}

void AresResolver::on_answer(void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  AresResolver* self = pending->self;
  if (self->destroying_) return;  // the resolver goes away: nobody waits for this answer
  QueryResult result;
  result.status = status;
  if (answer != nullptr && length > 0) result.answer.assign(answer, answer + length);
  asio::post(self->loop_, [alive = self->alive_, done = std::move(pending->done), result = std::move(result)]() mutable {
    if (*alive) done(std::move(result));
  });
}

void AresResolver::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<AresResolver*>(data);
  auto it = self->sockets_.find(fd);
  if (readable == 0 && writable == 0) {
    // c-ares closes the socket right after this: release it from Asio first (which ends our
    // waits with operation_aborted; their handlers see the generation change).
    if (it != self->sockets_.end()) {
      if (it->second.descriptor) (void)it->second.descriptor->release();
      self->sockets_.erase(it);
    }
    return;
  }
  if (self->destroying_) return;
  if (it == self->sockets_.end()) {
    Socket socket;
    socket.descriptor = std::make_unique<asio::posix::stream_descriptor>(self->loop_, fd);
    socket.generation = self->next_generation_++;
    it = self->sockets_.emplace(fd, std::move(socket)).first;
  }
  it->second.want_read = readable != 0;
  it->second.want_write = writable != 0;
  self->wait(fd, it->second);
}

void AresResolver::wait(int fd, Socket& socket) {
  const uint64_t generation = socket.generation;
  auto still_ours = [this, fd, generation]() -> Socket* {
    auto it = sockets_.find(fd);
    return it != sockets_.end() && it->second.generation == generation ? &it->second : nullptr;
  };
  if (socket.want_read && !socket.reading) {
    socket.reading = true;
    socket.descriptor->async_wait(asio::posix::descriptor_base::wait_read,
                                  [this, fd, still_ours, alive = alive_](const asio::error_code& ec) {
                                    if (!*alive) return;
                                    Socket* s = still_ours();
                                    if (s == nullptr) return;
                                    s->reading = false;
                                    if (ec) return;
                                    process(fd, ARES_SOCKET_BAD);
                                    if (Socket* again = still_ours()) wait(fd, *again);
                                  });
  }
  if (socket.want_write && !socket.writing) {
    socket.writing = true;
    socket.descriptor->async_wait(asio::posix::descriptor_base::wait_write,
                                  [this, fd, still_ours, alive = alive_](const asio::error_code& ec) {
                                    if (!*alive) return;
                                    Socket* s = still_ours();
                                    if (s == nullptr) return;
                                    s->writing = false;
                                    if (ec) return;
                                    process(ARES_SOCKET_BAD, fd);
                                    if (Socket* again = still_ours()) wait(fd, *again);
                                  });
  }
}

void AresResolver::process(int read_fd, int write_fd) {
  ares_process_fd(channel_, read_fd, write_fd);
  arm_timer();
}

void AresResolver::arm_timer() {
  if (destroying_) return;
  timeval next{};
  if (ares_timeout(channel_, nullptr, &next) == nullptr) {
    timer_.cancel();  // nothing waits for a timeout
    return;
  }
  timer_.expires_after(std::chrono::seconds(next.tv_sec) + std::chrono::microseconds(next.tv_usec));
  timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (ec || !*alive) return;
    process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares ends or retries the queries whose time ran out
  });
}

}  // namespace fulcrum::discovery
