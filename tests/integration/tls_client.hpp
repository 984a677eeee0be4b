#pragma once
// A blocking TLS client made with the OpenSSL library, for what command-line clients cannot do:
// keep a connection open across a reload, or send the ClientHello in several TCP segments.
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace fulcrum::testing {

struct TlsClientOptions {
  std::string server_name;         // SNI; empty: none sent
  std::string ca_file;             // verify the server against it when set
  size_t first_flight_pieces = 1;  // the ClientHello in this many TCP segments...
  std::chrono::milliseconds pause{40};  // ...this far apart
};

class TlsClient {
 public:
  TlsClient(uint16_t port, TlsClientOptions options = {});
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool ok() const { return ssl_ != nullptr && error_.empty(); }
  const std::string& error() const { return error_; }
  std::string peer_common_name() const;
  // Sends `request` and reads one response (head, then a Content-Length body); "" on failure.
  std::string exchange(const std::string& request);
  // Sends `data`, then reads until the server closes.
  std::string send_and_read_to_close(const std::string& data);

 private:
  bool write(const std::string& data);
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string error_;
};

}  // namespace fulcrum::testing
