// Changing targets through the admin API and `fulcrum ctl`: register, deregister, weight,
// operator drain; effective on every worker within a second, kept across reloads until the
// file changes that target.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace admin_targets_test {

using nlohmann::json;

std::string pool_yaml(uint16_t port, const std::vector<std::string>& targets) {
  std::string yaml = "workers: 2\nlisteners:\n  - name: front\n    listen: 127.0.0.1:" + std::to_string(port) +
                     "\n    protocol: tcp\n    default: { forward: pool }\n"
                     "target_groups:\n  - name: pool\n    algorithm: round_robin\n    deregistration_delay: 1s\n"
                     "    targets:\n";
  for (const auto& t : targets) yaml += "      - { address: " + t + " }\n";
  if (targets.empty()) yaml += "      []\n";
  return yaml;
}

struct Answer {
  int status = 0;
  json body;
};

Answer api(const std::string& method, const std::string& url, const std::string& body = "") {
  std::vector<std::string> args{"-X", method, "-w", "\n%{http_code}"};
  if (!body.empty()) args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
  args.push_back(url);
  auto result = curl(args);
  Answer answer;
  const size_t last = result.out.rfind('\n');
  if (result.exit_code != 0 || last == std::string::npos) {
    ADD_FAILURE() << "curl: " << result.out;
    return answer;
  }
  answer.status = std::atoi(result.out.c_str() + last + 1);
  answer.body = json::parse(result.out.substr(0, last), nullptr, false);
  return answer;
}

// Who answers `n` new connections (the greet backend says its name first).
std::map<std::string, int> answers(uint16_t port, int n) {
  std::map<std::string, int> seen;
  for (int i = 0; i < n; ++i) {
    int fd = connect_to(port);
    std::string line = read_line(fd, 2s);
    ::close(fd);
    ++seen[line.empty() ? "(none)" : line.substr(0, line.size() - 1)];
  }
  return seen;
}

const json* target_of(const json& group, const std::string& address) {
  for (const auto& t : group["targets"]) {
    if (t["address"] == address) return &t;
  }
  return nullptr;
}

