// ns per GeoIP lookup (core::GeoIpDatabase: country and continent of one address, as the dns
// `nearest` policy does for each query whose client is in no configured network), and bytes
// allocated per lookup (must be 0). The database is written at start by
// tests/support/write_test_mmdb.pl: 4,000 random IPv4 /24s and 1,000 IPv6 /48s, each 120 or 48
// nodes deep like GeoLite2's records; the addresses looked up cycle over found and unknown ones.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "../tests/support/test_mmdb.hpp"
#include "allocation_counter.hpp"
#include "core/geoip_database.hpp"

namespace {

using fulcrum::bench::allocated_bytes;

struct Fixture {
  fulcrum::testing::ScratchDir dir;
  std::shared_ptr<const fulcrum::core::GeoIpDatabase> database;
  std::vector<std::array<uint8_t, 16>> v4, v6;  // half found, half unknown

  Fixture() {
    std::mt19937 random(7);
    const char* countries[] = {"US/NA", "DE/EU", "JP/AS", "BR/SA", "AU/OC", "ZA/AF"};
    std::vector<std::string> entries;
    for (int i = 0; i < 4000; ++i) {
      // 11.x.y.0/24 .. 126.x.y.0/24; the unknown half lives in 130.x.y.z.
      uint32_t net = (11u + random() % 116u) << 24 | (random() % 65536u) << 8;
      char text[64];
      std::snprintf(text, sizeof text, "%u.%u.%u.0/24=%s", net >> 24, (net >> 16) & 255, (net >> 8) & 255,
                    countries[i % 6]);
      entries.push_back(text);
      std::array<uint8_t, 16> found{};
      found[0] = net >> 24, found[1] = (net >> 16) & 255, found[2] = (net >> 8) & 255, found[3] = random() & 255;
      v4.push_back(found);
      std::array<uint8_t, 16> unknown{130, static_cast<uint8_t>(random()), static_cast<uint8_t>(random()), 1};
      v4.push_back(unknown);
    }
    for (int i = 0; i < 1000; ++i) {
      char text[80];
      unsigned a = random() % 65536u, b = random() % 65536u;
      std::snprintf(text, sizeof text, "2a00:%x:%x::/48=%s", a, b, countries[i % 6]);
      entries.push_back(text);
      std::array<uint8_t, 16> found{0x2a, 0x00, static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a),
                                    static_cast<uint8_t>(b >> 8), static_cast<uint8_t>(b), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      v6.push_back(found);
      std::array<uint8_t, 16> unknown{0x2c, 0x0f, static_cast<uint8_t>(a), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      v6.push_back(unknown);
    }
    std::string error = fulcrum::testing::write_test_mmdb(dir.file("bench.mmdb"), entries);
    if (!error.empty()) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    database = fulcrum::core::GeoIpDatabase::open(dir.file("bench.mmdb"), error);
    if (!database) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
  }
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

void lookups(benchmark::State& state, int family) {
  Fixture& f = fixture();
  const auto& addresses = family == AF_INET ? f.v4 : f.v6;
  size_t i = 0;
  int found = 0;
  const uint64_t before = allocated_bytes.load();
  for (auto _ : state) {
    auto where = f.database->lookup(family, addresses[i].data());
    found += where.country >= 0;
    benchmark::DoNotOptimize(where);
    if (++i == addresses.size()) i = 0;
  }
  state.counters["bytes_per_lookup"] =
      benchmark::Counter(static_cast<double>(allocated_bytes.load() - before) / static_cast<double>(state.iterations()));
  state.counters["found_share"] = static_cast<double>(found) / static_cast<double>(state.iterations());
}

void BM_GeoIpLookupIpv4(benchmark::State& state) { lookups(state, AF_INET); }
void BM_GeoIpLookupIpv6(benchmark::State& state) { lookups(state, AF_INET6); }
BENCHMARK(BM_GeoIpLookupIpv4);
BENCHMARK(BM_GeoIpLookupIpv6);

}  // namespace

BENCHMARK_MAIN();
