#include "runtime/upgrade_channel.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/errno_text.hpp"
#include "core/log.hpp"

namespace fulcrum::runtime {
namespace {

constexpr std::string_view kHello = "FULCRUM-UPGRADE 1";
constexpr std::string_view kReady = "READY";
constexpr size_t kMaxMessage = 64 * 1024;

bool unix_address(const std::string& path, sockaddr_un& address, std::string& error) {
  address = {};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) {
    error = "upgrade socket path '" + path + "' must have 1 to " + std::to_string(sizeof address.sun_path - 1) +
            " characters";
    return false;
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  return true;
}

bool send_text(int fd, std::string_view text) {
  return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// One record, or "" on EOF, error or timeout (SO_RCVTIMEO).
std::string receive_text(int fd, int flags = 0) {
  std::string buffer(kMaxMessage, '\0');
  ssize_t n = ::recv(fd, buffer.data(), buffer.size(), flags);
  buffer.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return buffer;
}

bool send_fds(int fd, const std::vector<int>& fds) {
  char payload[] = "FDS";
  iovec vector{payload, 3};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()), 0);
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  return ::sendmsg(fd, &message, MSG_NOSIGNAL) == 3;
}

// Appends the descriptors of one FDS record to `fds` (close-on-exec); false on EOF or error.
bool receive_fds(int fd, std::vector<int>& fds) {
  char payload[16];
  iovec vector{payload, sizeof payload};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kFdsPerMessage), 0);
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  ssize_t n = ::recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
  if (n <= 0) return false;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(header) + i * sizeof(int), sizeof received);
      fds.push_back(received);
    }
  }
  return (message.msg_flags & MSG_CTRUNC) == 0;
}

void set_timeouts(int fd, std::chrono::seconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

}  // namespace

std::string default_upgrade_socket_path(const std::string& config_path, bool switches_user) {
  std::error_code ec;
  auto absolute = std::filesystem::weakly_canonical(std::filesystem::absolute(config_path, ec), ec);
  std::string dir;
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && runtime[0] == '/') {
    dir = runtime;
  } else {
    // Root that becomes `user:` creates the socket after the switch: in a directory of its own.
    dir = ::geteuid() != 0 ? "/tmp" : switches_user ? "/run/fulcrum" : "/run";
  }
  char name[40];
  std::snprintf(name, sizeof name, "/fulcrum-%016llx.sock", static_cast<unsigned long long>(fnv1a(absolute.string())));
  return dir + name;
}

// ---- the running process ----

UpgradeListener::UpgradeListener(asio::io_context& loop, Hooks hooks) : loop_(loop), hooks_(std::move(hooks)) {}

UpgradeListener::~UpgradeListener() { stop(true); }

bool UpgradeListener::start(const std::string& path, std::string& error) {
  sockaddr_un address;
  if (!unix_address(path, address, error)) return false;
  // A socket file left by a process that died: nobody answers, so it may go. One that answers
  // belongs to a live fulcrum serving the same file (or started with the same path).
  int probe = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    error = core::errno_text("socket");
    return false;
  }
  const bool alive = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(probe);
  if (alive) {
    error = "upgrade socket " + path + " is held by another running fulcrum (to replace it: fulcrum run --upgrade)";
    return false;
  }
  ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = core::errno_text("socket");
    return false;
  }
  // Nobody else may even connect: bind with a umask that leaves the file 0600.
  const mode_t old_mask = ::umask(077);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  ::umask(old_mask);
  if (bound != 0 || ::listen(fd, 4) != 0) {
    error = "upgrade socket " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  acceptor_.emplace(loop_, fd);
  path_ = path;
  accept_next();
  return true;
}

void UpgradeListener::stop(bool keep_file) {
  if (!acceptor_) return;
  asio::error_code ignored;
  acceptor_->close(ignored);
  acceptor_.reset();
  if (!keep_file) ::unlink(path_.c_str());
}

void UpgradeListener::accept_next() {
  acceptor_->async_wait(asio::posix::descriptor_base::wait_read, [this](const asio::error_code& ec) {
    if (ec || !acceptor_) return;
    int fd = ::accept4(acceptor_->native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      set_timeouts(fd, std::chrono::seconds(2));  // the first exchange is immediate on both sides
      serve(std::make_shared<asio::posix::stream_descriptor>(loop_, fd));
    }
    accept_next();
  });
}

