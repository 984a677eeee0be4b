#pragma once
// Sends DNS queries with c-ares on the control thread's Asio loop. c-ares owns the transport
// (resolv.conf defaults, nameserver rotation, timeouts, EDNS0, TCP after a truncated UDP answer)
// and tells us through its socket-state callback which sockets to watch; this class waits for
// them with Asio and calls ares_process_fd, and keeps one timer for c-ares's timeouts. The raw
// answer is handed back as bytes: dns/response.hpp parses it (c-ares 1.18's own SRV parser
// drops the TTLs and the additional section).
//
// Answers are delivered by posting to the loop, never from inside c-ares, so a callback may
// start queries or destroy this resolver.
#include <ares.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace fulcrum::discovery {

struct QueryResult {
  int status = ARES_SUCCESS;          // c-ares's: ARES_ENOTFOUND (NXDOMAIN), ARES_ENODATA, ARES_ETIMEOUT...
  std::vector<uint8_t> answer;        // the raw response, when one came (also for NXDOMAIN/SERVFAIL)
  std::string error() const;          // c-ares's sentence for the status
};

class AresResolver {
 public:
  using Callback = std::function<void(QueryResult)>;

  // Fails (with `error` set) only when c-ares cannot start (no memory, an unreadable resolv.conf
  // with no nameservers configured).
  static std::unique_ptr<AresResolver> create(asio::io_context& loop, const config::ResolverConfig& config,
                                              std::string& error);
  ~AresResolver();
  AresResolver(const AresResolver&) = delete;
  AresResolver& operator=(const AresResolver&) = delete;

  // Asks for `name` (absolute: no search list) and `type`; `done` runs later on the loop.
  void query(const std::string& name, uint16_t type, Callback done);
  // The nameservers c-ares uses, "ADDRESS:PORT" each (for the log line at start).
  std::vector<std::string> nameservers() const;

 private:
  explicit AresResolver(asio::io_context& loop) : loop_(loop), timer_(loop) {}
  struct Socket {
    std::unique_ptr<asio::posix::stream_descriptor> descriptor;
    uint64_t generation = 0;  // c-ares may close a socket and open another with the same number
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
  };
  struct Pending {
    AresResolver* self;
    Callback done;
  };
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* answer, int length);
  void wait(int fd, Socket& socket);
  void process(int read_fd, int write_fd);
  void arm_timer();

  asio::io_context& loop_;
  ares_channel channel_ = nullptr;
  asio::steady_timer timer_;
  std::map<int, Socket> sockets_;
  uint64_t next_generation_ = 1;
  bool destroying_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // posted answers check it
};

}  // namespace fulcrum::discovery
