// Every case of tests/support/smuggling_cases.hpp, run through what the proxy runs: the head
// parser, the desync classifier and mode, and (for cases behind a valid head) the chunked decoder
// over the body bytes that arrived with the head.
#include <gtest/gtest.h>

#include <set>

#include "../../../support/smuggling_cases.hpp"
#include "http/h1/chunked_decoder.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http_test_support.hpp"

namespace fulcrum::http {
namespace smuggling_test {

struct Outcome {
  DesyncAction action = DesyncAction::forward;
  uint16_t status = 0;
  std::string reason;
};

Outcome run(const fulcrum::testing::SmugglingCase& c, DesyncMode mode) {
  testing::ParsedRequest r;
  testing::parse_request(c.request, r);
  const Classification cls = r.result.error() ? classify_parse_error(r.result) : classify_request(r.head);
  Outcome out{desync_action(cls, mode), cls.status, std::string(to_string(cls.reason))};
  if (out.action == DesyncAction::reject || !r.result.complete()) return out;
  if (r.head.framing == BodyFraming::chunked) {
    ChunkedDecoder body;
    const ChunkedResult b = body.feed(std::string_view(c.request).substr(r.result.head_size));
    if (b.error()) return {DesyncAction::reject, b.error_status, std::string(to_string(b.reason))};
  }
  return out;
}

TEST(Smuggling, AtLeastFortyDistinctCases) {
  const auto cases = fulcrum::testing::smuggling_cases();
  EXPECT_GE(cases.size(), 40u);
  std::set<std::string> names;
  for (const auto& c : cases) EXPECT_TRUE(names.insert(c.name).second) << "duplicate " << c.name;
}

TEST(Smuggling, EveryCaseIsRejectedWithItsStatusInDefensiveMode) {
  for (const auto& c : fulcrum::testing::smuggling_cases()) {
    const Outcome o = run(c, DesyncMode::defensive);
    EXPECT_EQ(o.action, DesyncAction::reject) << c.name << " (" << o.reason << ")";
    EXPECT_EQ(o.status, c.status) << c.name << " (" << o.reason << ")";
  }
}

TEST(Smuggling, EveryCaseIsRejectedInStrictestMode) {
  for (const auto& c : fulcrum::testing::smuggling_cases()) {
    const Outcome o = run(c, DesyncMode::strictest);
    EXPECT_EQ(o.action, DesyncAction::reject) << c.name;
    EXPECT_EQ(o.status, c.status) << c.name;
  }
}

TEST(Smuggling, HeadCasesAreRefusedBeforeAnyBodyByte) {
  // Only the in_body cases may get past the head; they must be caught by the body decoder.
  for (const auto& c : fulcrum::testing::smuggling_cases()) {
    testing::ParsedRequest r;
    testing::parse_request(c.request, r);
    const Classification cls = r.result.error() ? classify_parse_error(r.result) : classify_request(r.head);
    const bool head_refused = desync_action(cls, DesyncMode::defensive) == DesyncAction::reject;
    EXPECT_EQ(head_refused, !c.in_body) << c.name;
  }
}

TEST(Smuggling, MonitorModeStillRefusesWhatCannotBeFramed) {
  // Monitor forwards what it can frame (closing afterwards) and refuses the rest.
  int forwarded = 0;
  for (const auto& c : fulcrum::testing::smuggling_cases()) {
    const Outcome o = run(c, DesyncMode::monitor);
    EXPECT_NE(o.action, DesyncAction::forward) << c.name;
    if (o.action == DesyncAction::forward_then_close) ++forwarded;
  }
  EXPECT_GT(forwarded, 0);  // CL + TE is framed by TE alone, with CL dropped
}

}  // namespace smuggling_test
}  // namespace fulcrum::http
