#pragma once
// Small MaxMind databases for the GeoIP tests, written during the test by
// tests/support/write_test_mmdb.pl (Debian libmaxmind-db-writer-perl, installed by scripts/setup).
// Header-only: the unit tests (core, config, dns) and the integration tests include it.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fulcrum::testing {

// Writes `path` with one record per entry "NETWORK=COUNTRY/CONTINENT" (see the script); returns
// "" on success, else what went wrong (the script's own output).
inline std::string write_test_mmdb(const std::string& path, const std::vector<std::string>& entries) {
  std::string command = "perl '" FULCRUM_SOURCE_DIR "/tests/support/write_test_mmdb.pl' '" + path + "'";
  for (const auto& entry : entries) command += " '" + entry + "'";
  command += " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "cannot run: " + command;
  std::string output;
  std::array<char, 1024> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  if (status != 0 || !std::filesystem::exists(path)) return command + " failed: " + output;
  return "";
}

// A temporary directory (mkdtemp) removed with everything in it at the end of the test.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fulcrum-geoip-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

}  // namespace fulcrum::testing
