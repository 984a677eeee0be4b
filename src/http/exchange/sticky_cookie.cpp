#include "http/exchange/sticky_cookie.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "http/h1/char_class.hpp"

namespace fulcrum::http {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void to_hex(uint64_t value, char* out16) {
  for (int i = 0; i < 16; ++i) out16[i] = kHex[(value >> (60 - 4 * i)) & 15];
}

std::optional<uint64_t> parse_hex(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return value;
}

std::optional<int64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

void StickyCookie::mac(std::string_view group, std::string_view key_and_expiry, char* hex32) const {
  // "GROUP|KEY.EXPIRES" signed in one call; the input is short, so a stack buffer holds it.
  char input[256 + 40];
  const size_t group_size = std::min<size_t>(group.size(), 256);
  std::memcpy(input, group.data(), group_size);
  input[group_size] = '|';
  std::memcpy(input + group_size + 1, key_and_expiry.data(), key_and_expiry.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), reinterpret_cast<unsigned char*>(input),
       group_size + 1 + key_and_expiry.size(), digest, &length);
  for (int i = 0; i < 16; ++i) {
    hex32[2 * i] = kHex[digest[i] >> 4];
    hex32[2 * i + 1] = kHex[digest[i] & 15];
  }
}

size_t StickyCookie::issue(std::string_view group, uint64_t target_key, int64_t expires_unix, char* out) const {
  to_hex(target_key, out);
  out[16] = '.';
  int digits = std::snprintf(out + 17, 21, "%lld", static_cast<long long>(expires_unix));
  size_t size = 17 + static_cast<size_t>(digits);
  out[size] = '.';
  mac(group, std::string_view(out, size), out + size + 1);
  return size + 1 + 32;
}

std::optional<uint64_t> StickyCookie::verify(std::string_view group, std::string_view value, int64_t now_unix) const {
  if (value.size() < 16 + 1 + 1 + 1 + 32 || value.size() > kMaxValue) return std::nullopt;
  const size_t last_dot = value.size() - 33;
  if (value[16] != '.' || value[last_dot] != '.') return std::nullopt;
  auto key = parse_hex(value.substr(0, 16));
  auto expires = parse_decimal(value.substr(17, last_dot - 17));
  if (!key || !expires || *expires <= now_unix) return std::nullopt;
  char expected[32];
  mac(group, value.substr(0, last_dot), expected);
  // Constant time: the comparison must not tell an attacker how many bytes were right.
  if (CRYPTO_memcmp(expected, value.data() + last_dot + 1, 32) != 0) return std::nullopt;
  return key;
}

std::string sticky_secret(const config::Stickiness& stickiness, std::string& error) {
  if (!stickiness.secret_file.empty()) {
    std::ifstream in(stickiness.secret_file, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    std::string secret = content.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (in && secret.size() >= 16) return secret;
    error = "stickiness secret_file " + stickiness.secret_file + ": cannot read it or shorter than 16 bytes";
  }
  // Made once per process (thread-safe static initialisation) and never changed afterwards.
  static const std::string random_secret = [] {
    std::string key(32, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size()));
    return key;
  }();
  return random_secret;
}

std::string_view find_cookie(std::string_view cookie_header, std::string_view name) {
  size_t at = 0;
  while (at < cookie_header.size()) {
    size_t end = cookie_header.find(';', at);
    if (end == std::string_view::npos) end = cookie_header.size();
    std::string_view item = trim_ows(cookie_header.substr(at, end - at));
    if (item.size() > name.size() && item.substr(0, name.size()) == name && item[name.size()] == '=') {
      return item.substr(name.size() + 1);
    }
    at = end + 1;
  }
  return {};
}

}  // namespace fulcrum::http
