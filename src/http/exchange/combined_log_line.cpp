#include "http/exchange/combined_log_line.hpp"

#include <charconv>
#include <ctime>

namespace fulcrum::http {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_number(std::string& out, uint64_t value) {
  char text[24];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  out.append(text, end);
}

void append_two_digits(std::string& out, int value) {
  out += static_cast<char>('0' + value / 10);
  out += static_cast<char>('0' + value % 10);
}

// Seconds with millisecond precision, as nginx's $request_time: "0.003"; "-" when unknown.
void append_seconds(std::string& out, int64_t us) {
  if (us < 0) {
    out += '-';
    return;
  }
  const uint64_t ms = static_cast<uint64_t>(us + 500) / 1000;
  append_number(out, ms / 1000);
  out += '.';
  const auto fraction = static_cast<int>(ms % 1000);
  out += static_cast<char>('0' + fraction / 100);
  append_two_digits(out, fraction % 100);
}

// Quotes, backslashes and bytes outside printable ASCII escaped (\" \\ \xHH).
void append_escaped(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
}

// A quoted string, "-" when empty (the combined format's "no value").
void append_quoted(std::string& out, std::string_view value) {
  out += '"';
  if (value.empty()) out += '-';
  append_escaped(out, value);
  out += '"';
}

void append_time(std::string& out, int64_t unix_seconds) {
  std::time_t seconds = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  out += '[';
  append_two_digits(out, tm.tm_mday);
  out += '/';
  out += kMonths[tm.tm_mon];
  out += '/';
  append_number(out, static_cast<uint64_t>(tm.tm_year + 1900));
  out += ':';
  append_two_digits(out, tm.tm_hour);
  out += ':';
  append_two_digits(out, tm.tm_min);
  out += ':';
  append_two_digits(out, tm.tm_sec);
  out += " +0000]";
}

}  // namespace

void format_combined_line(std::string& out, const CombinedLogFields& f, int64_t unix_seconds) {
  out.clear();
  out += f.client.empty() ? std::string_view("-") : f.client;
  out += " - - ";
  append_time(out, unix_seconds);
  out += ' ';
  // The request line, rebuilt from its parts (escaped: a raw target may hold anything).
  out += '"';
  if (f.method.empty()) {
    out += '-';  // the request line was never understood
  } else {
    append_escaped(out, f.method);
    out += ' ';
    append_escaped(out, f.path);
    if (!f.version.empty()) {
      out += ' ';
      out += f.version;
    }
  }
  out += "\" ";
  append_number(out, f.status);
  out += ' ';
  append_number(out, f.bytes_out);
  out += ' ';
  append_quoted(out, f.referer);
  out += ' ';
  append_quoted(out, f.user_agent);
  out += " host=";
  append_quoted(out, f.host);
  out += " in=";
  append_number(out, f.bytes_in);
  out += " rt=";
  append_seconds(out, f.duration_us);
  out += " ct=";
  append_seconds(out, f.connect_us);
  out += " fb=";
  append_seconds(out, f.first_byte_us);
  out += " group=";
  append_quoted(out, f.group);
  out += " target=";
  append_quoted(out, f.target);
  out += " attempts=";
  append_number(out, f.attempts);
  if (f.attempts > 1) {
    out += " tried=";
    append_quoted(out, f.tried);
  }
  out += " rule=";
  append_quoted(out, f.rule);
  out += " desync=";
  out += f.desync_tier.empty() ? std::string_view("compliant") : f.desync_tier;
  out += " rid=";
  append_quoted(out, f.request_id);
}

}  // namespace fulcrum::http
