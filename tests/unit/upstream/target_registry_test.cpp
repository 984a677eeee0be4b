#include "upstream/target_registry.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config_loader.hpp"
#include "upstream/open_sessions.hpp"
#include "upstream/passive_report.hpp"

namespace fulcrum::upstream {
namespace target_registry_test {

std::shared_ptr<const config::Config> load(const std::string& yaml) {
  auto result = config::load_config_text(yaml, "test.yaml");
  EXPECT_TRUE(result.config.has_value()) << (result.errors.empty() ? "" : result.errors.front().format());
  return std::make_shared<const config::Config>(std::move(*result.config));
}

std::string config_text(const std::string& targets, const std::string& group_extra = "",
                        const std::string& forward = "pool") {
  return "listeners:\n  - name: front\n    listen: 127.0.0.1:1\n    protocol: tcp\n    default: { forward: " + forward +
         " }\ntarget_groups:\n  - name: pool\n" + group_extra + "    targets: [" + targets +
         "]\n  - name: spare\n    targets: [127.0.0.9:9]\n";
}

std::vector<uint32_t> eligible(const Snapshot& snapshot, size_t group = 0) {
  return snapshot.groups[group].pickers->targets().eligible;
}

TEST(TargetRegistry, DefaultStatusesAndUnusedGroups) {
  TargetRegistry registry;
  auto unchecked = registry.build(load(config_text("127.0.0.1:1, 127.0.0.2:1")), 0);
  EXPECT_EQ(unchecked->groups[0].targets[0].status.state, TargetState::healthy);
  EXPECT_EQ(unchecked->groups[0].targets[0].status.reason_code, "Target.HealthCheckDisabled");
  EXPECT_EQ(eligible(*unchecked).size(), 2u);
  EXPECT_FALSE(unchecked->groups[1].used);
  EXPECT_EQ(unchecked->groups[1].targets[0].status.state, TargetState::unused);
  EXPECT_EQ(unchecked->groups[1].targets[0].status.reason_code, "Target.NotInUse");

  TargetRegistry checked_registry;
  auto checked = checked_registry.build(
      load(config_text("127.0.0.1:1, 127.0.0.2:1", "    health_check: { protocol: tcp, interval: 1s }\n")), 0);
  EXPECT_EQ(checked->groups[0].targets[0].status.state, TargetState::initial);
  EXPECT_EQ(checked->groups[0].targets[0].status.reason_code, "Elb.InitialHealthChecking");
}

TEST(TargetRegistry, UnhealthyTargetsAreNotEligibleAndAllUnhealthyFailsOpen) {
  TargetRegistry registry;
  auto config = load(config_text("127.0.0.1:1, 127.0.0.2:1", "    health_check: { protocol: tcp, interval: 1s }\n"));
  registry.build(config, 0);
  registry.take_transitions();
  TargetStatus healthy{TargetState::healthy, "Elb.HealthChecksPassed", "ok", 0};
  TargetStatus unhealthy{TargetState::unhealthy, "Target.Timeout", "no answer within 1s", 0};
  ASSERT_TRUE(registry.set_status("pool", "127.0.0.1:1", healthy, 10));
  ASSERT_TRUE(registry.set_status("pool", "127.0.0.2:1", unhealthy, 10));
  EXPECT_FALSE(registry.set_status("pool", "127.0.0.2:1", unhealthy, 10));  // unchanged
  auto snapshot = registry.rebuild(10);
  EXPECT_EQ(eligible(*snapshot), std::vector<uint32_t>{0});
  EXPECT_FALSE(snapshot->groups[0].failing_open);
  auto transitions = registry.take_transitions();
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[1].to.reason, "no answer within 1s");
  EXPECT_EQ(transitions[1].from, TargetState::initial);

  registry.set_status("pool", "127.0.0.1:1", unhealthy, 20);
  auto history = registry.history("pool", "127.0.0.1:1");
  ASSERT_EQ(history.size(), 3u);  // initial, healthy, unhealthy: each with its reason
  EXPECT_EQ(history[0].reason_code, "Elb.InitialHealthChecking");
  EXPECT_EQ(history[1].state, TargetState::healthy);
  EXPECT_EQ(history[2].reason_code, "Target.Timeout");
  for (int i = 0; i < 10; ++i) {
    registry.set_status("pool", "127.0.0.1:1", {TargetState::healthy, "x", std::to_string(i), 0}, 20);
  }
  EXPECT_EQ(registry.history("pool", "127.0.0.1:1").size(), TargetRegistry::kHistory);
  registry.set_status("pool", "127.0.0.1:1", unhealthy, 20);
  snapshot = registry.rebuild(20);
  EXPECT_TRUE(snapshot->groups[0].failing_open);
  EXPECT_EQ(eligible(*snapshot).size(), 2u);

