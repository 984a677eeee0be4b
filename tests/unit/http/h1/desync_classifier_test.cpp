#include "http/h1/desync_classifier.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http_test_support.hpp"

namespace fulcrum::http {
namespace desync_classifier_test {

Classification classify_raw(const std::string& bytes) {
  testing::ParsedRequest r;
  testing::parse_request(bytes, r);
  return r.result.error() ? classify_parse_error(r.result) : classify_request(r.head);
}

struct Case {
  const char* name;
  std::string request;
  DesyncTier tier;
  DesyncReason reason;
};

TEST(DesyncClassifier, ParsedRequests) {
  const std::string post = "POST / HTTP/1.1\r\nHost: a\r\n";
  const Case cases[] = {
      {"plain get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", DesyncTier::compliant, DesyncReason::compliant},
      {"post cl", post + "Content-Length: 3\r\n\r\n", DesyncTier::compliant, DesyncReason::compliant},
      {"post chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n", DesyncTier::compliant,
       DesyncReason::compliant},
      {"http/1.0", "GET / HTTP/1.0\r\n\r\n", DesyncTier::compliant, DesyncReason::compliant},
      {"http/0.9 version", "GET / HTTP/0.9\r\n\r\n", DesyncTier::acceptable, DesyncReason::non_compliant_version},
      {"http/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", DesyncTier::acceptable, DesyncReason::non_compliant_version},
      {"obs-text name", "GET / HTTP/1.1\r\nHost: a\r\nX-\xc3\xa9: 1\r\n\r\n", DesyncTier::acceptable,
       DesyncReason::non_compliant_header},
      {"separator in name", "GET / HTTP/1.1\r\nHost: a\r\nX(a): 1\r\n\r\n", DesyncTier::acceptable,
       DesyncReason::non_compliant_header},
      {"get cl 0", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", DesyncTier::acceptable,
       DesyncReason::get_head_zero_content_length},
      {"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", DesyncTier::ambiguous, DesyncReason::empty_header},
      {"look-alike te", post + "Transfer_Encoding: chunked\r\n\r\n", DesyncTier::ambiguous,
       DesyncReason::suspicious_header},
      {"look-alike cl", post + "Content.Length: 3\r\n\r\n", DesyncTier::ambiguous, DesyncReason::suspicious_header},
      {"dotless i", post + "Transfer-Encod\xc4\xb1ng: chunked\r\n\r\n", DesyncTier::ambiguous,
       DesyncReason::suspicious_header},
      {"duplicate cl", post + "Content-Length: 3\r\nContent-Length: 3\r\n\r\n", DesyncTier::ambiguous,
       DesyncReason::duplicate_content_length},
      {"get cl", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", DesyncTier::ambiguous,
       DesyncReason::undefined_content_length_semantics},
      {"head te", "HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", DesyncTier::ambiguous,
       DesyncReason::undefined_transfer_encoding_semantics},
      {"1.0 te", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", DesyncTier::ambiguous,
       DesyncReason::undefined_transfer_encoding_semantics},
      {"chunked params", post + "Transfer-Encoding: chunked;q=1\r\n\r\n", DesyncTier::ambiguous,
       DesyncReason::chunked_with_parameters},
      {"cl+te", post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", DesyncTier::severe,
       DesyncReason::both_te_cl},
      {"look-alike cl conflicts", post + "Content-Length: 3\r\nContent_Length: 4\r\n\r\n", DesyncTier::severe,
       DesyncReason::multiple_content_length},
      {"look-alike te bad", post + "Transfer-Encoding-: xchunked\r\n\r\n", DesyncTier::severe,
       DesyncReason::bad_transfer_encoding},
      {"parse error", post + "X : 1\r\n\r\n", DesyncTier::severe, DesyncReason::whitespace_before_colon},
  };
  for (const auto& c : cases) {
    const Classification got = classify_raw(c.request);
    EXPECT_EQ(got.tier, c.tier) << c.name << ": " << to_string(got.reason);
    EXPECT_EQ(got.reason, c.reason) << c.name << ": " << to_string(got.reason);
  }
}

TEST(DesyncClassifier, PointsAtTheOffendingField) {
  const Classification c = classify_raw("POST / HTTP/1.1\r\nHost: a\r\nA: 1\r\nTransfer_Encoding: chunked\r\n\r\n");
  EXPECT_EQ(c.reason, DesyncReason::suspicious_header);
  EXPECT_EQ(c.header_index, 2);
}

TEST(DesyncClassifier, HandBuiltHeadsAreCheckedByteByByte) {
  std::vector<Header> fields = {{"Host", "a"}, {"X-A", "v\x01"}};
  RequestHead head(fields);
  head.method = "GET";
  head.target = "/";
  head.version = "HTTP/1.1";
  head.header_count = 2;
  EXPECT_EQ(classify_request(head).reason, DesyncReason::control_character_in_header);
  fields[1].value = "v";
  EXPECT_EQ(classify_request(head).tier, DesyncTier::compliant);
  head.target = "/a b";
  EXPECT_EQ(classify_request(head).reason, DesyncReason::space_in_uri);
  head.target = "/";
  head.method = "G T";
  EXPECT_EQ(classify_request(head).reason, DesyncReason::bad_method);
  head.method = "GET";
  fields[1].name = "X-A\r";
  EXPECT_EQ(classify_request(head).reason, DesyncReason::bad_header);
}

TEST(DesyncClassifier, ParserAndByteByByteViewsAgree) {
  // The classifier may trust the parser's summary; re-reading every byte must not change a thing.
  const std::string requests[] = {
      "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "GET / HTTP/1.2\r\nHost: a\r\nX-\xff: 1\r\n\r\n",
      "HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
  };
  for (const auto& bytes : requests) {
    testing::ParsedRequest r;
    testing::parse_request(bytes, r);
    ASSERT_TRUE(r.result.complete()) << bytes;
    const Classification trusted = classify_request(r.head);
    r.head.field_check = FieldCheck::unknown;
    const Classification checked = classify_request(r.head);
    EXPECT_EQ(trusted.tier, checked.tier) << bytes;
    EXPECT_EQ(trusted.reason, checked.reason) << bytes;
    EXPECT_EQ(trusted.header_index, checked.header_index) << bytes;
  }
}

TEST(DesyncClassifier, ModesActOnTiers) {
  const auto act = [](DesyncReason reason, DesyncMode mode) {
    return desync_action(Classification{tier_of(reason), reason, -1, status_for(reason)}, mode);
  };
  using A = DesyncAction;
  using M = DesyncMode;
  using R = DesyncReason;
  // compliant: forwarded in every mode
  EXPECT_EQ(act(R::compliant, M::monitor), A::forward);
  EXPECT_EQ(act(R::compliant, M::defensive), A::forward);
  EXPECT_EQ(act(R::compliant, M::strictest), A::forward);
  // acceptable: only strictest refuses
  EXPECT_EQ(act(R::non_compliant_header, M::monitor), A::forward);
  EXPECT_EQ(act(R::non_compliant_header, M::defensive), A::forward);
  EXPECT_EQ(act(R::non_compliant_header, M::strictest), A::reject);
  // ambiguous: forwarded then closed, refused by strictest
  EXPECT_EQ(act(R::suspicious_header, M::monitor), A::forward_then_close);
  EXPECT_EQ(act(R::suspicious_header, M::defensive), A::forward_then_close);
  EXPECT_EQ(act(R::suspicious_header, M::strictest), A::reject);
  // severe and framable: monitor forwards then closes
  EXPECT_EQ(act(R::both_te_cl, M::monitor), A::forward_then_close);
  EXPECT_EQ(act(R::both_te_cl, M::defensive), A::reject);
  EXPECT_EQ(act(R::both_te_cl, M::strictest), A::reject);
  // severe parse errors: refused in every mode
  EXPECT_EQ(act(R::bad_header, M::monitor), A::reject);
  EXPECT_EQ(act(R::obs_fold, M::defensive), A::reject);
  EXPECT_EQ(act(R::request_line_too_long, M::strictest), A::reject);
}

TEST(DesyncClassifier, EveryReasonHasANameAndAStatus) {
  for (int r = 0; r <= static_cast<int>(DesyncReason::bad_status_line); ++r) {
    const auto reason = static_cast<DesyncReason>(r);
    EXPECT_NE(to_string(reason), "unknown") << r;
    const uint16_t s = status_for(reason);
    EXPECT_TRUE(s == 400 || s == 414 || s == 431) << r;
  }
}

}  // namespace desync_classifier_test
}  // namespace fulcrum::http
