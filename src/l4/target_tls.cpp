#include "l4/target_tls.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "core/would_block.hpp"
#include "tls/policy.hpp"
#include "tls/ssl_failure.hpp"

namespace fulcrum::l4 {
TargetTls::TargetTls(std::shared_ptr<const tls::ClientContext> context, std::string_view target_host, int fd)
    : context_(std::move(context)), ssl_(context_->new_connection(target_host)) {
  if (!ssl_) return;
  // A target that closes TCP without close_notify ends its stream, as a plain TCP target does:
  // the relay cannot tell truncation from an end, and the client sees the same FIN.
  SSL_set_options(ssl_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_set_fd(ssl_.get(), fd);
  SSL_set_connect_state(ssl_.get());
}

const char* TargetTls::version() const { return ssl_ ? SSL_get_version(ssl_.get()) : ""; }

TargetTls::Wait TargetTls::after_failure(int result, SocketReadiness& target) {
  tls::SslFailure failure = tls::SslFailure::of(ssl_.get(), result);
  switch (failure.kind) {
    case tls::SslFailure::Kind::want_read:
      target.readable = false;
      return Wait::read;
    case tls::SslFailure::Kind::want_write:
      target.writable = false;
      return Wait::write;
    case tls::SslFailure::Kind::eof:
      return Wait::eof;
    case tls::SslFailure::Kind::transport:
    case tls::SslFailure::Kind::protocol:
      reason_ = std::move(failure.reason);
      return Wait::fail;
  }
  return Wait::fail;
}

TargetTls::Handshake TargetTls::handshake(SocketReadiness& target) {
  if (!ssl_) {
    reason_ = "cannot create a TLS connection: " + tls::last_openssl_error();
    return Handshake::failed;
  }
  ERR_clear_error();
  errno = 0;
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) return Handshake::done;
  switch (after_failure(result, target)) {
    case Wait::read:
    case Wait::write:
      return Handshake::blocked;
    case Wait::eof:
      reason_ = "the target closed during the TLS handshake";
      return Handshake::failed;
    case Wait::fail:
      return Handshake::failed;
  }
  return Handshake::failed;
}

RelayDirection::Step TargetTls::pump_up(RelayDirection& up, SocketReadiness& client, SocketReadiness& target,
                                        core::BufferPool& buffers, bool pass_half_close, size_t budget) {
  for (;;) {
    // 1. Write what is pending, as records (SSL_write retried with the same bytes until done).
    if (up.end > up.begin) {
      if (!(up_waits_for_read_ ? target.readable : target.writable)) return RelayDirection::Step::blocked;
      ERR_clear_error();
      errno = 0;
      size_t n = 0;
      const int result = SSL_write_ex(ssl_.get(), up.buffer.data() + up.begin, up.end - up.begin, &n);
      if (result == 1) {
        up_waits_for_read_ = false;
        up.begin += n;
        if (up.begin == up.end) {
          up.begin = up.end = 0;
          up.buffer.release();  // idle connections hold no buffer
        }
        continue;
      }
      switch (after_failure(result, target)) {
        case Wait::read:
          up_waits_for_read_ = true;
          return RelayDirection::Step::blocked;
        case Wait::write:
          up_waits_for_read_ = false;
          return RelayDirection::Step::blocked;
        case Wait::eof:
        case Wait::fail:
          return RelayDirection::Step::failed_writing;
      }
    }
    // 2. Everything is written: pass the end on (close_notify, then the half-close), or read more.
    if (up.eof) {
      ERR_clear_error();
      SSL_shutdown(ssl_.get());  // sends close_notify if the socket takes it now; never waits
      ERR_clear_error();
      if (pass_half_close) ::shutdown(target.fd, SHUT_WR);
      up.ended = true;
      up.buffer.release();
      return RelayDirection::Step::ended;
    }
    if (!client.readable) return RelayDirection::Step::blocked;
    if (budget == 0) return RelayDirection::Step::yielded;
    if (!up.buffer) up.buffer = buffers.borrow();
    bool failed = false;
    while (up.end < up.buffer.size()) {
      ssize_t n = ::recv(client.fd, up.buffer.data() + up.end, up.buffer.size() - up.end, MSG_DONTWAIT);
      if (n > 0) {
        up.end += static_cast<size_t>(n);
        budget -= std::min(budget, static_cast<size_t>(n));
        up.bytes += static_cast<uint64_t>(n);
        up.moved = true;
        continue;
      }
      if (n == 0) {
        up.eof = true;
      } else if (errno == EINTR) {
        continue;
      } else if (core::would_block(errno)) {
        client.readable = false;
      } else {
        failed = true;
      }
      break;
    }
    if (failed) return RelayDirection::Step::failed_reading;
    if (up.end == up.begin) {
      up.buffer.release();
      if (!up.eof) return RelayDirection::Step::blocked;
    }
  }
}

RelayDirection::Step TargetTls::pump_down(RelayDirection& down, SocketReadiness& target, SocketReadiness& client,
                                          core::BufferPool& buffers, bool pass_half_close, size_t budget) {
  for (;;) {
    // 1. Write the plaintext already decrypted.
    if (down.end > down.begin) {
      if (!client.writable) return RelayDirection::Step::blocked;
      const int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (down.eof ? MSG_MORE : 0);
      ssize_t n = ::send(client.fd, down.buffer.data() + down.begin, down.end - down.begin, flags);
      if (n > 0) {
        down.begin += static_cast<size_t>(n);
        if (down.begin == down.end) {
          down.begin = down.end = 0;
          down.buffer.release();
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && core::would_block(errno)) {
        client.writable = false;
        return RelayDirection::Step::blocked;
      }
      return RelayDirection::Step::failed_writing;
    }
    if (down.eof) {
      if (pass_half_close) ::shutdown(client.fd, SHUT_WR);
      down.ended = true;
      down.buffer.release();
      return RelayDirection::Step::ended;
    }
    // 2. Decrypt more: OpenSSL may hold whole records already read (read-ahead), so the
    // target's readiness flag is only a hint until OpenSSL itself asks to wait.
    if (!(down_waits_for_write_ ? target.writable : target.readable) && SSL_has_pending(ssl_.get()) != 1) {
      return RelayDirection::Step::blocked;
    }
    if (budget == 0) return RelayDirection::Step::yielded;
    if (!down.buffer) down.buffer = buffers.borrow();
    bool failed = false;
    while (down.end < down.buffer.size()) {
      ERR_clear_error();
      errno = 0;
      size_t n = 0;
      const int result = SSL_read_ex(ssl_.get(), down.buffer.data() + down.end, down.buffer.size() - down.end, &n);
      if (result == 1) {
        down_waits_for_write_ = false;
        down.end += n;
        budget -= std::min(budget, n);
        down.bytes += n;
        down.moved = true;
        if (budget == 0) break;
        continue;
      }
      const Wait wait = after_failure(result, target);
      down_waits_for_write_ = wait == Wait::write;
      if (wait == Wait::eof) down.eof = true;
      if (wait == Wait::fail) failed = true;
      break;
    }
    if (failed) {
      // Hand on what was decrypted before the failure if the client takes it at once, then fail.
      if (down.end > down.begin && client.writable) {
        ::send(client.fd, down.buffer.data() + down.begin, down.end - down.begin, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      return RelayDirection::Step::failed_reading;
    }
    if (down.end == down.begin) {
      down.buffer.release();
      if (!down.eof) return budget == 0 ? RelayDirection::Step::yielded : RelayDirection::Step::blocked;
    }
  }
}

}  // namespace fulcrum::l4
