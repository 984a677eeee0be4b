#include "security/waf_rules.hpp"

#include <algorithm>

#include "core/hex_digit.hpp"

namespace fulcrum::security {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

bool equals_lower(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower_b[i]) return false;
  }
  return true;
}

// Percent-decodes once (so %252e stays %2e, which the rules also know); `plus_is_space` for
// queries (form encoding).
void decode_into(std::string_view text, bool plus_is_space, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int high = core::hex_digit_value(text[i + 1]);
      const int low = core::hex_digit_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && c == '+' ? ' ' : c;
  }
}

}  // namespace

WafRules::WafRules(const config::Security& security) : body_bytes_(security.waf_body_bytes) {
  std::vector<const config::WafRule*> all;
  if (security.waf_default_rules) {
    for (const auto& rule : default_waf_rules()) all.push_back(&rule);
  }
  for (const auto& rule : security.waf) all.push_back(&rule);
  for (const config::WafRule* rule : all) {
    const auto index = static_cast<uint32_t>(rules_.size());
    rules_.push_back({rule->id, rule->message, rule->action == config::WafRule::ActionKind::block});
    add(*rule, index);
  }
  for (auto& part : parts_) {
    if (!part->set.Compile()) part->rule_of.clear();  // out of memory for the DFA: the part is skipped
  }
  decoded_.reserve(4096);
  matches_.reserve(rules_.size());
}

void WafRules::add(const config::WafRule& rule, uint32_t rule_index) {
  for (const std::string& target : rule.targets) {
    Part* part = nullptr;
    if (target == "path" || target == "query" || target == "body") {
      Part*& slot = target == "path" ? path_ : target == "query" ? query_ : body_;
      if (slot == nullptr) {
        parts_.push_back(std::make_unique<Part>());
        slot = parts_.back().get();
      }
      part = slot;
    } else if (target.starts_with("header:")) {
      const std::string name = lower(std::string_view(target).substr(7));
      for (Part* h : headers_) {
        if (h->header == name) part = h;
      }
      if (part == nullptr) {
        parts_.push_back(std::make_unique<Part>());
        part = parts_.back().get();
        part->header = name;
        headers_.push_back(part);
      }
    } else {
      continue;
    }
    std::string error;
    if (part->set.Add(rule.pattern, &error) >= 0) part->rule_of.push_back(rule_index);
  }
}

void WafRules::search(Part* part, std::string_view text, WafVerdict& verdict) {
  if (part == nullptr || part->rule_of.empty()) return;
  if (!part->set.Match(text, nullptr)) return;  // the common case: nothing fired, nothing allocated
  if (!part->set.Match(text, &matches_)) return;
  std::sort(matches_.begin(), matches_.end());  // the earliest rule in the file speaks
  for (int m : matches_) {
    const WafRule& rule = rules_[part->rule_of[static_cast<size_t>(m)]];
    if (rule.block) {
      if (verdict.block == nullptr || &rule < verdict.block) verdict.block = &rule;
    } else if (verdict.log == nullptr || &rule < verdict.log) {
      verdict.log = &rule;
    }
  }
}

void WafRules::inspect_path(std::string_view path, WafVerdict& verdict) {
  if (path_ == nullptr) return;
  search(path_, path, verdict);
  if (path.find('%') == std::string_view::npos) return;
  decode_into(path, false, decoded_);
  search(path_, decoded_, verdict);
}

void WafRules::inspect_query(std::string_view query, WafVerdict& verdict) {
  if (query_ == nullptr || query.empty()) return;
  search(query_, query, verdict);
  if (query.find_first_of("%+") == std::string_view::npos) return;
  decode_into(query, true, decoded_);
  search(query_, decoded_, verdict);
}

void WafRules::inspect_header(std::string_view name, std::string_view value, WafVerdict& verdict) {
  for (Part* part : headers_) {
    if (equals_lower(name, part->header)) search(part, value, verdict);
  }
}

void WafRules::inspect_body(std::string_view body, WafVerdict& verdict) {
  if (body_ == nullptr || body.empty()) return;
  body = body.substr(0, body_bytes_);
  search(body_, body, verdict);
  if (body.find_first_of("%+") == std::string_view::npos) return;
  decode_into(body, true, decoded_);  // form bodies are percent-encoded like queries
  search(body_, decoded_, verdict);
}

}  // namespace fulcrum::security
