// fulcrum: the command line. Each subcommand is a thin front to a room: run and demo start the
// runtime, validate reports configuration errors as FILE:LINE:COLUMN: message.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "admin/ctl_client.hpp"
#include "config/config_loader.hpp"
#include "config/duration.hpp"
#include "core/access_log_writer.hpp"
#include "core/build_info.hpp"
#include "core/log.hpp"
#include "core/log_files.hpp"
#include "health/agent_server.hpp"
#include "health/agent_state_file.hpp"
#include "runtime/demo.hpp"
#include "runtime/server.hpp"
#include "runtime/upgrade_channel.hpp"

namespace {

struct LogFlags {
  std::string format = "text";
  std::string level = "info";
  std::string access_log = "-";
  std::string error_log = "-";
  std::string access_log_format = "structured";
};

void add_log_flags(CLI::App& command, LogFlags& flags) {
  command.add_option("--log-format", flags.format, "Log line format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  command.add_option("--log-level", flags.level, "Least severe level logged")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  command.add_option("--access-log", flags.access_log,
                     "Where access-log lines go: - (stdout), off, or a file path (reopened on SIGUSR1)")
      ->capture_default_str();
  command.add_option("--error-log", flags.error_log,
                     "Where diagnostics go: - (stderr) or a file path (reopened on SIGUSR1)")
      ->capture_default_str();
  command.add_option("--access-log-format", flags.access_log_format,
                     "HTTP access lines: structured (as --log-format) or combined (NCSA combined + balancer fields)")
      ->check(CLI::IsMember({"structured", "combined"}))
      ->capture_default_str();
}

// False when a log file cannot be opened (said on stderr). `files` keeps the files for SIGUSR1.
bool apply_log_flags(const LogFlags& flags, fulcrum::core::LogFiles& files) {
  fulcrum::core::LogSettings settings;
  settings.format = flags.format == "json" ? fulcrum::core::LogFormat::json : fulcrum::core::LogFormat::text;
  if (flags.level == "debug") settings.level = fulcrum::core::LogLevel::debug;
  if (flags.level == "warn") settings.level = fulcrum::core::LogLevel::warn;
  if (flags.level == "error") settings.level = fulcrum::core::LogLevel::error;
  if (flags.access_log_format == "combined") settings.access_format = fulcrum::core::AccessLogFormat::combined;
  std::string error;
  if (flags.error_log != "-" && !files.open_error_log(flags.error_log, error)) {
    std::fprintf(stderr, "fulcrum: cannot open the error log %s\n", error.c_str());
    return false;
  }
  if (flags.access_log == "off") {
    settings.access_fd = -1;
  } else if (flags.access_log != "-") {
    settings.access_fd = files.open_access_log(flags.access_log, error);
    if (settings.access_fd < 0) {
      std::fprintf(stderr, "fulcrum: cannot open the access log %s\n", error.c_str());
      return false;
    }
  }
  fulcrum::core::configure_logging(settings);
  return true;
}

// Prints every error; returns the configuration when there is none.
std::shared_ptr<const fulcrum::config::Config> load_or_report(const std::string& path) {
  auto result = fulcrum::config::load_config_file(path);
  for (const auto& error : result.errors) std::fprintf(stderr, "%s\n", error.format().c_str());
  if (!result.config || !result.errors.empty()) return nullptr;
  return std::make_shared<const fulcrum::config::Config>(std::move(*result.config));
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that vanishes mid-write must cost one connection, not the process: splice() has no
  // MSG_NOSIGNAL, and a closed log pipe raises SIGPIPE too.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"Fulcrum: a load balancer for TCP, UDP, HTTP and TLS traffic.", "fulcrum"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fulcrum " + std::string(fulcrum::core::version()) + " (git " +
                                        std::string(fulcrum::core::git_commit()) + ")");

  std::string config_path;
  LogFlags log_flags;

  fulcrum::runtime::ServerOptions server_options;
  auto* run = app.add_subcommand("run", "Serve a configuration file");
  run->add_option("-c,--config", config_path, "Configuration file (YAML)")->required();
  run->add_option("--admin-listen", server_options.admin_listen,
                  "Serve the admin API here instead of admin.listen (HOST:PORT; port 0: any free port, logged; "
                  "off: no admin API)");
  run->add_flag("--upgrade", server_options.upgrade,
                "Hot binary upgrade: take the listening sockets of the fulcrum running on the upgrade socket, then "
                "tell it to drain and exit (docs/operations.md)");
  run->add_option("--upgrade-socket", server_options.upgrade_socket,
                  "Where this process listens for its successor (and, with --upgrade, finds the one it replaces); "
                  "off: nowhere [default: $XDG_RUNTIME_DIR, /run (root) or /tmp, /fulcrum-<hash of the config "
                  "file's path>.sock]");
  add_log_flags(*run, log_flags);

