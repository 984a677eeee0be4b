#pragma once
// Raw HTTP/2 for tests that play a misbehaving client: frames built byte by byte, header
// blocks from nghttp2's HPACK deflater (which encodes whatever it is given, unlike its client
// session) or by hand, and the server's output split back into frames with HEADERS decoded.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/h2/h2_server_session.hpp"

namespace fulcrum::http::wire {

using Fields = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

inline std::string frame(uint8_t type, uint8_t flags, int32_t stream, std::string_view payload) {
  std::string out;
  const size_t n = payload.size();
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((static_cast<uint32_t>(stream) >> shift) & 0xff));
  out.append(payload);
  return out;
}

inline std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

inline std::string settings(const std::vector<std::pair<uint16_t, uint32_t>>& entries = {}) {
  std::string payload;
  for (const auto& [id, value] : entries) {
    payload.push_back(static_cast<char>(id >> 8));
    payload.push_back(static_cast<char>(id));
    payload.append(u32(value));
  }
  return frame(NGHTTP2_SETTINGS, 0, 0, payload);
}
inline std::string ping(uint8_t n = 0) { return frame(NGHTTP2_PING, 0, 0, std::string(8, static_cast<char>(n))); }
inline std::string priority(int32_t stream, int32_t depends_on) {
  return frame(NGHTTP2_PRIORITY, 0, stream, u32(static_cast<uint32_t>(depends_on)) + std::string(1, '\x10'));
}
inline std::string window_update(int32_t stream, uint32_t increment) {
  return frame(NGHTTP2_WINDOW_UPDATE, 0, stream, u32(increment));
}
inline std::string data(int32_t stream, std::string_view bytes, bool end) {
  return frame(NGHTTP2_DATA, end ? NGHTTP2_FLAG_END_STREAM : 0, stream, bytes);
}
inline std::string headers(int32_t stream, std::string_view block, bool end_stream, bool end_headers = true) {
  return frame(NGHTTP2_HEADERS,
               static_cast<uint8_t>((end_stream ? NGHTTP2_FLAG_END_STREAM : 0) |
                                    (end_headers ? NGHTTP2_FLAG_END_HEADERS : 0)),
               stream, block);
}

// An HPACK integer with `prefix` bits in the first byte, whose other bits are `first`.
inline std::string hpack_int(uint8_t first, int prefix, size_t value) {
  const size_t max = (size_t{1} << prefix) - 1;
  std::string out;
  if (value < max) {
    out.push_back(static_cast<char>(first | value));
    return out;
  }
  out.push_back(static_cast<char>(first | max));
  for (value -= max; value >= 128; value /= 128) out.push_back(static_cast<char>(value % 128 + 128));
  out.push_back(static_cast<char>(value));
  return out;
}
// A literal field with a new name, added to the dynamic table (RFC 7541 §6.2.1), no Huffman.
inline std::string hpack_literal_indexed(std::string_view name, std::string_view value) {
  return "\x40" + hpack_int(0, 7, name.size()) + std::string(name) + hpack_int(0, 7, value.size()) + std::string(value);
}

// nghttp2's deflater: any names and values, encoded as given.
class Encoder {
 public:
  Encoder() { nghttp2_hd_deflate_new(&deflater_, 4096); }
  ~Encoder() { nghttp2_hd_deflate_del(deflater_); }
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  std::string encode(const Fields& fields) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                     reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                     NGHTTP2_NV_FLAG_NO_INDEX});
    }
    std::string out(nghttp2_hd_deflate_bound(deflater_, nva.data(), nva.size()), '\0');
    const ssize_t n = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<uint8_t*>(out.data()), out.size(), nva.data(),
                                            nva.size());
    EXPECT_GE(n, 0);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
  }

 private:
  nghttp2_hd_deflater* deflater_ = nullptr;
};

struct Frame {
  uint8_t type = 0;
  uint8_t flags = 0;
  int32_t stream = 0;
  std::string payload;
};