  TargetRegistry closed;
  closed.build(load(config_text("127.0.0.1:1", "    fail_open: false\n    health_check: { protocol: tcp, interval: 1s }\n")), 0);
  closed.set_status("pool", "127.0.0.1:1", unhealthy, 5);
  snapshot = closed.rebuild(5);
  EXPECT_FALSE(snapshot->groups[0].failing_open);
  EXPECT_TRUE(eligible(*snapshot).empty());
}

TEST(TargetRegistry, RecoveredTargetRampsButStartupTargetsDoNot) {
  TargetRegistry registry;
  registry.build(load(config_text("127.0.0.1:1", "    slow_start: 10s\n    health_check: { protocol: tcp, interval: 1s }\n")), 0);
  registry.set_status("pool", "127.0.0.1:1", {TargetState::healthy, "a", "", 0}, 100);
  auto snapshot = registry.rebuild(100);
  EXPECT_EQ(snapshot->groups[0].pickers->targets().targets[0].healthy_since_ms, 0);
  registry.set_status("pool", "127.0.0.1:1", {TargetState::unhealthy, "b", "", 0}, 200);
  registry.set_status("pool", "127.0.0.1:1", {TargetState::healthy, "a", "", 0}, 300);
  snapshot = registry.rebuild(300);
  EXPECT_EQ(snapshot->groups[0].pickers->targets().targets[0].healthy_since_ms, 300);
}

TEST(TargetRegistry, RemovedTargetsDrainUntilIdleOrDelay) {
  TargetRegistry registry;
  auto first = registry.build(load(config_text("127.0.0.1:1, 127.0.0.2:1", "    deregistration_delay: 10s\n")), 0);
  auto removed_counters = first->groups[0].targets[1].counters;
  auto removed_identity = first->groups[0].targets[1].outcomes;
  removed_counters->active.store(2);
  auto second = registry.build(load(config_text("127.0.0.1:1", "    deregistration_delay: 10s\n")), 1000);
  ASSERT_EQ(second->groups[0].targets.size(), 1u);
  ASSERT_EQ(second->groups[0].draining.size(), 1u);
  EXPECT_EQ(second->groups[0].draining[0].status.state, TargetState::draining);
  EXPECT_EQ(second->groups[0].draining[0].status.reason_code, "Target.DeregistrationInProgress");
  EXPECT_EQ(eligible(*second), std::vector<uint32_t>{0});
  EXPECT_TRUE(registry.finish_draining(5000).empty());  // connections open, delay not over
  removed_counters->active.store(1);
  auto ended = registry.finish_draining(11000);           // delay over: close the last one
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].open_connections, 1u);
  EXPECT_EQ(ended[0].identity, removed_identity);
  EXPECT_FALSE(registry.has_draining());
  EXPECT_TRUE(registry.rebuild(11000)->groups[0].draining.empty());
}

TEST(TargetRegistry, DrainingEndsEarlyWhenIdleAndReAddingKeepsCounters) {
  TargetRegistry registry;
  auto first = registry.build(load(config_text("127.0.0.1:1, 127.0.0.2:1")), 0);
  auto counters = first->groups[0].targets[1].counters;
  registry.build(load(config_text("127.0.0.1:1")), 10);
  auto back = registry.build(load(config_text("127.0.0.1:1, 127.0.0.2:1")), 20);  // back before it drained
  EXPECT_EQ(back->groups[0].targets[1].counters, counters);
  EXPECT_EQ(back->groups[0].targets[1].status.state, TargetState::healthy);
  registry.build(load(config_text("127.0.0.1:1")), 30);
  auto ended = registry.finish_draining(31);  // idle: ends at once
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].open_connections, 0u);
}

TEST(PassiveReport, CountsFailuresInARowAndHonoursCount5xx) {
  TargetRegistry registry;
  auto snapshot = registry.build(load(config_text("127.0.0.1:1", "    outlier_detection: { count_5xx: false }\n")), 0);
  const auto& group = snapshot->groups[0];
  const auto& target = group.targets[0];
  report_traffic_failure(group, target, TrafficFailure::connect_refused);
  report_traffic_failure(group, target, TrafficFailure::http_5xx);  // not counted here
  report_traffic_failure(group, target, TrafficFailure::reset);
  EXPECT_EQ(target.outcomes->consecutive_failures.load(), 2u);
  EXPECT_EQ(target.outcomes->last_failure.load(), static_cast<uint8_t>(TrafficFailure::reset));
  report_traffic_success(target);
  EXPECT_EQ(target.outcomes->consecutive_failures.load(), 0u);
  EXPECT_EQ(target.outcomes->failures_total.load(), 2u);
}