  auto* validate = app.add_subcommand(
      "validate", "Check a configuration file; print every error as FILE:LINE:COLUMN: message and exit 2, or exit 0");
  validate->add_option("-c,--config", config_path, "Configuration file (YAML)")->required();

  fulcrum::runtime::DemoOptions demo_options;
  auto* demo = app.add_subcommand("demo", "Start three demo backends in this process and a balancer in front of them");
  demo->add_option("--listen", demo_options.listen, "Where the balancer listens")->capture_default_str();
  demo->add_option("--admin", demo_options.admin, "Where the admin API listens (HOST:PORT, port 0: any; off)")
      ->capture_default_str();
  demo->add_option("--workers", demo_options.workers, "Worker threads (0: one per core)")->capture_default_str();
  add_log_flags(*demo, log_flags);

  fulcrum::health::AgentOptions agent_options;
  std::string agent_state, agent_comment, agent_sample_interval = "1s";
  auto* agent = app.add_subcommand(
      "agent",
      "Run on a target host: answer HAProxy-compatible agent checks with this host's CPU and memory use and "
      "the operator's state; or, with --state, set that state and exit");
  agent->add_option("--listen", agent_options.listen, "Where the agent listens (HOST:PORT)")->capture_default_str();
  agent->add_option("--state", agent_state, "Set the operator state (up | drain | maint | down) and exit")
      ->check(CLI::IsMember({"up", "ready", "drain", "maint", "down", "stopped"}));
  agent->add_option("--comment", agent_comment, "With --state: why (shown by the balancer as the reason)");
  agent->add_option("--state-file", agent_options.state_file, "Where the operator state is kept")
      ->capture_default_str();
  agent->add_option("--proc", agent_options.proc_root, "The /proc to read CPU and memory figures from")
      ->capture_default_str();
  agent->add_option("--sample-interval", agent_sample_interval, "How often CPU and memory are sampled (e.g. 1s, 500ms)")
      ->capture_default_str();
  add_log_flags(*agent, log_flags);

  fulcrum::admin::CtlOptions ctl_options;
  std::string ctl_config;
  std::vector<std::string> ctl_words;
  uint32_t ctl_weight = 1;
  std::string ctl_zone;
  auto* ctl = app.add_subcommand("ctl", "Talk to a running fulcrum through its admin API (tables, or --json)");
  ctl->require_subcommand(1);
  ctl->add_option("--admin", ctl_options.admin, "The admin API (HOST:PORT)")->capture_default_str();
  ctl->add_option("-c,--config", ctl_config, "Take --admin and --token-file from this configuration's admin section");
  ctl->add_option("--token-file", ctl_options.token_file, "File holding the bearer token");
  ctl->add_flag("--json", ctl_options.json, "Print the API's JSON answer as it came");
  auto word = [&](CLI::App* command, const char* name, const char* help) {
    command->add_option_function<std::string>(name, [&](const std::string& v) { ctl_words.push_back(v); }, help)
        ->required();
  };
  ctl->add_subcommand("status", "One screen: version, uptime, user, last reload, listeners and groups");
  ctl->add_subcommand("list", "Target groups with their health counts");
  word(ctl->add_subcommand("show", "Every target of a group: state, reason, weight, traffic"), "group", "Target group");
  auto* ctl_register = ctl->add_subcommand("register", "Add a target to a group (kept across reloads)");
  word(ctl_register, "group", "Target group");
  word(ctl_register, "address", "IP:PORT");
  ctl_register->add_option("--weight", ctl_weight, "0..1000")->capture_default_str();
  ctl_register->add_option("--zone", ctl_zone, "Zone or site label");
  auto* ctl_deregister = ctl->add_subcommand("deregister", "Remove a target (it drains for the group's delay)");
  word(ctl_deregister, "group", "Target group");
  word(ctl_deregister, "address", "IP:PORT");
  auto* ctl_weight_command = ctl->add_subcommand("weight", "Set a target's weight");
  word(ctl_weight_command, "group", "Target group");
  word(ctl_weight_command, "address", "IP:PORT");
  ctl_weight_command->add_option("weight", ctl_weight, "0..1000")->required();
  for (const char* name : {"drain", "enable"}) {
    auto* command = ctl->add_subcommand(name, std::string(name) == "drain"
                                                  ? "Stop sending new traffic to a target (open connections finish)"
                                                  : "Let a drained target take traffic again");
    word(command, "group", "Target group");
    word(command, "address", "IP:PORT");
  }
  ctl->add_subcommand("reload", "Re-read the configuration file (as SIGHUP does)");

