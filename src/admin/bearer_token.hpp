#pragma once
// The admin API's shared secret (admin.token_file): read once at start and on every reload,
// compared in constant time so that response timing tells nothing about how much of a guess
// was right.
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::admin {

class BearerToken {
 public:
  // Reads the first line of `path` (surrounding whitespace dropped). nullopt with `error` set
  // when the file cannot be read or its first line holds no usable token.
  static std::optional<BearerToken> read_file(const std::string& path, std::string& error);
  explicit BearerToken(std::string secret) : secret_(std::move(secret)) {}

  // True when `authorization` is "Bearer <the token>" (scheme case-insensitive, RFC 6750).
  bool accepts(std::string_view authorization) const;
  // For the client side (fulcrum ctl), which sends it.
  const std::string& secret() const { return secret_; }

 private:
  std::string secret_;
};

}  // namespace fulcrum::admin
