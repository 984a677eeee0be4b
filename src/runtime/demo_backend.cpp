#include "runtime/demo_backend.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <cctype>

#include "core/use_tuple.hpp"

namespace fulcrum::runtime {
namespace {

bool looks_like_http(const std::string& data) {
  for (const char* method : {"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH "}) {
    if (data.rfind(method, 0) == 0) return true;
  }
  return false;
}
}  // namespace

DemoBackend::DemoBackend(asio::io_context& loop, std::string name)
    : loop_(loop), name_(std::move(name)), acceptor_(loop) {}

std::string DemoBackend::bind() {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
}

void DemoBackend::start() { asio::co_spawn(loop_, accept_loop(), asio::detached); }

asio::awaitable<void> DemoBackend::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec) co_return;
    asio::co_spawn(loop_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> DemoBackend::serve(asio::ip::tcp::socket socket) {
  std::string pending;
  char buffer[4096];
  bool close_after = false;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec) co_return;
    pending.append(buffer, n);
    for (;;) {
      std::string reply;
      if (looks_like_http(pending)) {
        auto end = pending.find("\r\n\r\n");
        if (end == std::string::npos) break;
        bool head = pending.rfind("HEAD ", 0) == 0;
        std::string request_head = pending.substr(0, end);
        for (auto& c : request_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        close_after = request_head.find("\r\nconnection: close") != std::string::npos ||
                      request_head.find(" http/1.0\r\n") != std::string::npos;
        pending.erase(0, end + 4);
        std::string body = "Hello from " + name_ + "\n";
        reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\nX-Backend: " + name_ + (close_after ? "\r\nConnection: close" : "") + "\r\n\r\n" +
                (head ? "" : body);
      } else {
        auto end = pending.find('\n');
        if (end == std::string::npos) break;
        reply = name_ + ": " + pending.substr(0, end + 1);
        pending.erase(0, end + 1);
      }
      auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(reply), use_tuple);
      if (write_ec || close_after) co_return;
    }
  }
}

}  // namespace fulcrum::runtime
