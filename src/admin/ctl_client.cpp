#include "admin/ctl_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "admin/bearer_token.hpp"
#include "core/endpoint.hpp"

namespace fulcrum::admin {
namespace {

using nlohmann::json;
constexpr int kTimeoutMs = 10000;

// Percent-encodes what may not appear in a path segment (addresses hold ':' and IPv6 '[]').
std::string encode_segment(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

bool wait_for(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, kTimeoutMs) == 1;
}

std::string text_of(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    char out[32];
    std::snprintf(out, sizeof out, "%.1f", value.get<double>());
    return out;
  }
  return value.dump();
}

// Columns padded to their widest cell; the last column is not padded.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void print_groups(const json& groups) {
  std::vector<std::vector<std::string>> rows{
      {"GROUP", "ALGORITHM", "TARGETS", "HEALTHY", "UNHEALTHY", "INITIAL", "DRAINING", "NOTE"}};
  for (const auto& g : groups) {
    const auto& s = g["states"];
    std::string note = g["used"].get<bool>() ? "" : "unused";
    if (g["failing_open"].get<bool>()) note = "failing open";
    rows.push_back({text_of(g["name"]), text_of(g["algorithm"]), text_of(g["targets"]), text_of(s["healthy"]),
                    text_of(s["unhealthy"]), text_of(s["initial"]), text_of(s["draining"]), note});
  }
  print_table(rows);
}

void print_group(const json& group) {
  std::printf("group %s: %s%s\n", text_of(group["name"]).c_str(), text_of(group["algorithm"]).c_str(),
              group["failing_open"].get<bool>() ? ", failing open (no healthy target)" : "");
  std::vector<std::vector<std::string>> rows{
      {"TARGET", "WEIGHT", "STATE", "REASON", "ACTIVE", "REQ/S", "P50MS", "P99MS", "SINCE", "SOURCE"}};
  for (const auto& t : group["targets"]) {
    std::string source = t.contains("source") ? text_of(t["source"]) : "file";
    if (t.value("removed", false)) source = "removed";
    rows.push_back({text_of(t["address"]), text_of(t["weight"]), text_of(t["state"]), text_of(t["reason_code"]),
                    text_of(t["active_connections"]), text_of(t["requests_per_second"]),
                    text_of(t["latency_ms"]["p50"]), text_of(t["latency_ms"]["p99"]), text_of(t["since"]), source});
  }
  print_table(rows);
  for (const auto& t : group["targets"]) {
    if (t["state"] != "healthy") {
      std::printf("  %s: %s\n", text_of(t["address"]).c_str(), text_of(t["reason"]).c_str());
    }
  }
}

// `fulcrum ctl status`: one screen, the way `haproxy -vv` + `show info` + `show stat` would be
// read at a glance: the process, its listeners, its groups.
int print_status(const CtlOptions& options) {
  json parts[3];
  const char* paths[3] = {"/api/v1/status", "/api/v1/listeners", "/api/v1/target-groups"};
  for (int i = 0; i < 3; ++i) {
    HttpAnswer answer = admin_request(options, "GET", paths[i]);
    if (answer.status == 0) {
      std::fprintf(stderr, "fulcrum ctl: %s\n", answer.error.c_str());
      return 2;
    }
    parts[i] = json::parse(answer.body, nullptr, false);
    if (answer.status != 200 || parts[i].is_discarded()) {
      std::fprintf(stderr, "fulcrum ctl: %s: %d %s\n", paths[i], answer.status, answer.body.c_str());
      return 1;
    }
  }
  if (options.json) {
    std::printf("%s\n", json{{"status", parts[0]}, {"listeners", parts[1]}, {"target_groups", parts[2]}}.dump(2).c_str());
    return 0;
  }
  const json& s = parts[0];
  std::printf("fulcrum %s (git %s), pid %s, up %s, %s workers%s\n", text_of(s.value("version", json())).c_str(),
              text_of(s.value("commit", json())).c_str(), text_of(s.value("pid", json())).c_str(),
              text_of(s.value("uptime", json())).c_str(), text_of(s.value("workers", json())).c_str(),
              s.value("shutting_down", false) ? ", shutting down" : "");
  std::printf("runs as %s%s\n", text_of(s.value("credentials", json())).c_str(),
              s.value("systemd", false) ? ", under systemd" : "");
  std::printf("config %s", text_of(s.value("config_file", json())).c_str());
  const json last = s.value("last_reload", json());
  if (last.is_object()) {
    std::printf(", last reload %s: %s", text_of(last["at"]).c_str(), last["ok"].get<bool>() ? "ok" : "FAILED");
  }
  std::printf("\n");
  if (last.is_object() && !last["ok"].get<bool>()) {
    for (const auto& e : last["errors"]) std::printf("  %s\n", text_of(e).c_str());
  }
  const json& t = s["targets"];
  std::printf("%s listeners, %s/%s targets healthy, %s req/s\n\n", text_of(s.value("listeners", json())).c_str(),
              text_of(t["healthy"]).c_str(), text_of(t["total"]).c_str(),
              text_of(s.value("requests_per_second", json())).c_str());
  std::vector<std::vector<std::string>> listeners{{"LISTENER", "LISTEN", "PROTOCOL", "SCHEME", "ACTIVE", "REQ/S", "P99MS"}};
  for (const auto& l : parts[1]) {
    listeners.push_back({text_of(l["name"]), text_of(l["listen"]), text_of(l["protocol"]), text_of(l["scheme"]),
                         text_of(l.value("active_connections", json())), text_of(l.value("requests_per_second", json())),
                         l.contains("latency_ms") ? text_of(l["latency_ms"]["p99"]) : "-"});
  }
  print_table(listeners);
  std::printf("\n");
  print_groups(parts[2]);
  return 0;
}

}  // namespace

