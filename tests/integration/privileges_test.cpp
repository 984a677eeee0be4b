// `user:` for a Fulcrum started as root by a supervisor other than systemd: after start every
// thread runs as that user; the control thread keeps CAP_NET_BIND_SERVICE and nothing else, the
// workers keep nothing; a reload can still bind a port below 1024; a reload that needs a file
// the user cannot read fails with a message that says which and why, and the old
// configuration serves on.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <random>
#include <sstream>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace privileges_test {

constexpr uint64_t kBindService = uint64_t{1} << 10;  // CAP_NET_BIND_SERVICE

struct ThreadCredentials {
  std::string name;
  std::vector<long> uids;  // real, effective, saved, filesystem
  uint64_t effective = 0, permitted = 0, bounding = 0, ambient = 0;
};

uint64_t hex_field(const std::string& status, const std::string& key) {
  const size_t at = status.find("\n" + key + ":\t");
  return at == std::string::npos ? ~uint64_t{0} : std::stoull(status.substr(at + key.size() + 3), nullptr, 16);
}

std::vector<ThreadCredentials> threads_of(int pid) {
  std::vector<ThreadCredentials> out;
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(task.c_str());
  if (dir == nullptr) return out;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string base = task + "/" + entry->d_name;
    std::ifstream status_file(base + "/status"), comm_file(base + "/comm");
    std::stringstream text;
    text << status_file.rdbuf();
    const std::string status = "\n" + text.str();
    ThreadCredentials t;
    std::getline(comm_file, t.name);
    std::istringstream uids(status.substr(status.find("\nUid:") + 5));
    for (int i = 0; i < 4; ++i) {
      long uid = -1;
      uids >> uid;
      t.uids.push_back(uid);
    }
    t.effective = hex_field(status, "CapEff");
    t.permitted = hex_field(status, "CapPrm");
    t.bounding = hex_field(status, "CapBnd");
    t.ambient = hex_field(status, "CapAmb");
    out.push_back(t);
  }
  ::closedir(dir);
  return out;
}

