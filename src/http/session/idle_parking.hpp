#pragma once
// Idle keep-alive client connections parked outside Asio, as 64-byte records.
//
// Why: between requests a ProxySession holds no buffer and no coroutine frame, but it is still
// its object (~330 B), Asio's per-descriptor reactor state (~180 B, kept in Asio's pool) and a
// pending wait operation (~150 B): 788 B of RSS per idle client at 10,000 (bench/idle_mem.sh).
// A parked connection is only its descriptor in this worker's own epoll set and a record in a
// slab (descriptor, listener, client address, per-client ticket, idle deadline): when bytes
// arrive the session is made again and serves the request.
//
// When: a session that has been idle for kParkAfterMs (on the worker's 50 ms tick) is parked;
// one that sends its next request sooner (any busy keep-alive client) never pays the four
// epoll_ctl calls of leaving Asio's set and coming back. Plain http only, and only after a
// first request (a connection still owing its first head stays counted for
// max_connections_awaiting_headers; TLS keeps its state in the session, so an https session
// idle as long stays in Asio and only frees its OpenSSL record buffers).
//
// Idle deadlines: one FIFO per listener, in parking order; each tick closes the expired heads.
// A reload that shortens a listener's idle_timeout closes the connections parked before it
// at their old deadline. Draining (reload, upgrade, stop) closes every parked connection at
// the next tick.
#include <asio/ip/tcp.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "security/client_table.hpp"

namespace fulcrum::http {

struct HttpWorker;

// A session waiting for its next request, in the order it went idle (intrusive, in the session).
class IdleEntry {
 public:
  IdleEntry() = default;
  ~IdleEntry() { leave(); }
  IdleEntry(const IdleEntry&) = delete;
  IdleEntry& operator=(const IdleEntry&) = delete;

  void leave();
  // The tick asked this session to park (its wait was cancelled for that).
  bool park_requested() const { return park_requested_; }

 private:
  friend class IdleParking;
  IdleEntry* prev_ = nullptr;
  IdleEntry* next_ = nullptr;
  class IdleParking* parking_ = nullptr;  // non-null while linked
  asio::ip::tcp::socket* socket_ = nullptr;
  int64_t since_ms_ = 0;
  bool park_requested_ = false;
};

struct ParkedConnection {
  ParkedConnection* prev = nullptr;  // in its listener's FIFO
  ParkedConnection* next = nullptr;  // ... or in the free list
  int64_t deadline_ms = 0;           // idle_timeout
  security::ClientTicket ticket;     // per-client connection count, held while parked
  int fd = -1;
  uint16_t listener_index = 0;
  uint8_t family = 0;  // AF_INET / AF_INET6
  uint8_t address[16] = {};
};

class IdleParking {
 public:
  static constexpr int64_t kParkAfterMs = 200;

  IdleParking(asio::io_context& loop, HttpWorker& worker);
  ~IdleParking() { close(); }
  IdleParking(const IdleParking&) = delete;
  IdleParking& operator=(const IdleParking&) = delete;

  // A session starts waiting for its next request on `socket`.
  void enter(IdleEntry& entry, asio::ip::tcp::socket& socket, int64_t now_ms);

  // Takes the released descriptor of an idle session (its Asio socket released first). False:
  // the epoll set refused it (the caller still owns fd and ticket).
  bool park(int fd, size_t listener_index, int family, const uint8_t (&address)[16], security::ClientTicket& ticket,
            int64_t deadline_ms);

  // Bytes (or the end) arrived on a parked connection: `resume` gets the record (taking its fd
  // and ticket); the record is then free again.
  using Resume = void (*)(HttpWorker&, ParkedConnection&);
  void set_resume(Resume resume) { resume_ = resume; }

  // On the worker's tick: asks sessions idle for kParkAfterMs to park, closes parked
  // connections past their deadline (all of them while draining).
  void tick(int64_t now_ms, bool draining);

  size_t parked() const { return parked_; }
  // A session waits for its next request or a connection is parked: tick() has work later.
  bool needs_tick() const { return idle_.next_ != &idle_ || parked_ > 0; }
  // Closes every parked connection and stops watching (before the loop is destroyed).
  void close();

 private:
  friend class IdleEntry;
  struct Fifo {
    ParkedConnection* head = nullptr;
    ParkedConnection* tail = nullptr;
  };
  void arm();
  void dispatch();
  void unlink(ParkedConnection& record);
  void free_record(ParkedConnection& record);
  void close_record(ParkedConnection& record);

  HttpWorker& worker_;
  Resume resume_ = nullptr;
  // Sessions idle, oldest first.
  IdleEntry idle_;  // sentinel
  // Parked connections: the slab (records never move: the epoll set names them), the free
  // records, and one deadline FIFO per listener.
  std::deque<ParkedConnection> slab_;
  ParkedConnection* free_ = nullptr;
  std::vector<Fifo> by_listener_;
  size_t parked_ = 0;
  int epoll_fd_ = -1;
  std::optional<asio::posix::stream_descriptor> watcher_;
};

}  // namespace fulcrum::http
