// The HTTP features that choose or exclude targets, on every HTTP-capable listener protocol
// (http, https, and HTTP/2 clients on both: h2c, h2): stickiness, ejection of a failing target,
// draining. Same rigs as the algorithm matrix, default worker count.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"
#include "http_harness.hpp"
#include "protocol_rigs.hpp"

namespace fulcrum::testing {
namespace http_feature_matrix_test {

class HttpFeatures : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { rig_ = make_rig(GetParam()); }
  void TearDown() override {
    if (rig_) rig_->release_held();
  }

  // Targets a and b (b started with `b_extra`), round robin, group keys in `group_extra`.
  void start(const std::string& group_extra, const std::vector<std::string>& b_extra = {}) {
    targets_.push_back(rig_->start_target(dir_, "a", "127.0.0.1", 0));
    targets_.push_back(rig_->start_target(dir_, "b", "127.0.0.1", 0, b_extra));
    port_ = free_port();
    admin_ = free_port();
    const std::string yaml = "shutdown_timeout: 1s\nlisteners:\n  - name: front\n    listen: 127.0.0.1:" +
                             std::to_string(port_) + "\n    protocol: " + rig_->protocol() + "\n" + rig_->listener_extra(dir_) +
                             "    default: { forward: pool }\ntarget_groups:\n  - name: pool\n    algorithm: round_robin\n" +
                             group_extra + "    targets:\n      - { address: " + targets_[0].address +
                             " }\n      - { address: " + targets_[1].address + " }\n";
    fulcrum_ = start_fulcrum(dir_, yaml, admin_, {"--admin-listen", "127.0.0.1:" + std::to_string(admin_)});
    // The admin port may accept before the listeners are bound: "fulcrum.start" comes after both.
    ASSERT_TRUE(fulcrum_->wait_for_output("fulcrum.start", 10s, true)) << fulcrum_->errors();
  }
  std::string sequence(int count, const std::vector<std::string>& extra = {}) {
    std::string names;
    if (extra.empty()) {
      for (const auto& name : rig_->exchanges(port_, "127.0.0.1", count)) names += name.substr(0, 1);
    } else {
      for (int i = 0; i < count; ++i) names += rig_->exchange(port_, "127.0.0.1", extra).substr(0, 1);
    }
    return names;
  }

  // After the log line that excludes b, the new snapshot reaches the workers within
  // milliseconds: then ten requests in a row go to a. At most one may still reach b meanwhile.
  void expect_only_a_from_now() {
    std::string after;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (after.size() < 10 || after.substr(after.size() - 10) != std::string(10, 'a')) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "b still takes requests: " << after;
      after += sequence(1);
    }
    EXPECT_LE(std::count(after.begin(), after.end(), 'b'), 1) << after;
  }

  TempDir dir_;
  std::unique_ptr<ProtocolRig> rig_;
  std::vector<RigTarget> targets_;
  uint16_t port_ = 0, admin_ = 0;
  std::unique_ptr<Process> fulcrum_;
};

TEST_P(HttpFeatures, LbCookieStickinessKeepsAClientOnItsTarget) {
  start("    stickiness: { type: lb_cookie, duration: 1h }\n");
  const std::string jar = dir_.path() + "/cookies";
  const std::string first = sequence(1, {"-c", jar});
  ASSERT_FALSE(first.empty());
  // With its cookie, the client stays; without, round robin goes on.
  EXPECT_EQ(sequence(8, {"-b", jar}), std::string(8, first[0]));
  const std::string without = sequence(8);
  EXPECT_EQ(std::count(without.begin(), without.end(), 'a'), 4) << without;
}

TEST_P(HttpFeatures, AFailingTargetIsEjectedAndTakesNoMoreTraffic) {
  start("    outlier_detection: { consecutive_failures: 2 }\n", {"--always-status", "500"});
  const std::string log_mark = "code=Target.OutlierEjected";
  std::string names;
  for (int i = 0; i < 40 && fulcrum_->errors().find(log_mark) == std::string::npos; ++i) names += sequence(1);
  ASSERT_TRUE(fulcrum_->wait_for_output(log_mark, 3s, true)) << names << fulcrum_->errors();
  expect_only_a_from_now();
}

TEST_P(HttpFeatures, ADrainedTargetTakesNoNewRequests) {
  start("");
  const std::string target_b = targets_[1].address;
  const auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", "-H", "Content-Type: application/json",
                       "-d", "{\"drain\": true}",
                       "http://127.0.0.1:" + std::to_string(admin_) + "/api/v1/target-groups/pool/targets/" + target_b});
  ASSERT_EQ(r.out, "200");
  ASSERT_TRUE(fulcrum_->wait_for_output("code=Target.OperatorDrain", 3s, true)) << fulcrum_->errors();
  expect_only_a_from_now();
}

INSTANTIATE_TEST_SUITE_P(HttpProtocols, HttpFeatures, ::testing::Values("http", "https", "h2c", "h2"),
                         [](const auto& info) { return info.param; });

}  // namespace http_feature_matrix_test
}  // namespace fulcrum::testing
