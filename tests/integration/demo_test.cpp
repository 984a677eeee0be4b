// `fulcrum demo`, the first thing a newcomer runs (make run).
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>

#include "harness.hpp"

namespace fulcrum::testing {
namespace demo_test {

TEST(Demo, BalancesHttpRequestsOverItsThreeBackends) {
  TempDir dir;
  uint16_t port = free_port();
  Process demo({fulcrum_binary(), "demo", "--listen", "127.0.0.1:" + std::to_string(port), "--admin", "127.0.0.1:0"},
               dir.path(), "demo");
  ASSERT_TRUE(demo.wait_for_output("Try:", 10s)) << demo.errors();
  std::set<std::string> answers;
  for (int i = 0; i < 6; ++i) {
    int fd = connect_to(port);
    send_all(fd, "GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n");
    std::string response = read_to_eof(fd, 5s);
    ::close(fd);
    ASSERT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    answers.insert(response.substr(response.find("Hello from ")));
  }
  EXPECT_EQ(answers.size(), 3u);
  demo.signal(SIGINT);
  EXPECT_EQ(demo.wait(5s).value_or(-1), 0);
}

}  // namespace demo_test
}  // namespace fulcrum::testing