void UpgradeListener::serve(std::shared_ptr<asio::posix::stream_descriptor> peer) {
  const int fd = peer->native_handle();
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 ||
      (credentials.uid != ::geteuid() && credentials.uid != 0)) {
    core::LogLine(core::LogLevel::warn, "upgrade.refused")
        .field("peer_uid", static_cast<uint64_t>(credentials.uid))
        .field("why", "another user")
        .emit();
    (void)send_text(fd, "REFUSED only the same user (or root) may take this process's sockets");
    return;
  }
  const std::string hello = receive_text(fd);
  if (hello.rfind(kHello, 0) != 0) {
    core::LogLine(core::LogLevel::warn, "upgrade.refused").field("why", "not an upgrade request").emit();
    return;
  }
  std::string refuse = busy_ ? "another upgrade is in progress" : hooks_.refuse_reason();
  if (!refuse.empty()) {
    core::LogLine(core::LogLevel::warn, "upgrade.refused").field("why", refuse).emit();
    (void)send_text(fd, "REFUSED " + refuse);
    return;
  }
  const std::vector<HandedSocket> sockets = hooks_.sockets();
  std::string manifest = "SOCKETS " + std::to_string(sockets.size());
  for (const auto& socket : sockets) {
    manifest += '\n';
    manifest += to_string(socket.kind);
  }
  bool sent = send_text(fd, manifest);
  for (size_t i = 0; sent && i < sockets.size(); i += kFdsPerMessage) {
    std::vector<int> chunk;
    for (size_t j = i; j < sockets.size() && j < i + kFdsPerMessage; ++j) chunk.push_back(sockets[j].fd);
    sent = send_fds(fd, chunk);
  }
  if (!sent) {
    core::LogLine(core::LogLevel::warn, "upgrade.aborted").field("why", std::strerror(errno)).emit();
    return;
  }
  core::LogLine(core::LogLevel::info, "upgrade.sockets_sent")
      .field("sockets", static_cast<uint64_t>(sockets.size()))
      .field("new_process", std::string_view(hello).substr(std::min(hello.size(), kHello.size() + 1)))
      .emit();
  busy_ = true;
  wait_ready(std::move(peer), credentials.pid);
}

void UpgradeListener::wait_ready(std::shared_ptr<asio::posix::stream_descriptor> peer, pid_t peer_pid) {
  // The new process may take a while to start (certificates, health of its own); it answers
  // READY or closes. Until then this process serves as before.
  peer->async_wait(asio::posix::descriptor_base::wait_read, [this, peer, peer_pid](const asio::error_code& ec) {
    if (ec) return;  // stopped
    busy_ = false;
    const std::string message = receive_text(peer->native_handle(), MSG_DONTWAIT);
    if (message != kReady) {
      core::LogLine(core::LogLevel::warn, "upgrade.aborted")
          .field("why", "the new process closed the channel before it was ready (its log says why); this process "
                        "keeps serving")
          .emit();
      return;
    }
    const std::string answer = hooks_.hand_over(peer_pid);
    (void)send_text(peer->native_handle(), "DRAINING " + answer);
  });
}

// ---- the new process ----

UpgradeClient::~UpgradeClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool UpgradeClient::receive(const std::string& path, InheritedSockets& into, std::string& error) {
  sockaddr_un address;
  if (!unix_address(path, address, error)) return false;
  fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = core::errno_text("socket");
    return false;
  }
  set_timeouts(fd_, std::chrono::seconds(10));
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error = "no running fulcrum answers on the upgrade socket " + path + " (" + std::strerror(errno) +
            "): start without --upgrade, or give the old process's --upgrade-socket";
    return false;
  }
  if (!send_text(fd_, std::string(kHello) + " pid=" + std::to_string(::getpid()))) {
    error = "upgrade socket " + path + ": " + std::strerror(errno);
    return false;
  }
  const std::string manifest = receive_text(fd_);
  if (manifest.rfind("REFUSED ", 0) == 0) {
    error = "the running fulcrum refused the upgrade: " + manifest.substr(8);
    return false;
  }
  if (manifest.rfind("SOCKETS ", 0) != 0) {
    error = "the running fulcrum did not answer the upgrade request (" + path + ")";
    return false;
  }
  std::vector<SocketKind> kinds;
  size_t count = 0;
  size_t line_end = manifest.find('\n');
  const std::string_view head = std::string_view(manifest).substr(8, line_end == std::string::npos ? std::string::npos : line_end - 8);
  std::from_chars(head.data(), head.data() + head.size(), count);
  while (line_end != std::string::npos) {
    const size_t start = line_end + 1;
    line_end = manifest.find('\n', start);
    SocketKind kind;
    if (!socket_kind_from(std::string_view(manifest).substr(start, line_end == std::string::npos ? std::string::npos
                                                                                                    : line_end - start),
                          kind)) {
      error = "the running fulcrum sent a socket kind this binary does not know";
      return false;
    }
    kinds.push_back(kind);
  }
  if (kinds.size() != count) {
    error = "the running fulcrum's socket list is malformed";
    return false;
  }
  std::vector<int> fds;
  while (fds.size() < count) {
    if (!receive_fds(fd_, fds)) {
      for (int fd : fds) ::close(fd);
      error = "the running fulcrum stopped sending its sockets (" + std::to_string(fds.size()) + " of " +
              std::to_string(count) + ")";
      return false;
    }
  }
  for (size_t i = 0; i < fds.size(); ++i) {
    if (i < kinds.size()) into.add(kinds[i], fds[i]);
    else ::close(fds[i]);
  }
  return true;
}

bool UpgradeClient::hand_over(std::string& answer, std::string& error) {
  if (!send_text(fd_, kReady)) {
    error = std::string("the old process is gone: ") + std::strerror(errno);
    return false;
  }
  answer = receive_text(fd_);
  if (answer.rfind("DRAINING ", 0) != 0) {
    error = "the old process did not confirm (it may have exited already)";
    return false;
  }
  answer = answer.substr(9);
  ::close(fd_);
  fd_ = -1;
  return true;
}

}  // namespace fulcrum::runtime