TEST(AdminTargets, RegisterWeightDrainAndDeregisterReachEveryWorkerWithinASecondAndSurviveReloads) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, pool_yaml(port, {a.address()}), port);
  const std::string base = "http://" + admin_address(*fulcrum);
  const std::string targets = base + "/api/v1/target-groups/pool/targets";

  // Register b: within a second, new connections on both workers reach it (round robin per
  // worker: 20 connections spread over 2 workers give each worker several picks).
  auto registered = api("POST", targets, R"({"address": ")" + b.address() + R"(", "weight": 1})");
  ASSERT_EQ(registered.status, 201) << registered.body.dump();
  std::this_thread::sleep_for(1s);
  auto seen = answers(port, 20);
  EXPECT_GE(seen["a"], 5) << seen.size();
  EXPECT_GE(seen["b"], 5);
  json group = api("GET", base + "/api/v1/target-groups/pool").body;
  ASSERT_TRUE(target_of(group, b.address()));
  EXPECT_EQ((*target_of(group, b.address()))["source"], "api");
  EXPECT_EQ((*target_of(group, a.address()))["source"], "file");

  // Clear 4xx for what cannot be done; nothing changes.
  EXPECT_EQ(api("POST", targets, R"({"address": ")" + b.address() + R"("})").status, 409);
  EXPECT_EQ(api("POST", targets, R"({"address": "not-an-address"})").status, 400);
  EXPECT_EQ(api("POST", targets, R"({"address": "localhost:80"})").status, 400);  // never resolved here
  EXPECT_EQ(api("POST", targets, R"({"address": "127.0.0.1:9", "weight": 5000})").status, 400);
  EXPECT_EQ(api("POST", targets, R"({"address": "127.0.0.1:9", "colour": "red"})").status, 400);
  EXPECT_EQ(api("POST", targets, R"(not json)").status, 400);
  EXPECT_EQ(api("POST", base + "/api/v1/target-groups/nope/targets", R"({"address": "127.0.0.1:9"})").status, 404);
  EXPECT_EQ(api("PATCH", targets + "/127.0.0.1:9", R"({"weight": 2})").status, 404);
  EXPECT_EQ(api("PATCH", targets + "/" + a.address(), R"({})").status, 400);
  EXPECT_EQ(api("PATCH", targets + "/" + a.address(), R"({"drain": "yes"})").status, 400);
  EXPECT_EQ(api("GET", base + "/api/v1/target-groups/pool").body["targets"].size(), 2u);

  // Weight 0 on a: new traffic only to b.
  EXPECT_EQ(api("PATCH", targets + "/" + a.address(), R"({"weight": 0})").status, 200);
  std::this_thread::sleep_for(1s);
  seen = answers(port, 10);
  EXPECT_EQ(seen["b"], 10);

  // Operator drain on b (a back to 1): b keeps what it has, takes nothing new; shown with a reason.
  EXPECT_EQ(api("PATCH", targets + "/" + a.address(), R"({"weight": 1})").status, 200);
  int open_on_b = -1;
  for (int i = 0; i < 4 && open_on_b < 0; ++i) {
    int fd = connect_to(port);
    if (read_line(fd) == "b\n") open_on_b = fd;
    else ::close(fd);
  }
  ASSERT_GE(open_on_b, 0);
  EXPECT_EQ(api("PATCH", targets + "/" + b.address(), R"({"drain": true})").status, 200);
  std::this_thread::sleep_for(1s);
  seen = answers(port, 10);
  EXPECT_EQ(seen["a"], 10);
  send_all(open_on_b, "still here\n");
  EXPECT_EQ(read_line(open_on_b), "still here\n");
  group = api("GET", base + "/api/v1/target-groups/pool").body;
  EXPECT_EQ((*target_of(group, b.address()))["state"], "draining");
  EXPECT_EQ((*target_of(group, b.address()))["reason_code"], "Target.OperatorDrain");
  EXPECT_EQ((*target_of(group, b.address()))["drained_by_operator"], true);

  // A reload of the unchanged file keeps the API's changes.
  EXPECT_EQ(api("POST", base + "/api/v1/reload").status, 200);
  group = api("GET", base + "/api/v1/target-groups/pool").body;
  ASSERT_TRUE(target_of(group, b.address()));
  EXPECT_EQ((*target_of(group, b.address()))["reason_code"], "Target.OperatorDrain");

  // Enable: b takes traffic again, with its health verdict back.
  EXPECT_EQ(api("PATCH", targets + "/" + b.address(), R"({"drain": false})").status, 200);
  std::this_thread::sleep_for(1s);
  seen = answers(port, 20);
  EXPECT_GE(seen["b"], 5);
  group = api("GET", base + "/api/v1/target-groups/pool").body;
  EXPECT_EQ((*target_of(group, b.address()))["state"], "healthy");

  // Deregister: drains (the open connection goes on), then leaves after the 1 s delay.
  EXPECT_EQ(api("DELETE", targets + "/" + b.address()).status, 200);
  std::this_thread::sleep_for(1s);
  seen = answers(port, 10);
  EXPECT_EQ(seen["a"], 10);
  ::close(open_on_b);
  for (int i = 0; i < 30 && target_of(group, b.address()); ++i) {
    std::this_thread::sleep_for(100ms);
    group = api("GET", base + "/api/v1/target-groups/pool").body;
  }
  EXPECT_FALSE(target_of(group, b.address())) << group.dump(2);

  // The file now names b: the file is what counts, and an API change of a file target is
  // dropped once the file changes that target.
  EXPECT_EQ(api("PATCH", targets + "/" + a.address(), R"({"weight": 3})").status, 200);
  std::string edited = pool_yaml(port, {a.address(), b.address()});
  edited.replace(edited.find(a.address() + " }"), a.address().size() + 2, a.address() + ", weight: 2 }");
  dir.write("fulcrum.yaml", edited);
  EXPECT_EQ(api("POST", base + "/api/v1/reload").status, 200);
  group = api("GET", base + "/api/v1/target-groups/pool").body;
  ASSERT_TRUE(target_of(group, b.address()));
  EXPECT_EQ((*target_of(group, b.address()))["source"], "file");
  EXPECT_EQ((*target_of(group, a.address()))["weight"], 2);
  EXPECT_TRUE(fulcrum->wait_for_output("admin.change_dropped group=pool target=" + a.address(), 2s, true))
      << fulcrum->errors();
}

