#pragma once
// What operators changed about targets through the admin API, kept on the control thread and
// laid over every configuration the file gives (start, reload): targets registered, targets
// deregistered, weights, operator drain.
//
// The rule (docs/admin-api.md): a change is kept across reloads for as long as the file's own
// entry for that target (present or not, and its weight and zone) stays what it was when the
// operator acted; once the file changes that target, the file wins and the change is dropped
// (and logged). So an API registration survives reloads until someone writes the target into
// the file, and a file edit is never silently overridden by an older API call.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace fulcrum::upstream {

class OperatorOverrides {
 public:
  struct Dropped {
    std::string group;
    std::string address;
  };

  // The configuration to serve: `file` with every kept change applied. Changes whose target
  // the file has changed since are dropped first and returned in `dropped`.
  config::Config apply(const config::Config& file, std::vector<Dropped>* dropped = nullptr);

  // Each returns "" on success or a sentence for a 4xx answer; `status` gets 400, 404 or 409.
  // `file` is the file's configuration (to remember what it said), `effective` what is served.
  std::string register_target(const config::Config& file, const config::Config& effective, const std::string& group,
                              const config::TargetConfig& target, int& status);
  std::string deregister_target(const config::Config& file, const config::Config& effective, const std::string& group,
                                const std::string& address, int& status);
  std::string set_weight(const config::Config& file, const config::Config& effective, const std::string& group,
                         const std::string& address, uint32_t weight, int& status);
  std::string set_drained(const config::Config& file, const config::Config& effective, const std::string& group,
                          const std::string& address, bool drained, int& status);

  // "api" when the operator registered the target, else "file"; and what else an operator
  // changed, for the API's target view.
  struct View {
    bool registered = false;
    std::optional<uint32_t> weight;
    bool drained = false;
  };
  std::optional<View> view(const std::string& group, const std::string& address) const;
  size_t size() const { return changes_.size(); }

 private:
  // What the file said about a target when the operator acted.
  struct FileEntry {
    bool present = false;
    uint32_t weight = 0;
    std::string zone;
    bool operator==(const FileEntry&) const = default;
  };
  struct Change {
    FileEntry file;
    std::optional<config::TargetConfig> registered;  // added by the API (the file had none)
    bool deregistered = false;
    std::optional<uint32_t> weight;
    bool drained = false;
  };
  using Key = std::pair<std::string, std::string>;  // group, canonical address

  static FileEntry file_entry(const config::Config& file, const std::string& group, const std::string& address);
  Change& change_for(const config::Config& file, const std::string& group, const std::string& address);

  std::map<Key, Change> changes_;
};

}  // namespace fulcrum::upstream