// The server's output as frames; response heads decoded per stream.
class Reader {
 public:
  Reader() { nghttp2_hd_inflate_new(&inflater_); }
  ~Reader() { nghttp2_hd_inflate_del(inflater_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  void feed(std::string_view bytes) {
    pending_.append(bytes);
    while (pending_.size() >= 9) {
      const auto byte = [&](size_t i) { return static_cast<uint8_t>(pending_[i]); };
      const size_t length = (size_t{byte(0)} << 16) | (size_t{byte(1)} << 8) | byte(2);
      if (pending_.size() < 9 + length) return;
      Frame f{byte(3), byte(4),
              static_cast<int32_t>(((uint32_t{byte(5)} << 24) | (uint32_t{byte(6)} << 16) | (uint32_t{byte(7)} << 8) |
                                    byte(8)) &
                                   0x7fffffff),
              pending_.substr(9, length)};
      pending_.erase(0, 9 + length);
      if (f.type == NGHTTP2_HEADERS) inflate(f);
      frames.push_back(std::move(f));
    }
  }

  // The GOAWAY's error code, if one came.
  std::optional<uint32_t> goaway() const {
    for (const Frame& f : frames) {
      if (f.type == NGHTTP2_GOAWAY) return read_u32(f.payload, 4);
    }
    return std::nullopt;
  }
  std::optional<uint32_t> rst(int32_t stream) const {
    for (const Frame& f : frames) {
      if (f.type == NGHTTP2_RST_STREAM && f.stream == stream) return read_u32(f.payload, 0);
    }
    return std::nullopt;
  }
  std::string status(int32_t stream) const {
    auto it = heads.find(stream);
    if (it == heads.end()) return "";
    for (const auto& [n, v] : it->second) {
      if (n == ":status") return v;
    }
    return "";
  }
  size_t count(uint8_t type, uint8_t flags = 0) const {
    size_t n = 0;
    for (const Frame& f : frames) n += f.type == type && (f.flags & flags) == flags;
    return n;
  }
  // The first SETTINGS frame's entries: what the server advertises.
  std::map<uint16_t, uint32_t> server_settings() const {
    std::map<uint16_t, uint32_t> out;
    for (const Frame& f : frames) {
      if (f.type != NGHTTP2_SETTINGS || (f.flags & NGHTTP2_FLAG_ACK) != 0) continue;
      for (size_t i = 0; i + 6 <= f.payload.size(); i += 6) {
        out[static_cast<uint16_t>((static_cast<uint8_t>(f.payload[i]) << 8) | static_cast<uint8_t>(f.payload[i + 1]))] =
            read_u32(f.payload, i + 2);
      }
      break;
    }
    return out;
  }

  std::vector<Frame> frames;
  std::map<int32_t, Fields> heads;

 private:
  static uint32_t read_u32(const std::string& s, size_t at) {
    if (s.size() < at + 4) return 0xffffffff;
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
    return v;
  }
  void inflate(const Frame& f) {
    auto* in = reinterpret_cast<const uint8_t*>(f.payload.data());
    size_t left = f.payload.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      const ssize_t n = nghttp2_hd_inflate_hd2(inflater_, &nv, &flags, in, left, 1);
      ASSERT_GE(n, 0);
      in += n;
      left -= static_cast<size_t>(n);
      if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
        heads[f.stream].emplace_back(std::string(reinterpret_cast<char*>(nv.name), nv.namelen),
                                     std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
      }
      if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
        nghttp2_hd_inflate_end_headers(inflater_);
        return;
      }
      if (n == 0 && left == 0) return;
    }
  }

  nghttp2_hd_inflater* inflater_ = nullptr;
  std::string pending_;
};

// Every byte the server has to say, taken.
inline std::string drain(H2ServerSession& server) {
  std::string all;
  for (std::string_view out; !(out = server.output()).empty();) {
    all.append(out);
    server.sent(out.size());
  }
  return all;
}

}  // namespace fulcrum::http::wire

namespace fulcrum::http::wire {

// A raw client and the server it talks to, with what the server's owner saw.
struct Peer : H2ServerSession::Events {
  explicit Peer(H2ServerSession::Limits limits = {}) : server(*this, limits) {
    EXPECT_TRUE(send(std::string(kPreface) + settings()));
  }

  // Feeds the server and reads everything it answers; false when the server gave up.
  bool send(std::string_view bytes) {
    const bool ok = server.receive(bytes);
    reader.feed(drain(server));
    return ok;
  }
  // A request head on `stream` from `fields`, encoded as given.
  bool request(int32_t stream, const Fields& fields, bool end_stream = true) {
    return send(headers(stream, encoder.encode(fields), end_stream));
  }

  void on_request(int32_t stream, const H2Request& request) override {
    write_http1_head(request, heads[stream]);
    if (request.end_stream) ended[stream] = true;
  }
  void on_body(int32_t stream, std::string_view bytes, bool end) override {
    bodies[stream].append(bytes);
    if (end) ended[stream] = true;
  }
  void on_stream_closed(int32_t stream, uint32_t error_code) override { closed[stream] = error_code; }

  H2ServerSession server;
  Reader reader;
  Encoder encoder;
  std::map<int32_t, std::string> heads;  // HTTP/1.1 form
  std::map<int32_t, std::string> bodies;
  std::map<int32_t, bool> ended;
  std::map<int32_t, uint32_t> closed;
};

inline Fields get(const std::string& path) {
  return {{":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"}, {":path", path}};
}

}  // namespace fulcrum::http::wire
