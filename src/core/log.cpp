#include "core/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "core/access_log_writer.hpp"
#include "core/write_all.hpp"

namespace fulcrum::core {
namespace {

LogSettings g_settings;  // written once at start-up, before any worker runs

std::string& thread_buffer() {
  thread_local std::string buffer = [] {
    std::string b;
    b.reserve(1024);
    return b;
  }();
  return buffer;
}

// "2026-12-07T21:13:30.813Z". The part up to the seconds is formatted once per second and
// thread, the milliseconds by hand: under load every access line pays only that.
void append_timestamp(std::string& out) {
  thread_local int64_t cached_second = -1;
  thread_local char cached_text[24];  // "2026-12-07T21:13:30."
  thread_local size_t cached_size = 0;
  const auto now = std::chrono::system_clock::now();
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const int64_t second = ms / 1000;
  if (second != cached_second) {
    const std::time_t seconds = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    const int n = std::snprintf(cached_text, sizeof cached_text, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_size = n > 0 ? static_cast<size_t>(n) : 0;
    cached_second = second;
  }
  out.append(cached_text, cached_size);
  const int millis = static_cast<int>(ms % 1000);
  const char digits[4] = {static_cast<char>('0' + millis / 100), static_cast<char>('0' + millis / 10 % 10),
                          static_cast<char>('0' + millis % 10), 'Z'};
  out.append(digits, 4);
}

template <typename Integer>
void append_integer(std::string& out, Integer value) {
  char text[24];  // enough for any 64-bit integer and its sign
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out.append(text, end);
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

// syslog(3) priorities, as the journal reads them from a "<N>" prefix.
char journal_priority(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return '7';
    case LogLevel::info: return '6';
    case LogLevel::warn: return '4';
    case LogLevel::error: return '3';
  }
  return '6';
}

}  // namespace

bool is_journal_stream(int fd) {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr || fd < 0) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat info {};
  if (::fstat(fd, &info) != 0) return false;
  return static_cast<unsigned long long>(info.st_dev) == device && static_cast<unsigned long long>(info.st_ino) == inode;
}

void configure_logging(const LogSettings& settings) {
  g_settings = settings;
  g_settings.diagnostics_to_journal = is_journal_stream(settings.diagnostics_fd);
  g_settings.access_to_journal = is_journal_stream(settings.access_fd);
}
const LogSettings& log_settings() { return g_settings; }
bool log_enabled(LogLevel level) { return level >= g_settings.level; }

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "?";
}

LogLine::LogLine(LogLevel level, std::string_view event)
    : LogLine(level, event, g_settings.diagnostics_fd, log_enabled(level), g_settings.diagnostics_to_journal, false) {}

LogLine::LogLine(LogLevel level, std::string_view event, int fd, bool enabled, bool journal, bool access)
    : out_(thread_buffer()), fd_(fd), enabled_(enabled && fd >= 0), access_(access) {
  if (enabled_) begin_line(level, event, journal);
}

void LogLine::begin_line(LogLevel level, std::string_view event, bool journal) {
  out_.clear();
  if (journal) {
    out_ += '<';
    out_ += journal_priority(level);
    out_ += '>';
  }
  if (g_settings.format == LogFormat::json) {
    out_ += "{\"time\":\"";
    append_timestamp(out_);
    out_ += "\",\"level\":\"";
    out_ += to_string(level);
    out_ += "\",\"event\":\"";
    out_ += event;
    out_ += '"';
  } else {
    if (!journal) {  // the journal stamps every entry itself
      append_timestamp(out_);
      out_ += ' ';
    }
    out_ += to_string(level);
    out_ += ' ';
    out_ += event;
  }
}

LogLine LogLine::access(std::string_view event) {
  return LogLine(LogLevel::info, event, g_settings.access_fd, true, g_settings.access_to_journal, true);
}

void LogLine::begin_field(std::string_view key) {
  if (g_settings.format == LogFormat::json) {
    out_ += ",\"";
    out_ += key;
    out_ += "\":";
  } else {
    out_ += ' ';
    out_ += key;
    out_ += '=';
  }
}

void LogLine::append_quoted(std::string_view value) {
  out_ += '"';
  for (char c : value) {
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out_ += esc;
        } else {
          out_ += c;
        }
    }
  }
  out_ += '"';
}

LogLine& LogLine::field(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  begin_field(key);
  if (g_settings.format == LogFormat::json || needs_quotes(value)) {
    append_quoted(value);
  } else {
    out_ += value;
  }
  return *this;
}

LogLine& LogLine::field(std::string_view key, int64_t value) {
  if (!enabled_) return *this;
  begin_field(key);
  append_integer(out_, value);
  return *this;
}

LogLine& LogLine::field(std::string_view key, uint64_t value) {
  if (!enabled_) return *this;
  begin_field(key);
  append_integer(out_, value);
  return *this;
}

LogLine& LogLine::field(std::string_view key, double value) {
  if (!enabled_) return *this;
  begin_field(key);
  char text[64];  // std::to_chars: no locale, no stdio, as snprintf("%.3f") would cost per line
  auto [end, ec] = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed, 3);
  if (ec != std::errc()) end = text;
  out_.append(text, end);
  return *this;
}

LogLine& LogLine::field(std::string_view key, bool value) {
  if (!enabled_) return *this;
  begin_field(key);
  out_ += value ? "true" : "false";
  return *this;
}

void LogLine::emit() {
  if (!enabled_) return;
  if (g_settings.format == LogFormat::json) out_ += '}';
  out_ += '\n';
  if (access_) {
    queue_access_line(fd_, out_);
  } else {
    write_all(fd_, out_);
  }
  enabled_ = false;
}

bool access_log_enabled() { return g_settings.access_fd >= 0; }
std::string& access_line_buffer() { return thread_buffer(); }

void write_access_line(std::string& line) {
  if (g_settings.access_fd < 0) return;
  if (g_settings.access_to_journal) line.insert(0, "<6>");
  line += '\n';
  queue_access_line(g_settings.access_fd, line);
}

void log_message(LogLevel level, std::string_view event, std::string_view message) {
  LogLine(level, event).field("msg", message).emit();
}

}  // namespace fulcrum::core
