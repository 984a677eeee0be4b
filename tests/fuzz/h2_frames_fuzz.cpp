// libFuzzer target: H2ServerSession fed arbitrary frames after the connection preface, with an
// owner answering every request (invariants in h2_fuzz_driver.hpp). Build and run (clang):
//   make fuzz FUZZ=h2 FUZZ_SECONDS=300
// or by hand as http_parser_fuzz.cpp describes, with -dict=tests/fuzz/h2.dict and the seeds in
// tests/fuzz/corpus/h2 (made by tests/fuzz/make_h2_corpus.cpp).
#include <cstdio>
#include <cstdlib>

#include "h2_fuzz_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string broken = fulcrum::http::h2_fuzz::run_one(data, size);
  if (!broken.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", broken.c_str());
    std::abort();
  }
  return 0;
}
