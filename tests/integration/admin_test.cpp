// The admin API (docs/admin-api.md) against the real binary, with curl as the client.
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace admin_test {

using nlohmann::json;

struct ApiResult {
  int status = 0;
  std::string body;
};

// curl (a real client) with `args`, the URL among them: the status and the body.
ApiResult call(const TempDir&, std::vector<std::string> args) {
  args.insert(args.begin(), {"-w", "\n%{http_code}"});
  auto result = curl(args);
  EXPECT_EQ(result.exit_code, 0) << result.out;
  ApiResult out;
  const size_t last = result.out.rfind('\n');
  if (last == std::string::npos) return out;
  out.status = std::atoi(result.out.c_str() + last + 1);
  out.body = result.out.substr(0, last);
  return out;
}

std::string config_yaml(uint16_t port, const std::vector<std::string>& targets, const std::string& admin = "",
                        const std::string& extra_group = "") {
  std::string yaml = "workers: 2\n" + admin +
                     "listeners:\n  - name: front\n    listen: 127.0.0.1:" + std::to_string(port) +
                     "\n    protocol: tcp\n    default: { forward: pool }\n"
                     "target_groups:\n  - name: pool\n    algorithm: round_robin\n    deregistration_delay: 1s\n"
                     "    health_check: { protocol: tcp, interval: 1s, timeout: 500ms, healthy_threshold: 1, "
                     "unhealthy_threshold: 1 }\n    targets:\n";
  for (const auto& t : targets) yaml += "      - { address: " + t + ", weight: 3 }\n";
  yaml += extra_group;
  return yaml;
}

json get_json(const TempDir& dir, const std::string& url, int expected_status = 200,
              std::vector<std::string> extra = {}) {
  extra.push_back(url);
  auto result = call(dir, extra);
  EXPECT_EQ(result.status, expected_status) << url << ": " << result.body;
  auto parsed = json::parse(result.body, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << url << " answered no JSON: " << result.body;
  return parsed;
}

const json* find_target(const json& group, const std::string& address) {
  for (const auto& t : group["targets"]) {
    if (t["address"] == address) return &t;
  }
  return nullptr;
}

// Polls until the target reaches `state` (health checks every second).
json wait_for_state(const TempDir& dir, const std::string& base, const std::string& address, const std::string& state) {
  json group;
  for (int i = 0; i < 50; ++i) {
    group = get_json(dir, base + "/api/v1/target-groups/pool");
    const json* t = find_target(group, address);
    if (t != nullptr && (*t)["state"] == state) return group;
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << address << " never became " << state << ": " << group.dump(2);
  return group;
}

TEST(AdminApi, ShowsListenersGroupsAndEachTargetsStateWithItsReason) {
  TempDir dir;
  Backend a(dir, "a", "greet");
  const std::string dead = "127.0.0.1:" + std::to_string(free_port());  // nobody listens there
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, config_yaml(port, {a.address(), dead}), port);
  const std::string base = "http://" + admin_address(*fulcrum);
  ASSERT_NE(base, "http://") << fulcrum->errors();

  json listeners = get_json(dir, base + "/api/v1/listeners");
  ASSERT_EQ(listeners.size(), 1u);
  EXPECT_EQ(listeners[0]["name"], "front");
  EXPECT_EQ(listeners[0]["protocol"], "tcp");
  EXPECT_EQ(listeners[0]["listen"], "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(listeners[0]["default"]["forward"][0]["group"], "pool");

  json group = wait_for_state(dir, base, dead, "unhealthy");
  group = wait_for_state(dir, base, a.address(), "healthy");
  EXPECT_EQ(group["name"], "pool");
  EXPECT_EQ(group["algorithm"], "round_robin");
  EXPECT_EQ(group["deregistration_delay"], "1s");
  const json* up = find_target(group, a.address());
  const json* down = find_target(group, dead);
  ASSERT_TRUE(up && down);
  EXPECT_EQ((*up)["reason_code"], "Elb.HealthChecksPassed");
  EXPECT_EQ((*up)["weight"], 3);
  EXPECT_EQ((*up)["active_connections"], 0);
  EXPECT_EQ((*down)["reason_code"], "Target.FailedConnection");
  EXPECT_FALSE((*down)["reason"].get<std::string>().empty());
  EXPECT_GT((*down)["since_unix_ms"].get<int64_t>(), 0);
  EXPECT_EQ((*down)["since"].get<std::string>().back(), 'Z');
  EXPECT_GE((*down)["history"].size(), 2u);  // initial, then unhealthy

  // An open connection shows as active on its target.
  int client = connect_to(port);
  EXPECT_EQ(read_line(client), "a\n");
  group = get_json(dir, base + "/api/v1/target-groups/pool");
  EXPECT_EQ((*find_target(group, a.address()))["active_connections"], 1);
  ::close(client);

  json groups = get_json(dir, base + "/api/v1/target-groups");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["states"]["healthy"], 1);
  EXPECT_EQ(groups[0]["states"]["unhealthy"], 1);

  get_json(dir, base + "/api/v1/target-groups/nope", 404);
  get_json(dir, base + "/api/v1/nothing-here", 404);
  get_json(dir, base + "/api/v1/target-groups", 405, {"-X", "DELETE"});
}

TEST(AdminApi, ReloadAppliesAWholeValidFileAndRefusesABrokenOneWithLineAndColumn) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, config_yaml(port, {a.address()}), port);
  const std::string base = "http://" + admin_address(*fulcrum);

  dir.write("fulcrum.yaml", config_yaml(port, {a.address(), b.address()}));
  json reloaded = get_json(dir, base + "/api/v1/reload", 200, {"-X", "POST"});
  EXPECT_EQ(reloaded["reloaded"], true);
  json group = get_json(dir, base + "/api/v1/target-groups/pool");
  EXPECT_EQ(group["targets"].size(), 2u);

  // One bad value anywhere: nothing of the file applies, the error says where.
  std::string broken = config_yaml(port, {a.address()});
  broken.replace(broken.find("round_robin"), 11, "round_robbin");
  dir.write("fulcrum.yaml", broken);
  json refused = get_json(dir, base + "/api/v1/reload", 422, {"-X", "POST"});
  EXPECT_EQ(refused["reloaded"], false);
  ASSERT_FALSE(refused["errors"].empty());
  const std::string error = refused["errors"][0];
  EXPECT_NE(error.find("fulcrum.yaml:9:16:"), std::string::npos) << error;
  group = get_json(dir, base + "/api/v1/target-groups/pool");
  EXPECT_EQ(group["targets"].size(), 2u);  // b was not removed
  EXPECT_EQ(group["algorithm"], "round_robin");
  EXPECT_TRUE(can_connect(port));

  // SIGHUP takes the same path and logs the same position.
  fulcrum->signal(SIGHUP);
  EXPECT_TRUE(fulcrum->wait_for_output("fulcrum.yaml:9:16:", 3s, true)) << fulcrum->errors();

  // Changing the listeners needs a restart: refused with a sentence, old ones keep serving.
  std::string moved = config_yaml(free_port(), {a.address()});
  dir.write("fulcrum.yaml", moved);
  refused = get_json(dir, base + "/api/v1/reload", 422, {"-X", "POST"});
  EXPECT_NE(refused["errors"][0].get<std::string>().find("restart"), std::string::npos) << refused.dump();
  EXPECT_TRUE(can_connect(port));
}

