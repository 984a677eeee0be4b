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
#include "security/listener_counters.hpp"
#include "security/listener_guard.hpp"

namespace fulcrum::security {

using ListenerGuards = std::vector<ListenerGuard>;  // one per listener of a configuration, same order

class Guards {
 public:
  explicit Guards(uint32_t table_slots_log2 = 16) : table_(table_slots_log2) {}

  // The number of workers (one counter slot each); before the first for_config().
  void set_workers(uint32_t workers) { workers_ = workers; }

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

  // Counts `event` on the guard's listener; the returned log line is enabled only when the
  // budget allows (add fields, then emit()).
  core::LogLine record(const ListenerGuard& guard, Event event, const ClientAddress& client);

  // fulcrum_security_* families in the Prometheus text format, for GET /metrics, per listener
  // of the installed configuration (relaxed loads: counters, not a consistent cut).
  std::string prometheus_text();

  ClientTable& table() { return table_; }
  EventLog& events() { return events_; }

 private:
  ClientTable table_;
  EventLog events_;
  // Per listener name, kept across reloads (a listener's counts survive a reload).
  struct ListenerState {
    explicit ListenerState(uint32_t workers) : counters(workers) {}
    std::atomic<int64_t> awaiting_headers{0};
    ListenerCounters counters;
  };
  uint32_t workers_ = 1;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<ListenerState>> listeners_;
  // Held, not just its address: a freed configuration's address may come back for the next.
  std::shared_ptr<const config::Config> compiled_for_;
  std::shared_ptr<const ListenerGuards> compiled_;
};

}  // namespace fulcrum::security
