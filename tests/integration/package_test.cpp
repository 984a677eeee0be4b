// `make deb`: the Debian package CPack builds from this build directory holds what an operator
// expects from a daemon's package (the binary in /usr/sbin, a commented conffile in
// /etc/fulcrum, the systemd unit, the logrotate file, the state directory, maintainer scripts
// that create the user), depends on the libraries the binary links, and its unit says
// Type=notify, User=fulcrum and the rest, directive by directive, and systemd-analyze verify
// finds nothing to say about it (where it can run: not in a container without sysinit.target).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "harness.hpp"

namespace fulcrum::testing {
namespace package_test {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A unit file as systemd reads it: sections of KEY=VALUE lines (a key may repeat), comments
// and blank lines ignored. `problems` collects lines that are neither.
using Unit = std::map<std::string, std::multimap<std::string, std::string>>;
Unit parse_unit(const std::string& text, std::vector<std::string>& problems) {
  Unit unit;
  std::string section;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const size_t equals = line.find('=');
    if (section.empty() || equals == std::string::npos || equals == 0) {
      problems.push_back(line);
      continue;
    }
    unit[section].emplace(line.substr(0, equals), line.substr(equals + 1));
  }
  return unit;
}

std::vector<std::string> values(const Unit& unit, const std::string& section, const std::string& key) {
  std::vector<std::string> out;
  auto found = unit.find(section);
  if (found == unit.end()) return out;
  auto [begin, end] = found->second.equal_range(key);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

std::string value(const Unit& unit, const std::string& section, const std::string& key) {
  auto all = values(unit, section, key);
  return all.empty() ? "" : all.back();
}

CommandResult run(std::vector<std::string> argv) { return run_captured(std::move(argv), "/dev/null", true); }

TEST(Package, DebHoldsTheServiceFilesItsDependenciesAndAUnitOperatorsExpect) {
  TempDir dir;
  // What `make deb` runs, into a directory of the test's own.
  auto built = run({FULCRUM_CPACK, "-G", "DEB", "-B", dir.path(), "--config",
                    std::string(FULCRUM_BUILD_DIR) + "/CPackConfig.cmake"});
  ASSERT_EQ(built.exit_code, 0) << built.out;
  const std::string arch = [] {
    std::string text = run({"/usr/bin/dpkg", "--print-architecture"}).out;
    return text.substr(0, text.find('\n'));
  }();
  const std::string deb = dir.path() + "/fulcrum_" + FULCRUM_VERSION + "_" + arch + ".deb";
  ASSERT_TRUE(std::filesystem::exists(deb)) << built.out;

  const std::string listing = run({"/usr/bin/dpkg-deb", "-c", deb}).out;
  for (const char* path : {"./usr/sbin/fulcrum", "./etc/fulcrum/fulcrum.yaml", "./lib/systemd/system/fulcrum.service",
                           "./etc/logrotate.d/fulcrum", "./var/lib/fulcrum/", "./usr/share/doc/fulcrum/operations.md"}) {
    EXPECT_NE(listing.find(std::string(" ") + path + "\n"), std::string::npos) << path << " missing:\n" << listing;
  }
  // Depends: what dpkg-shlibdeps found in the binary, plus adduser for postinst and procps for
  // the unit's /bin/kill (not an essential package).
  const std::string depends = run({"/usr/bin/dpkg-deb", "-f", deb, "Depends"}).out;
  for (const char* package : {"libc6", "libssl3", "libsystemd0", "libyaml-cpp", "libre2", "libmaxminddb0", "libstdc++6",
                              "adduser", "procps"}) {
    EXPECT_NE(depends.find(package), std::string::npos) << package << " not in Depends: " << depends;
  }

  // Maintainer scripts: the conffiles, a user created in postinst, and scripts sh can read.
  const std::string control = dir.path() + "/control";
  ASSERT_EQ(run({"/usr/bin/dpkg-deb", "-e", deb, control}).exit_code, 0);
  const std::string conffiles = read_file(control + "/conffiles");
  EXPECT_NE(conffiles.find("/etc/fulcrum/fulcrum.yaml\n"), std::string::npos) << conffiles;
  EXPECT_NE(conffiles.find("/etc/logrotate.d/fulcrum\n"), std::string::npos) << conffiles;
  const std::string postinst = read_file(control + "/postinst");
  EXPECT_NE(postinst.find("adduser --system --group --home /var/lib/fulcrum"), std::string::npos) << postinst;
  EXPECT_NE(postinst.find("chown fulcrum:fulcrum /var/lib/fulcrum"), std::string::npos) << postinst;
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    struct stat info {};
    ASSERT_EQ(::stat((control + "/" + script).c_str(), &info), 0) << script;
    EXPECT_TRUE(info.st_mode & S_IXUSR) << script << " is not executable";
    auto syntax = run({"/bin/sh", "-n", control + "/" + script});
    EXPECT_EQ(syntax.exit_code, 0) << script << ": " << syntax.out;
  }

  // The files themselves.
  const std::string root = dir.path() + "/root";
  ASSERT_EQ(run({"/usr/bin/dpkg", "-x", deb, root}).exit_code, 0);
  auto version = run({root + "/usr/sbin/fulcrum", "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind(std::string("fulcrum ") + FULCRUM_VERSION + " (git ", 0), 0u) << version.out;
  const std::string commit = version.out.substr(version.out.find("(git ") + 5);
  EXPECT_TRUE(commit.rfind("unknown", 0) == 0 ||
              commit.find_first_not_of("0123456789abcdef") >= 12)  // 12 hex digits, then "-dirty)" or ")"
      << version.out;
  // The starting configuration is a valid one, commented for the operator who edits it.
  const std::string yaml = read_file(root + "/etc/fulcrum/fulcrum.yaml");
  EXPECT_GT(std::count(yaml.begin(), yaml.end(), '#'), 20) << "the starting configuration should explain itself";
  auto valid = run({root + "/usr/sbin/fulcrum", "validate", "-c", root + "/etc/fulcrum/fulcrum.yaml"});
  EXPECT_EQ(valid.exit_code, 0) << valid.out;
  // Rename and SIGUSR1, never copytruncate (it loses the lines between copy and truncation).
  std::string logrotate;
  std::istringstream logrotate_lines(read_file(root + "/etc/logrotate.d/fulcrum"));
  for (std::string line; std::getline(logrotate_lines, line);) {
    if (line.find_first_not_of(" \t") != std::string::npos && line[line.find_first_not_of(" \t")] != '#') {
      logrotate += line + "\n";
    }
  }
  EXPECT_NE(logrotate.find("/var/log/fulcrum/*.log {"), std::string::npos) << logrotate;
  EXPECT_NE(logrotate.find("--signal=USR1 fulcrum.service"), std::string::npos) << logrotate;
  EXPECT_NE(logrotate.find("delaycompress"), std::string::npos) << logrotate;
  EXPECT_EQ(logrotate.find("copytruncate"), std::string::npos) << logrotate;

  // The unit, directive by directive.
  const std::string unit_path = root + "/lib/systemd/system/fulcrum.service";
  const std::string unit_text = read_file(unit_path);
  std::vector<std::string> problems;
  const Unit unit = parse_unit(unit_text, problems);
  EXPECT_TRUE(problems.empty()) << "lines that are neither a section nor KEY=VALUE: " << problems.front();
  // Every directive is one systemd 252 knows (a typo is ignored by systemd with only a warning).
  const std::set<std::string> known = {
      "Description", "Documentation", "After", "Wants", "Type", "NotifyAccess", "ExecStartPre", "ExecStart",
      "ExecReload", "Restart", "RestartSec", "WatchdogSec", "TimeoutStopSec", "User", "Group",
      "AmbientCapabilities", "CapabilityBoundingSet", "NoNewPrivileges", "LimitNOFILE", "ProtectSystem",
      "StateDirectory", "RuntimeDirectory", "LogsDirectory", "ProtectHome", "PrivateTmp", "PrivateDevices",
      "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock",
      "ProtectHostname", "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality",
      "RestrictAddressFamilies", "SystemCallArchitectures", "WantedBy"};
  for (const auto& [section, entries] : unit) {
    EXPECT_TRUE(section == "Unit" || section == "Service" || section == "Install") << section;
    for (const auto& [key, ignored] : entries) EXPECT_TRUE(known.count(key)) << "unknown directive " << key;
  }
  EXPECT_EQ(value(unit, "Service", "Type"), "notify");
  EXPECT_EQ(value(unit, "Service", "NotifyAccess"), "main");
  EXPECT_EQ(value(unit, "Service", "ExecStart").rfind("/usr/sbin/fulcrum run -c /etc/fulcrum/fulcrum.yaml", 0), 0u);
  const auto reloads = values(unit, "Service", "ExecReload");
  EXPECT_NE(std::find(reloads.begin(), reloads.end(), "/bin/kill -HUP $MAINPID"), reloads.end());
  EXPECT_EQ(value(unit, "Service", "User"), "fulcrum");
  EXPECT_EQ(value(unit, "Service", "AmbientCapabilities"), "CAP_NET_BIND_SERVICE");
  EXPECT_EQ(value(unit, "Service", "CapabilityBoundingSet"), "CAP_NET_BIND_SERVICE");
  EXPECT_NE(unit_text.find("#AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_BPF"), std::string::npos)
      << "what acceleration: sockmap needs, commented";
  EXPECT_EQ(value(unit, "Service", "ProtectSystem"), "strict");
  EXPECT_EQ(value(unit, "Service", "StateDirectory"), "fulcrum");
  EXPECT_EQ(value(unit, "Service", "LimitNOFILE"), "1048576");
  EXPECT_EQ(value(unit, "Service", "Restart"), "on-failure");
  EXPECT_FALSE(value(unit, "Service", "WatchdogSec").empty());
  EXPECT_EQ(value(unit, "Install", "WantedBy"), "multi-user.target");
  // Every command the unit runs is a path to the packaged binary or to one every system has.
  for (const char* key : {"ExecStartPre", "ExecStart", "ExecReload"}) {
    for (const auto& command : values(unit, "Service", key)) {
      const std::string program = command.substr(0, command.find(' '));
      const bool packaged = program == "/usr/sbin/fulcrum";
      EXPECT_TRUE(packaged || ::access(program.c_str(), X_OK) == 0) << key << "=" << command;
    }
  }
  // The flags the unit passes are ones the binary takes: `run --help` lists each.
  const std::string help = run({root + "/usr/sbin/fulcrum", "run", "--help"}).out;
  for (const char* flag : {"--upgrade-socket", "--access-log"}) {
    EXPECT_NE(value(unit, "Service", "ExecStart").find(flag), std::string::npos);
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  // systemd's own check, with the extracted binary in place of /usr/sbin/fulcrum: no error and
  // no warning (an unknown key is only a warning). Where systemd-analyze cannot load the units
  // it needs (a container without sysinit.target), the parse above is the check.
  std::string copy = unit_text;
  const std::string extracted = root + "/usr/sbin/fulcrum";
  for (size_t at = 0; (at = copy.find("/usr/sbin/fulcrum", at)) != std::string::npos; at += extracted.size()) {
    copy.replace(at, 17, extracted);
  }
  const std::string verify_path = dir.write("fulcrum.service", copy);
  auto verify = run({"/usr/bin/systemd-analyze", "verify", verify_path});
  if (verify.out.find("sysinit.target") != std::string::npos) {
    std::printf("systemd-analyze verify cannot run here (no sysinit.target): %s", verify.out.c_str());
  } else {
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
    EXPECT_EQ(verify.out, "") << "systemd-analyze verify warns";
  }
}

}  // namespace package_test
}  // namespace fulcrum::testing