  CLI11_PARSE(app, argc, argv);

  if (ctl->parsed()) {
    if (!ctl_config.empty()) {
      auto config = load_or_report(ctl_config);
      if (!config) return 2;
      if (ctl->count("--admin") == 0) ctl_options.admin = config->admin.listen.to_string();
      if (ctl_options.token_file.empty()) ctl_options.token_file = config->admin.token_file;
    }
    ctl_words.insert(ctl_words.begin(), ctl->get_subcommands().front()->get_name());
    return fulcrum::admin::run_ctl(ctl_options, ctl_words, ctl_weight, ctl_zone);
  }

  if (validate->parsed()) {
    auto config = load_or_report(config_path);
    if (!config) return 2;
    std::printf("%s: ok (%zu listeners, %zu target groups)\n", config_path.c_str(), config->listeners.size(),
                config->target_groups.size());
    return 0;
  }

  // Lives as long as the process: SIGUSR1 reopens these files.
  static fulcrum::core::LogFiles log_files;
  if (!run->parsed() && !apply_log_flags(log_flags, log_files)) return 1;

  if (demo->parsed()) {
    const fulcrum::core::AccessLogWriter access_log_writer(fulcrum::core::log_settings().access_fd);
    return fulcrum::runtime::run_demo(demo_options);
  }

  if (agent->parsed()) {
    if (!agent_state.empty()) {
      fulcrum::health::AgentStateFile file(agent_options.state_file);
      std::string error;
      if (!file.write(*fulcrum::health::parse_agent_word(agent_state), agent_comment, error)) {
        std::fprintf(stderr, "fulcrum agent: %s\n", error.c_str());
        return 1;
      }
      std::printf("agent state: %s (%s)\n", agent_state.c_str(), agent_options.state_file.c_str());
      return 0;
    }
    auto interval = fulcrum::config::parse_duration(agent_sample_interval);
    if (!interval || interval->count() < 10) {
      std::fprintf(stderr, "fulcrum agent: --sample-interval: '%s' is not a duration of 10ms or more\n",
                   agent_sample_interval.c_str());
      return 2;
    }
    agent_options.sample_interval = *interval;
    return fulcrum::health::run_agent(agent_options);
  }

  // With --upgrade, a file that does not validate stops here: the running process never hears of it.
  auto config = load_or_report(config_path);
  if (!config) {
    if (server_options.upgrade) std::fprintf(stderr, "fulcrum: upgrade not attempted: the running process keeps serving\n");
    return 2;
  }
  // After the file: `user:` decides where the upgrade socket goes, and who gets the log files.
  if (!apply_log_flags(log_flags, log_files)) return 1;
  // Declared before the server: destroyed after it, it writes the last lines its workers queued.
  const fulcrum::core::AccessLogWriter access_log_writer(fulcrum::core::log_settings().access_fd);
  server_options.log_files = &log_files;
  server_options.arguments.assign(argv + 1, argv + argc);
  if (server_options.upgrade_socket.empty()) {
    server_options.upgrade_socket = fulcrum::runtime::default_upgrade_socket_path(config_path, !config->user.empty());
  } else if (server_options.upgrade_socket == "off") {
    if (server_options.upgrade) {
      std::fprintf(stderr, "fulcrum: --upgrade needs an upgrade socket (--upgrade-socket off was given)\n");
      return 2;
    }
    server_options.upgrade_socket.clear();
  }
  fulcrum::runtime::Server server(config, server_options);
  std::string error;
  if (!server.start(error)) {
    fulcrum::core::log_message(fulcrum::core::LogLevel::error, "fulcrum.start_failed", error);
    return 1;
  }
  return server.run();
}
