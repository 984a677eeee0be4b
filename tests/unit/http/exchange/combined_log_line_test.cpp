#include "http/exchange/combined_log_line.hpp"

#include <gtest/gtest.h>

namespace fulcrum::http {
namespace combined_log_line_test {

constexpr int64_t kTime = 1795485353;  // 2026-11-24T01:55:53Z

TEST(CombinedLogLine, ReadsLikeNginxCombinedThenTheBalancerFields) {
  CombinedLogFields f;
  f.client = "203.0.113.7";
  f.method = "GET";
  f.path = "/a?b=1";
  f.version = "HTTP/1.1";
  f.status = 200;
  f.bytes_out = 1234;
  f.user_agent = "curl/7.88.1";
  f.host = "example.com";
  f.bytes_in = 78;
  f.duration_us = 3'400;
  f.connect_us = 1'000;
  f.first_byte_us = 2'049;
  f.group = "app";
  f.target = "10.0.0.5:8080";
  f.attempts = 1;
  f.rule = "api";
  f.desync_tier = "compliant";
  f.request_id = "abc";
  std::string line;
  format_combined_line(line, f, kTime);
  EXPECT_EQ(line,
            "203.0.113.7 - - [24/Nov/2026:01:55:53 +0000] \"GET /a?b=1 HTTP/1.1\" 200 1234 \"-\" \"curl/7.88.1\" "
            "host=\"example.com\" in=78 rt=0.003 ct=0.001 fb=0.002 group=\"app\" target=\"10.0.0.5:8080\" "
            "attempts=1 rule=\"api\" desync=compliant rid=\"abc\"");
}

TEST(CombinedLogLine, ARetriedRequestNamesEveryTargetTried) {
  CombinedLogFields f;
  f.method = "GET";
  f.status = 200;
  f.target = "10.0.0.6:8080";
  f.attempts = 2;
  f.tried = "10.0.0.5:8080 10.0.0.6:8080";
  std::string line;
  format_combined_line(line, f, kTime);
  EXPECT_NE(line.find("target=\"10.0.0.6:8080\" attempts=2 tried=\"10.0.0.5:8080 10.0.0.6:8080\" rule="),
            std::string::npos)
      << line;
}

TEST(CombinedLogLine, HostileValuesCannotForgeAFieldOrALine) {
  CombinedLogFields f;
  f.client = "::1";
  f.method = "GET";
  f.path = "/x\" 200 0 \"evil";
  f.version = "HTTP/1.0";
  f.status = 400;
  f.referer = "a\\\"b";
  f.user_agent = std::string_view("bad\r\n\x7f\xff", 7);
  std::string line;
  format_combined_line(line, f, kTime);
  EXPECT_NE(line.find("\"GET /x\\\" 200 0 \\\"evil HTTP/1.0\" 400 0 \"a\\\\\\\"b\" \"bad\\x0D\\x0A\\x7F\\xFF\""),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  // Unknown durations and a request line never understood print as "-".
  EXPECT_NE(line.find("ct=- fb=-"), std::string::npos) << line;
  CombinedLogFields garbage;
  garbage.status = 400;
  format_combined_line(line, garbage, kTime);
  EXPECT_EQ(line.rfind("- - - [24/Nov/2026:01:55:53 +0000] \"-\" 400 0 \"-\" \"-\" host=\"-\"", 0), 0u) << line;
}

}  // namespace combined_log_line_test
}  // namespace fulcrum::http