TEST(AdminApi, ConfigShowsDefaultsAndRedactsSecrets) {
  TempDir dir;
  Backend a(dir, "a", "greet");
  uint16_t port = free_port();
  std::string token_path = dir.write("admin.token", "s3cret-token\n");
  const std::string admin = "admin:\n  listen: 127.0.0.1:0\n  token_file: " + token_path + "\n";
  auto fulcrum = start_fulcrum(dir, config_yaml(port, {a.address()}, admin), port);
  const std::string base = "http://" + admin_address(*fulcrum);
  auto result = call(dir, {"-H", "Authorization: Bearer s3cret-token", base + "/api/v1/config"});
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(result.body.find(token_path), std::string::npos) << "the token file's path is shown";
  EXPECT_EQ(result.body.find("s3cret-token"), std::string::npos);
  json config = json::parse(result.body);
  EXPECT_EQ(config["admin"]["token_file"], "<redacted>");
  EXPECT_EQ(config["shutdown_timeout"], "30s");  // a default, applied, in the file's units
  EXPECT_EQ(config["target_groups"][0]["outlier_detection"]["consecutive_failures"], 5);
  EXPECT_EQ(config["listeners"][0]["idle_timeout"], "5m50s");
  EXPECT_EQ(config["listeners"][0]["scheme"], "internet-facing");
}

