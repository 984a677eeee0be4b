#include "core/log.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

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

void append_timestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<int>(ms % 1000));
  out.append(text, static_cast<size_t>(n));
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

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;  // a full disk or closed pipe must not take the balancer down
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void configure_logging(const LogSettings& settings) { g_settings = settings; }
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
    : LogLine(level, event, g_settings.diagnostics_fd, log_enabled(level)) {}

LogLine::LogLine(LogLevel level, std::string_view event, int fd, bool enabled)
    : out_(thread_buffer()), fd_(fd), enabled_(enabled && fd >= 0) {
  if (enabled_) begin_line(level, event);
}

void LogLine::begin_line(LogLevel level, std::string_view event) {
  out_.clear();
  if (g_settings.format == LogFormat::json) {
    out_ += "{\"time\":\"";
    append_timestamp(out_);
    out_ += "\",\"level\":\"";
    out_ += to_string(level);
    out_ += "\",\"event\":\"";
    out_ += event;
    out_ += '"';
  } else {
    append_timestamp(out_);
    out_ += ' ';
    out_ += to_string(level);
    out_ += ' ';
    out_ += event;
  }
}

LogLine LogLine::access(std::string_view event) { return LogLine(LogLevel::info, event, g_settings.access_fd, true); }

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
  char text[32];
  int n = std::snprintf(text, sizeof text, "%.3f", value);
  out_.append(text, static_cast<size_t>(n));
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
  write_all(fd_, out_);
  enabled_ = false;
}

bool access_log_enabled() { return g_settings.access_fd >= 0; }
std::string& access_line_buffer() { return thread_buffer(); }

void write_access_line(std::string& line) {
  if (g_settings.access_fd < 0) return;
  line += '\n';
  write_all(g_settings.access_fd, line);
}

void log_message(LogLevel level, std::string_view event, std::string_view message) {
  LogLine(level, event).field("msg", message).emit();
}

}  // namespace fulcrum::core