// A port below 1024 that nothing on 127.0.0.1 listens on now.
uint16_t free_low_port() {
  std::mt19937 random(static_cast<unsigned>(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const uint16_t port = static_cast<uint16_t>(600 + random() % 400);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (free) return port;
  }
  return 0;
}

TEST(Privileges, UserNobodyKeepsOnlyBindServiceEveryThreadSwitchedAndReloadsBindLowPorts) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root (CI runs the suite as root)";
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // the user re-reads the file on reload
  HttpBackend backend(dir, "one", {"--quiet"});
  const uint16_t port = free_port();
  const std::string base =
      "user: nobody\n"
      "workers: 2\n"
      "shutdown_timeout: 5s\n"
      "listeners:\n"
      "  - { name: web, listen: 127.0.0.1:" + std::to_string(port) + ", protocol: http, default: { forward: be } }\n";
  const std::string groups = "target_groups:\n  - { name: be, targets: [ { address: " + backend.address() + " } ] }\n";
  auto fulcrum = start_fulcrum(dir, base + groups, port, {"--upgrade-socket", "off", "--access-log", "off"});
  ASSERT_TRUE(fulcrum->wait_for_output("privileges.switched user=nobody", 5s, true)) << fulcrum->errors();
  ASSERT_TRUE(fulcrum->wait_for_output("fulcrum.start", 5s, true)) << fulcrum->errors();
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/"}).out,
            "200");

  // Every thread: real, effective, saved and file-system uid are nobody's. The control thread
  // keeps CAP_NET_BIND_SERVICE (permitted, effective and ambient, for a hot upgrade's
  // successor); the workers keep nothing; no thread can get anything else back.
  const bool can_drop_bounding = (hex_field("\n" + [] {
                                   std::ifstream self("/proc/self/status");
                                   std::stringstream text;
                                   text << self.rdbuf();
                                   return text.str();
                                 }(), "CapEff") & (uint64_t{1} << 8)) != 0;  // CAP_SETPCAP
  const auto threads = threads_of(fulcrum->pid());
  ASSERT_GE(threads.size(), 3u);  // the control thread and two workers
  size_t workers = 0;
  for (const auto& t : threads) {
    for (long uid : t.uids) EXPECT_EQ(uid, static_cast<long>(nobody->pw_uid)) << t.name;
    EXPECT_EQ(t.permitted & ~kBindService, 0u) << t.name;
    EXPECT_EQ(t.effective & ~kBindService, 0u) << t.name;
    if (can_drop_bounding) {
      EXPECT_EQ(t.bounding, kBindService) << t.name;
    }
    if (t.name.rfind("fulcrum-w", 0) == 0) {
      ++workers;
      EXPECT_EQ(t.effective, 0u) << t.name << ": a worker parses traffic and binds nothing";
      EXPECT_EQ(t.permitted, 0u) << t.name;
    } else if (t.name == "fulcrum") {
      EXPECT_EQ(t.effective, kBindService) << "the control thread binds the ports a reload adds";
      EXPECT_EQ(t.ambient, kBindService);
    }
  }
  EXPECT_EQ(workers, 2u);

  // A reload that adds a listener on a port below 1024, bound by the unprivileged process.
  const uint16_t low = free_low_port();
  ASSERT_NE(low, 0);
  dir.write("fulcrum.yaml", base + "  - { name: low, listen: 127.0.0.1:" + std::to_string(low) +
                                ", protocol: http, default: { forward: be } }\n" + groups);
  fulcrum->signal(SIGHUP);
  ASSERT_TRUE(fulcrum->wait_for_output("config.reloaded", 5s, true)) << fulcrum->errors();
  EXPECT_NE(fulcrum->errors().find("listener.start listener=low listen=127.0.0.1:" + std::to_string(low)),
            std::string::npos);
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(low) + "/"}).out,
            "200");

  // A reload naming a key only root can read fails before it changes anything, and says why.
  const std::string key = dir.write("root-only.key", "not a key anyone but root may read\n");
  const std::string cert = dir.write("cert.pem", "-----BEGIN CERTIFICATE-----\n");
  ::chmod(key.c_str(), 0600);
  dir.write("fulcrum.yaml", base + "  - { name: low, listen: 127.0.0.1:" + std::to_string(low) +
                                ", protocol: http, default: { forward: be } }\n"
                                "  - name: secure\n    listen: 127.0.0.1:" + std::to_string(free_port()) +
                                "\n    protocol: https\n    tls: { certificates: [ { cert: " + cert + ", key: " + key +
                                " } ] }\n    default: { forward: be }\n" + groups);
  fulcrum->signal(SIGHUP);
  ASSERT_TRUE(fulcrum->wait_for_output("config.reload_failed", 5s, true)) << fulcrum->errors();
  const std::string log = fulcrum->errors();
  EXPECT_NE(log.find("cannot read listener 'secure': key " + key + ": Permission denied"), std::string::npos) << log;
  EXPECT_NE(log.find("(Fulcrum runs as uid=" + std::to_string(nobody->pw_uid) + "(nobody)"), std::string::npos) << log;
  EXPECT_NE(log.find("the old configuration keeps serving"), std::string::npos) << log;
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(low) + "/"}).out,
            "200");
  fulcrum->signal(SIGTERM);
  EXPECT_EQ(fulcrum->wait(10s), std::optional<int>(0)) << fulcrum->errors();
}

// A user that does not exist stops a root start before anything serves, and says which.
TEST(Privileges, AnUnknownUserStopsTheStartWithItsName) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  HttpBackend backend(dir, "one", {"--quiet"});
  const uint16_t port = free_port();
  const std::string config = dir.write(
      "fulcrum.yaml",
      "user: no-such-user-here\nlisteners:\n  - { name: web, listen: 127.0.0.1:" + std::to_string(port) +
          ", protocol: http, default: { forward: be } }\ntarget_groups:\n  - { name: be, targets: [ { address: " +
          backend.address() + " } ] }\n");
  Process fulcrum({fulcrum_binary(), "run", "-c", config, "--admin-listen", "off", "--upgrade-socket", "off"},
                  dir.path(), "fulcrum");
  EXPECT_EQ(fulcrum.wait(10s), std::optional<int>(1));
  EXPECT_NE(fulcrum.errors().find("user: 'no-such-user-here' does not exist on this host"), std::string::npos)
      << fulcrum.errors();
  EXPECT_FALSE(can_connect(port));
}

}  // namespace privileges_test
}  // namespace fulcrum::testing