TEST(FulcrumCtl, ListShowChangeAndReloadWithTablesOrJson) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet");
  uint16_t port = free_port();
  std::string token = dir.write("admin.token", "ctl-token\n");
  std::string yaml = "admin:\n  listen: 127.0.0.1:0\n  token_file: " + token + "\n" + pool_yaml(port, {a.address()});
  auto fulcrum = start_fulcrum(dir, yaml, port);
  const std::string admin = admin_address(*fulcrum);
  struct Run {
    int code = -1;
    std::string out, err;
  };
  int serial = 0;
  auto ctl = [&](std::vector<std::string> words, bool with_token = true) {
    std::vector<std::string> argv{fulcrum_binary(), "ctl", "--admin", admin};
    if (with_token) argv.insert(argv.end(), {"--token-file", token});
    argv.insert(argv.end(), words.begin(), words.end());
    Process process(argv, dir.path(), "ctl-" + std::to_string(++serial));
    Run run;
    run.code = process.wait(10s).value_or(-1);
    run.out = process.output();
    run.err = process.errors();
    return run;
  };

  auto list = ctl({"list"});
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("GROUP"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("pool"), std::string::npos);

  auto registered = ctl({"register", "pool", b.address(), "--weight", "4"});
  EXPECT_EQ(registered.code, 0) << registered.err;
  auto shown = ctl({"show", "pool"});
  EXPECT_EQ(shown.code, 0);
  EXPECT_NE(shown.out.find("TARGET"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find(b.address()), std::string::npos) << shown.out;

  auto json_show = ctl({"--json", "show", "pool"});
  json parsed = json::parse(json_show.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json_show.out;
  EXPECT_EQ(parsed["targets"].size(), 2u);

  EXPECT_EQ(ctl({"weight", "pool", b.address(), "7"}).code, 0);
  EXPECT_EQ(ctl({"drain", "pool", b.address()}).code, 0);
  parsed = json::parse(ctl({"--json", "show", "pool"}).out);
  for (const auto& t : parsed["targets"]) {
    if (t["address"] != b.address()) continue;
    EXPECT_EQ(t["weight"], 7);
    EXPECT_EQ(t["state"], "draining");
  }
  EXPECT_EQ(ctl({"enable", "pool", b.address()}).code, 0);
  EXPECT_EQ(ctl({"deregister", "pool", b.address()}).code, 0);
  EXPECT_EQ(ctl({"reload"}).code, 0);

  // The API's refusal: exit 1 and its sentence; no token: 401; nobody there: exit 2.
  auto refused = ctl({"deregister", "pool", "127.0.0.1:9"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("no target 127.0.0.1:9"), std::string::npos) << refused.err;
  auto no_token = ctl({"list"}, false);
  EXPECT_EQ(no_token.code, 1);
  EXPECT_NE(no_token.err.find("401"), std::string::npos) << no_token.err;
  Process nobody({fulcrum_binary(), "ctl", "--admin", "127.0.0.1:" + std::to_string(free_port()), "list"}, dir.path(),
                 "nobody");
  EXPECT_EQ(nobody.wait(10s).value_or(-1), 2);
}

}  // namespace admin_targets_test
}  // namespace fulcrum::testing
