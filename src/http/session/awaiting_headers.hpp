#pragma once
// A worker's connections with an unfinished request head, oldest first, for
// `security.max_connections_awaiting_headers` (the slowloris defence). A connection counts from
// its accept until its first head is complete, and on a keep-alive connection from the first
// byte of each later head until that head is complete. When a listener's count (summed over
// workers, an atomic owned by security::Guards) reaches its cap, the worker about to count one
// more (accepting a connection, or reading the start of a later head) ends its own oldest one
// still sending headers. Slow attackers are the oldest; a normal client finishes its head
// within a round trip and leaves the list (a head that arrives whole is never counted).
// Intrusive (the entry lives in the session): joining and leaving are a few stores.
#include <asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>

namespace fulcrum::http {

class AwaitingHeaders;

class AwaitingHeadersEntry {
 public:
  AwaitingHeadersEntry() = default;
  ~AwaitingHeadersEntry() { leave(); }
  AwaitingHeadersEntry(const AwaitingHeadersEntry&) = delete;
  AwaitingHeadersEntry& operator=(const AwaitingHeadersEntry&) = delete;

  void join(AwaitingHeaders& list, std::atomic<int64_t>* counter, asio::ip::tcp::socket* socket);
  // The head is complete (or the connection ends).
  void leave();
  bool evicted() const { return evicted_; }
  bool linked() const { return counter_ != nullptr; }

 private:
  friend class AwaitingHeaders;
  AwaitingHeadersEntry* prev_ = nullptr;
  AwaitingHeadersEntry* next_ = nullptr;
  std::atomic<int64_t>* counter_ = nullptr;  // non-null while linked
  asio::ip::tcp::socket* socket_ = nullptr;
  bool evicted_ = false;
};

class AwaitingHeaders {
 public:
  AwaitingHeaders() { sentinel_.prev_ = sentinel_.next_ = &sentinel_; }
  // Counts `entry` (its connection on `socket`) under `counter`, after closing this worker's
  // oldest counted connection when the count is at `cap`. True when one was closed (the
  // caller records the security event).
  bool join_capped(AwaitingHeadersEntry& entry, std::atomic<int64_t>* counter, uint32_t cap,
                   asio::ip::tcp::socket* socket);
  // Ends the oldest connection of this worker counted by `counter` (its pending operation
  // completes with operation_aborted). False when this worker has none.
  bool evict_oldest(const std::atomic<int64_t>* counter);

 private:
  friend class AwaitingHeadersEntry;
  AwaitingHeadersEntry sentinel_;
};

}  // namespace fulcrum::http
