#include "http/exchange/rule_matcher.hpp"

#include "http/h1/char_class.hpp"

namespace fulcrum::http {
namespace {

bool same_name(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != lower[i]) return false;
  }
  return true;
}

// Visits NAME=VALUE pairs separated by `separator` (query strings: '&', cookies: ';').
template <class Visit>
bool any_pair(std::string_view text, char separator, Visit&& visit) {
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find(separator, at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = trim_ows(text.substr(at, end - at));
    size_t equals = item.find('=');
    std::string_view name = item.substr(0, equals);
    std::string_view value = equals == std::string_view::npos ? std::string_view{} : item.substr(equals + 1);
    if (!item.empty() && visit(name, value)) return true;
    at = end + 1;
  }
  return false;
}

bool in_cidr(const config::Cidr& cidr, int family, const uint8_t* address) {
  if (address == nullptr || cidr.family != family) return false;
  uint32_t bits = cidr.prefix_length;
  size_t i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (address[i] != cidr.bytes[i]) return false;
  }
  if (bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - bits));
  return (address[i] & mask) == (cidr.bytes[i] & mask);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = to_lower(c);
  return out;
}

}  // namespace

void split_target(std::string_view target, std::string_view& path, std::string_view& query) {
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const size_t authority = target.find("//") + 2;
    const size_t slash = target.find_first_of("/?", authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const size_t mark = target.find('?');
  path = target.substr(0, mark);
  query = mark == std::string_view::npos ? std::string_view{} : target.substr(mark + 1);
}

std::string_view host_without_port(std::string_view host) {
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

bool glob_match(std::string_view pattern, std::string_view text, bool fold_case) {
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || pattern[p] == text[t] || (fold_case && to_lower(pattern[p]) == to_lower(text[t])))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

RuleMatcher::RuleMatcher(const config::Match& match) : paths_(match.path), methods_(match.method) {
  for (const auto& host : match.host) hosts_.push_back(lower(host));
  for (const auto& [name, value] : match.header) headers_.emplace_back(lower(name), value);
  for (const auto& [name, value] : match.query) query_.emplace_back(name, value);
  for (const auto& [name, value] : match.cookie) cookies_.emplace_back(name, value);
  for (const auto& text : match.source) {
    std::string error;
    if (auto cidr = config::parse_cidr(text, error)) sources_.push_back(*cidr);
  }
}

bool RuleMatcher::matches(const RequestFacts& request) const {
  auto any_of = [](const auto& list, auto&& test) {
    if (list.empty()) return true;
    for (const auto& item : list) {
      if (test(item)) return true;
    }
    return false;
  };
  if (!any_of(methods_, [&](const std::string& m) { return m == request.method; })) return false;
  if (!any_of(hosts_, [&](const std::string& h) { return glob_match(h, request.host, true); })) return false;
  if (!any_of(paths_, [&](const std::string& p) { return glob_match(p, request.path); })) return false;
  if (!any_of(sources_, [&](const config::Cidr& c) { return in_cidr(c, request.family, request.address); })) {
    return false;
  }
  for (const auto& [name, value] : headers_) {
    bool found = false;
    for (const Header& h : request.headers) {
      if (same_name(h.name, name) && glob_match(value, h.value)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  for (const auto& [name, value] : query_) {
    if (!any_pair(request.query, '&', [&](std::string_view n, std::string_view v) {
          return n == name && glob_match(value, v);
        })) {
      return false;
    }
  }
  for (const auto& [name, value] : cookies_) {
    bool found = false;
    for (const Header& h : request.headers) {
      if (h.id != HeaderId::cookie) continue;
      if (any_pair(h.value, ';', [&](std::string_view n, std::string_view v) { return n == name && glob_match(value, v); })) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace fulcrum::http
