// Writes the seed corpus of h2_frames_fuzz to tests/fuzz/corpus/h2/: connections made by
// nghttp2's client in memory (what real clients send) and the attack shapes the server session
// defends against (frames built by hand). Each seed is the bytes after the preface, which the
// fuzz driver prepends. Not part of the build; run from the repository root:
//   c++ -std=c++20 -o /tmp/make_h2_corpus tests/fuzz/make_h2_corpus.cpp -lnghttp2 && /tmp/make_h2_corpus
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
constexpr size_t kPrefaceSize = 24;

void write(const std::string& name, const std::string& bytes) {
  std::ofstream("tests/fuzz/corpus/h2/" + name, std::ios::binary) << bytes;
}

std::vector<nghttp2_nv> nv(const Fields& fields) {
  std::vector<nghttp2_nv> out;
  for (const auto& [n, v] : fields) {
    out.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return out;
}

Fields head(const std::string& method, const std::string& path) {
  return {{":method", method}, {":scheme", "https"}, {":authority", "example.com"}, {":path", path}};
}

// What nghttp2's client sends for these requests (bodies as DATA), preface cut off.
std::string client_bytes(const std::vector<std::pair<Fields, std::string>>& requests, bool cancel_first = false) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session* session = nullptr;
  nghttp2_session_client_new(&session, callbacks, nullptr);
  nghttp2_session_callbacks_del(callbacks);
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
                                             {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 2);
  std::vector<std::string> bodies;
  bodies.reserve(requests.size());
  for (const auto& [fields, body] : requests) {
    auto nva = nv(fields);
    bodies.push_back(body);
    nghttp2_data_provider provider{};
    provider.source.ptr = &bodies.back();
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                                nghttp2_data_source* source, void*) -> ssize_t {
      auto* rest = static_cast<std::string*>(source->ptr);
      const size_t n = std::min(length, rest->size());
      std::memcpy(buf, rest->data(), n);
      rest->erase(0, n);
      if (rest->empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), body.empty() ? nullptr : &provider, nullptr);
  }
  std::string out;
  const uint8_t* data = nullptr;
  for (ssize_t n; (n = nghttp2_session_mem_send(session, &data)) > 0;) {
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    if (cancel_first) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, 1, NGHTTP2_CANCEL);
      cancel_first = false;
    }
  }
  nghttp2_session_del(session);
  return out.substr(kPrefaceSize);
}

std::string frame(uint8_t type, uint8_t flags, int32_t stream, const std::string& payload) {
  const size_t n = payload.size();
  std::string out = {static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n),
                     static_cast<char>(type),    static_cast<char>(flags),  static_cast<char>(stream >> 24),
                     static_cast<char>(stream >> 16), static_cast<char>(stream >> 8), static_cast<char>(stream)};
  return out + payload;
}

std::string encode(nghttp2_hd_deflater* deflater, const Fields& fields) {
  auto nva = nv(fields);
  std::string out(nghttp2_hd_deflate_bound(deflater, nva.data(), nva.size()), '\0');
  const ssize_t n =
      nghttp2_hd_deflate_hd(deflater, reinterpret_cast<uint8_t*>(out.data()), out.size(), nva.data(), nva.size());
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// A raw connection: empty SETTINGS, then HEADERS for each head (stream 1, 3, ...), encoded as given.
std::string raw_heads(const std::vector<Fields>& heads, bool end_stream = true) {
  nghttp2_hd_deflater* deflater = nullptr;
  nghttp2_hd_deflate_new(&deflater, 4096);
  std::string out = frame(NGHTTP2_SETTINGS, 0, 0, "");
  int32_t id = 1;
  for (const Fields& fields : heads) {
    out += frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0), id,
                 encode(deflater, fields));
    id += 2;
  }
  nghttp2_hd_deflate_del(deflater);
  return out;
}

Fields with(Fields fields, const std::string& name, const std::string& value) {
  fields.emplace_back(name, value);
  return fields;
}

}  // namespace

