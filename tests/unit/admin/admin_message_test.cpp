#include "admin/admin_message.hpp"

#include <gtest/gtest.h>

#include "admin/prometheus_metrics.hpp"

namespace fulcrum::admin {
namespace admin_message_test {

TEST(PercentDecode, DecodesEscapesAndRefusesBrokenOnesAndNul) {
  std::string out;
  EXPECT_TRUE(percent_decode("/api/v1/target-groups/web/targets/%5B%3A%3A1%5D%3A80", out));
  EXPECT_EQ(out, "/api/v1/target-groups/web/targets/[::1]:80");
  EXPECT_FALSE(percent_decode("/a%2", out));
  EXPECT_FALSE(percent_decode("/a%", out));
  EXPECT_FALSE(percent_decode("/a%zz", out));
  EXPECT_FALSE(percent_decode("/a%00b", out));
}

TEST(AdminRequest, FindsQueryValues) {
  AdminRequest request;
  request.query = "a=1&address=10.0.0.1%3A80&empty=";
  EXPECT_EQ(request.query_value("address"), "10.0.0.1:80");
  EXPECT_EQ(request.query_value("a"), "1");
  EXPECT_EQ(request.query_value("empty"), "");
  EXPECT_EQ(request.query_value("missing"), "");
}

TEST(AdminResponse, ErrorsAreJsonWithTheStatus) {
  auto response = AdminResponse::error(404, "no \"such\" group");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, "{\"error\":\"no \\\"such\\\" group\"}\n");
}

TEST(PrometheusText, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace admin_message_test
}  // namespace fulcrum::admin
