// Replays every case of the AWS http_desync_guardian corpus (tests/corpora/http-desync-guardian)
// through Fulcrum's classifier and checks:
//   1. the tier agrees with ALB's, except for the disagreements listed in kKnownDisagreements
//      (each explained in src/http/README.md), where ours must be stricter, never laxer;
//   2. each desync mode acts on our tier as specified, and never more leniently than ALB would
//      on its tier;
//   3. the same request serialised to bytes and put through RequestParser + classifier reaches
//      the same tier (the corpus describes requests as fields; the proxy sees bytes).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "http/h1/desync_classifier.hpp"
#include "http/h1/request_parser.hpp"

namespace fulcrum::http {
namespace desync_corpus_test {

struct CorpusCase {
  std::string file;
  std::string name;
  std::string method;
  std::string uri;
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;
  DesyncTier expected_tier = DesyncTier::compliant;
  std::string expected_reason;
};

// Why ours is stricter, by category; README.md § "Where we differ from ALB" explains each.
enum class Why {
  te_with_cl,          // D1: the issue requires CL + TE to be refused (RFC 9112 §6.1 allows it)
  whitespace_in_name,  // D2: whitespace before the colon or at the start of a field line
  control_bytes,       // D3: CTL in a field or the request-target
  no_version,          // D4: a version-less (HTTP/0.9 simple) request line
  version_whitespace,  // D5: "HTTP/1.1 " with trailing whitespace
  space_in_target,     // D6: unescaped space in the request-target
  empty_target,        // D7: empty request-target
  chunked_parameters,  // D8: parameters on chunked
};

// file:name -> category. Names are unique within a file for every listed case.
const std::map<std::string, Why> kKnownDisagreements = {
    {"acceptable.yaml:No TE/CL headers, some others are non-compliant", Why::whitespace_in_name},
    {"acceptable.yaml:TE and some others are non-compliant", Why::whitespace_in_name},
    {"acceptable.yaml:A non-essential header with a non-printable character (x01)", Why::control_bytes},
    {"acceptable.yaml:CL and some others are non-compliant", Why::whitespace_in_name},
    {"acceptable.yaml:Empty version, which means HTTP/0.9", Why::no_version},
    {"ambiguous.yaml:Transfer-Encoding with a trailing space in name", Why::whitespace_in_name},
    {"ambiguous.yaml:Transfer-Encoding with a trailing tab in name", Why::whitespace_in_name},
    {"ambiguous.yaml:\\x01Transfer-Encoding with a non-printable character", Why::control_bytes},
    {"ambiguous.yaml:\\x01\\x01Transfer-Encoding with a non-printable character", Why::control_bytes},
    {"ambiguous.yaml:\\x01\\x01Content-Length with a non-printable character", Why::control_bytes},
    {"ambiguous.yaml:\\x01Content-Length with a non-printable character", Why::control_bytes},
    {"ambiguous.yaml:Both Transfer-Encoding:chunked and Content-Length", Why::te_with_cl},
    {"ambiguous.yaml:Both Transfer-Encoding and Content-Length", Why::te_with_cl},
    {"ambiguous.yaml:Transfer-Encoding[white-space] and Content-Length", Why::whitespace_in_name},
    {"ambiguous.yaml:[white-space]Transfer-Encoding and Content-Length", Why::whitespace_in_name},
    {"ambiguous.yaml:[white-space]Transfer-Encoding and [white-space]Content-Length", Why::whitespace_in_name},
    {"ambiguous.yaml:Transfer-Encoding[white-space] and Content-Length[white-space]", Why::whitespace_in_name},
    {"ambiguous.yaml:Only white-spaces header name", Why::whitespace_in_name},
    // This copy of the corpus holds plain ASCII spaces where the case names say "UTF8 spaces".
    {"ambiguous.yaml:Transfer-Encoding with UTF8 spaces", Why::whitespace_in_name},
    {"ambiguous.yaml:Content-Length with UTF8 spaces", Why::whitespace_in_name},
    {"ambiguous.yaml:Transfer-Encoding for empty protocol, which is HTTP/0.9", Why::no_version},
    {"ambiguous.yaml:Content-Length for empty protocol, which is HTTP/0.9", Why::no_version},
    {"bad-header-characters.yaml:\\x01Transfer-Encoding", Why::control_bytes},
    {"bad-header-characters.yaml:Transfer-Encoding\\x01", Why::control_bytes},
    {"bad-header-characters.yaml:\\x01Content-Length", Why::control_bytes},
    {"bad-header-characters.yaml:Content-Length\\x01", Why::control_bytes},
    {"bad-header-characters.yaml:Some-Header\\x01", Why::control_bytes},
    {"bad-header-characters.yaml:\\x01Some-Header", Why::control_bytes},
    {"bad-header-characters.yaml:Some-Header: \\x01value", Why::control_bytes},
    {"bad-header-characters.yaml:Some-Header: value\\x01", Why::control_bytes},
    {"edge-cases.yaml:Non-compliant customer header does not shadow ambiguous Transfer-Encoding for GET",
     Why::control_bytes},
    {"edge-cases.yaml:Non-compliant customer header does not shadow ambiguous Content-Length for HEAD",
     Why::control_bytes},
    {"edge-cases.yaml:Bad URI does not shadow essential ambiguous headers", Why::control_bytes},
    {"more-compliant-tests.yaml:TE with custom parameters OK", Why::chunked_parameters},
    {"real-life-test-cases.yaml:Chunks Priority on Content-Length", Why::te_with_cl},
    {"real-life-test-cases.yaml:Transfer-Encoding[tab]: chunked", Why::whitespace_in_name},
    {"real-life-test-cases.yaml:Transfer-Encoding: identity and Content-Length", Why::te_with_cl},
    {"real-life-test-cases.yaml:Multiple transfer encoding headers in a single request", Why::te_with_cl},
    {"real-life-test-cases.yaml:Mixed case", Why::te_with_cl},
    {"real-life-test-cases.yaml:Chunks Priority on Content-Length.1", Why::te_with_cl},
    {"real-life-test-cases.yaml:Send small (1614 bytes) request, transfer encoded request", Why::te_with_cl},
    {"rfc-compliant.yaml:Transfer-Encoding with a param: chunked;custom_param", Why::chunked_parameters},
    {"rfc-compliant.yaml:Empty URI", Why::empty_target},
    {"uri-specific-test-cases.yaml:\\t in URI", Why::control_bytes},
    {"uri-specific-test-cases.yaml:Extra spaces in version", Why::version_whitespace},
    {"uri-specific-test-cases.yaml:\\x01 in URI", Why::control_bytes},
    {"uri-specific-test-cases.yaml:[space] in URI", Why::space_in_target},
};

// The corpus's own unescaping (its test runner applies it after YAML parsing): \xNN is the code
// point U+00NN written as UTF-8, as in the original Rust runner; \t, \n, \r, \b, \f as usual.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char e = s[++i];
    switch (e) {
      case 'x': {
        const unsigned v = static_cast<unsigned>(std::stoul(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
        if (v < 0x80) {
          out += static_cast<char>(v);
        } else {
          out += static_cast<char>(0xC0 | (v >> 6));
          out += static_cast<char>(0x80 | (v & 0x3F));
        }
        break;
      }
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      default:
        out += e;
        break;
    }
  }
  return out;
}

DesyncTier tier_from(const std::string& text) {
  if (text == "Compliant") return DesyncTier::compliant;
  if (text == "Acceptable") return DesyncTier::acceptable;
  if (text == "Ambiguous") return DesyncTier::ambiguous;
  if (text == "Severe") return DesyncTier::severe;
  ADD_FAILURE() << "unknown tier " << text;
  return DesyncTier::severe;
}

std::string scalar(const YAML::Node& node) { return node && !node.IsNull() ? unescape(node.as<std::string>()) : ""; }

std::vector<CorpusCase> load_corpus() {
  const std::filesystem::path dir = std::filesystem::path(FULCRUM_SOURCE_DIR) / "tests" / "corpora" / "http-desync-guardian";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<CorpusCase> cases;
  for (const auto& path : files) {
    const YAML::Node doc = YAML::LoadFile(path.string());
    for (const YAML::Node& n : doc) {
      CorpusCase c;
      c.file = path.filename().string();
      c.name = n["name"].as<std::string>();
      c.method = scalar(n["method"]);
      c.uri = scalar(n["uri"]);
      c.version = scalar(n["version"]);
      if (n["headers"] && n["headers"].IsSequence()) {
        for (const YAML::Node& h : n["headers"]) c.headers.emplace_back(scalar(h["name"]), scalar(h["value"]));
      }
      c.expected_tier = tier_from(n["expected"]["tier"].as<std::string>());
      c.expected_reason = n["expected"]["reason"].as<std::string>();
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

const std::vector<CorpusCase>& corpus() {
  static const std::vector<CorpusCase> cases = load_corpus();
  return cases;
}

Classification classify_fields(const CorpusCase& c) {
  std::vector<Header> fields;
  for (const auto& [name, value] : c.headers) fields.push_back(Header{name, value});
  RequestHead head(fields);
  head.header_count = static_cast<uint32_t>(fields.size());
  head.method = c.method;
  head.target = c.uri;
  head.version = c.version;
  head.field_check = FieldCheck::unknown;
  return classify_request(head);
}

// The request as a client would put it on the wire.
std::string serialise(const CorpusCase& c) {
  std::string bytes = c.method + " " + c.uri;
  if (!c.version.empty()) bytes += " " + c.version;
  bytes += "\r\n";
  for (const auto& [name, value] : c.headers) bytes += name + ":" + value + "\r\n";
  return bytes + "\r\n";
}

Classification classify_bytes(const CorpusCase& c) {
  ParserLimits limits;
  limits.require_host = false;  // the corpus cases carry no Host; that rule is not under test here
  std::vector<Header> storage(limits.max_headers);
  RequestHead head(storage);
  RequestParser parser(limits);
  const std::string bytes = serialise(c);
  const ParseResult r = parser.parse(bytes, head);
  if (r.error()) return classify_parse_error(r);
  EXPECT_TRUE(r.complete()) << c.name;
  return classify_request(head);
}

// What ALB does with a tier (docs of http_desync_guardian; monitor mode forwards everything).
DesyncAction alb_action(DesyncTier tier, DesyncMode mode) {
  switch (mode) {
    case DesyncMode::monitor:
      return DesyncAction::forward;
    case DesyncMode::defensive:
      if (tier == DesyncTier::severe) return DesyncAction::reject;
      return tier == DesyncTier::ambiguous ? DesyncAction::forward_then_close : DesyncAction::forward;
    case DesyncMode::strictest:
      return tier == DesyncTier::compliant ? DesyncAction::forward : DesyncAction::reject;
  }
  return DesyncAction::reject;
}

// Our mode table (README.md), as a function of the tier alone plus the unframeable exception.
DesyncAction specified_action(const Classification& c, DesyncMode mode) {
  if (c.tier == DesyncTier::severe && !is_forwardable(c.reason)) return DesyncAction::reject;
  switch (mode) {
    case DesyncMode::monitor:
      return c.tier <= DesyncTier::acceptable ? DesyncAction::forward : DesyncAction::forward_then_close;
    case DesyncMode::defensive:
      return alb_action(c.tier, mode);
    case DesyncMode::strictest:
      return alb_action(c.tier, mode);
  }
  return DesyncAction::reject;
}

std::string key(const CorpusCase& c) { return c.file + ":" + c.name; }

TEST(DesyncCorpus, LoadsEveryCase) {
  EXPECT_EQ(corpus().size(), 158u);  // 9 files; a new corpus version should be looked at
}

TEST(DesyncCorpus, TiersAgreeWithAlbExceptWhereWeAreStricter) {
  size_t agree = 0;
  size_t reasons_agree = 0;
  std::map<std::string, DesyncTier> disagreements;
  for (const CorpusCase& c : corpus()) {
    const Classification ours = classify_fields(c);
    EXPECT_GE(ours.tier, c.expected_tier)
        << key(c) << ": ours " << to_string(ours.reason) << " is laxer than ALB's " << c.expected_reason;
    if (ours.tier == c.expected_tier) {
      ++agree;
      EXPECT_EQ(kKnownDisagreements.count(key(c)), 0u) << key(c) << " now agrees: update the table and README";
    } else {
      disagreements[key(c)] = ours.tier;
      EXPECT_EQ(kKnownDisagreements.count(key(c)), 1u) << key(c) << ": ours " << to_string(ours.tier) << "/"
                                                       << to_string(ours.reason) << ", ALB " << c.expected_reason;
    }
    // Reason names are compared loosely: ALB's CamelCase against our snake_case.
    std::string alb = c.expected_reason;
    std::string lowered;
    for (char ch : alb) lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string ours_name;
    for (char ch : to_string(ours.reason)) {
      if (ch != '_') ours_name += ch;
    }
    if (ours.tier == c.expected_tier && lowered == ours_name) ++reasons_agree;
  }
  std::cout << "[ corpus   ] tier agreement with ALB: " << agree << " of " << corpus().size()
            << "; of those, the reason names also agree for " << reasons_agree << "\n";
  ::testing::Test::RecordProperty("corpus_agreement", std::to_string(agree) + "/" + std::to_string(corpus().size()));
  EXPECT_EQ(disagreements.size(), kKnownDisagreements.size());
}

TEST(DesyncCorpus, ModesActOnOurTierAndNeverMoreLenientlyThanAlb) {
  const DesyncMode modes[] = {DesyncMode::monitor, DesyncMode::defensive, DesyncMode::strictest};
  for (const CorpusCase& c : corpus()) {
    const Classification ours = classify_fields(c);
    for (const DesyncMode mode : modes) {
      const DesyncAction action = desync_action(ours, mode);
      EXPECT_EQ(action, specified_action(ours, mode)) << key(c) << " in " << to_string(mode);
      EXPECT_GE(action, alb_action(c.expected_tier, mode)) << key(c) << " in " << to_string(mode);
    }
    // The corpus README, literally: severe -> 400 and close in defensive and strictest;
    // ambiguous -> blocked in strictest; compliant -> forwarded in every mode.
    if (c.expected_tier == DesyncTier::severe) {
      EXPECT_EQ(desync_action(ours, DesyncMode::defensive), DesyncAction::reject) << key(c);
      EXPECT_EQ(desync_action(ours, DesyncMode::strictest), DesyncAction::reject) << key(c);
      EXPECT_EQ(ours.status, 400) << key(c);
    }
    if (c.expected_tier == DesyncTier::ambiguous) {
      EXPECT_EQ(desync_action(ours, DesyncMode::strictest), DesyncAction::reject) << key(c);
    }
    if (c.expected_tier == DesyncTier::compliant && ours.tier == DesyncTier::compliant) {
      for (const DesyncMode mode : modes) EXPECT_EQ(desync_action(ours, mode), DesyncAction::forward) << key(c);
    }
  }
}

TEST(DesyncCorpus, BytesOnTheWireReachTheSameTier) {
  size_t same = 0;
  for (const CorpusCase& c : corpus()) {
    const Classification fields = classify_fields(c);
    const Classification bytes = classify_bytes(c);
    EXPECT_EQ(bytes.tier, fields.tier) << key(c) << ": bytes " << to_string(bytes.reason) << ", fields "
                                       << to_string(fields.reason);
    // A request refused by the parser must also be refused when classified from fields.
    for (const DesyncMode mode : {DesyncMode::monitor, DesyncMode::defensive, DesyncMode::strictest}) {
      EXPECT_GE(desync_action(bytes, mode), desync_action(fields, mode)) << key(c) << " " << to_string(mode);
    }
    if (bytes.tier == fields.tier) ++same;
  }
  std::cout << "[ corpus   ] serialised requests reaching the same tier through the parser: " << same << " of "
            << corpus().size() << "\n";
}

}  // namespace desync_corpus_test
}  // namespace fulcrum::http
