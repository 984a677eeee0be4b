#include "http/h2/h1_response_reader.hpp"

#include <array>
#include <span>

#include "http/h1/header.hpp"
#include "http/h1/response_head.hpp"
#include "http/h1/response_parser.hpp"

namespace fulcrum::http {
namespace {
// Our own writer made the head, so the limits are generous: they only bound the copy.
constexpr uint32_t kMaxHeadBytes = 1024 * 1024;
constexpr size_t kMaxFields = 1000;
}  // namespace

bool H1ResponseReader::feed(std::string_view bytes, Sink& sink) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::head: {
        // Only as much as may belong to the head is copied; the rest is body, used in place.
        const size_t before = head_.size();
        head_.append(bytes);
        const size_t end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
        if (end == std::string::npos) {
          if (head_.size() > kMaxHeadBytes) {
            state_ = State::broken;
            return false;
          }
          return true;
        }
        const size_t head_size = end + 4;
        const size_t used = head_size - before;
        head_.resize(head_size);
        if (!take_head(sink)) return false;
        bytes.remove_prefix(used);
        break;
      }
      case State::length_body: {
        const size_t take = length_body_.feed(bytes.size());
        const bool end = length_body_.done();
        if (end) state_ = State::done;
        sink.on_body(bytes.substr(0, take), end);
        bytes.remove_prefix(take);
        break;
      }
      case State::chunked_body: {
        const ChunkedResult r = chunked_.next(bytes);
        if (r.error()) {
          state_ = State::broken;
          return false;
        }
        if (r.done()) state_ = State::done;
        if (!r.payload.empty() || r.done()) sink.on_body(r.payload, r.done());
        bytes.remove_prefix(r.consumed);
        if (r.consumed == 0 && !r.done()) return true;
        break;
      }
      case State::until_close:
        sink.on_body(bytes, false);
        return true;
      case State::done:
        return true;  // nothing may follow a response on a stream
      case State::broken:
        return false;
    }
  }
  return true;
}

bool H1ResponseReader::take_head(Sink& sink) {
  std::array<Header, kMaxFields> storage;
  ResponseHead head{std::span<Header>(storage)};
  ParserLimits limits;
  limits.max_header_bytes = kMaxHeadBytes;
  limits.max_request_line = kMaxHeadBytes;
  limits.max_headers = kMaxFields;
  ResponseParser parser(limits);
  const ParseResult parsed = parser.parse(head_, head, method_);
  if (parsed.error() || parsed.need_more()) {
    state_ = State::broken;
    return false;
  }
  if (head.interim() || head.status == 101) {
    head_.clear();  // 100 Continue, 103 Early Hints: the final head follows
    return true;
  }
  fields_.clear();
  for (const Header& h : head.headers()) fields_.emplace_back(std::string(h.name), std::string(h.value));
  const bool no_body =
      head.framing == BodyFraming::none || (head.framing == BodyFraming::content_length && head.content_length == 0);
  switch (head.framing) {
    case BodyFraming::content_length:
      length_body_ = ContentLengthBody(head.content_length);
      state_ = State::length_body;
      break;
    case BodyFraming::chunked:
      state_ = State::chunked_body;
      break;
    case BodyFraming::until_close:
      state_ = State::until_close;
      break;
    case BodyFraming::none:
      break;
  }
  if (no_body) state_ = State::done;
  head_.clear();
  head_.shrink_to_fit();
  sink.on_head(head.status, fields_, no_body);
  return true;
}

bool H1ResponseReader::finish(Sink& sink) {
  if (state_ == State::until_close) {
    state_ = State::done;
    sink.on_body({}, true);
  }
  return state_ == State::done;
}

}  // namespace fulcrum::http
