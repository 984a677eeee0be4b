#include "notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

namespace fulcrum::testing {

bool Notification::has(const std::string& line) const {
  std::istringstream lines(text);
  for (std::string each; std::getline(lines, each);) {
    if (each == line) return true;
  }
  return false;
}

std::string Notification::value(const std::string& name) const {
  std::istringstream lines(text);
  for (std::string each; std::getline(lines, each);) {
    if (each.rfind(name + "=", 0) == 0) return each.substr(name.size() + 1);
  }
  return {};
}

NotifySocket::NotifySocket(const TempDir& dir) : path_(dir.path() + "/notify.sock") {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
  EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Notification> NotifySocket::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, timeout.count()))) != 1) return std::nullopt;
  char buffer[4096];
  iovec vector{buffer, sizeof buffer};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(fd_, &message, 0);
  if (n < 0) return std::nullopt;
  Notification out;
  out.text.assign(buffer, static_cast<size_t>(n));
  out.at = std::chrono::steady_clock::now();
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      ucred credentials;
      std::memcpy(&credentials, CMSG_DATA(c), sizeof credentials);
      out.sender = credentials.pid;
    }
  }
  all_.push_back(out);
  return out;
}

template <typename Match>
std::optional<Notification> NotifySocket::wait_until(Match match, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto next = receive(left);
    if (!next) return std::nullopt;
    if (match(*next)) return next;
  }
}

std::optional<Notification> NotifySocket::wait_for(const std::string& line, std::chrono::milliseconds timeout) {
  return wait_until([&](const Notification& n) { return n.has(line); }, timeout);
}

std::optional<Notification> NotifySocket::wait_for_field(const std::string& name, std::chrono::milliseconds timeout) {
  return wait_until([&](const Notification& n) { return !n.value(name).empty(); }, timeout);
}

size_t NotifySocket::drain() {
  size_t count = 0;
  while (receive(0ms)) ++count;
  return count;
}

std::vector<Notification> NotifySocket::collect(std::chrono::milliseconds window) {
  std::vector<Notification> out;
  const auto deadline = std::chrono::steady_clock::now() + window;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    if (auto next = receive(left)) out.push_back(*next);
  }
}

}  // namespace fulcrum::testing
