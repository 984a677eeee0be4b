#pragma once
// The seeds of one fuzz corpus (tests/fuzz/corpus/<name>/), sorted by file name and read whole:
// what the replay tests feed to a fuzz driver's run_one, so that every `make test` re-runs the
// fuzzer's checks on them.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace fulcrum::fuzz_seeds {

struct Seed {
  std::string name;   // the file's name, for the failure message
  std::string bytes;
};

inline std::vector<Seed> read_corpus(std::string_view name) {
  const std::filesystem::path dir =
      std::filesystem::path(FULCRUM_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / std::string(name);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Seed> seeds;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    seeds.push_back({path.filename().string(),
                     std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())});
  }
  return seeds;
}

inline const uint8_t* data_of(const Seed& seed) { return reinterpret_cast<const uint8_t*>(seed.bytes.data()); }

}  // namespace fulcrum::fuzz_seeds
