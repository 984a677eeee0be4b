#include "admin/admin_server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/close_shared_socket.hpp"
#include "core/log.hpp"
#include "core/use_tuple.hpp"
#include "http/exchange/canned_response.hpp"
#include "http/h1/request_parser.hpp"

namespace fulcrum::admin {
namespace {

constexpr auto kHeadTimeout = std::chrono::seconds(10);
constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr size_t kMaxHead = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view field(const http::RequestHead& head, std::string_view name) {
  for (const auto& h : head.headers()) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

std::string serialise(const AdminResponse& response, bool close) {
  std::string out;
  out.reserve(response.body.size() + 256);
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += http::reason_phrase(response.status);
  out += "\r\nContent-Type: ";
  out += response.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(response.body.size());
  // The API's answers are live figures: never cached, never sniffed into something else.
  out += "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

}  // namespace

struct AdminServer::Connection {
  explicit Connection(asio::ip::tcp::socket s) : socket(std::move(s)), deadline(socket.get_executor()) {}
  asio::ip::tcp::socket socket;
  asio::steady_timer deadline;

  void close() {
    asio::error_code ignored;
    socket.shutdown(asio::socket_base::shutdown_both, ignored);
    socket.close(ignored);
    deadline.cancel();
  }
  // Closes the socket unless the current read completes first (re-arming replaces the wait).
  void arm(std::chrono::steady_clock::duration timeout, std::shared_ptr<Connection> self) {
    deadline.expires_after(timeout);
    deadline.async_wait([weak = std::weak_ptr<Connection>(self)](const asio::error_code& ec) {
      if (ec) return;
      if (auto c = weak.lock()) {
        asio::error_code ignored;
        c->socket.close(ignored);
      }
    });
  }
};

namespace {

// After a request that cannot be framed or must not be read further: answer, then close (the
// byte stream has no trustworthy boundary left).
asio::awaitable<void> answer_and_close(AdminServer::Connection& connection, AdminResponse response) {
  std::string out = serialise(response, true);
  co_await asio::async_write(connection.socket, asio::buffer(out), use_tuple);
  connection.close();
}

}  // namespace

AdminServer::AdminServer(asio::io_context& loop, Handler handler)
    : loop_(loop), handler_(std::move(handler)), acceptor_(loop) {}

AdminServer::~AdminServer() { stop(); }

bool AdminServer::bind(const config::AdminConfig& config, std::string& error, int inherited) {
  if (!config.token_file.empty()) {
    token_ = BearerToken::read_file(config.token_file, error);
    if (!token_) return false;
  }
  asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), config.listen.address(), config.listen.length);
  asio::error_code ec;
  if (inherited >= 0) {
    acceptor_.assign(endpoint.protocol(), inherited, ec);
    if (ec) {
      error = "admin.listen " + config.listen_text + ": the inherited socket: " + ec.message();
      return false;
    }
    return true;
  }
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(64, ec);
  if (ec) {
    error = "admin.listen " + config.listen_text + ": " + ec.message();
    return false;
  }
  return true;
}

std::string AdminServer::bound_address() const {
  asio::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  if (ec) return {};
  if (endpoint.address().is_v6()) return "[" + endpoint.address().to_string() + "]:" + std::to_string(endpoint.port());
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

bool AdminServer::reload_token(const config::AdminConfig& config, std::string& error) {
  if (config.token_file.empty()) {
    token_.reset();
    return true;
  }
  auto token = BearerToken::read_file(config.token_file, error);
  if (!token) return false;
  token_ = std::move(token);
  return true;
}

void AdminServer::start_accepting() { asio::co_spawn(loop_, accept_loop(), asio::detached); }

void AdminServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  core::close_shared_socket(acceptor_);  // a hot upgrade's successor may hold it too
  for (auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->close();
  }
  connections_.clear();
}

asio::awaitable<void> AdminServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (stopped_ || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) co_return;
    if (ec) continue;  // EMFILE and friends: the next accept may succeed
    std::erase_if(connections_, [](const std::weak_ptr<Connection>& c) { return c.expired(); });
    if (connections_.size() >= kMaxConnections) {
      asio::error_code ignored;
      socket.close(ignored);  // an operator never needs 64 at once; a flood must not cost memory
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    connections_.push_back(connection);
    asio::co_spawn(loop_, serve(std::move(connection)), asio::detached);
  }
}