TEST(AdminApi, ATokenFileMakesEveryRequestShowTheTokenAndAWrongOneChangesNothing) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet");
  uint16_t port = free_port();
  std::string token_path = dir.write("admin.token", "  first-token \n");
  const std::string admin = "admin:\n  listen: 127.0.0.1:0\n  token_file: " + token_path + "\n";
  auto fulcrum = start_fulcrum(dir, config_yaml(port, {a.address()}, admin), port);
  const std::string base = "http://" + admin_address(*fulcrum);
  const std::string url = base + "/api/v1/target-groups/pool";

  EXPECT_EQ(call(dir, {url}).status, 401);
  EXPECT_EQ(call(dir, {"-H", "Authorization: Bearer wrong", url}).status, 401);
  EXPECT_EQ(call(dir, {"-H", "Authorization: Bearer first-tokenX", url}).status, 401);
  EXPECT_EQ(call(dir, {"-H", "Authorization: Basic Zmlyc3QtdG9rZW4=", url}).status, 401);
  EXPECT_EQ(call(dir, {"-H", "Authorization: Bearer first-token", url}).status, 200);
  EXPECT_EQ(call(dir, {"-H", "authorization: bearer first-token", url}).status, 200);

  // A reload with the wrong token does nothing, even though the file changed.
  dir.write("fulcrum.yaml", config_yaml(port, {a.address(), b.address()}, admin));
  EXPECT_EQ(call(dir, {"-X", "POST", "-H", "Authorization: Bearer wrong", base + "/api/v1/reload"}).status, 401);
  json group = get_json(dir, url, 200, {"-H", "Authorization: Bearer first-token"});
  EXPECT_EQ(group["targets"].size(), 1u);

  // A rotated token takes effect with the reload.
  dir.write("admin.token", "second-token\n");
  EXPECT_EQ(call(dir, {"-X", "POST", "-H", "Authorization: Bearer first-token", base + "/api/v1/reload"}).status, 200);
  EXPECT_EQ(call(dir, {"-H", "Authorization: Bearer first-token", url}).status, 401);
  group = get_json(dir, url, 200, {"-H", "Authorization: Bearer second-token"});
  EXPECT_EQ(group["targets"].size(), 2u);
}

TEST(AdminApi, RefusesToStartOffLoopbackWithoutATokenOrWithAnUnreadableOne) {
  TempDir dir;
  uint16_t port = free_port();
  std::string config = dir.write("fulcrum.yaml", config_yaml(port, {"127.0.0.1:1"}));
  Process open({fulcrum_binary(), "run", "-c", config, "--admin-listen", "0.0.0.0:0"}, dir.path(), "open");
  EXPECT_EQ(open.wait(10s).value_or(-1), 1);
  EXPECT_NE(open.errors().find("not a loopback address"), std::string::npos) << open.errors();

  std::string missing = dir.write(
      "missing.yaml", config_yaml(port, {"127.0.0.1:1"}, "admin:\n  listen: 127.0.0.1:0\n  token_file: /nonexistent/t\n"));
  Process unreadable({fulcrum_binary(), "run", "-c", missing}, dir.path(), "unreadable");
  EXPECT_EQ(unreadable.wait(10s).value_or(-1), 1);
  EXPECT_NE(unreadable.errors().find("/nonexistent/t"), std::string::npos) << unreadable.errors();
}

TEST(AdminApi, BadRequestsGetAClear4xxAndTheServerGoesOn) {
  TempDir dir;
  Backend a(dir, "a", "greet");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, config_yaml(port, {a.address()}), port);
  const std::string address = admin_address(*fulcrum);
  const uint16_t admin_port = static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));

  auto exchange = [&](const std::string& request) {
    int fd = connect_to(admin_port);
    send_all(fd, request);
    std::string answer = read_to_eof(fd, 5s);
    ::close(fd);
    return answer;
  };
  EXPECT_EQ(exchange("GARBAGE\r\n\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(exchange("POST /api/v1/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n").rfind("HTTP/1.1 413 ", 0),
            0u);
  EXPECT_EQ(exchange("POST /api/v1/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .rfind("HTTP/1.1 411 ", 0),
            0u);
  EXPECT_EQ(exchange("GET /api/v1/listeners HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n")
                .rfind("HTTP/1.1 431 ", 0),
            0u);
  // A page of another origin may not make a browser change anything.
  EXPECT_EQ(exchange("POST /api/v1/reload HTTP/1.1\r\nHost: " + address +
                     "\r\nOrigin: http://evil.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .rfind("HTTP/1.1 403 ", 0),
            0u);
  // Keep-alive: two requests on one connection.
  std::string two = exchange("GET /api/v1/listeners HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/target-groups HTTP/1.1\r\nHost: "
                             "x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(two.rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_NE(two.find("HTTP/1.1 200 ", 10), std::string::npos);
  // Still serving.
  EXPECT_EQ(call(dir, {"http://" + address + "/api/v1/listeners"}).status, 200);
}

}  // namespace admin_test
}  // namespace fulcrum::testing
