#pragma once
// Streaming, non-buffering reader of the chunked transfer coding (RFC 9112 §7.1). It never
// copies: it tells the caller how many bytes of its input belong to the body (chunk framing and
// payload alike), so a proxy forwards the chunked stream as is and stops exactly at the end of
// the message, leaving pipelined bytes alone. Chunk sizes, extensions, the final chunk and the
// trailer section are validated across arbitrary splits of the input, one byte at a time where
// framing is concerned and in bulk over chunk data.
//
//   ChunkedDecoder body(limits);
//   auto r = body.feed(bytes);          // forward bytes[0, r.consumed)
//   if (r.done()) ...                   // the message ended at r.consumed
//   if (r.error()) ...                  // answer r.error_status (client) / 502 (target), close
//
// Consumers that need the payload itself (de-chunking, inspection) call next() in a loop: it
// returns after each run of payload bytes, with `payload` viewing them inside the input.
#include <cstdint>
#include <string_view>

#include "http/h1/body_framing.hpp"
#include "http/h1/desync_reason.hpp"

namespace fulcrum::http {

struct ChunkedLimits {
  uint32_t max_chunk_extension = 1024;     // bytes between chunk-size and its CRLF -> 400
  uint32_t max_trailer_bytes = 16 * 1024;  // trailer section, final CRLF included -> 431
};

struct ChunkedResult {
  BodyStatus status = BodyStatus::need_more;
  size_t consumed = 0;        // bytes of the input that belong to this body
  std::string_view payload;   // next(): the payload run within [0, consumed); feed(): empty
  uint16_t error_status = 0;  // 400 / 431 when status == error
  DesyncReason reason = DesyncReason::compliant;

  bool done() const { return status == BodyStatus::done; }
  bool error() const { return status == BodyStatus::error; }
};

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(const ChunkedLimits& limits = {}) : limits_(limits) {}

  // Consumes input until the body ends, the input ends or an error is found.
  ChunkedResult feed(std::string_view in);
  // Like feed(), but stops after the first run of payload bytes so the caller can use them.
  ChunkedResult next(std::string_view in);

  bool done() const { return state_ == State::done; }
  uint64_t payload_bytes() const { return payload_total_; }  // payload seen so far
  void reset() { *this = ChunkedDecoder(limits_); }

 private:
  enum class State : uint8_t {
    size_first,    // expecting the first hex digit of chunk-size
    size,          // more hex digits, BWS, ';' or CR
    size_bws,      // whitespace after the size: only ';' may follow
    ext_name_bws,  // after ';', before the extension name
    ext_name,
    ext_name_end,   // BWS after a name: '=', ';' or CR
    ext_value_bws,  // after '=', before the value
    ext_token,
    ext_quoted,
    ext_quoted_pair,
    ext_value_end,  // after a value: BWS, ';' or CR
    size_lf,        // CR seen, expecting LF
    data,
    data_cr,
    data_lf,
    trailer_line,  // at the start of a trailer field line (or the final CRLF)
    trailer_name,
    trailer_value,
    trailer_lf,
    final_lf,
    done,
    error,
  };

  static State extension_step(State state, char c);
  ChunkedResult run(std::string_view in, bool stop_after_payload);
  ChunkedResult fail(size_t consumed, DesyncReason reason);

  ChunkedLimits limits_;
  State state_ = State::size_first;
  uint8_t size_digits_ = 0;
  uint8_t forbidden_ = 0;    // bitmask of forbidden trailer names still matching
  uint32_t line_bytes_ = 0;  // extension bytes of this chunk line / bytes of this trailer name
  uint32_t trailer_bytes_ = 0;
  uint64_t remaining_ = 0;  // chunk-size, then payload bytes left in the chunk
  uint64_t payload_total_ = 0;
};

}  // namespace fulcrum::http
