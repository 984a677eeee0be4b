#pragma once
// Session-ticket keys of one listener, shared by every worker (one SSL_CTX serves them all) and
// rotated on a schedule: tickets are sealed with the current key; the previous one still opens
// tickets (which are then renewed), so a client resumes across one rotation, never two. Keys
// are random per process and live only in memory. A rotation happens lazily, on the first
// ticket operation after it is due, under a mutex held for a few hundred nanoseconds per
// handshake (never per request).
#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

namespace fulcrum::tls {

class TicketKeys {
 public:
  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};
    std::array<unsigned char, 32> hmac{};
  };
  enum class Found { none, current, previous };

  explicit TicketKeys(std::chrono::milliseconds rotation);

  // The key to seal a new ticket with at `now_ms` (rotating first when due).
  Key for_sealing(int64_t now_ms);
  // The key named `name`, if it may still open tickets at `now_ms`.
  Found for_opening(const unsigned char* name, int64_t now_ms, Key& out);
  std::chrono::milliseconds rotation() const { return rotation_; }
  uint64_t rotations() const;

  // Makes `ctx` seal and open its tickets with `keys` (kept alive by the SSL_CTX).
  static void install(SSL_CTX* ctx, std::shared_ptr<TicketKeys> keys);

 private:
  void rotate_if_due(int64_t now_ms);
  std::chrono::milliseconds rotation_;
  mutable std::mutex mutex_;
  Key current_;
  Key previous_;
  bool has_previous_ = false;
  int64_t next_rotation_ms_ = 0;
  uint64_t rotations_ = 0;
};

}  // namespace fulcrum::tls