int main() {
  const Fields get = head("GET", "/");
  Fields browser = head("GET", "/index.html");
  for (const auto& [n, v] : Fields{{"user-agent", "Mozilla/5.0"}, {"accept", "text/html"}, {"cookie", "a=1"},
                                   {"cookie", "b=2"}, {"accept-encoding", "gzip, br"}, {"te", "trailers"}}) {
    browser.emplace_back(n, v);
  }
  write("valid_get", client_bytes({{get, ""}}));
  write("valid_browser_page", client_bytes({{browser, ""}, {head("GET", "/a.css"), ""}, {head("GET", "/b.js"), ""}}));
  write("valid_post_chunked", client_bytes({{head("POST", "/upload"), std::string(3000, 'u')}}));
  write("valid_put_length", client_bytes({{with(head("PUT", "/put"), "content-length", "5"), "12345"}}));
  write("valid_host_no_authority",
        client_bytes({{Fields{{":method", "GET"}, {":scheme", "http"}, {":path", "/x"}, {"host", "a.test"}}, ""}}));
  write("valid_options_asterisk", client_bytes({{head("OPTIONS", "*"), ""}}));
  write("valid_cancelled", client_bytes({{get, ""}, {head("GET", "/2"), ""}}, true));

  // Smuggling shapes.
  write("bad_transfer_encoding", raw_heads({with(get, "transfer-encoding", "chunked"), get}));
  write("bad_connection", raw_heads({with(get, "connection", "close"), with(get, "te", "gzip"), get}));
  write("bad_crlf_value", raw_heads({with(get, "x-a", "1\r\nx-b: 2"), get}));
  write("bad_nul_name", raw_heads({with(get, std::string("x\0a", 3), "1"), get}));
  write("bad_upper_name", raw_heads({with(get, "X-Upper", "1"), get}));
  write("bad_path_space", raw_heads({{{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/a b"}},
                                     {{":method", "GET"}, {":scheme", "foo"}, {":authority", "a"}, {":path", "a"}}}));
  write("bad_no_authority", raw_heads({{{":method", "GET"}, {":scheme", "https"}, {":path", "/"}}}));
  write("bad_pseudo_order", raw_heads({{{":method", "GET"}, {"x-a", "1"}, {":path", "/"}, {":scheme", "https"}},
                                       with(get, ":path", "/again"), with(get, ":foo", "1")}));
  write("bad_content_length_more",
        raw_heads({with(head("POST", "/"), "content-length", "3")}, false) + frame(NGHTTP2_DATA, 0, 1, "123") +
            frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, "GET / HTTP/1.1\r\n\r\n"));
  write("bad_content_length_less", raw_heads({with(head("POST", "/"), "content-length", "30")}, false) +
                                        frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, "123"));

  // Floods.
  std::string pings, settings, priorities, updates, empty, resets, continuations;
  for (int i = 0; i < 300; ++i) {
    pings += frame(NGHTTP2_PING, 0, 0, std::string(8, static_cast<char>(i)));
    settings += frame(NGHTTP2_SETTINGS, 0, 0, std::string("\0\2\0\0\0\0", 6));
    priorities += frame(NGHTTP2_PRIORITY, 0, 3 + 2 * i, std::string("\0\0\0\1\x10", 5));
    updates += frame(NGHTTP2_WINDOW_UPDATE, 0, 0, std::string("\0\0\0\1", 4));
    empty += frame(NGHTTP2_DATA, 0, 1, "");
  }
  write("flood_ping", pings);
  write("flood_settings", settings);
  write("flood_priority", priorities);
  write("flood_window_update", updates);
  write("flood_empty_data", raw_heads({head("POST", "/")}, false) + empty);
  {
    nghttp2_hd_deflater* deflater = nullptr;
    nghttp2_hd_deflate_new(&deflater, 4096);
    for (int32_t id = 1; id < 200; id += 2) {
      resets += frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, id, encode(deflater, get));
      resets += frame(NGHTTP2_RST_STREAM, 0, id, std::string("\0\0\0\x08", 4));
    }
    const std::string block = encode(deflater, with(get, "x-pad", std::string(100, 'p')));
    continuations = frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 201, block.substr(0, 10));
    for (size_t at = 10; at < block.size(); at += 5) {
      continuations += frame(NGHTTP2_CONTINUATION, at + 5 >= block.size() ? NGHTTP2_FLAG_END_HEADERS : 0, 201,
                             block.substr(at, 5));
    }
    nghttp2_hd_deflate_del(deflater);
  }
  write("flood_rapid_reset", resets);
  write("flood_continuation", continuations);
  write("flood_settings_entries", frame(NGHTTP2_SETTINGS, 0, 0, std::string(6 * 40, '\0')));

  // HPACK bomb: a 4000-byte literal into the dynamic table, then 2000 one-byte references.
  std::string bomb = raw_heads({});
  {
    nghttp2_hd_deflater* deflater = nullptr;
    nghttp2_hd_deflate_new(&deflater, 4096);
    std::string block = encode(deflater, get);
    block += std::string("\x40\x06x-bomb\x7f", 9);
    size_t rest = 4000 - 127;  // HPACK integer after the 7-bit prefix
    for (; rest >= 128; rest /= 128) block += static_cast<char>(rest % 128 + 128);
    block += static_cast<char>(rest);
    block += std::string(4000, 'b') + std::string(2000, '\xbe');
    bomb += frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 1, block);
    bomb += frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 3, encode(deflater, get));
    nghttp2_hd_deflate_del(deflater);
  }
  write("hpack_bomb", bomb);
  return 0;
}
