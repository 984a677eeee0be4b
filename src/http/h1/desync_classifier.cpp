#include "http/h1/desync_classifier.hpp"

#include "http/h1/char_class.hpp"
#include "http/h1/framing_facts.hpp"
#include "http/h1/header.hpp"

namespace fulcrum::http {

namespace {

// Keeps the first reason of the highest tier seen, as ALB does: a later reason of the same tier
// does not replace an earlier one, which is why the checks run in a deliberate order.
class Verdict {
 public:
  void raise(DesyncReason reason, int32_t header_index = -1) {
    const DesyncTier tier = tier_of(reason);
    if (tier > c_.tier) c_ = Classification{tier, reason, header_index, status_for(reason)};
  }
  const Classification& result() const { return c_; }

 private:
  Classification c_;
};

bool has_line_breaker(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

struct Version {
  int major = -1;  // -1: not of the form HTTP/d.d
  int minor = -1;
};

// The version as it matters for framing: surrounding whitespace ignored, an empty version is
// HTTP/0.9 (ALB's reading). Whether the text itself is acceptable is judged separately.
Version semantic_version(std::string_view text) {
  text = trim_ows(text);
  if (text.empty()) return {0, 9};
  if (text.size() == 8 && text.substr(0, 5) == "HTTP/" && text[5] >= '0' && text[5] <= '9' && text[6] == '.' &&
      text[7] >= '0' && text[7] <= '9') {
    return {text[5] - '0', text[7] - '0'};
  }
  return {};
}

void judge_framing(const FramingFacts& facts, int32_t te_index, int32_t cl_index, const RequestHead& head, Verdict& v) {
  if (!facts.has_transfer_encoding() && !facts.has_content_length()) return;
  const Version version = semantic_version(head.version);
  const bool before_11 = version.major == 0 || (version.major == 1 && version.minor == 0);
  const bool get_or_head = head.method == "GET" || head.method == "HEAD";

  // Malformed framing first, TE before CL, so that the reason names the worst offender.
  if (facts.has_transfer_encoding()) {
    if (facts.unknown_coding) v.raise(DesyncReason::bad_transfer_encoding, te_index);
    if (facts.chunked_count > 1) v.raise(DesyncReason::multiple_transfer_encoding_chunked, te_index);
  }
  if (facts.content_length_invalid) v.raise(DesyncReason::bad_content_length, cl_index);
  if (facts.content_length_conflict) v.raise(DesyncReason::multiple_content_length, cl_index);
  if (facts.has_transfer_encoding()) {
    if (!facts.final_chunked) v.raise(DesyncReason::transfer_encoding_not_chunked, te_index);
    if (facts.has_content_length()) v.raise(DesyncReason::both_te_cl, cl_index);
    if (before_11 || get_or_head) v.raise(DesyncReason::undefined_transfer_encoding_semantics, te_index);
    if (facts.chunked_parameters) v.raise(DesyncReason::chunked_with_parameters, te_index);
  }
  if (facts.has_content_length() && !facts.content_length_invalid && !facts.content_length_conflict) {
    if (facts.content_length_count > 1) v.raise(DesyncReason::duplicate_content_length, cl_index);
    if (version.major == 0) v.raise(DesyncReason::undefined_content_length_semantics, cl_index);
    if (get_or_head) {
      v.raise(facts.content_length == 0 ? DesyncReason::get_head_zero_content_length
                                        : DesyncReason::undefined_content_length_semantics,
              cl_index);
    }
  }
}

// Everything that can be wrong with the bytes of one field line, worst first.
void judge_field(const Header& h, int32_t index, Verdict& v) {
  const std::string_view name = h.name;
  if (!name.empty() && is_whitespace(name.front())) v.raise(DesyncReason::obs_fold, index);
  if (!name.empty() && is_whitespace(name.back())) v.raise(DesyncReason::whitespace_before_colon, index);
  bool name_control = false;
  bool name_non_token = false;
  for (char c : name) {
    if (is_whitespace(c)) {
      name_non_token = true;
    } else if (has_class(c, kControl)) {
      name_control = true;
    } else if (!is_tchar(c)) {
      name_non_token = true;
    }
  }
  bool value_control = false;
  for (char c : h.value) {
    if (c != '\t' && has_class(c, kControl)) value_control = true;
  }
  if (name_control || value_control) v.raise(DesyncReason::control_character_in_header, index);
  const std::string_view trimmed = trim_ows(name);
  if (trimmed.empty() || trimmed.front() == ':') v.raise(DesyncReason::empty_header, index);
  if (framing_look_alike(name) != LookAlike::none) v.raise(DesyncReason::suspicious_header, index);
  if (name_non_token) v.raise(DesyncReason::non_compliant_header, index);
}

void judge_method(std::string_view method, Verdict& v) {
  bool ok = !method.empty();
  for (char c : method) ok = ok && is_tchar(c);
  if (!ok) v.raise(DesyncReason::bad_method);
}

void judge_version(std::string_view version, Verdict& v) {
  if (version == "HTTP/1.1" || version == "HTTP/1.0") return;
  const Version parsed = semantic_version(version);
  // Only the exact text counts: "HTTP/1.1 " is what a last-space splitter reads as HTTP/0.9.
  const bool exact = version.size() == 8;
  if (exact && ((parsed.major == 1 && parsed.minor >= 2) || (parsed.major == 0 && parsed.minor == 9))) {
    v.raise(DesyncReason::non_compliant_version);
  } else {
    v.raise(DesyncReason::bad_version);
  }
}

void judge_target(std::string_view target, Verdict& v) {
  if (target.empty()) {
    v.raise(DesyncReason::missing_uri);
    return;
  }
  bool breaker = false;
  bool control = false;
  bool space = false;
  for (char c : target) {
    if (c == '\r' || c == '\n' || c == '\0') {
      breaker = true;
    } else if (c == ' ') {
      space = true;
    } else if (has_class(c, kControl)) {
      control = true;
    }
  }
  if (breaker) v.raise(DesyncReason::bad_uri);
  if (control) v.raise(DesyncReason::control_character_in_uri);
  if (space) v.raise(DesyncReason::space_in_uri);
}

}  // namespace

Classification classify_request(const RequestHead& head) {
  Verdict v;
  const auto headers = head.headers();
  const bool every_byte = head.field_check == FieldCheck::unknown;

  // 1. Bytes that end a line for some parser and not for another.
  if (every_byte) {
    for (size_t i = 0; i < headers.size(); ++i) {
      if (has_line_breaker(headers[i].name) || has_line_breaker(headers[i].value)) {
        v.raise(DesyncReason::bad_header, static_cast<int32_t>(i));
      }
    }
  }

  // 2. Framing. A parser-clean head has its facts already; otherwise judge them again with the
  // look-alike names counted as the real ones (ALB does the same), so "Content_Length: 5"
  // next to "Content-Length: 6" is a conflict, not just a suspicious name.
  int32_t te_index = -1;
  int32_t cl_index = -1;
  if (head.field_check == FieldCheck::clean) {
    if (head.facts.has_transfer_encoding() || head.facts.has_content_length()) {
      for (size_t i = 0; i < headers.size(); ++i) {
        if (headers[i].id == HeaderId::transfer_encoding && te_index < 0) te_index = static_cast<int32_t>(i);
        if (headers[i].id == HeaderId::content_length && cl_index < 0) cl_index = static_cast<int32_t>(i);
      }
      judge_framing(head.facts, te_index, cl_index, head, v);
    }
  } else {
    FramingFacts facts;
    for (size_t i = 0; i < headers.size(); ++i) {
      const std::string_view name = headers[i].name;
      const LookAlike look = framing_look_alike(name);
      if (equals_lower(name, "transfer-encoding") || look == LookAlike::transfer_encoding) {
        add_transfer_encoding(facts, headers[i].value);
        if (te_index < 0) te_index = static_cast<int32_t>(i);
      } else if (equals_lower(name, "content-length") || look == LookAlike::content_length) {
        add_content_length(facts, headers[i].value);
        if (cl_index < 0) cl_index = static_cast<int32_t>(i);
      }
    }
    judge_framing(facts, te_index, cl_index, head, v);
  }

  // 3. The bytes of each field, when the parser saw something unusual or did not look.
  if (head.field_check != FieldCheck::clean) {
    for (size_t i = 0; i < headers.size(); ++i) judge_field(headers[i], static_cast<int32_t>(i), v);
  }

  // 4. The request line. The parser admits only a token method and a clean target.
  if (every_byte) judge_method(head.method, v);
  judge_version(head.version, v);
  if (every_byte) judge_target(head.target, v);
  return v.result();
}

Classification classify_parse_error(const ParseResult& result) {
  return Classification{DesyncTier::severe, result.reason, result.header_index, result.error_status};
}

DesyncAction desync_action(const Classification& c, DesyncMode mode) {
  if (!is_forwardable(c.reason)) return DesyncAction::reject;
  switch (mode) {
    case DesyncMode::monitor:
      return c.tier <= DesyncTier::acceptable ? DesyncAction::forward : DesyncAction::forward_then_close;
    case DesyncMode::defensive:
      if (c.tier <= DesyncTier::acceptable) return DesyncAction::forward;
      return c.tier == DesyncTier::ambiguous ? DesyncAction::forward_then_close : DesyncAction::reject;
    case DesyncMode::strictest:
      return c.tier == DesyncTier::compliant ? DesyncAction::forward : DesyncAction::reject;
  }
  return DesyncAction::reject;
}

std::string_view to_string(DesyncAction action) {
  switch (action) {
    case DesyncAction::forward:
      return "forward";
    case DesyncAction::forward_then_close:
      return "forward_then_close";
    case DesyncAction::reject:
      return "reject";
  }
  return "unknown";
}

std::string_view to_string(DesyncMode mode) {
  switch (mode) {
    case DesyncMode::monitor:
      return "monitor";
    case DesyncMode::defensive:
      return "defensive";
    case DesyncMode::strictest:
      return "strictest";
  }
  return "unknown";
}

}  // namespace fulcrum::http