HttpAnswer admin_request(const CtlOptions& options, const std::string& method, const std::string& path,
                         const std::string& body) {
  HttpAnswer answer;
  core::EndpointError parse_error;
  auto endpoint = core::parse_endpoint(options.admin, parse_error);
  if (!endpoint) {
    answer.error = "--admin " + options.admin + ": " + parse_error.message;
    return answer;
  }
  std::string authorization;
  if (!options.token_file.empty()) {
    std::string error;
    auto token = BearerToken::read_file(options.token_file, error);
    if (!token) {
      answer.error = error;
      return answer;
    }
    authorization = "Authorization: Bearer " + token->secret() + "\r\n";
  }
  int fd = ::socket(endpoint->family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    answer.error = std::strerror(errno);
    return answer;
  }
  auto fail = [&](const std::string& what) {
    answer.error = "admin API at " + options.admin + ": " + what;
    ::close(fd);
    return answer;
  };
  if (::connect(fd, endpoint->address(), endpoint->length) != 0 && errno != EINPROGRESS) {
    return fail(std::strerror(errno));
  }
  if (!wait_for(fd, POLLOUT)) return fail("no connection within 10 s");
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) return fail(std::strerror(error));

  std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + options.admin +
                        "\r\nConnection: close\r\nAccept: application/json\r\n" + authorization;
  if (!body.empty()) request += "Content-Type: application/json\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    if (!wait_for(fd, POLLOUT)) return fail("timed out sending");
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) return fail(std::strerror(errno));
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::string response;
  char buffer[16384];
  for (;;) {
    if (!wait_for(fd, POLLIN)) return fail("no answer within 10 s");
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EAGAIN) continue;
    if (n < 0) return fail(std::strerror(errno));
    if (n == 0) break;
    response.append(buffer, static_cast<size_t>(n));
    if (response.size() > (64u << 20)) return fail("answer larger than 64 MiB");
  }
  ::close(fd);
  const size_t head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) {
    answer.error = "admin API at " + options.admin + ": not an HTTP answer";
    return answer;
  }
  answer.status = std::atoi(response.c_str() + 9);
  answer.body = response.substr(head_end + 4);
  return answer;
}

int run_ctl(const CtlOptions& options, const std::vector<std::string>& words, uint32_t weight,
            const std::string& zone) {
  const std::string& command = words.at(0);
  if (command == "status") return print_status(options);
  std::string method = "GET", path, body;
  const std::string group = words.size() > 1 ? encode_segment(words[1]) : "";
  const std::string target = words.size() > 2 ? encode_segment(words[2]) : "";
  const std::string targets = "/api/v1/target-groups/" + group + "/targets";
  if (command == "list") {
    path = "/api/v1/target-groups";
  } else if (command == "show") {
    path = "/api/v1/target-groups/" + group;
  } else if (command == "register") {
    method = "POST", path = targets;
    json request = {{"address", words.at(2)}, {"weight", weight}};
    if (!zone.empty()) request["zone"] = zone;
    body = request.dump();
  } else if (command == "deregister") {
    method = "DELETE", path = targets + "/" + target;
  } else if (command == "weight") {
    method = "PATCH", path = targets + "/" + target;
    body = json{{"weight", weight}}.dump();
  } else if (command == "drain" || command == "enable") {
    method = "PATCH", path = targets + "/" + target;
    body = json{{"drain", command == "drain"}}.dump();
  } else if (command == "reload") {
    method = "POST", path = "/api/v1/reload";
  } else {
    std::fprintf(stderr, "fulcrum ctl: unknown command '%s'\n", command.c_str());
    return 2;
  }
  HttpAnswer answer = admin_request(options, method, path, body);
  if (answer.status == 0) {
    std::fprintf(stderr, "fulcrum ctl: %s\n", answer.error.c_str());
    return 2;
  }
  json parsed = json::parse(answer.body, nullptr, false);
  const bool ok = answer.status >= 200 && answer.status < 300;
  if (options.json || parsed.is_discarded()) {
    std::fwrite(answer.body.data(), 1, answer.body.size(), ok ? stdout : stderr);
    return ok ? 0 : 1;
  }
  if (!ok) {
    std::fprintf(stderr, "fulcrum ctl: %d: %s\n", answer.status,
                 parsed.contains("error") ? text_of(parsed["error"]).c_str() : answer.body.c_str());
    if (parsed.contains("errors")) {
      for (const auto& e : parsed["errors"]) std::fprintf(stderr, "%s\n", text_of(e).c_str());
    }
    return 1;
  }
  if (command == "list") {
    print_groups(parsed);
  } else if (command == "show") {
    print_group(parsed);
  } else if (command == "reload") {
    std::printf("reloaded (snapshot %s)\n", text_of(parsed["snapshot_version"]).c_str());
  } else {
    std::printf("%s\n", text_of(parsed.value("message", json("done"))).c_str());
  }
  return 0;
}

}  // namespace fulcrum::admin
