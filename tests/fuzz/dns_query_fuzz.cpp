// libFuzzer target: the DNS query decoder and the response encoder (invariants in
// dns_fuzz_driver.hpp). Build and run (clang):
//   CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DFULCRUM_FUZZ=ON -DFULCRUM_BENCH=OFF
//   cmake --build build/fuzz --target dns_query_fuzz
//   build/fuzz/tests/fuzz/dns_query_fuzz -max_total_time=300 -dict=tests/fuzz/dns.dict build/fuzz/dns-corpus tests/fuzz/corpus/dns
#include <cstdio>
#include <cstdlib>

#include "dns_fuzz_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string broken = fulcrum::dns::fuzz::run_one(data, size);
  if (!broken.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", broken.c_str());
    std::abort();
  }
  return 0;
}
