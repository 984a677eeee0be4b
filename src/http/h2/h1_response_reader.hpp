#pragma once
// The exchange writes every response toward its client in HTTP/1.1 form (the target's head
// rewritten, or an answer of our own), whatever protocol the client speaks. For an HTTP/2
// stream this reads those bytes back: interim heads (100 Continue) are skipped, the final head
// becomes a status and fields, and the body comes out de-chunked, in pieces, with its end.
// Transport-free: bytes in through feed(), the result through a Sink.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http/h1/chunked_decoder.hpp"
#include "http/h1/content_length_body.hpp"
#include "http/h1/request_head.hpp"
#include "http/h2/h2_field.hpp"

namespace fulcrum::http {

class H1ResponseReader {
 public:
  class Sink {
   public:
    // The final head; `end`: the response has no body. The fields view the bytes fed (or a
    // copy of them): valid during the call only.
    virtual void on_head(uint16_t status, std::span<const H2Field> fields, bool end) = 0;
    // A piece of the body; `end` with the last one (possibly empty).
    virtual void on_body(std::string_view data, bool end) = 0;

   protected:
    ~Sink() = default;
  };

  // The request's method decides whether a response has a body (HEAD never has one).
  explicit H1ResponseReader(Method request_method) : method_(request_method) {}

  // Takes the next bytes the exchange wrote. False: they are no HTTP/1.1 response (the stream
  // is reset); everything after the end of the response is ignored.
  bool feed(std::string_view bytes, Sink& sink);
  // The exchange ended its side: a body delimited by the close ends here. False when the
  // response was cut short (no head yet, or a framed body incomplete).
  bool finish(Sink& sink);

  bool head_done() const { return state_ != State::head; }
  bool complete() const { return state_ == State::done; }

 private:
  enum class State : uint8_t { head, length_body, chunked_body, until_close, done, broken };
  // `head`: a whole head, blank line included.
  bool take_head(std::string_view head, Sink& sink);

  Method method_;
  State state_ = State::head;
  std::string head_;  // a head that came in pieces, until its blank line (most come whole)
  ContentLengthBody length_body_{0};
  ChunkedDecoder chunked_;
};

}  // namespace fulcrum::http
