#pragma once
// Writes all of `text` to `fd`, continuing after short writes; gives up at the first error: a
// full disk or a closed pipe must not take the balancer down for a log line.
#include <unistd.h>

#include <string_view>

namespace fulcrum::core {

inline void write_all(int fd, std::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace fulcrum::core
