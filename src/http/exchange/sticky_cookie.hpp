#pragma once
// The stickiness cookie: a token naming a target, signed with HMAC-SHA256 and expiring, so that
// every Fulcrum instance holding the same secret honours it with no shared state, and a
// tampered or expired one is simply ignored. Value: "KEY.EXPIRES.MAC" — the target's stable key
// (16 hex digits, the hash of its address), the expiry in Unix seconds, and the first 16 bytes
// of HMAC-SHA256(secret, "GROUP|KEY|EXPIRES") in hex. The group is signed in so that a cookie
// issued for one group names nothing in another.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace fulcrum::http {

class StickyCookie {
 public:
  static constexpr size_t kMaxValue = 16 + 1 + 20 + 1 + 32;

  explicit StickyCookie(std::string secret) : secret_(std::move(secret)) {}

  // Writes the value into `out` (kMaxValue bytes at least); returns its length.
  size_t issue(std::string_view group, uint64_t target_key, int64_t expires_unix, char* out) const;
  // The target key the value names, when the MAC holds and it has not expired.
  std::optional<uint64_t> verify(std::string_view group, std::string_view value, int64_t now_unix) const;

 private:
  void mac(std::string_view group, std::string_view key_and_expiry, char* hex32) const;
  std::string secret_;
};

// The HMAC key of a group's lb_cookie: the contents of `secret_file`, or else a random key made
// once per process (cookies then hold only for this process's lifetime). `error` is set when the
// file cannot be read (the random key is returned then).
std::string sticky_secret(const config::Stickiness& stickiness, std::string& error);

// Finds cookie `name` in the Cookie field values; empty when absent.
std::string_view find_cookie(std::string_view cookie_header, std::string_view name);

}  // namespace fulcrum::http
