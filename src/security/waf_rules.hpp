#pragma once
// A listener's pattern rules (`security.waf`, and the shipped set when `waf_default_rules`),
// compiled into one RE2::Set per part of the request they search: the path, the query, each
// named header, the first `waf_body_bytes` of the body. RE2 runs in linear time (no
// catastrophic backtracking), and one Set scans a part once for all its rules.
//
// Each worker compiles its own copy (RE2 guards its lazily built DFA with a lock: a copy per
// worker keeps that lock uncontended). A request that matches nothing costs one scan per
// part and allocates nothing; only a match asks the Set which rules fired.
#include <re2/re2.h>
#include <re2/set.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace fulcrum::security {

struct WafRule {
  std::string id;
  std::string message;
  bool block = true;  // else log only
};

// What the rules said about one request: the first blocking rule that fired, and the first
// log-only one (null: none).
struct WafVerdict {
  const WafRule* block = nullptr;
  const WafRule* log = nullptr;
  bool matched() const { return block != nullptr || log != nullptr; }
};

class WafRules {
 public:
  // Patterns were validated by the configuration reader.
  explicit WafRules(const config::Security& security);
  WafRules(const WafRules&) = delete;
  WafRules& operator=(const WafRules&) = delete;

  bool empty() const { return parts_.empty(); }
  uint32_t body_bytes() const { return body_bytes_; }
  bool inspects_body() const { return body_ != nullptr; }

  // `path` and `query` as they arrived (percent-encoded): they are decoded here, in a buffer
  // reused across requests.
  void inspect_path(std::string_view path, WafVerdict& verdict);
  void inspect_query(std::string_view query, WafVerdict& verdict);
  // One header field (any case): searched by the rules naming it.
  void inspect_header(std::string_view name, std::string_view value, WafVerdict& verdict);
  // The start of the body (the caller cuts it to body_bytes()).
  void inspect_body(std::string_view body, WafVerdict& verdict);

  size_t rule_count() const { return rules_.size(); }

 private:
  struct Part {
    std::string header;  // lower case, for header parts
    RE2::Set set{RE2::Options(), RE2::UNANCHORED};
    std::vector<uint32_t> rule_of;  // Set index -> rules_ index
  };
  void add(const config::WafRule& rule, uint32_t rule_index);
  void search(Part* part, std::string_view text, WafVerdict& verdict);

  std::vector<WafRule> rules_;
  std::vector<std::unique_ptr<Part>> parts_;  // every part, for compiling
  Part* path_ = nullptr;
  Part* query_ = nullptr;
  Part* body_ = nullptr;
  std::vector<Part*> headers_;
  uint32_t body_bytes_ = 0;
  std::string decoded_;      // reused: path and query after percent-decoding
  std::vector<int> matches_;  // reused: which patterns of a Set fired
};

// The shipped rule set (`waf_default_rules: true`): docs/security.md lists each with its
// example attack and its false-positive caveats.
const std::vector<config::WafRule>& default_waf_rules();

}  // namespace fulcrum::security
