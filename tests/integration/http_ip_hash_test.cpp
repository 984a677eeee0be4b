// ip_hash on HTTP listeners: the client's address, or the header, cookie or URI that `hash_key`
// names, decides the target, with the default two workers (each with its own picker).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace http_ip_hash_test {

std::string ip_hash_config(uint16_t port, const std::vector<std::string>& targets, const std::string& hash_key) {
  std::string yaml = "listeners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) +
                     "\n    protocol: http\n    default: { forward: app }\ntarget_groups:\n  - name: app\n"
                     "    algorithm: ip_hash\n";
  if (!hash_key.empty()) yaml += "    hash_key: \"" + hash_key + "\"\n";
  yaml += "    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target + " }\n";
  return yaml;
}

// Who answered each request of one curl run, in order.
std::vector<std::string> answered_by(const std::vector<std::string>& curl_args) {
  return backend_names(curl(curl_args).out);
}

TEST(HttpIpHash, EachClientAddressKeepsItsTargetAndClientsSpread) {
  TempDir dir;
  HttpBackend a(dir, "a"), b(dir, "b"), c(dir, "c");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, ip_hash_config(port, {a.address(), b.address(), c.address()}, ""), port);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  std::map<std::string, int> clients_per_target;
  // The ring's placement follows the targets' randomly chosen ports: each client lands on any
  // of the three with odds of a third. 40 clients miss one with odds of 3 × (2/3)^40, about
  // 1 in 3.7 million (32 did, 1 in 144,000).
  constexpr int kClients = 40;
  for (int client = 0; client < kClients; ++client) {
    const std::string source = "127.0.0." + std::to_string(client + 10);
    // Four requests, each on a connection of its own: the two workers both see this client.
    const auto names = answered_by({"--interface", source, "-H", "Connection: close", url, url, url, url});
    ASSERT_EQ(names.size(), 4u) << source;
    const std::set<std::string> reached(names.begin(), names.end());
    EXPECT_EQ(reached.size(), 1u) << source << " reached " << reached.size() << " targets";
    clients_per_target[names.front()]++;
  }
  EXPECT_EQ(clients_per_target.size(), 3u) << kClients << " clients hashed onto fewer than 3 targets";
}

TEST(HttpIpHash, HashKeyHeaderCookieAndUriDecideWhateverTheClientAddress) {
  TempDir dir;
  HttpBackend a(dir, "a"), b(dir, "b"), c(dir, "c");
  const std::vector<std::string> targets{a.address(), b.address(), c.address()};
  // Where the ring puts each target depends on its address, and the test's targets listen on
  // ports the kernel picks: the keys must reach all three targets whatever the ring. With a
  // third of the ring each, 48 keys miss one with odds of 3 × (2/3)^48, and the three cases
  // below hash different strings, so a run fails with odds of 9 × (2/3)^48, about 1 in
  // 30 million (40 keys: 1 in 1.2 million; 12 keys missed one in 40 runs).
  constexpr int kKeys = 48;
  struct Case {
    std::string hash_key;
    // The curl arguments of request `key`, ahead of its URL (and the URL's path).
    std::function<std::vector<std::string>(int key)> options;
    std::function<std::string(int key)> path;
  };
  const std::vector<Case> cases{
      {"header:X-User", [](int key) { return std::vector<std::string>{"-H", "x-user: user-" + std::to_string(key)}; },
       [](int) { return std::string("/"); }},
      {"cookie:sid", [](int key) { return std::vector<std::string>{"-b", "theme=dark; sid=s" + std::to_string(key)}; },
       [](int) { return std::string("/"); }},
      {"uri", [](int) { return std::vector<std::string>{}; },
       [](int key) { return "/item/" + std::to_string(key) + "?v=1"; }},
  };
  for (const Case& c : cases) {
    const uint16_t port = free_port();
    auto fulcrum = start_fulcrum(dir, ip_hash_config(port, targets, c.hash_key), port);
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    // From each of four client addresses, one curl run asks for every key (--next separates
    // the requests' options), each on a new connection.
    std::vector<std::vector<std::string>> by_client;
    for (int client = 0; client < 4; ++client) {
      std::vector<std::string> args;
      for (int key = 0; key < kKeys; ++key) {
        if (key > 0) args.push_back("--next");
        args.insert(args.end(), {"--interface", "127.0.0." + std::to_string(client * 7 + 20), "-H", "Connection: close"});
        const auto options = c.options(key);
        args.insert(args.end(), options.begin(), options.end());
        args.push_back(base + c.path(key));
      }
      by_client.push_back(answered_by(args));
      ASSERT_EQ(by_client.back().size(), static_cast<size_t>(kKeys)) << c.hash_key;
    }
    std::set<std::string> spread;
    for (int key = 0; key < kKeys; ++key) {
      for (int client = 1; client < 4; ++client) {
        EXPECT_EQ(by_client[client][key], by_client[0][key]) << c.hash_key << " key " << key << " client " << client;
      }
      spread.insert(by_client[0][key]);
    }
    EXPECT_EQ(spread.size(), 3u) << c.hash_key << ": " << kKeys << " keys hashed onto fewer than 3 targets";
    // Without the header or cookie, the client's address decides: one client, one target.
    if (c.hash_key != "uri") {
      const std::string url = base + "/";
      const auto names = answered_by({"--interface", "127.0.0.99", "-H", "Connection: close", url, url, url, url});
      const std::set<std::string> reached(names.begin(), names.end());
      EXPECT_EQ(reached.size(), 1u) << c.hash_key << ": a request without the key was spread at random";
    }
  }
}

}  // namespace http_ip_hash_test
}  // namespace fulcrum::testing
