#pragma once
// Internal to the head parsers: scanning one field line and the request-target.
//
// Precondition of every function here: the bytes scanned belong to a head that is known to end
// with CRLF CRLF (the parsers find that terminator first). No scanning class contains CR, so each
// loop stops at the latest on that final CR; only the SIMD blocks need the explicit `end`.
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "http/h1/char_class.hpp"
#include "http/h1/desync_reason.hpp"

namespace fulcrum::http::detail {

// First byte at or after p that may not appear in a field value (CTL other than HTAB, DEL).
inline const char* skip_value_bytes(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i minus1 = _mm_set1_epi8(-1);
  const __m128i tab = _mm_set1_epi8(0x09);
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compares: obs-text (0x80-0xFF) is negative and therefore allowed.
    const __m128i ctl = _mm_and_si128(_mm_cmplt_epi8(x, space), _mm_cmpgt_epi8(x, minus1));
    const __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), ctl), _mm_cmpeq_epi8(x, del));
    const int mask = _mm_movemask_epi8(bad);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (has_class(*p, kValueChar)) ++p;
  return p;
}

// First byte at or after p that may not appear in a request-target (SP, CTL, DEL).
inline const char* skip_target_bytes(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i bang = _mm_set1_epi8(0x21);
  const __m128i minus1 = _mm_set1_epi8(-1);
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i low = _mm_and_si128(_mm_cmplt_epi8(x, bang), _mm_cmpgt_epi8(x, minus1));
    const int mask = _mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(x, del)));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (has_class(*p, kTargetChar)) ++p;
  return p;
}

// First byte at or after p that is not an ASCII letter, digit or '-': the bytes of nearly every
// field name, checked 16 at a time. The caller finishes with the exact tchar table.
inline const char* skip_common_name_bytes(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i case_bit = _mm_set1_epi8(0x20);
  const __m128i before_a = _mm_set1_epi8('a' - 1);
  const __m128i after_z = _mm_set1_epi8('z' + 1);
  const __m128i before_0 = _mm_set1_epi8('0' - 1);
  const __m128i after_9 = _mm_set1_epi8('9' + 1);
  const __m128i dash = _mm_set1_epi8('-');
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i lower = _mm_or_si128(x, case_bit);
    const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, before_a), _mm_cmplt_epi8(lower, after_z));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, before_0), _mm_cmplt_epi8(x, after_9));
    const __m128i ok = _mm_or_si128(_mm_or_si128(alpha, digit), _mm_cmpeq_epi8(x, dash));
    const unsigned mask = ~static_cast<unsigned>(_mm_movemask_epi8(ok)) & 0xffffu;
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  (void)end;
  return p;
}

struct FieldLine {
  const char* next = nullptr;  // first byte of the following line
  DesyncReason error = DesyncReason::compliant;
  bool non_token = false;  // name is empty or holds bytes outside tchar (no CTL: those are errors)
};

// Scans the field line starting at `p`, which is neither the final CRLF nor a line starting with
// whitespace (the caller reports those as the end of the head and as obs-fold), storing the
// name and the trimmed value in `out` (written directly: a copy through a temporary costs a
// store-forwarding stall per field).
inline FieldLine scan_field_line(const char* p, const char* end, std::string_view& out_name,
                                 std::string_view& out_value) {
  FieldLine f;
  const char* const name = p;
  p = skip_common_name_bytes(p, end);
  while (has_class(*p, kTchar)) ++p;
  if (*p != ':' || p == name) [[unlikely]] {
    // Not a plain token: find the colon while sorting out what is wrong with the name.
    bool inner_space = false;
    for (;; ++p) {
      const char c = *p;
      if (c == ':') break;
      if (c == '\r') {
        f.error = p[1] == '\n' ? DesyncReason::missing_colon : DesyncReason::bad_header;
        return f;
      }
      if (c == '\n' || c == '\0') {
        f.error = DesyncReason::bad_header;
        return f;
      }
      if (is_whitespace(c)) {
        inner_space = true;
      } else if (has_class(c, kControl)) {
        f.error = DesyncReason::control_character_in_header;
        return f;
      } else if (!is_tchar(c)) {
        f.non_token = true;
      }
    }
    if (p != name && is_whitespace(p[-1])) {
      f.error = DesyncReason::whitespace_before_colon;
      return f;
    }
    f.non_token = f.non_token || inner_space || p == name;
  }
  out_name = std::string_view(name, static_cast<size_t>(p - name));
  ++p;  // ':'
  while (is_whitespace(*p)) ++p;
  const char* const value = p;
  p = skip_value_bytes(p, end);
  if (*p != '\r' || p[1] != '\n') [[unlikely]] {
    // NUL, a bare CR or LF can end a line for one parser and not for the next: never forwarded.
    const char c = *p;
    f.error =
        (c == '\r' || c == '\n' || c == '\0') ? DesyncReason::bad_header : DesyncReason::control_character_in_header;
    return f;
  }
  const char* v_end = p;
  while (v_end > value && is_whitespace(v_end[-1])) --v_end;
  out_value = std::string_view(value, static_cast<size_t>(v_end - value));
  f.next = p + 2;
  return f;
}

// Position of the CR of the first CRLF CRLF in [from, end), or nullptr. An SSE2 scan for LF
// that looks back three bytes at each hit: several times faster than glibc's memmem here, and
// heads have one LF per 30-80 bytes.
inline const char* find_head_end(const char* from, const char* end) {
  if (end - from < 4) return nullptr;
  const char* p = from + 3;  // where the LF of a terminator starting at `from` would be
  const auto is_end = [](const char* lf) { return lf[-1] == '\r' && lf[-2] == '\n' && lf[-3] == '\r'; };
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), lf)));
    while (mask != 0) {
      const char* hit = p + __builtin_ctz(mask);
      if (is_end(hit)) return hit - 3;
      mask &= mask - 1;
    }
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    if (*p == '\n' && is_end(p)) return p - 3;
  }
  return nullptr;
}

// The first LF in [from, end) that is not preceded by CR (looking back to `begin`), or nullptr.
inline const char* find_bare_lf(const char* begin, const char* from, const char* end) {
  while (from < end) {
    const void* hit = std::memchr(from, '\n', static_cast<size_t>(end - from));
    if (hit == nullptr) return nullptr;
    const char* lf = static_cast<const char*>(hit);
    if (lf == begin || lf[-1] != '\r') return lf;
    from = lf + 1;
  }
  return nullptr;
}

}  // namespace fulcrum::http::detail
