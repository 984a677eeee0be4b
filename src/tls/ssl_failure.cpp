#include "tls/ssl_failure.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>

#include "tls/policy.hpp"

namespace fulcrum::tls {

SslFailure SslFailure::of(const SSL* ssl, int result) {
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      return {Kind::want_read, {}};
    case SSL_ERROR_WANT_WRITE:
      return {Kind::want_write, {}};
    case SSL_ERROR_ZERO_RETURN:
      return {Kind::eof, {}};
    case SSL_ERROR_SYSCALL: {
      const int error = errno;
      ERR_clear_error();
      if (error == 0) return {Kind::eof, {}};
      return {Kind::transport, std::strerror(error)};
    }
    default: {
      std::string reason = last_openssl_error();
      if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
        reason += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
      }
      return {Kind::protocol, std::move(reason)};
    }
  }
}

}  // namespace fulcrum::tls
