#include "health/agent_reply.hpp"

#include <gtest/gtest.h>

namespace fulcrum::health {
namespace agent_reply_test {

TEST(AgentReply, HaproxyWordsAndPercent) {
  auto reply = parse_agent_reply("75%\n");
  EXPECT_EQ(reply.state, AgentWord::none);
  ASSERT_TRUE(reply.capacity_percent);
  EXPECT_EQ(*reply.capacity_percent, 75u);
  EXPECT_EQ(reply.load_permille(), 250u);

  EXPECT_EQ(parse_agent_reply("up").state, AgentWord::up);
  EXPECT_EQ(parse_agent_reply("ready\r\n").state, AgentWord::up);
  EXPECT_EQ(parse_agent_reply("DRAIN").state, AgentWord::drain);
  EXPECT_EQ(parse_agent_reply("maint").state, AgentWord::maint);
  EXPECT_EQ(parse_agent_reply("down").state, AgentWord::down);
  EXPECT_EQ(parse_agent_reply("fail").state, AgentWord::down);
  EXPECT_EQ(parse_agent_reply("stopped").state, AgentWord::down);
}

TEST(AgentReply, CombinationsCommasTabsAndComments) {
  auto reply = parse_agent_reply("drain,\t50% cpu:40 mem:62 maxconn:10 # kernel upgrade\n");
  EXPECT_EQ(reply.state, AgentWord::drain);
  EXPECT_EQ(*reply.capacity_percent, 50u);
  EXPECT_EQ(*reply.cpu_percent, 40u);
  EXPECT_EQ(*reply.mem_percent, 62u);
  EXPECT_EQ(reply.comment, "kernel upgrade");
  // cpu/mem win over the percent: the larger of the two.
  EXPECT_EQ(reply.load_permille(), 620u);
}

TEST(AgentReply, GarbageIsIgnoredNotMisread) {
  auto reply = parse_agent_reply("hello cpu:abc mem: 12x% %");
  EXPECT_EQ(reply.state, AgentWord::none);
  EXPECT_FALSE(reply.cpu_percent);
  EXPECT_FALSE(reply.mem_percent);
  EXPECT_FALSE(reply.capacity_percent);
  EXPECT_FALSE(reply.load_permille());
  EXPECT_EQ(*parse_agent_reply("cpu:250").cpu_percent, 100u);  // clamped
}

TEST(AgentReply, FormatRoundTrips) {
  std::string line = format_agent_reply(AgentWord::up, 12, 62);
  EXPECT_EQ(line, "up 38% cpu:12 mem:62\n");
  auto reply = parse_agent_reply(line);
  EXPECT_EQ(reply.state, AgentWord::up);
  EXPECT_EQ(reply.load_permille(), 620u);
  EXPECT_EQ(format_agent_reply(AgentWord::drain, 0, 0), "drain 100% cpu:0 mem:0\n");
}

}  // namespace agent_reply_test
}  // namespace fulcrum::health
