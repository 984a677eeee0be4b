#pragma once
// A token bucket for frames a client may send freely but not endlessly (RST_STREAM, PING,
// SETTINGS, PRIORITY, WINDOW_UPDATE, empty DATA): each costs no more than reading it, yet a
// flood of them keeps a core busy or the output queue growing while no request is served.
// The bucket starts full at `burst` and refills at `per_second`; a client that empties it is
// misbehaving (H2ServerSession answers GOAWAY ENHANCE_YOUR_CALM). Time comes in as an argument
// so tests and the fuzzer decide it.
#include <algorithm>
#include <cstdint>

namespace fulcrum::http {

class H2FloodBudget {
 public:
  H2FloodBudget(uint32_t burst, uint32_t per_second, int64_t now_ms)
      : burst_(burst), per_second_(per_second), tokens_(burst), refilled_ms_(now_ms) {}

  // One frame: false when the bucket was empty.
  bool take(int64_t now_ms) {
    if (now_ms > refilled_ms_) {
      refund(static_cast<double>(now_ms - refilled_ms_) * per_second_ / 1000.0);
      refilled_ms_ = now_ms;
    }
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  // Gives back `n` frames' worth (never above the burst): the client earned them by taking
  // work that legitimately makes it send such frames.
  void refund(double n) { tokens_ = std::min<double>(burst_, tokens_ + n); }

 private:
  uint32_t burst_;
  uint32_t per_second_;
  double tokens_;
  int64_t refilled_ms_;
};

}  // namespace fulcrum::http
