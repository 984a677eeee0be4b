#include "core/address_text.hpp"

namespace fulcrum::core {

std::string_view address_text(int family, const uint8_t* bytes, char (&out)[INET6_ADDRSTRLEN]) {
  if (family == AF_INET) {
    char* p = out;
    for (int i = 0; i < 4; ++i) {
      unsigned value = bytes[i];
      if (value >= 100) {
        *p++ = static_cast<char>('0' + value / 100);
        value %= 100;
        *p++ = static_cast<char>('0' + value / 10);
      } else if (value >= 10) {
        *p++ = static_cast<char>('0' + value / 10);
      }
      *p++ = static_cast<char>('0' + value % 10);
      if (i < 3) *p++ = '.';
    }
    *p = '\0';
    return {out, static_cast<size_t>(p - out)};
  }
  if (::inet_ntop(family, bytes, out, sizeof out) == nullptr) return {};
  return std::string_view(out);
}

}  // namespace fulcrum::core
