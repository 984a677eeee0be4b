// Routing rules on an HTTP listener, each condition and action checked with curl against
// real backends: the backend's name in the answer tells which group a request reached.
#include <gtest/gtest.h>

#include <map>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace http_rules_test {

class HttpRules : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"api", "images", "admin", "beta", "debug", "canary", "stable", "web", "local", "post"}) {
      backends.emplace(name, std::make_unique<HttpBackend>(dir, name));
    }
    port = free_port();
    std::string yaml = "workers: 1\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) + R"(
    protocol: http
    rules:
      - name: api-host
        match: { host: api.example.com }
        forward: api
      - name: wildcard
        match: { host: "*.img.example.com", path: "/pics/*.png" }
        forward: images
      - name: admin-exact
        match: { path: /admin }
        forward: admin
      - name: beta-cookie
        match: { cookie: { beta: "yes" } }
        forward: beta
      - name: debug-query
        match: { query: { debug: "true" } }
        forward: debug
      - name: header
        match: { header: { X-Canary: "1" } }
        forward: [ { group: canary, weight: 1 } ]
      - name: split
        match: { path: /split/* }
        forward: [ { group: stable, weight: 9 }, { group: canary, weight: 1 } ]
      - name: method
        match: { method: [POST, PUT], path: /submit }
        forward: post
      - name: source
        match: { source: [127.0.0.2/32] }
        forward: local
      - name: to-https
        match: { host: old.example.com }
        redirect: { status: 301, scheme: https, host: "www.example.com", path: "/new#{path}" }
      - name: temp
        match: { path: /moved }
        redirect: { status: 307, path: /here, query: "from=#{path}" }
      - name: health
        match: { path: /healthz }
        fixed_response: { status: 200, content_type: text/plain, body: "ok\n" }
      - name: teapot
        match: { path: /teapot, method: GET }
        fixed_response: { status: 418, content_type: application/json, body: '{"tea":true}' }
    default: { forward: web }
target_groups:
)";
    for (auto& [name, backend] : backends) {
      yaml += "  - name: " + name + "\n    targets: [ { address: " + backend->address() + " } ]\n";
    }
    fulcrum = start_fulcrum(dir, yaml, port);
  }

  // Which backend answered (its name), or the status when none did.
  std::string who(std::vector<std::string> args, const std::string& path = "/") {
    args.push_back("http://127.0.0.1:" + std::to_string(port) + path);
    auto r = curl(args);
    if (r.out.rfind("backend ", 0) == 0) return r.out.substr(8, r.out.find('\n') - 8);
    return "?" + r.out;
  }

  TempDir dir;
  std::map<std::string, std::unique_ptr<HttpBackend>> backends;
  uint16_t port = 0;
  std::unique_ptr<Process> fulcrum;
};

TEST_F(HttpRules, HostExactAndWildcard) {
  EXPECT_EQ(who({"-H", "Host: api.example.com"}), "api");
  EXPECT_EQ(who({"-H", "Host: API.Example.com:8080"}), "api");  // case and port do not matter
  EXPECT_EQ(who({"-H", "Host: www.api.example.com"}), "web");
  EXPECT_EQ(who({"-H", "Host: cdn.img.example.com"}, "/pics/cat.png"), "images");
  EXPECT_EQ(who({"-H", "Host: cdn.img.example.com"}, "/pics/cat.gif"), "web");  // both must hold
  EXPECT_EQ(who({"-H", "Host: img.example.com"}, "/pics/cat.png"), "web");
}

TEST_F(HttpRules, PathExactPrefixAndGlob) {
  EXPECT_EQ(who({}, "/admin"), "admin");
  EXPECT_EQ(who({}, "/admin?x=1"), "admin");  // the query is not part of the path
  EXPECT_EQ(who({}, "/admin/more"), "web");
  EXPECT_EQ(who({}, "/split/a"), "stable");
}

TEST_F(HttpRules, MethodHeaderQueryCookieSource) {
  EXPECT_EQ(who({"-X", "POST", "-d", "x"}, "/submit"), "post");
  EXPECT_EQ(who({"-X", "PUT", "-d", "x"}, "/submit"), "post");
  EXPECT_EQ(who({}, "/submit"), "web");
  EXPECT_EQ(who({"-H", "X-Canary: 1"}), "canary");
  EXPECT_EQ(who({"-H", "x-canary: 1"}), "canary");  // header names are case-insensitive
  EXPECT_EQ(who({"-H", "X-Canary: 2"}), "web");
  EXPECT_EQ(who({}, "/?a=b&debug=true"), "debug");
  EXPECT_EQ(who({}, "/?debug=false"), "web");
  EXPECT_EQ(who({"-b", "session=1; beta=yes"}), "beta");
  EXPECT_EQ(who({"-b", "beta=no"}), "web");
  EXPECT_EQ(who({"--interface", "127.0.0.2"}), "local");
  EXPECT_EQ(who({"--interface", "127.0.0.3"}), "web");
}

TEST_F(HttpRules, WeightedForwardSplitsByWeight) {
  std::map<std::string, int> counts;
  for (int i = 0; i < 20; ++i) counts[who({}, "/split/x")]++;
  EXPECT_EQ(counts["stable"], 18);
  EXPECT_EQ(counts["canary"], 2);
}

TEST_F(HttpRules, RedirectsWithPlaceholders) {
  auto r = curl({"-i", "-H", "Host: old.example.com", "http://127.0.0.1:" + std::to_string(port) + "/page?q=1"});
  EXPECT_EQ(status_of(r.out), 301) << r.out;
  EXPECT_NE(r.out.find("Location: https://www.example.com/new/page?q=1\r\n"), std::string::npos) << r.out;
  auto temp = curl({"-i", "-H", "Host: site.test:8443", "http://127.0.0.1:" + std::to_string(port) + "/moved"});
  EXPECT_EQ(status_of(temp.out), 307) << temp.out;
  EXPECT_NE(temp.out.find("Location: http://site.test:8443/here?from=/moved\r\n"), std::string::npos) << temp.out;
}

TEST_F(HttpRules, FixedResponses) {
  auto ok = curl({"-i", "http://127.0.0.1:" + std::to_string(port) + "/healthz"});
  EXPECT_EQ(status_of(ok.out), 200);
  EXPECT_NE(ok.out.find("Content-Type: text/plain\r\n"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.substr(ok.out.find("\r\n\r\n") + 4), "ok\n");
  auto tea = curl({"-i", "http://127.0.0.1:" + std::to_string(port) + "/teapot"});
  EXPECT_EQ(status_of(tea.out), 418);
  EXPECT_NE(tea.out.find("Content-Type: application/json\r\n"), std::string::npos) << tea.out;
  EXPECT_EQ(tea.out.substr(tea.out.find("\r\n\r\n") + 4), "{\"tea\":true}");
  // Answered by Fulcrum on a kept-alive connection: the next request still goes through.
  auto both = curl({"-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
                    "http://127.0.0.1:" + std::to_string(port) + "/healthz",
                    "http://127.0.0.1:" + std::to_string(port) + "/"});
  EXPECT_EQ(both.out, "200 1\n200 0\n");
  EXPECT_EQ(backends["web"]->count("accept "), 1u);
}

}  // namespace http_rules_test
}  // namespace fulcrum::testing