TEST(OpenSessions, ClosesOnlyTheNamedTargetsSessions) {
  int a[2], b[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
  TrafficOutcomes one, two;
  OpenSessions sessions;
  {
    OpenSessions::Entry first(sessions, &one, a[0], a[1]);
    OpenSessions::Entry second(sessions, &two, b[0], b[1]);
    EXPECT_EQ(sessions.size(), 2u);
    EXPECT_EQ(sessions.close_target(&one), 1u);
    EXPECT_TRUE(first.closed_by_deregistration());
    EXPECT_FALSE(second.closed_by_deregistration());
    char byte;
    EXPECT_EQ(::recv(a[0], &byte, 1, MSG_DONTWAIT), 0);   // shut down: EOF
    EXPECT_EQ(::recv(b[0], &byte, 1, MSG_DONTWAIT), -1);  // untouched: would block
  }
  EXPECT_EQ(sessions.size(), 0u);
  for (int fd : {a[0], a[1], b[0], b[1]}) ::close(fd);
}

// SRV priorities as tiers: only the lowest tier with a healthy target is eligible, the healthy
// targets of higher tiers stand by (one list per tier); the next tier takes over when the first
// has none; a discovered target removed with its name drains as removed from the configuration.
TEST(TargetRegistry, TiersKeepTheLowestHealthyTierEligibleAndTheOthersStandingBy) {
  auto config = std::make_shared<config::Config>(*load(config_text("127.0.0.1:1, 127.0.0.2:1, 127.0.0.3:1, 127.0.0.4:1",
                                                                   "    health_check: { protocol: tcp, interval: 1s }\n")));
  auto& targets = config->target_groups[0].targets;
  const uint32_t tiers[] = {0, 0, 1, 2};
  for (size_t i = 0; i < targets.size(); ++i) {
    targets[i].tier = tiers[i];
    targets[i].origin = "srv:_x._tcp.test";
  }
  TargetRegistry registry;
  registry.build(config, 0);
  TargetStatus healthy{TargetState::healthy, "Elb.HealthChecksPassed", "ok", 0};
  TargetStatus unhealthy{TargetState::unhealthy, "Target.Timeout", "no answer within 1s", 0};
  for (const char* address : {"127.0.0.1:1", "127.0.0.2:1", "127.0.0.3:1", "127.0.0.4:1"}) {
    registry.set_status("pool", address, healthy, 10);
  }
  auto snapshot = registry.rebuild(10);
  EXPECT_EQ(eligible(*snapshot), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(snapshot->groups[0].pickers->targets().standby, (std::vector<std::vector<uint32_t>>{{2}, {3}}));
  EXPECT_EQ(snapshot->groups[0].targets[2].tier, 1u);
  EXPECT_EQ(snapshot->groups[0].targets[2].origin, "srv:_x._tcp.test");

  registry.set_status("pool", "127.0.0.1:1", unhealthy, 20);
  registry.set_status("pool", "127.0.0.2:1", unhealthy, 20);
  snapshot = registry.rebuild(20);
  EXPECT_EQ(eligible(*snapshot), std::vector<uint32_t>{2}) << "the second tier takes over";
  EXPECT_EQ(snapshot->groups[0].pickers->targets().standby, (std::vector<std::vector<uint32_t>>{{3}}));
  EXPECT_FALSE(snapshot->groups[0].failing_open);

  registry.set_status("pool", "127.0.0.1:1", healthy, 30);
  snapshot = registry.rebuild(30);
  EXPECT_EQ(eligible(*snapshot), std::vector<uint32_t>{0}) << "and gives back";

  // The name's entry is gone from the file (the group keeps no discovered entry): the reason
  // says the configuration removed its targets, not the DNS answers.
  auto without = std::make_shared<config::Config>(*config);
  without->target_groups[0].targets.pop_back();
  snapshot = registry.build(without, 40);
  ASSERT_EQ(snapshot->groups[0].draining.size(), 1u);
  EXPECT_EQ(snapshot->groups[0].draining[0].status.reason.rfind("removed from the configuration", 0), 0u)
      << snapshot->groups[0].draining[0].status.reason;
}

}  // namespace target_registry_test
}  // namespace fulcrum::upstream
