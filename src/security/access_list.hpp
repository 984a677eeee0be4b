#pragma once
// A listener's `allow` / `deny` CIDR lists, compiled for the accept path: the most specific
// network that contains the client decides (longest prefix wins), `deny` beats `allow` at the
// same length, and an address no network contains is allowed only when `allow` is empty.
// A handful of networks is the common case: a linear scan over entries sorted by prefix
// length (longest first) stops at the first match and touches one or two cache lines.
#include <cstdint>
#include <string>
#include <vector>

#include "security/client_address.hpp"

namespace fulcrum::security {

class AccessList {
 public:
  AccessList() = default;
  // The CIDRs were validated by the configuration reader; one that does not parse is skipped.
  AccessList(const std::vector<std::string>& allow, const std::vector<std::string>& deny);

  bool empty() const { return entries_.empty(); }
  bool allows(const ClientAddress& client) const;
  // The network that decided, for the log ("203.0.113.0/24", or "not in allow" when nothing matched).
  std::string deciding_network(const ClientAddress& client) const;

 private:
  struct Entry {
    uint8_t family;
    uint8_t prefix_length;
    bool deny;
    uint8_t bytes[16];
  };
  const Entry* match(const ClientAddress& client) const;

  std::vector<Entry> entries_;
  bool has_allow_ = false;
};

}  // namespace fulcrum::security
