#include "upstream/operator_overrides.hpp"

#include <gtest/gtest.h>

namespace fulcrum::upstream {
namespace operator_overrides_test {

config::TargetConfig target(const std::string& address, uint32_t weight = 1) {
  core::EndpointError error;
  config::TargetConfig t;
  t.address = *core::parse_endpoint(address, error);
  t.address_text = address;
  t.weight = weight;
  return t;
}

config::Config file_with(std::vector<config::TargetConfig> targets) {
  config::Config config;
  config::TargetGroupConfig group;
  group.name = "g";
  group.targets = std::move(targets);
  config.target_groups.push_back(group);
  return config;
}

const config::TargetConfig* find(const config::Config& config, const std::string& address) {
  for (const auto& t : config.target_groups[0].targets) {
    if (t.address.to_string() == address) return &t;
  }
  return nullptr;
}

TEST(OperatorOverrides, ARegisteredTargetStaysAcrossReloadsUntilTheFileNamesIt) {
  OperatorOverrides overrides;
  auto file = file_with({target("127.0.0.1:81")});
  int status = 0;
  EXPECT_EQ(overrides.register_target(file, file, "g", target("127.0.0.1:82", 5), status), "");
  auto served = overrides.apply(file);
  ASSERT_TRUE(find(served, "127.0.0.1:82"));
  EXPECT_EQ(find(served, "127.0.0.1:82")->weight, 5u);
  EXPECT_TRUE(overrides.view("g", "127.0.0.1:82")->registered);

  // Registering it again is a conflict; an unknown group is not found.
  EXPECT_NE(overrides.register_target(file, served, "g", target("127.0.0.1:82"), status), "");
  EXPECT_EQ(status, 409);
  EXPECT_NE(overrides.register_target(file, served, "nope", target("127.0.0.1:83"), status), "");
  EXPECT_EQ(status, 404);

  // The same file again: kept. The file now names it: the file wins, the change is dropped.
  served = overrides.apply(file);
  EXPECT_TRUE(find(served, "127.0.0.1:82"));
  auto edited = file_with({target("127.0.0.1:81"), target("127.0.0.1:82", 2)});
  std::vector<OperatorOverrides::Dropped> dropped;
  served = overrides.apply(edited, &dropped);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].address, "127.0.0.1:82");
  EXPECT_EQ(find(served, "127.0.0.1:82")->weight, 2u);
  EXPECT_EQ(served.target_groups[0].targets.size(), 2u);
  EXPECT_EQ(overrides.size(), 0u);
}

TEST(OperatorOverrides, WeightDrainAndDeregistrationOfAFileTargetLastUntilTheFileChangesIt) {
  OperatorOverrides overrides;
  auto file = file_with({target("127.0.0.1:81"), target("127.0.0.1:82")});
  int status = 0;
  EXPECT_EQ(overrides.set_weight(file, file, "g", "127.0.0.1:81", 7, status), "");
  EXPECT_EQ(overrides.set_drained(file, file, "g", "127.0.0.1:82", true, status), "");
  auto served = overrides.apply(file);
  EXPECT_EQ(find(served, "127.0.0.1:81")->weight, 7u);
  EXPECT_TRUE(find(served, "127.0.0.1:82")->operator_drain);
  EXPECT_FALSE(find(served, "127.0.0.1:81")->operator_drain);

  // Enabling again leaves nothing to remember for :82.
  EXPECT_EQ(overrides.set_drained(file, served, "g", "127.0.0.1:82", false, status), "");
  EXPECT_EQ(overrides.size(), 1u);
  EXPECT_FALSE(find(overrides.apply(file), "127.0.0.1:82")->operator_drain);

  // Deregistered: gone on every reload of the same file; unknown targets are 404.
  EXPECT_EQ(overrides.deregister_target(file, served, "g", "127.0.0.1:82", status), "");
  EXPECT_FALSE(find(overrides.apply(file), "127.0.0.1:82"));
  EXPECT_FALSE(find(overrides.apply(file), "127.0.0.1:82"));
  EXPECT_NE(overrides.set_weight(file, served, "g", "127.0.0.1:99", 1, status), "");
  EXPECT_EQ(status, 404);

  // The file changes :81's weight: the operator's weight is dropped; :82 still deregistered.
  auto edited = file_with({target("127.0.0.1:81", 3), target("127.0.0.1:82")});
  served = overrides.apply(edited);
  EXPECT_EQ(find(served, "127.0.0.1:81")->weight, 3u);
  EXPECT_FALSE(find(served, "127.0.0.1:82"));
}

}  // namespace operator_overrides_test
}  // namespace fulcrum::upstream
