#pragma once
// A rule's `match` conditions, prepared once per snapshot: lower-cased host patterns, parsed
// CIDRs, header names. matches() runs per request on views of the parsed head; it allocates
// nothing. Every listed condition must hold; within a list, any value may.
#include <netinet/in.h>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/cidr.hpp"
#include "config/config.hpp"
#include "http/h1/header.hpp"

namespace fulcrum::http {

struct RequestFacts {
  std::string_view method;
  std::string_view host;   // Host without its port
  std::string_view path;   // the request-target's path (origin form), without the query
  std::string_view query;  // after '?', without it; empty when none
  std::span<const Header> headers;
  int family = AF_INET;             // the client address
  const uint8_t* address = nullptr;  // 4 or 16 bytes, network order
};

// Splits a request-target into path and query (absolute form "http://h/p?q" included).
void split_target(std::string_view target, std::string_view& path, std::string_view& query);
// The Host value without ":port" (IPv6 literals keep their brackets).
std::string_view host_without_port(std::string_view host);

// '*' matches any run of bytes (also empty), '?' one byte; `fold_case` compares ASCII letters
// case-insensitively. Linear in practice, no recursion, no allocation.
bool glob_match(std::string_view pattern, std::string_view text, bool fold_case = false);

class RuleMatcher {
 public:
  RuleMatcher() = default;
  explicit RuleMatcher(const config::Match& match);
  bool matches(const RequestFacts& request) const;

 private:
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  std::vector<std::string> hosts_;  // lower-cased
  std::vector<std::string> paths_;
  std::vector<std::string> methods_;
  Pairs headers_;  // lower-cased names
  Pairs query_;
  Pairs cookies_;
  std::vector<config::Cidr> sources_;
};

}  // namespace fulcrum::http
