// libFuzzer target: the DNS response decoder (src/dns/response.hpp), which reads what c-ares
// fetches for DNS discovery. Build and run (clang):
//   CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DFULCRUM_FUZZ=ON -DFULCRUM_BENCH=OFF
//   cmake --build build/fuzz --target dns_response_fuzz
//   build/fuzz/tests/fuzz/dns_response_fuzz -max_total_time=300 -dict=tests/fuzz/dns.dict \
//     build/fuzz/dns-response-corpus
//
// The sanitizers catch reads past the packet (an exact-size copy). Invariants of a decoded
// response: names of at most 253 characters, printable, lower case, no empty label; no more
// records kept than the packet has room for; only IN A/AAAA/SRV/CNAME kept, with an address
// length matching the type and no TTL above 2^31 - 1; decoding is deterministic.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dns/response.hpp"

namespace {

using fulcrum::dns::ResourceRecord;
using fulcrum::dns::Response;

bool name_ok(const std::string& name) {
  if (name.size() > 253) return false;
  if (!name.empty() && (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)) {
    return false;
  }
  for (char c : name) {
    if (c < 0x21 || c > 0x7E || (c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}

const char* record_broken(const ResourceRecord& record) {
  namespace dns = fulcrum::dns;
  if (!name_ok(record.owner) || !name_ok(record.srv.target) || !name_ok(record.cname)) return "bad name in a record";
  if (record.klass != dns::kClassIn) return "kept a record of another class";
  if (record.ttl > 0x7FFFFFFFu) return "TTL with the top bit set";
  const size_t length = record.type == dns::kTypeA ? 4 : record.type == dns::kTypeAaaa ? 16 : 0;
  if (length == 0 && record.type != dns::kTypeSrv && record.type != dns::kTypeCname) return "kept another type";
  if (record.address.length != length) return "address length does not match the type";
  return nullptr;
}

const char* broken(const std::vector<uint8_t>& packet) {
  Response response;
  const auto error = fulcrum::dns::decode_response(packet, response);
  Response again;
  if (fulcrum::dns::decode_response(packet, again) != error) return "not deterministic";
  if (error != fulcrum::dns::ResponseError::none) return nullptr;
  if (!name_ok(response.question_name)) return "bad question name";
  if ((response.answers.size() + response.additional.size()) * 11 > packet.size()) return "more records than bytes";
  if (again.answers.size() != response.answers.size() || again.additional.size() != response.additional.size()) {
    return "not deterministic";
  }
  for (const auto* section : {&response.answers, &response.additional}) {
    for (const auto& record : *section) {
      if (const char* what = record_broken(record)) return what;
    }
  }
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> packet(data, data + size);  // exact size: ASan sees any overread
  if (const char* what = broken(packet)) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
  return 0;
}
