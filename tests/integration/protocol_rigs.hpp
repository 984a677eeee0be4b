#pragma once
// One rig per listener protocol (tcp, udp, tls passthrough, http, https): how to start targets
// that say who they are, how a client makes one exchange from a chosen source address, and how
// it holds a connection (a UDP flow, an HTTP request in flight) open on its target. The
// algorithm matrix (algorithm_matrix_test.cpp) runs every algorithm over every rig; a new
// listener protocol is one more rig here.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace fulcrum::testing {

struct RigTarget {
  std::string name;
  std::string address;  // IP:PORT
  std::unique_ptr<Process> process;
};

class ProtocolRig {
 public:
  virtual ~ProtocolRig() = default;
  virtual const char* protocol() const = 0;           // the listener's `protocol:`
  virtual bool speaks_http() const { return false; }  // http and https: requests, cookies, headers
  virtual bool speaks_http2() const { return false; }  // h2c and h2: the client speaks HTTP/2
  // Extra listener keys (certificates for https).
  virtual std::string listener_extra(const TempDir& dir) { return ""; }
  // Starts a target named `name` on `ip`; `delay_ms`: it answers that much later (a slow target).
  // `extra`: more arguments for the target program (http rigs: e.g. --always-status 500).
  virtual RigTarget start_target(const TempDir& dir, const std::string& name, const std::string& ip, int delay_ms,
                                 const std::vector<std::string>& extra = {}) = 0;
  // One exchange on a new connection (a new flow for udp) from `source_ip`: the name of the
  // target that answered, "" when none did. `curl_extra`: headers or cookies (http rigs only).
  virtual std::string exchange(uint16_t port, const std::string& source_ip,
                               const std::vector<std::string>& curl_extra = {}) = 0;
  // `count` exchanges in a row from `source_ip`, each on a new connection: who answered each.
  virtual std::vector<std::string> exchanges(uint16_t port, const std::string& source_ip, int count) {
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) names.push_back(exchange(port, source_ip));
    return names;
  }
  // Opens a connection (flow, request in flight) from `source_ip` that stays on its target until
  // release_held(); returns when one of `targets` has it.
  virtual void hold(uint16_t port, const std::string& source_ip, const std::vector<RigTarget>& targets) = 0;
  // How many held connections each target has.
  virtual std::map<std::string, int> held_per_target(const std::vector<RigTarget>& targets) = 0;
  virtual void release_held() = 0;
};

// "tcp", "udp", "tls", "http", "https", and HTTP/2 clients on http ("h2c") and https ("h2")
// listeners (their protocol() is the listener's: http, https).
std::unique_ptr<ProtocolRig> make_rig(const std::string& protocol);
const std::vector<std::string>& all_protocols();

}  // namespace fulcrum::testing
