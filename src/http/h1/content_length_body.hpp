#pragma once
// The body of a message framed by Content-Length: tells how much of each input belongs to it,
// so the proxy forwards exactly that and keeps what follows (a pipelined request) for later.
#include <cstddef>
#include <cstdint>

namespace fulcrum::http {

class ContentLengthBody {
 public:
  explicit ContentLengthBody(uint64_t length) : remaining_(length) {}

  // Bytes of an input of `available` bytes that belong to the body.
  size_t feed(size_t available) {
    const size_t take = remaining_ < available ? static_cast<size_t>(remaining_) : available;
    remaining_ -= take;
    return take;
  }
  bool done() const { return remaining_ == 0; }
  uint64_t remaining() const { return remaining_; }

 private:
  uint64_t remaining_;
};

}  // namespace fulcrum::http
