#include "tls_client.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "harness.hpp"

namespace fulcrum::testing {
namespace {

std::string openssl_error() {
  char buffer[256] = "unknown";
  if (unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, buffer, sizeof buffer);
  ERR_clear_error();
  return buffer;
}

bool send_bytes(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

TlsClient::TlsClient(uint16_t port, TlsClientOptions options) {
  fd_ = connect_to(port);
  if (fd_ < 0) {
    error_ = "connect failed";
    return;
  }
  timeval tv{5, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!options.ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx_, options.ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ctx_);
  if (!options.server_name.empty()) SSL_set_tlsext_host_name(ssl_, options.server_name.c_str());
  // The ClientHello is produced into memory first, so that it can be sent in pieces.
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, in, out);
  SSL_connect(ssl_);  // wants to read: the ClientHello is in `out`
  ERR_clear_error();
  char* hello = nullptr;
  const long size = BIO_get_mem_data(out, &hello);
  const size_t pieces = std::max<size_t>(1, options.first_flight_pieces);
  const size_t step = (static_cast<size_t>(size) + pieces - 1) / pieces;
  for (size_t at = 0; at < static_cast<size_t>(size); at += step) {
    if (at > 0) std::this_thread::sleep_for(options.pause);
    if (!send_bytes(fd_, hello + at, std::min(step, static_cast<size_t>(size) - at))) {
      error_ = "sending the ClientHello failed";
      return;
    }
  }
  // One BIO for both directions: SSL_set_bio takes the one reference it is given for both
  // (an extra BIO_up_ref here leaked a BIO per client: LeakSanitizer), and frees the memory BIOs.
  BIO* socket = BIO_new_socket(fd_, BIO_NOCLOSE);
  SSL_set_bio(ssl_, socket, socket);
  if (SSL_connect(ssl_) != 1) error_ = "handshake failed: " + openssl_error();
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

std::string TlsClient::peer_common_name() const {
  if (!ok()) return "";
  X509* peer = SSL_get1_peer_certificate(ssl_);
  if (peer == nullptr) return "";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
  X509_free(peer);
  return name;
}

bool TlsClient::write(const std::string& data) {
  size_t written = 0;
  return ok() && SSL_write_ex(ssl_, data.data(), data.size(), &written) == 1;
}

std::string TlsClient::exchange(const std::string& request) {
  if (!write(request)) return "";
  std::string response;
  char buffer[16384];
  size_t head_end = std::string::npos;
  size_t expected = 0;
  for (;;) {
    size_t n = 0;
    if (SSL_read_ex(ssl_, buffer, sizeof buffer, &n) != 1) break;
    response.append(buffer, n);
    if (head_end == std::string::npos) {
      head_end = response.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      head_end += 4;
      const size_t at = response.find("Content-Length: ");
      expected = at != std::string::npos && at < head_end ? std::stoul(response.substr(at + 16)) : 0;
    }
    if (response.size() >= head_end + expected) break;
  }
  return response;
}

std::string TlsClient::send_and_read_to_close(const std::string& data) {
  if (!data.empty() && !write(data)) return "";
  std::string response;
  char buffer[16384];
  size_t n = 0;
  while (SSL_read_ex(ssl_, buffer, sizeof buffer, &n) == 1) response.append(buffer, n);
  return response;
}

}  // namespace fulcrum::testing
