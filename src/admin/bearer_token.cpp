#include "admin/bearer_token.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fulcrum::admin {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<BearerToken> BearerToken::read_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "admin.token_file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  std::string_view token = trim(line);
  if (token.empty()) {
    error = "admin.token_file " + path + ": the first line holds no token";
    return std::nullopt;
  }
  for (char c : token) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      error = "admin.token_file " + path + ": the token may not contain spaces or control characters";
      return std::nullopt;
    }
  }
  return BearerToken(std::string(token));
}

bool BearerToken::accepts(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  std::string_view offered = trim(authorization.substr(kScheme.size()));
  // Constant time in the secret's length: every byte is compared whatever the first mismatch.
  unsigned char difference = offered.size() == secret_.size() ? 0 : 1;
  for (size_t i = 0; i < secret_.size(); ++i) {
    const unsigned char theirs = i < offered.size() ? static_cast<unsigned char>(offered[i]) : 0;
    difference |= static_cast<unsigned char>(theirs ^ static_cast<unsigned char>(secret_[i]));
  }
  return difference == 0;
}

}  // namespace fulcrum::admin
