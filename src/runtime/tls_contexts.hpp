#pragma once
// The TLS contexts of the https listeners, owned by the control thread: built at start (a
// certificate that cannot be read stops the start), rebuilt on reload and whenever a
// certificate or key file changes on disk (checked every second), and handed to the workers
// through `publish`. A rebuild that fails (unreadable file, key not matching its certificate)
// is logged and the listener keeps its current certificates. The same timer flushes expired
// sessions from the session caches every 10 s. Connections keep the context
// they started with; ticket keys carry over, so sessions resume across a reload.
#include <sys/stat.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "tls/client_context.hpp"
#include "tls/server_context.hpp"

namespace fulcrum::runtime {

class TlsContexts {
 public:
  using Contexts = std::vector<std::shared_ptr<const tls::ServerContext>>;  // per listener, null if not https
  using TargetContexts = tls::TargetContexts;  // by group name, https and tls groups only
  using Publish = std::function<void(const Contexts&, const std::shared_ptr<const TargetContexts>&)>;

  TlsContexts(asio::io_context& control, Publish publish);

  // Builds every https listener's context; false with `error` ("listener 'web': certificate ...").
  bool build(const config::Config& config, std::string& error);
  const Contexts& contexts() const { return contexts_; }
  const std::shared_ptr<const TargetContexts>& target_contexts() const { return targets_; }
  // Rebuilds from `config` (listeners in the same order as before); publishes what changed.
  void reload(const config::Config& config);
  // Starts checking the files of `config` once a second (reload() then follows the new config).
  void watch(std::shared_ptr<const config::Config> config);
  void stop();

 private:
  struct FileStamp {
    std::string path;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    timespec modified{};
    bool operator==(const FileStamp& other) const;
  };
  static std::vector<FileStamp> stamps_of(const config::Config& config);
  void schedule();

  asio::io_context& control_;
  Publish publish_;
  Contexts contexts_;
  std::shared_ptr<const TargetContexts> targets_ = std::make_shared<TargetContexts>();
  std::shared_ptr<const config::Config> watched_;
  std::vector<FileStamp> stamps_;
  std::unique_ptr<asio::steady_timer> timer_;
  uint64_t ticks_ = 0;
};

}  // namespace fulcrum::runtime
