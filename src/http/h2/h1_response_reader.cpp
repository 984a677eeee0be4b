#include "http/h2/h1_response_reader.hpp"

#include <span>
#include <vector>

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
        if (head_.empty()) {
          // The usual case: the whole head in one write, read where it lies.
          const size_t end = bytes.find("\r\n\r\n");
          if (end != std::string_view::npos) {
            if (!take_head(bytes.substr(0, end + 4), sink)) return false;
            bytes.remove_prefix(end + 4);
            break;
          }
        }
        // Only as much as may belong to the head is kept; the rest is body, used in place.
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
        const size_t used = end + 4 - before;
        head_.resize(end + 4);
        const std::string head = std::move(head_);
        head_.clear();
        if (!take_head(head, sink)) return false;
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

bool H1ResponseReader::take_head(std::string_view bytes, Sink& sink) {
  // Scratch of the thread, sized once: a head's fields are read into it, never copied.
  thread_local std::vector<Header> storage(kMaxFields);
  thread_local std::vector<H2Field> fields;
  ResponseHead head{std::span<Header>(storage)};
  ParserLimits limits;
  limits.max_header_bytes = kMaxHeadBytes;
  limits.max_request_line = kMaxHeadBytes;
  limits.max_headers = kMaxFields;
  ResponseParser parser(limits);
  const ParseResult parsed = parser.parse(bytes, head, method_);
  if (parsed.error() || parsed.need_more()) {
    state_ = State::broken;
    return false;
  }
  if (head.interim() || head.status == 101) return true;  // 100 Continue, 103: the final head follows
  fields.clear();
  for (const Header& h : head.headers()) fields.push_back(H2Field{h.name, h.value});
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
  sink.on_head(head.status, fields, no_body);
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
