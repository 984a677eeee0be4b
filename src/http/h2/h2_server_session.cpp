#include "http/h2/h2_server_session.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

#include "core/clock.hpp"
#include "http/h2/h2_callbacks.hpp"
#include "http/h1/header.hpp"

namespace fulcrum::http {
namespace {

// Fields of HTTP/1.1 that HTTP/2 forbids (RFC 9113 §8.2.2): dropped from a target's response.
bool connection_specific(std::string_view name) {
  switch (identify_header(name)) {
    case HeaderId::connection:
    case HeaderId::keep_alive:
    case HeaderId::proxy_connection:
    case HeaderId::transfer_encoding:
    case HeaderId::upgrade:
      return true;
    default:
      return false;
  }
}

bool has_upper(std::string_view name) {
  return std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

nghttp2_nv field(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

H2ServerSession::H2ServerSession(Events& events, Limits limits)
    : events_(events),
      limits_(limits),
      resets_(limits.reset_burst, limits.resets_per_second, core::now_ms()),
      control_frames_(limits.control_frame_burst, limits.control_frames_per_second, core::now_ms()) {
  nghttp2_session_callbacks* callbacks = h2_server_callbacks();
  nghttp2_option* options = nullptr;
  nghttp2_option_new(&options);
  // Request body windows open only as the owner passes bytes on (body_consumed).
  nghttp2_option_set_no_auto_window_update(options, 1);
  nghttp2_option_set_max_outbound_ack(options, limits_.max_queued_acks);
  nghttp2_option_set_max_settings(options, limits_.max_settings_entries);
  nghttp2_option_set_max_continuations(options, limits_.max_continuations);
  // nghttp2's own reset limit (1000 at once, 33 a second by default) would cut a client our
  // budget allows, with INTERNAL_ERROR; at twice ours it only backs ours up.
  nghttp2_option_set_stream_reset_rate_limit(options, uint64_t{limits_.reset_burst} * 2,
                                             uint64_t{limits_.resets_per_second} * 2);
  nghttp2_session_server_new3(&session_, callbacks, this, options, memory_.mem());
  memory_.session_made();
  nghttp2_option_del(options);
  nghttp2_session_callbacks_del(callbacks);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.initial_window_bytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.max_header_list_bytes},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  // The connection's window: room for a few streams' bodies at once (the default is 64 KiB).
  const uint64_t connection_window =
      std::min<uint64_t>(uint64_t{limits_.initial_window_bytes} * 4, NGHTTP2_MAX_WINDOW_SIZE);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, static_cast<int32_t>(connection_window));
}

H2ServerSession::~H2ServerSession() { nghttp2_session_del(session_); }

H2ServerSession::Stream* H2ServerSession::stream(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

const H2ServerSession::Stream* H2ServerSession::stream(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void H2ServerSession::calm_down(H2Abuse why) {
  if (abuse_ == H2Abuse::none) abuse_ = why;
  nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
}

bool H2ServerSession::receive(std::string_view bytes) {
  if (broken_ || abuse_ != H2Abuse::none) return false;
  const ssize_t result =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (result >= 0) return true;
  broken_ = true;
  // nghttp2 gives up on these without a GOAWAY: the client should still learn why.
  if (result == NGHTTP2_ERR_FLOODED) calm_down(H2Abuse::unread_acks);
  else if (result == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) calm_down(H2Abuse::continuations);
  else if (result != NGHTTP2_ERR_CALLBACK_FAILURE && result != NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
    nghttp2_session_terminate_session(session_, NGHTTP2_INTERNAL_ERROR);
  }
  return false;
}

std::string_view H2ServerSession::output() {
  if (out_sent_ >= out_size_) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    out_data_ = data;
    out_size_ = n > 0 ? static_cast<size_t>(n) : 0;
    out_sent_ = 0;
  }
  return std::string_view(reinterpret_cast<const char*>(out_data_) + out_sent_, out_size_ - out_sent_);
}

void H2ServerSession::sent(size_t n) { out_sent_ = std::min(out_size_, out_sent_ + n); }

bool H2ServerSession::respond(int32_t id, uint16_t status, std::span<const H2Field> fields, bool end_stream) {
  if (stream(id) == nullptr || status < 100 || status > 999) return false;
  const char status_text[3] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                               static_cast<char>('0' + status % 10)};
  // Scratch reused by every response of the thread: no allocation per field (nghttp2 copies
  // the names and values into one block before returning).
  thread_local std::vector<nghttp2_nv> nva;
  thread_local std::string lowered;
  nva.clear();
  lowered.clear();
  size_t upper_bytes = 0;
  for (const H2Field& f : fields) {
    if (has_upper(f.name)) upper_bytes += f.name.size();
  }
  lowered.reserve(upper_bytes);  // no reallocation below: views into it stay valid
  nva.push_back(field(":status", std::string_view(status_text, 3)));
  for (const H2Field& f : fields) {
    if (f.name.empty() || connection_specific(f.name)) continue;
    std::string_view name = f.name;
    if (has_upper(name)) {
      const size_t at = lowered.size();
      for (char c : name) lowered.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
      name = std::string_view(lowered).substr(at, name.size());
    }
    nva.push_back(field(name, f.value));
  }
  nghttp2_data_provider body{};
  body.read_callback = h2_body_reader();
  return nghttp2_submit_response(session_, id, nva.data(), nva.size(), end_stream ? nullptr : &body) == 0;
}

bool H2ServerSession::respond(int32_t id, uint16_t status, const std::vector<std::pair<std::string, std::string>>& fields,
                              bool end_stream) {
  std::vector<H2Field> views;
  views.reserve(fields.size());
  for (const auto& [name, value] : fields) views.push_back({name, value});
  return respond(id, status, std::span<const H2Field>(views), end_stream);
}

bool H2ServerSession::send_body(int32_t id, std::string_view data, bool end) {
  Stream* s = stream(id);
  if (s == nullptr) return false;
  s->body_out.append(data);
  s->body_out_end = end;
  nghttp2_session_resume_data(session_, id);  // an error only means it was not waiting
  return true;
}

size_t H2ServerSession::queued_body(int32_t id) const {
  const Stream* s = stream(id);
  return s == nullptr ? 0 : s->body_out.size() - s->body_out_begin;
}

void H2ServerSession::body_consumed(int32_t id, size_t n) { nghttp2_session_consume(session_, id, n); }

void H2ServerSession::reset(int32_t id, uint32_t error_code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code);
}

void H2ServerSession::shut_down() {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
}

bool H2ServerSession::release_idle_memory() {
  if (out_sent_ < out_size_ || nghttp2_session_want_write(session_) != 0) return false;
  memory_.release();
  return true;
}

bool H2ServerSession::finished() const {
  return nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0 &&
         out_sent_ >= out_size_;
}

}  // namespace fulcrum::http
