#include "http/h1/header.hpp"

#include "http/h1/char_class.hpp"

namespace fulcrum::http {

HeaderId identify_header(std::string_view n) {
  // Dispatch on length first: most names are rejected by one switch and one compare.
  switch (n.size()) {
    case 2:
      return equals_lower(n, "te") ? HeaderId::te : HeaderId::other;
    case 3:
      return equals_lower(n, "via") ? HeaderId::via : HeaderId::other;
    case 4:
      return equals_lower(n, "host") ? HeaderId::host : HeaderId::other;
    case 6:
      if (equals_lower(n, "cookie")) return HeaderId::cookie;
      if (equals_lower(n, "expect")) return HeaderId::expect;
      return HeaderId::other;
    case 7:
      if (equals_lower(n, "upgrade")) return HeaderId::upgrade;
      if (equals_lower(n, "trailer")) return HeaderId::trailer;
      return HeaderId::other;
    case 9:
      if (equals_lower(n, "forwarded")) return HeaderId::forwarded;
      if (equals_lower(n, "x-real-ip")) return HeaderId::x_real_ip;
      return HeaderId::other;
    case 10:
      if (equals_lower(n, "connection")) return HeaderId::connection;
      if (equals_lower(n, "keep-alive")) return HeaderId::keep_alive;
      if (equals_lower(n, "set-cookie")) return HeaderId::set_cookie;
      return HeaderId::other;
    case 12:
      return equals_lower(n, "x-request-id") ? HeaderId::x_request_id : HeaderId::other;
    case 14:
      return equals_lower(n, "content-length") ? HeaderId::content_length : HeaderId::other;
    case 15:
      return equals_lower(n, "x-forwarded-for") ? HeaderId::x_forwarded_for : HeaderId::other;
    case 16:
      if (equals_lower(n, "proxy-connection")) return HeaderId::proxy_connection;
      if (equals_lower(n, "x-forwarded-port")) return HeaderId::x_forwarded_port;
      return HeaderId::other;
    case 17:
      if (equals_lower(n, "transfer-encoding")) return HeaderId::transfer_encoding;
      if (equals_lower(n, "x-forwarded-proto")) return HeaderId::x_forwarded_proto;
      return HeaderId::other;
    default:
      return HeaderId::other;
  }
}

namespace {

// Compares the letters and digits of `name` (ASCII case folded; U+017F LATIN SMALL LETTER LONG S
// and U+0131 LATIN SMALL LETTER DOTLESS I count as 's' and 'i' because they upper-case to ASCII
// in some runtimes) with `letters`, ignoring every other byte.
bool same_letters(std::string_view name, std::string_view letters) {
  size_t k = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    char folded = 0;
    if (has_class(name[i], kAlnum)) {
      folded = to_lower(name[i]);
    } else if (i + 1 < name.size() && c == 0xC5 && static_cast<unsigned char>(name[i + 1]) == 0xBF) {
      folded = 's';
      ++i;
    } else if (i + 1 < name.size() && c == 0xC4 && static_cast<unsigned char>(name[i + 1]) == 0xB1) {
      folded = 'i';
      ++i;
    } else {
      continue;
    }
    if (k == letters.size() || letters[k] != folded) return false;
    ++k;
  }
  return k == letters.size();
}

}  // namespace

LookAlike framing_look_alike(std::string_view name) {
  // "contentlength" has 13 letters; shorter names cannot normalise to either header.
  if (name.size() < 13) return LookAlike::none;
  size_t first = 0;
  while (first < name.size() && !has_class(name[first], kAlnum)) ++first;
  if (first == name.size()) return LookAlike::none;
  const char c = to_lower(name[first]);
  if (c == 't') {
    if (equals_lower(name, "transfer-encoding")) return LookAlike::none;
    return same_letters(name, "transferencoding") ? LookAlike::transfer_encoding : LookAlike::none;
  }
  if (c == 'c') {
    if (equals_lower(name, "content-length")) return LookAlike::none;
    return same_letters(name, "contentlength") ? LookAlike::content_length : LookAlike::none;
  }
  return LookAlike::none;
}

}  // namespace fulcrum::http
