#include "core/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace fulcrum::core {
namespace log_line_test {

// The access sink set to a pipe for one test; reads what was written.
class AccessPipe {
 public:
  AccessPipe() {
    int ends[2];
    EXPECT_EQ(::pipe2(ends, O_CLOEXEC | O_NONBLOCK), 0);
    read_end_ = ends[0];
    write_end_ = ends[1];
    saved_ = log_settings();
    LogSettings settings = saved_;
    settings.access_fd = write_end_;
    configure_logging(settings);
  }
  ~AccessPipe() {
    configure_logging(saved_);
    ::close(read_end_);
    ::close(write_end_);
  }
  std::string read_all() {
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(read_end_, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
    return text;
  }

 private:
  int read_end_ = -1, write_end_ = -1;
  LogSettings saved_;
};

TEST(LogLine, AnAccessLineCarriesAnIsoTimestampInMillisecondsAndItsFields) {
  AccessPipe pipe;
  LogLine::access("http.request")
      .field("path", "/a b")
      .field("status", 200)
      .field("duration", 0.0125)
      .field("rounded", 2.0006)
      .field("ok", true)
      .emit();
  const std::string text = pipe.read_all();
  const std::regex line(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info http\.request path="/a b" status=200 duration=0\.013 rounded=2\.001 ok=true\n$)");
  EXPECT_TRUE(std::regex_match(text, line)) << text;
}

// Lines within one second share the cached date and time; the milliseconds still move.
TEST(LogLine, LinesInARowEachHaveTheirOwnTime) {
  AccessPipe pipe;
  for (int i = 0; i < 50; ++i) LogLine::access("tick").field("i", i).emit();
  const std::string text = pipe.read_all();
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info tick i=\d+\n)");
  size_t count = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator(); ++it) ++count;
  EXPECT_EQ(count, 50u) << text;
}

}  // namespace log_line_test
}  // namespace fulcrum::core
