#include "runtime/tls_contexts.hpp"

#include "core/log.hpp"

namespace fulcrum::runtime {
namespace {

constexpr auto kWatchInterval = std::chrono::seconds(1);

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

void log_loaded(const config::ListenerConfig& listener, const tls::ServerContext& context, const char* event) {
  core::LogLine(core::LogLevel::info, event)
      .field("listener", listener.name)
      .field("certificates", static_cast<uint64_t>(context.certificate_count()))
      .field("names", joined(context.names()))
      .field("policy", listener.tls.policy == config::TlsPolicy::modern         ? "modern"
                       : listener.tls.policy == config::TlsPolicy::intermediate ? "intermediate"
                                                                                 : "legacy")
      .emit();
}

}  // namespace

bool TlsContexts::FileStamp::operator==(const FileStamp& other) const {
  return path == other.path && device == other.device && inode == other.inode && size == other.size &&
         modified.tv_sec == other.modified.tv_sec && modified.tv_nsec == other.modified.tv_nsec;
}

TlsContexts::TlsContexts(asio::io_context& control, Publish publish)
    : control_(control), publish_(std::move(publish)) {}

namespace {

// Client contexts for the https and tls target groups; false with `error` on a CA file that
// cannot be read.
bool build_targets(const config::Config& config, tls::TargetContexts& out, std::string& error) {
  for (const auto& group : config.target_groups) {
    if (group.protocol != config::TargetProtocol::https && group.protocol != config::TargetProtocol::tls) continue;
    std::string why;
    auto context = tls::ClientContext::build(group, why);
    if (!context) {
      error = "target group '" + group.name + "': " + why;
      return false;
    }
    out.emplace(group.name, std::move(context));
  }
  return true;
}

}  // namespace

bool TlsContexts::build(const config::Config& config, std::string& error) {
  auto targets = std::make_shared<TargetContexts>();
  if (!build_targets(config, *targets, error)) return false;
  targets_ = std::move(targets);
  Contexts built(config.listeners.size());
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& listener = config.listeners[i];
    if (listener.protocol != config::ListenerProtocol::https) continue;
    std::string why;
    auto context = tls::ServerContext::build(listener.tls, nullptr, why);
    if (!context) {
      error = "listener '" + listener.name + "': " + why;
      return false;
    }
    log_loaded(listener, *context, "tls.certificates_loaded");
    built[i] = std::move(context);
  }
  contexts_ = std::move(built);
  stamps_ = stamps_of(config);
  return true;
}

void TlsContexts::reload(const config::Config& config) {
  Contexts next(config.listeners.size());
  bool changed = false;
  auto targets = std::make_shared<TargetContexts>();
  std::string target_error;
  if (build_targets(config, *targets, target_error)) {
    targets_ = std::move(targets);
    changed = true;
  } else {
    core::LogLine(core::LogLevel::error, "tls.reload_failed").field("error", target_error).emit();
  }
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& listener = config.listeners[i];
    if (listener.protocol != config::ListenerProtocol::https) continue;
    const auto& old = i < contexts_.size() ? contexts_[i] : nullptr;
    std::string error;
    // Ticket keys carry over: clients resume across the reload.
    auto context = tls::ServerContext::build(listener.tls, old ? old->ticket_keys() : nullptr, error);
    if (!context) {
      core::LogLine(core::LogLevel::error, "tls.reload_failed")
          .field("listener", listener.name)
          .field("error", error)
          .field("kept", old ? "the certificates already loaded" : "nothing (listener has none)")
          .emit();
      next[i] = old;
      continue;
    }
    log_loaded(listener, *context, "tls.certificates_reloaded");
    next[i] = std::move(context);
    changed = true;
  }
  contexts_ = std::move(next);
  stamps_ = stamps_of(config);
  if (changed) publish_(contexts_, targets_);
}

std::vector<TlsContexts::FileStamp> TlsContexts::stamps_of(const config::Config& config) {
  std::vector<FileStamp> stamps;
  for (const auto& listener : config.listeners) {
    if (listener.protocol != config::ListenerProtocol::https) continue;
    for (const auto& pair : listener.tls.certificates) {
      for (const std::string* path : {&pair.cert, &pair.key}) {
        FileStamp stamp;
        stamp.path = *path;
        struct stat info {};
        if (::stat(path->c_str(), &info) == 0) {
          stamp.device = info.st_dev;
          stamp.inode = info.st_ino;
          stamp.size = info.st_size;
          stamp.modified = info.st_mtim;
        }
        stamps.push_back(stamp);
      }
    }
  }
  return stamps;
}

void TlsContexts::watch(std::shared_ptr<const config::Config> config) {
  watched_ = std::move(config);
  if (!timer_) {
    timer_ = std::make_unique<asio::steady_timer>(control_);
    schedule();
  }
}

void TlsContexts::schedule() {
  timer_->expires_after(kWatchInterval);
  timer_->async_wait([this](const asio::error_code& ec) {
    if (ec || !timer_ || !watched_) return;
    if (++ticks_ % 10 == 0) {
      for (const auto& context : contexts_) {
        if (context) context->flush_expired_sessions();
      }
    }
    if (!(stamps_of(*watched_) == stamps_)) {
      core::log_message(core::LogLevel::info, "tls.files_changed", "certificate or key files changed: reloading them");
      reload(*watched_);
    }
    schedule();
  });
}

void TlsContexts::stop() {
  if (timer_) timer_->cancel();
  timer_.reset();
}

}  // namespace fulcrum::runtime
