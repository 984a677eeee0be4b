// libFuzzer target: the HTTP/1.1 request and response parsers, the desync classifier and the
// chunked decoder (invariants in http_fuzz_driver.hpp). Build and run (clang):
//   CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DFULCRUM_FUZZ=ON -DFULCRUM_BENCH=OFF
//   cmake --build build/fuzz --target http_parser_fuzz
//   build/fuzz/tests/fuzz/http_parser_fuzz -max_total_time=600 build/fuzz/http-corpus tests/fuzz/corpus/http
#include <cstdio>
#include <cstdlib>

#include "http_fuzz_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string broken = fulcrum::http::fuzz::run_one(data, size);
  if (!broken.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", broken.c_str());
    std::abort();
  }
  return 0;
}
