#pragma once
// nghttp2's callbacks for H2ServerSession, which is their user data (internal to http/h2).
#include <nghttp2/nghttp2.h>

namespace fulcrum::http {

// The callbacks a server session is created with; the caller deletes them.
nghttp2_session_callbacks* h2_server_callbacks();

// The data provider's read callback of responses with a body (queued by send_body).
nghttp2_data_source_read_callback h2_body_reader();

}  // namespace fulcrum::http
