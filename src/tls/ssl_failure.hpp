#pragma once
// What a failed SSL call (SSL_do_handshake, SSL_read_ex, SSL_write_ex returning <= 0) means,
// read once from SSL_get_error for both drivers of a connection: tls_connection.hpp (waits
// through Asio) and l4/target_tls.hpp (waits on edge-triggered readiness flags). Only the
// waiting differs between them; what counts as an end and what a failure says is this.
// Call it right after the failed call, with errno still as that call left it.
#include <openssl/ssl.h>

#include <string>

namespace fulcrum::tls {

struct SslFailure {
  enum class Kind {
    want_read,   // retry once the socket is readable
    want_write,  // retry once the socket is writable
    eof,         // close_notify, or a TCP close (OpenSSL's syscall error with errno 0)
    transport,   // the socket failed: `reason` is strerror(errno)
    protocol,    // TLS failed (alert, bad record, verification): `reason` is OpenSSL's, with
                 // the verification result when that failed; the session must not be resumed
  };
  Kind kind;
  std::string reason;  // empty unless transport or protocol

  static SslFailure of(const SSL* ssl, int result);
};

}  // namespace fulcrum::tls
