// Server: binding listeners (at start, and the ones a reload adds) and starting to accept.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "core/log.hpp"
#include "http/session/proxy_session.hpp"
#include "runtime/address_in_use.hpp"
#include "runtime/listening_socket.hpp"
#include "runtime/server.hpp"

namespace fulcrum::runtime {

bool Server::bind_listeners(std::string& error) {
  // Every address is probed before any is bound, so that listeners of this file that overlap
  // (0.0.0.0:80 and 127.0.0.1:80, which SO_REUSEPORT allows) do not read as another process.
  // A hot upgrade skips it: the process it replaces holds the ports on purpose.
  if (!inherited_) {
    for (const auto& listener : config_->listeners) {
      const bool udp = listener.protocol == config::ListenerProtocol::udp;
      if (auto reason = address_in_use(listener.listen, udp)) {
        error = "listener '" + listener.name + "': cannot listen on " + (udp ? "udp " : "") +
                listener.listen.to_string() + ": " + *reason;
        return false;
      }
    }
  }
  for (const auto& listener : config_->listeners) {
    if (!bind_listener(listener, error)) return false;
  }
  return true;
}

bool Server::bind_listener(const config::ListenerConfig& listener, std::string& error) {
  const size_t worker_count = workers_.size();
  ListenerSockets sockets;
  const size_t index = listeners_.size();
  const bool udp = listener.protocol == config::ListenerProtocol::udp;
  std::vector<int> inherited;
  if (inherited_) inherited = inherited_->take(udp ? SocketKind::datagram : SocketKind::stream, listener.listen);
  const size_t count = std::max(worker_count, inherited.size());
  for (size_t i = 0; i < count; ++i) {
    const size_t w = i % worker_count;
    const int fd = i < inherited.size() ? inherited[i] : -1;
    if (udp) {
      auto socket = open_udp_socket(workers_[w]->loop(), listener.listen, error, fd);
      if (!socket) {
        error = "listener '" + listener.name + "': " + error;
        return false;
      }
      const uint32_t share = static_cast<uint32_t>((listener.max_flows + count - 1) / count);
      sockets.udp_per_worker.push_back(
          std::make_unique<l4::UdpForwarder>(*contexts_[w], index, std::move(*socket), share));
      continue;
    }
    auto acceptor = open_acceptor(workers_[w]->loop(), listener.listen, error, fd, config::is_http(listener.protocol));
    if (!acceptor) {
      error = "listener '" + listener.name + "': " + error;
      return false;
    }
    // tcp and tls (passthrough) are relayed by the L4 sessions; http and https by the HTTP proxy.
    if (listener.protocol != config::ListenerProtocol::tcp && listener.protocol != config::ListenerProtocol::tls) {
      sockets.per_worker.push_back(std::move(acceptor));
      continue;
    }
    // Bound by Asio (same options as every listener), then driven by the readiness loop.
    asio::error_code ec;
    int released = acceptor->release(ec);
    if (ec) {
      error = "listener '" + listener.name + "': " + ec.message();
      return false;
    }
    sockets.tcp_per_worker.push_back(std::make_unique<l4::TcpListener>(*contexts_[w], index, released));
  }
  listeners_.push_back(std::move(sockets));
  return true;
}

bool Server::start_listener(size_t index, bool workers_running, std::string& error) {
  auto& sockets = listeners_[index];
  const size_t worker_count = workers_.size();
  const std::string name = config_->listeners[index].name;
  // Socket i is served by worker i % workers. Once the workers run, each socket starts on its
  // worker's thread, behind the snapshot and TLS contexts a reload posted before: the first
  // connection finds its listener in both.
  for (size_t i = 0; i < sockets.udp_per_worker.size(); ++i) {
    l4::UdpForwarder* forwarder = sockets.udp_per_worker[i].get();
    if (workers_running) {
      workers_[i % worker_count]->post([forwarder] { forwarder->start(); });
    } else {
      forwarder->start();
    }
  }
  for (size_t i = 0; i < sockets.per_worker.size(); ++i) {  // http, https
    const size_t w = i % worker_count;
    asio::co_spawn(contexts_[w]->loop(), http::http_accept_loop(*http_workers_[w], *sockets.per_worker[i], index),
                   asio::detached);
  }
  for (size_t i = 0; i < sockets.tcp_per_worker.size(); ++i) {
    l4::TcpListener* tcp = sockets.tcp_per_worker[i].get();
    if (workers_running) {
      workers_[i % worker_count]->post([tcp, name] {
        std::string why;
        if (!tcp->start(why)) {
          core::LogLine(core::LogLevel::error, "listener.start_failed").field("listener", name).field("error", why).emit();
        }
      });
    } else if (!tcp->start(error)) {
      error = "listener '" + name + "': " + error;
      return false;
    }
  }
  return true;
}

}  // namespace fulcrum::runtime
