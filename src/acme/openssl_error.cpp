#include "acme/openssl_error.hpp"

#include <openssl/err.h>

#include <stdexcept>

namespace fulcrum::acme {

std::string openssl_error() {
  // The last error is the most specific one (the first is often a generic "decoder failed").
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

void throw_openssl_error(std::string_view what) {
  throw std::runtime_error(std::string(what) + ": " + openssl_error());
}

}  // namespace fulcrum::acme
