#pragma once
// How the body of a message is delimited (RFC 9112 §6.3).
#include <cstdint>

namespace fulcrum::http {

enum class BodyFraming : uint8_t {
  none,            // no body: requests without CL/TE, HEAD/1xx/204/304 responses, 2xx to CONNECT
  content_length,  // exactly content_length bytes (ContentLengthBody)
  chunked,         // chunked coding, forwarded as is (ChunkedDecoder finds its end)
  until_close,     // responses only: the body ends when the target closes
};

// Progress of a body reader (ChunkedDecoder, ContentLengthBody).
enum class BodyStatus : uint8_t { need_more, done, error };

}  // namespace fulcrum::http
