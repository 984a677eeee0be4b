#pragma once
// The admin listener: a small HTTP/1.1 server on the control thread (never on a worker, so
// nothing an operator does can slow traffic). Requests are framed by the data path's strict
// parser (http/request_parser.hpp) with tight limits: 8 KiB request line, 16 KiB head, 1 MiB
// body, Content-Length only; at most kMaxConnections at once; a head must arrive within 10 s
// and an idle keep-alive connection closes after 60 s. Anything else gets a clear 4xx and the
// connection is closed.
//
// With a token (admin.token_file), every request must carry `Authorization: Bearer <token>`:
// a missing or wrong one is answered 401 before any handler runs.
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "admin/admin_message.hpp"
#include "admin/bearer_token.hpp"
#include "config/config.hpp"

namespace fulcrum::admin {

class AdminServer {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;
  static constexpr size_t kMaxConnections = 64;
  static constexpr size_t kMaxBodyBytes = 1024 * 1024;

  AdminServer(asio::io_context& loop, Handler handler);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Reads the token (when configured) and binds admin.listen; false with `error` set when
  // either fails. Nothing is served before start_accepting().
  // `inherited`: an already bound, listening descriptor to serve instead (hot upgrade).
  bool bind(const config::AdminConfig& config, std::string& error, int inherited = -1);
  void start_accepting();
  // The address actually bound (admin.listen with port 0 gets a free port).
  std::string bound_address() const;
  // On reload: the token file is read again (a rotated token takes effect at once). On error
  // the old token stays and `error` says why.
  bool reload_token(const config::AdminConfig& config, std::string& error);
  int native_handle() { return acceptor_.native_handle(); }  // handed to a hot upgrade's successor
  // Closes the listener and every open admin connection.
  void stop();

  struct Connection;  // one admin client (defined in the .cpp)

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<Connection> connection);

  asio::io_context& loop_;
  Handler handler_;
  asio::ip::tcp::acceptor acceptor_;
  std::optional<BearerToken> token_;
  std::vector<std::weak_ptr<Connection>> connections_;
  bool stopped_ = false;
};

}  // namespace fulcrum::admin