asio::awaitable<void> AdminServer::serve(std::shared_ptr<Connection> connection) {
  std::string buffer;
  buffer.reserve(4096);
  http::ParserLimits limits;
  limits.max_request_line = 8 * 1024;
  limits.max_header_bytes = kMaxHead;
  limits.max_headers = 64;
  std::array<http::Header, 64> fields;
  std::array<char, 4096> chunk;
  bool first = true;

  for (;;) {
    http::RequestHead head(fields);
    http::RequestParser parser(limits);
    http::ParseResult parsed;
    connection->arm(first ? kHeadTimeout : kIdleTimeout, connection);
    first = false;
    for (;;) {
      parsed = buffer.empty() ? http::ParseResult::more() : parser.parse(buffer, head);
      if (!parsed.need_more()) break;
      if (buffer.size() > kMaxHead + 1024) {
        parsed = http::ParseResult::fail(431, http::DesyncReason::compliant);
        break;
      }
      auto [ec, n] = co_await connection->socket.async_read_some(asio::buffer(chunk), use_tuple);
      if (ec) {
        connection->close();
        co_return;  // closed, reset or timed out between requests: nothing to answer
      }
      buffer.append(chunk.data(), n);
      // Once a head has started, the rest of it must come within the head timeout.
      connection->arm(kHeadTimeout, connection);
    }

    if (parsed.error()) {
      co_await answer_and_close(*connection, AdminResponse::error(parsed.error_status, "malformed HTTP/1.1 request"));
      co_return;
    }

    AdminRequest request;
    request.method = std::string(head.method);
    std::string_view target = head.target;
    const size_t question = target.find('?');
    if (!percent_decode(target.substr(0, question), request.path) || request.path.empty() ||
        request.path.front() != '/') {
      co_await answer_and_close(*connection, AdminResponse::error(400, "the request target must be a path (/api/v1/...)"));
      co_return;
    }
    if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
    if (head.framing == http::BodyFraming::chunked) {
      co_await answer_and_close(*connection, AdminResponse::error(411, "send the body with a Content-Length"));
      co_return;
    }
    const uint64_t body_size = head.framing == http::BodyFraming::content_length ? head.content_length : 0;
    if (body_size > kMaxBodyBytes) {
      co_await answer_and_close(*connection, AdminResponse::error(413, "the admin API takes bodies up to 1 MiB"));
      co_return;
    }
    const bool keep_alive = head.keep_alive;
    const std::string authorization(field(head, "authorization"));
    const std::string origin(field(head, "origin"));
    const std::string host(head.host());
    const size_t head_size = parsed.head_size;
    // Views into `buffer` end here: it is about to be read into again.
    while (buffer.size() < head_size + body_size) {
      auto [ec, n] = co_await connection->socket.async_read_some(asio::buffer(chunk), use_tuple);
      if (ec) {
        connection->close();
        co_return;
      }
      buffer.append(chunk.data(), n);
    }
    request.body = buffer.substr(head_size, body_size);
    buffer.erase(0, head_size + body_size);
    // The answer must be taken within the idle timeout too: a client that never reads cannot
    // hold one of the 64 connections forever.
    connection->arm(kIdleTimeout, connection);

    AdminResponse response;
    request.authorised = !token_ || token_->accepts(authorization);
    // The dashboard page itself holds no data (its script asks for the token and calls the
    // API), so a browser may load it without one; everything else needs the token.
    const bool page = request.method == "GET" && request.path == "/";
    const bool reads = request.method == "GET" || request.method == "HEAD";
    if (!request.authorised && !page) {
      response = AdminResponse::error(401, "missing or wrong bearer token (Authorization: Bearer <admin.token_file>)");
      response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"fulcrum\"");
      core::LogLine(core::LogLevel::warn, "admin.unauthorised")
          .field("method", request.method)
          .field("path", request.path)
          .emit();
    } else if (!reads && !origin.empty() && origin != "http://" + host && origin != "https://" + host) {
      // A page from another origin may make a browser send a simple POST to a loopback
      // admin port (CSRF); the API's own page always sends its own origin.
      response = AdminResponse::error(403, "cross-origin requests may not change anything");
    } else {
      response = handler_(request);
    }
    std::string out = serialise(response, !keep_alive);
    if (request.method == "HEAD") out.resize(out.size() - response.body.size());
    auto [ec, written] = co_await asio::async_write(connection->socket, asio::buffer(out), use_tuple);
    if (ec || !keep_alive || stopped_) {
      connection->close();
      co_return;
    }
  }
}

}  // namespace fulcrum::admin
