#include "http/h1/chunked_decoder.hpp"

#include <iterator>

#include "core/hex_digit.hpp"
#include "http/h1/char_class.hpp"

namespace fulcrum::http {

namespace {

// Trailer fields a recipient could mistake for framing or routing of the message (RFC 9110
// §6.5.1): refused rather than forwarded to a target that might merge them into the head.
constexpr std::string_view kForbiddenTrailers[] = {"content-length", "transfer-encoding", "host"};
constexpr uint8_t kAllForbidden = (1u << std::size(kForbiddenTrailers)) - 1;

// qdtext and the octets a quoted-pair may escape (RFC 9110 §5.6.4).
bool is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}
bool is_quotable(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

}  // namespace

ChunkedResult ChunkedDecoder::fail(size_t consumed, DesyncReason reason) {
  state_ = State::error;
  ChunkedResult r;
  r.status = BodyStatus::error;
  r.consumed = consumed;
  r.reason = reason;
  r.error_status = status_for(reason);
  return r;
}

// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] ), one byte at a time.
ChunkedDecoder::State ChunkedDecoder::extension_step(State s, char c) {
  const auto uc = static_cast<unsigned char>(c);
  switch (s) {
    case State::size_bws:
      if (is_whitespace(c)) return State::size_bws;
      return c == ';' ? State::ext_name_bws : State::error;
    case State::ext_name_bws:
      if (is_whitespace(c)) return State::ext_name_bws;
      return is_tchar(c) ? State::ext_name : State::error;
    case State::ext_name:
      if (is_tchar(c)) return State::ext_name;
      [[fallthrough]];
    case State::ext_name_end:
      if (is_whitespace(c)) return State::ext_name_end;
      if (c == '=') return State::ext_value_bws;
      if (c == ';') return State::ext_name_bws;
      return c == '\r' ? State::size_lf : State::error;
    case State::ext_value_bws:
      if (is_whitespace(c)) return State::ext_value_bws;
      if (is_tchar(c)) return State::ext_token;
      return c == '"' ? State::ext_quoted : State::error;
    case State::ext_token:
      if (is_tchar(c)) return State::ext_token;
      [[fallthrough]];
    case State::ext_value_end:
      if (is_whitespace(c)) return State::ext_value_end;
      if (c == ';') return State::ext_name_bws;
      return c == '\r' ? State::size_lf : State::error;
    case State::ext_quoted:
      if (c == '"') return State::ext_value_end;
      if (c == '\\') return State::ext_quoted_pair;
      return is_qdtext(uc) ? State::ext_quoted : State::error;
    case State::ext_quoted_pair:
      return is_quotable(uc) ? State::ext_quoted : State::error;
    default:
      return State::error;
  }
}

ChunkedResult ChunkedDecoder::feed(std::string_view in) { return run(in, false); }
ChunkedResult ChunkedDecoder::next(std::string_view in) { return run(in, true); }

ChunkedResult ChunkedDecoder::run(std::string_view in, bool stop_after_payload) {
  const char* const base = in.data();
  const size_t n = in.size();
  size_t i = 0;
  if (state_ == State::error) return fail(0, DesyncReason::bad_chunk_framing);

  while (i < n) {
    if (state_ == State::data) {
      // The bulk of a body: no per-byte work.
      const size_t avail = n - i;
      const size_t take = remaining_ < avail ? static_cast<size_t>(remaining_) : avail;
      const size_t at = i;
      remaining_ -= take;
      payload_total_ += take;
      i += take;
      if (remaining_ == 0) state_ = State::data_cr;
      if (stop_after_payload && take != 0) {
        ChunkedResult r;
        r.consumed = i;
        r.payload = std::string_view(base + at, take);
        return r;
      }
      continue;
    }

    const char c = base[i];
    switch (state_) {
      case State::size_first: {
        const int h = core::hex_digit_value(c);
        if (h < 0) return fail(i, DesyncReason::bad_chunk_size);
        remaining_ = static_cast<uint64_t>(h);
        size_digits_ = 1;
        state_ = State::size;
        break;
      }
      case State::size: {
        const int h = core::hex_digit_value(c);
        if (h >= 0) {
          // 16 hex digits fill 64 bits; more can only overflow (or pad with zeros to hide one).
          if (++size_digits_ > 16) return fail(i, DesyncReason::bad_chunk_size);
          remaining_ = (remaining_ << 4) | static_cast<uint64_t>(h);
        } else if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == '\n') {
          return fail(i, DesyncReason::bad_chunk_framing);
        } else if (c == ';') {
          line_bytes_ = 1;
          state_ = State::ext_name_bws;
        } else if (is_whitespace(c)) {
          line_bytes_ = 1;
          state_ = State::size_bws;
        } else {
          return fail(i, DesyncReason::bad_chunk_size);
        }
        break;
      }
      case State::size_bws:
      case State::ext_name_bws:
      case State::ext_name:
      case State::ext_name_end:
      case State::ext_value_bws:
      case State::ext_token:
      case State::ext_quoted:
      case State::ext_quoted_pair:
      case State::ext_value_end: {
        if (c != '\r' && ++line_bytes_ > limits_.max_chunk_extension) {
          return fail(i, DesyncReason::chunk_extension_too_long);
        }
        const State next = extension_step(state_, c);
        if (next == State::error) {
          return fail(i, state_ == State::size_bws ? DesyncReason::bad_chunk_size : DesyncReason::bad_chunk_extension);
        }
        state_ = next;
        break;
      }
      case State::size_lf:
        if (c != '\n') return fail(i, DesyncReason::bad_chunk_framing);
        line_bytes_ = 0;
        if (remaining_ == 0) {
          state_ = State::trailer_line;
          trailer_bytes_ = 0;
        } else {
          state_ = State::data;
        }
        break;
      case State::data_cr:
        if (c != '\r') return fail(i, DesyncReason::bad_chunk_framing);
        state_ = State::data_lf;
        break;
      case State::data_lf:
        if (c != '\n') return fail(i, DesyncReason::bad_chunk_framing);
        state_ = State::size_first;
        break;
      case State::trailer_line:
      case State::trailer_name:
      case State::trailer_value:
      case State::trailer_lf:
      case State::final_lf:
        if (++trailer_bytes_ > limits_.max_trailer_bytes) return fail(i, DesyncReason::trailer_section_too_large);
        switch (state_) {
          case State::trailer_line:
            if (c == '\r') {
              state_ = State::final_lf;
              break;
            }
            if (!is_tchar(c)) return fail(i, DesyncReason::bad_trailer);  // obs-fold, CTL, ...
            state_ = State::trailer_name;
            forbidden_ = kAllForbidden;
            line_bytes_ = 0;
            [[fallthrough]];
          case State::trailer_name:
            if (c == ':') {
              for (size_t k = 0; k < std::size(kForbiddenTrailers); ++k) {
                if ((forbidden_ & (1u << k)) != 0 && kForbiddenTrailers[k].size() == line_bytes_) {
                  return fail(i, DesyncReason::bad_trailer);
                }
              }
              state_ = State::trailer_value;
              break;
            }
            if (!is_tchar(c)) return fail(i, DesyncReason::bad_trailer);  // whitespace before ':' too
            for (size_t k = 0; k < std::size(kForbiddenTrailers); ++k) {
              const std::string_view name = kForbiddenTrailers[k];
              if (line_bytes_ >= name.size() || name[line_bytes_] != to_lower(c)) {
                forbidden_ = static_cast<uint8_t>(forbidden_ & ~(1u << k));
              }
            }
            ++line_bytes_;
            break;
          case State::trailer_value:
            if (c == '\r') {
              state_ = State::trailer_lf;
            } else if (!has_class(c, kValueChar)) {
              return fail(i, DesyncReason::bad_trailer);
            }
            break;
          case State::trailer_lf:
            if (c != '\n') return fail(i, DesyncReason::bad_trailer);
            state_ = State::trailer_line;
            break;
          case State::final_lf:
            if (c != '\n') return fail(i, DesyncReason::bad_chunk_framing);
            state_ = State::done;
            {
              ChunkedResult r;
              r.status = BodyStatus::done;
              r.consumed = i + 1;
              return r;
            }
          default:
            break;
        }
        break;
      case State::done: {
        ChunkedResult r;
        r.status = BodyStatus::done;
        r.consumed = i;
        return r;
      }
      case State::data:
      case State::error:
        break;
    }
    ++i;
  }
  ChunkedResult r;
  r.status = state_ == State::done ? BodyStatus::done : BodyStatus::need_more;
  r.consumed = i;
  return r;
}

}  // namespace fulcrum::http
