// ip_hash on HTTP listeners: the client's address, or the header, cookie or URI that `hash_key`
// names, decides the target, with the default two workers (each with its own picker).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace {

std::string ip_hash_config(uint16_t port, const std::vector<std::string>& targets, const std::string& hash_key) {
  std::string yaml = "listeners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) +
                     "\n    protocol: http\n    default: { forward: app }\ntarget_groups:\n  - name: app\n"
                     "    algorithm: ip_hash\n";
  if (!hash_key.empty()) yaml += "    hash_key: \"" + hash_key + "\"\n";
  yaml += "    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target + " }\n";
  return yaml;
}

// The name of the backend that answered ("backend NAME" is its body's first line).
std::string who_answered(const std::vector<std::string>& curl_args) {
  auto r = curl(curl_args);
  const size_t at = r.out.find("backend ");
  if (at == std::string::npos) return "?";
  return r.out.substr(at + 8, r.out.find('\n', at) - at - 8);
}

TEST(HttpIpHash, EachClientAddressKeepsItsTargetAndClientsSpread) {
  TempDir dir;
  HttpBackend a(dir, "a"), b(dir, "b"), c(dir, "c");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, ip_hash_config(port, {a.address(), b.address(), c.address()}, ""), port);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  std::map<std::string, int> clients_per_target;
  for (int client = 0; client < 20; ++client) {
    const std::string source = "127.0.0." + std::to_string(client + 10);
    std::set<std::string> reached;
    // A new connection per request: the two workers both see this client.
    for (int i = 0; i < 4; ++i) reached.insert(who_answered({"--interface", source, url}));
    EXPECT_EQ(reached.size(), 1u) << source << " reached " << reached.size() << " targets";
    clients_per_target[*reached.begin()]++;
  }
  EXPECT_EQ(clients_per_target.count("?"), 0u);
  EXPECT_EQ(clients_per_target.size(), 3u) << "20 clients hashed onto fewer than 3 targets";
}

TEST(HttpIpHash, HashKeyHeaderCookieAndUriDecideWhateverTheClientAddress) {
  TempDir dir;
  HttpBackend a(dir, "a"), b(dir, "b"), c(dir, "c");
  const std::vector<std::string> targets{a.address(), b.address(), c.address()};
  struct Case {
    std::string hash_key;
    std::function<std::vector<std::string>(int key, const std::string& url)> request;
  };
  const std::vector<Case> cases{
      {"header:X-User", [](int key, const std::string& url) {
         return std::vector<std::string>{"-H", "x-user: user-" + std::to_string(key), url};
       }},
      {"cookie:sid", [](int key, const std::string& url) {
         return std::vector<std::string>{"-b", "theme=dark; sid=s" + std::to_string(key), url};
       }},
      {"uri", [](int key, const std::string& url) {
         return std::vector<std::string>{url + "item/" + std::to_string(key) + "?v=1"};
       }},
  };
  for (const Case& c : cases) {
    const uint16_t port = free_port();
    auto fulcrum = start_fulcrum(dir, ip_hash_config(port, targets, c.hash_key), port);
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
    std::set<std::string> spread;
    for (int key = 0; key < 12; ++key) {
      std::set<std::string> reached;
      // The same key from four client addresses: one target.
      for (int client = 0; client < 4; ++client) {
        auto args = c.request(key, url);
        args.insert(args.begin(), {"--interface", "127.0.0." + std::to_string(client * 7 + 20)});
        reached.insert(who_answered(args));
      }
      EXPECT_EQ(reached.size(), 1u) << c.hash_key << " key " << key;
      spread.insert(*reached.begin());
    }
    EXPECT_EQ(spread.size(), 3u) << c.hash_key << ": 12 keys hashed onto fewer than 3 targets";
    // Without the header or cookie, the client's address decides: one client, one target.
    if (c.hash_key != "uri") {
      std::set<std::string> reached;
      for (int i = 0; i < 4; ++i) reached.insert(who_answered({"--interface", "127.0.0.99", url}));
      EXPECT_EQ(reached.size(), 1u) << c.hash_key << ": a request without the key was spread at random";
    }
  }
}

}  // namespace
}  // namespace fulcrum::testing
