#pragma once
// Which of the client's recent stream identifiers opened a stream, for RFC 9113 §5.1.1: a
// HEADERS frame on an identifier lower than the highest opened is a connection error
// (PROTOCOL_ERROR) when that identifier never opened a stream. nghttp2 cannot tell such a
// frame from trailers on a stream it has forgotten, and ignores both; this remembers the last
// 128 client identifiers (odd numbers) in two words, so the ones it can tell are refused.
// Older ones stay unknown and are ignored as nghttp2 does.
#include <cstdint>

namespace fulcrum::http {

class OpenedStreams {
 public:
  static constexpr int32_t kWindow = 128;  // client identifiers remembered below the highest

  void opened(int32_t id) {
    if (id > highest_) {
      shift((id - highest_) / 2);
      highest_ = id;
      bits_[0] |= 1;
      return;
    }
    const int32_t back = (highest_ - id) / 2;
    if (back < kWindow) bits_[back / 64] |= uint64_t{1} << (back % 64);
  }

  // True only when `id` is below the highest opened, within the window, and opened nothing.
  bool never_opened(int32_t id) const {
    if (id >= highest_ || highest_ == 0) return false;
    const int32_t back = (highest_ - id) / 2;
    if (back >= kWindow) return false;
    return (bits_[back / 64] & (uint64_t{1} << (back % 64))) == 0;
  }

 private:
  void shift(int32_t by) {
    if (by >= kWindow) {
      bits_[0] = bits_[1] = 0;
      return;
    }
    if (by >= 64) {
      bits_[1] = bits_[0] << (by - 64);
      bits_[0] = 0;
      return;
    }
    if (by == 0) return;
    bits_[1] = (bits_[1] << by) | (bits_[0] >> (64 - by));
    bits_[0] <<= by;
  }

  int32_t highest_ = 0;
  uint64_t bits_[2] = {0, 0};  // bit k: highest_ - 2k opened a stream
};

}  // namespace fulcrum::http
