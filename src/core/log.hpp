#pragma once
// Structured logging: one line per event, human-readable (key=value) by default or JSON
// (`--log-format json`). Diagnostics go to stderr; access-log lines to their own sink
// (stdout by default). A line is formatted into a thread-local buffer; a diagnostic line is
// written with a single write(2), so lines from different workers never interleave, and an
// access line is queued to the access-log writer thread (access_log_writer.hpp), which writes
// them in batches off the request path. Once warm, logging allocates nothing. When a sink is the systemd journal ($JOURNAL_STREAM names the
// descriptor), each line starts with its syslog priority (<3> error ... <7> debug) so that
// `journalctl -p warning` filters by level, and text lines leave the timestamp to the journal;
// JSON lines stay whole JSON objects (the journal strips the prefix). The descriptors never
// change after start: reopening a log file (SIGUSR1, log_files.hpp) swaps the file behind the
// same descriptor.
#include <cstdint>
#include <string>
#include <string_view>

namespace fulcrum::core {

enum class LogLevel { debug, info, warn, error };
enum class LogFormat { text, json };
// HTTP access lines: like the diagnostics (text or json, by --log-format), or the NCSA combined
// format with the balancer's fields appended (http/combined_log_line.hpp). TCP, UDP and DNS
// lines stay structured: the combined format has no place for them.
enum class AccessLogFormat { structured, combined };

struct LogSettings {
  LogFormat format = LogFormat::text;
  AccessLogFormat access_format = AccessLogFormat::structured;
  LogLevel level = LogLevel::info;
  int diagnostics_fd = 2;
  int access_fd = 1;  // -1: access log off
  // Set by configure_logging() from $JOURNAL_STREAM: the sink is a journal stream.
  bool diagnostics_to_journal = false;
  bool access_to_journal = false;
};

// True when `fd` is the stream systemd connected to the journal ($JOURNAL_STREAM is
// "DEVICE:INODE" of it). A descriptor redirected elsewhere (a file, a pipe) is not.
bool is_journal_stream(int fd);

void configure_logging(const LogSettings& settings);
const LogSettings& log_settings();
bool log_enabled(LogLevel level);

// Builds one log line field by field; emit() writes it. Usage:
//   LogLine(LogLevel::warn, "tcp.no_target").field("client", c).field("reason", r).emit();
class LogLine {
 public:
  LogLine(LogLevel level, std::string_view event);
  // An access-log line: its own sink, written whenever that sink is open, whatever the
  // diagnostics level (--log-level warn must not silence the access log).
  static LogLine access(std::string_view event);

  LogLine& field(std::string_view key, std::string_view value);
  LogLine& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  LogLine& field(std::string_view key, const std::string& value) { return field(key, std::string_view(value)); }
  LogLine& field(std::string_view key, int64_t value);
  LogLine& field(std::string_view key, uint64_t value);
  LogLine& field(std::string_view key, int value) { return field(key, static_cast<int64_t>(value)); }
  LogLine& field(std::string_view key, unsigned value) { return field(key, static_cast<uint64_t>(value)); }
  LogLine& field(std::string_view key, double value);
  LogLine& field(std::string_view key, bool value);
  void emit();
  // False when the line goes nowhere: callers may skip computing costly field values.
  bool enabled() const { return enabled_; }

 private:
  LogLine(LogLevel level, std::string_view event, int fd, bool enabled, bool journal, bool access);
  void begin_line(LogLevel level, std::string_view event, bool journal);
  void begin_field(std::string_view key);
  void append_quoted(std::string_view value);
  std::string& out_;
  int fd_;
  bool enabled_;
  bool access_;  // queued to the access-log writer (access_log_writer.hpp)
};

// For access lines a room formats whole (the combined format): the thread's line buffer, and
// its writer (adds the newline; queued to the access-log writer, access_log_writer.hpp). Check access_log_enabled() before formatting.
bool access_log_enabled();
std::string& access_line_buffer();
void write_access_line(std::string& line);

// Convenience for plain messages: log_message(LogLevel::info, "fulcrum.start", "serving 2 listeners").
void log_message(LogLevel level, std::string_view event, std::string_view message);

const char* to_string(LogLevel level);

}  // namespace fulcrum::core
