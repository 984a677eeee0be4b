#pragma once
// The security room's process-wide state, owned by the server and shared by every worker:
// the client table (per-client limits hold across workers), the event counters and log
// budget, and the listeners' compiled guards per configuration. Workers call admit() on the
// accept path: no lock, no allocation.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <mutex>
#include <vector>

#include "config/config.hpp"
#include "security/client_table.hpp"
#include "security/event_log.hpp"
#include "security/listener_guard.hpp"

namespace fulcrum::security {

using ListenerGuards = std::vector<ListenerGuard>;  // one per listener of a configuration, same order

class Guards {
 public:
  explicit Guards(uint32_t table_slots_log2 = 16) : table_(table_slots_log2) {}

  // The guards of `config`'s listeners, compiled once however many workers ask (on install,
  // never on the data path: this takes a lock).
  std::shared_ptr<const ListenerGuards> for_config(const std::shared_ptr<const config::Config>& config);

  // A new connection from `client` on the listener `guard` protects. Refused: counted,
  // logged within the budget, and the caller closes the connection. Admitted: `ticket` holds
  // the client's slot while the connection lives (empty when no per-client limit is on).
  bool admit(const ListenerGuard& guard, const ClientAddress& client, ClientTicket& ticket);
  // One request on an admitted connection (rate_limit). Refused: `retry_after_s` for the 429.
  bool admit_request(const ListenerGuard& guard, const ClientAddress& client, const ClientTicket& ticket,
                     uint32_t& retry_after_s);

  // fulcrum_security_* families in the Prometheus text format, for GET /metrics (read with
  // relaxed loads: counters, not a consistent cut).
  std::string prometheus_text() const;

  ClientTable& table() { return table_; }
  EventLog& events() { return events_; }

 private:
  ClientTable table_;
  EventLog events_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>> awaiting_headers_;  // by listener name
  const config::Config* compiled_for_ = nullptr;
  std::shared_ptr<const ListenerGuards> compiled_;
};

}  // namespace fulcrum::security
