#include "security/access_list.hpp"

#include <algorithm>
#include <cstring>

#include "config/cidr.hpp"

namespace fulcrum::security {
namespace {

bool contains(const uint8_t* network, uint32_t prefix_length, const uint8_t* address) {
  const uint32_t whole = prefix_length / 8;
  if (std::memcmp(network, address, whole) != 0) return false;
  const uint32_t rest = prefix_length % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (network[whole] & mask) == (address[whole] & mask);
}

}  // namespace

AccessList::AccessList(const std::vector<std::string>& allow, const std::vector<std::string>& deny) {
  auto add = [&](const std::vector<std::string>& list, bool is_deny) {
    for (const auto& text : list) {
      std::string error;
      auto cidr = config::parse_cidr(text, error);
      if (!cidr) continue;
      Entry entry{};
      entry.family = static_cast<uint8_t>(cidr->family);
      entry.prefix_length = static_cast<uint8_t>(cidr->prefix_length);
      entry.deny = is_deny;
      std::memcpy(entry.bytes, cidr->bytes.data(), 16);
      entries_.push_back(entry);
      if (!is_deny) has_allow_ = true;
    }
  };
  add(allow, false);
  add(deny, true);
  // Longest prefix first; at the same length deny first, so the first match decides.
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    if (a.prefix_length != b.prefix_length) return a.prefix_length > b.prefix_length;
    return a.deny && !b.deny;
  });
}

const AccessList::Entry* AccessList::match(const ClientAddress& client) const {
  for (const Entry& entry : entries_) {
    if (entry.family == client.family && contains(entry.bytes, entry.prefix_length, client.bytes)) return &entry;
  }
  return nullptr;
}

bool AccessList::allows(const ClientAddress& client) const {
  if (entries_.empty()) return true;
  const Entry* entry = match(client);
  if (entry == nullptr) return !has_allow_;
  return !entry->deny;
}

std::string AccessList::deciding_network(const ClientAddress& client) const {
  const Entry* entry = match(client);
  if (entry == nullptr) return has_allow_ ? "not in allow" : "none";
  config::Cidr cidr;
  cidr.family = entry->family;
  std::memcpy(cidr.bytes.data(), entry->bytes, 16);
  cidr.prefix_length = entry->prefix_length;
  return std::string(entry->deny ? "deny " : "allow ") + cidr.to_string();
}

}  // namespace fulcrum::security
