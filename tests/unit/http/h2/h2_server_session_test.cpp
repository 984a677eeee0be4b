// H2ServerSession against nghttp2's own client session, bytes passed in memory: what a real
// HTTP/2 client sends becomes HTTP/1.1 heads and bodies, and responses come back framed, with
// flow control, limits and malformed requests handled per RFC 9113.
#include "http/h2/h2_server_session.hpp"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace fulcrum::http {
namespace h2_server_session_test {

using Fields = std::vector<std::pair<std::string, std::string>>;

// What the owner of a server session sees.
struct Recorder : H2ServerSession::Events {
  std::map<int32_t, std::string> heads;  // HTTP/1.1 form
  std::map<int32_t, std::string> bodies;
  std::map<int32_t, bool> body_ended;
  std::map<int32_t, uint32_t> closed;
  void on_request(int32_t stream, const H2Request& request) override {
    write_http1_head(request, heads[stream]);
    if (request.end_stream) body_ended[stream] = true;
  }
  void on_body(int32_t stream, std::string_view data, bool end) override {
    bodies[stream].append(data);
    if (end) body_ended[stream] = true;
  }
  void on_stream_closed(int32_t stream, uint32_t error_code) override { closed[stream] = error_code; }
};

// An HTTP/2 client (nghttp2's), recording each stream's response.
class Nghttp2Client {
 public:
  struct Response {
    std::string status;
    Fields fields;
    std::string body;
    bool closed = false;
    uint32_t error_code = 0;
  };

  // `manual_window`: the client opens its windows only when told (read()), as a slow reader.
  explicit Nghttp2Client(int32_t initial_window = 65535, bool manual_window = false) {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t name_length,
                      const uint8_t* value, size_t value_length, uint8_t, void* user_data) {
          auto& response = static_cast<Nghttp2Client*>(user_data)->responses[frame->hd.stream_id];
          std::string n(reinterpret_cast<const char*>(name), name_length);
          std::string v(reinterpret_cast<const char*>(value), value_length);
          if (n == ":status") response.status = v;
          else response.fields.emplace_back(n, v);
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        callbacks, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t length, void* user_data) {
          static_cast<Nghttp2Client*>(user_data)->responses[id].body.append(reinterpret_cast<const char*>(data), length);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        callbacks, [](nghttp2_session*, int32_t id, uint32_t error_code, void* user_data) {
          auto& response = static_cast<Nghttp2Client*>(user_data)->responses[id];
          response.closed = true;
          response.error_code = error_code;
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
          auto* self = static_cast<Nghttp2Client*>(user_data);
          if (frame->hd.type == NGHTTP2_GOAWAY) {
            self->goaway = true;
            self->goaway_error = frame->goaway.error_code;
            self->goaway_last_stream = frame->goaway.last_stream_id;
          }
          if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
            for (size_t i = 0; i < frame->settings.niv; ++i) self->server_settings[frame->settings.iv[i].settings_id] =
                frame->settings.iv[i].value;
          }
          return 0;
        });
    nghttp2_option* options = nullptr;
    nghttp2_option_new(&options);
    if (manual_window) nghttp2_option_set_no_auto_window_update(options, 1);
    nghttp2_session_client_new2(&session, callbacks, this, options);
    nghttp2_option_del(options);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_settings_entry window{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(initial_window)};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, &window, 1);
  }
  ~Nghttp2Client() { nghttp2_session_del(session); }

  // Sends a request; `body` (when given) as DATA after the head.
  int32_t request(const Fields& head, const std::string* body = nullptr) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : head) {
      nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                     reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider{};
    if (body != nullptr) {
      pending_body = *body;
      provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buffer, size_t length, uint32_t* flags,
                                  nghttp2_data_source*, void* user_data) -> ssize_t {
        auto* self = static_cast<Nghttp2Client*>(user_data);
        const size_t n = std::min(length, self->pending_body.size());
        std::memcpy(buffer, self->pending_body.data(), n);
        self->pending_body.erase(0, n);
        if (self->pending_body.empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
      };
    }
    return nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), body != nullptr ? &provider : nullptr,
                                  nullptr);
  }

  nghttp2_session* session = nullptr;
  std::map<int32_t, Response> responses;
  std::map<int32_t, uint32_t> server_settings;
  std::string pending_body;
  bool goaway = false;
  uint32_t goaway_error = 0;
  int32_t goaway_last_stream = -1;
};

// Moves bytes both ways until neither side has anything to say.
void pump(Nghttp2Client& client, H2ServerSession& server, bool* server_ok = nullptr) {
  for (int round = 0; round < 10000; ++round) {
    bool moved = false;
    const uint8_t* data = nullptr;
    for (ssize_t n; (n = nghttp2_session_mem_send(client.session, &data)) > 0;) {
      const bool ok = server.receive(std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(n)));
      if (server_ok != nullptr && !ok) *server_ok = false;
      moved = true;
    }
    for (std::string_view out; !(out = server.output()).empty();) {
      EXPECT_GE(nghttp2_session_mem_recv(client.session, reinterpret_cast<const uint8_t*>(out.data()), out.size()), 0);
      server.sent(out.size());
      moved = true;
    }
    if (!moved) return;
  }
  ADD_FAILURE() << "the sessions never went quiet";
}

Fields head_of(const std::string& method, const std::string& path) {
  return {{":method", method}, {":scheme", "https"}, {":authority", "example.com"}, {":path", path}};
}
Fields get(const std::string& path) { return head_of("GET", path); }

TEST(H2ServerSession, AGetBecomesAnHttp11HeadAndItsResponseComesBackFramed) {
  Recorder owner;
  H2ServerSession server(owner, {});
  Nghttp2Client client;
  Fields head = get("/search?q=1");
  head.push_back({"user-agent", "test/1"});
  head.push_back({"cookie", "a=1"});
  head.push_back({"accept", "*/*"});
  head.push_back({"cookie", "b=2"});
  const int32_t id = client.request(head);
  pump(client, server);
  EXPECT_EQ(client.server_settings[NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS], 100u);
  ASSERT_EQ(owner.heads.count(id), 1u);
  // Cookie crumbs joined on the first one's place (RFC 9113 §8.2.3); no body, so no framing.
  EXPECT_EQ(owner.heads[id],
            "GET /search?q=1 HTTP/1.1\r\nhost: example.com\r\nuser-agent: test/1\r\ncookie: a=1; b=2\r\n"
            "accept: */*\r\n\r\n");
  EXPECT_TRUE(owner.body_ended[id]);

  // Mixed-case names from an HTTP/1.1 target come out lower-case; hop-by-hop ones are dropped.
  ASSERT_TRUE(server.respond(id, 200, {{"Content-Type", "text/plain"}, {"Connection", "keep-alive"},
                                       {"Transfer-Encoding", "chunked"}, {"X-Id", "7"}},
                             false));
  ASSERT_TRUE(server.send_body(id, "hello ", false));
  pump(client, server);
  EXPECT_EQ(client.responses[id].body, "hello ");
  EXPECT_FALSE(client.responses[id].closed);
  ASSERT_TRUE(server.send_body(id, "world", true));
  pump(client, server);
  const auto& response = client.responses[id];
  EXPECT_EQ(response.status, "200");
  EXPECT_EQ(response.fields, (Fields{{"content-type", "text/plain"}, {"x-id", "7"}}));
  EXPECT_EQ(response.body, "hello world");
  EXPECT_TRUE(response.closed);
  EXPECT_EQ(response.error_code, 0u);
  EXPECT_EQ(owner.closed.count(id), 1u);
  EXPECT_EQ(server.open_streams(), 0u);
}

// An idle connection gives nghttp2's frame buffer back; the next request and its response are
// framed as before (the buffer holds nothing between frames).
TEST(H2ServerSession, ReleasingIdleMemoryLeavesTheNextExchangeWhole) {
  Recorder owner;
  H2ServerSession server(owner, {});
  EXPECT_GE(server.idle_releasable_bytes(), 16384u);  // nghttp2's frame buffer
  Nghttp2Client client;
  for (int i = 0; i < 3; ++i) {
    const int32_t id = client.request(get("/r" + std::to_string(i)));
    pump(client, server);
    ASSERT_EQ(owner.heads.count(id), 1u);
    ASSERT_TRUE(server.respond(id, 200, {{"x-i", std::to_string(i)}}, false));
    ASSERT_TRUE(server.send_body(id, std::string(20000, 'a' + i), true));
    EXPECT_FALSE(server.release_idle_memory()) << "nothing may be released while frames wait to be sent";
    pump(client, server);
    EXPECT_EQ(client.responses[id].body, std::string(20000, 'a' + i));
    EXPECT_EQ(client.responses[id].fields, (Fields{{"x-i", std::to_string(i)}}));
    EXPECT_TRUE(server.release_idle_memory());
  }
}

TEST(H2ServerSession, ABodyWithoutContentLengthIsChunkedAndOnlyConsumedBytesOpenTheWindow) {
  Recorder owner;
  H2ServerSession server(owner, {.initial_window_bytes = 16384});
  Nghttp2Client client;
  const std::string body(100000, 'x');
  const int32_t id = client.request(head_of("POST", "/upload"), &body);
  pump(client, server);
  EXPECT_EQ(owner.heads[id], "POST /upload HTTP/1.1\r\nhost: example.com\r\ntransfer-encoding: chunked\r\n\r\n");
  // What the windows allowed arrived (the client may use the default 64 KiB until it has
  // read our SETTINGS); then nothing more until the owner says it passed bytes on.
  const size_t first = owner.bodies[id].size();
  EXPECT_GT(first, 0u);
  EXPECT_LT(first, body.size());
  pump(client, server);
  EXPECT_EQ(owner.bodies[id].size(), first);
  EXPECT_FALSE(owner.body_ended[id]);
  size_t consumed = 0;
  for (int round = 0; round < 50 && !owner.body_ended[id]; ++round) {
    const size_t arrived = owner.bodies[id].size();
    ASSERT_GT(arrived, consumed) << "nothing arrived in round " << round;
    server.body_consumed(id, arrived - consumed);
    consumed = arrived;
    pump(client, server);
  }
  EXPECT_EQ(owner.bodies[id], body);
  EXPECT_TRUE(owner.body_ended[id]);
}

TEST(H2ServerSession, AContentLengthBodyIsForwardedAsIs) {
  Recorder owner;
  H2ServerSession server(owner, {});
  Nghttp2Client client;
  Fields head = head_of("PUT", "/put");
  head.push_back({"content-length", "5"});
  const std::string body = "12345";
  const int32_t id = client.request(head, &body);
  pump(client, server);
  EXPECT_EQ(owner.heads[id], "PUT /put HTTP/1.1\r\nhost: example.com\r\ncontent-length: 5\r\n\r\n");
  EXPECT_EQ(owner.bodies[id], "12345");
  EXPECT_TRUE(owner.body_ended[id]);
}

TEST(H2ServerSession, MalformedRequestsResetTheirStreamAndTheConnectionServesOn) {
  Recorder owner;
  H2ServerSession server(owner, {});
  Nghttp2Client client;
  Fields other_host = get("/");
  other_host.push_back({"host", "evil.example"});  // RFC 9113 §8.3.1: must name the same authority
  const int32_t bad_host = client.request(other_host);
  const int32_t connect = client.request({{":method", "CONNECT"}, {":authority", "example.com:443"}});
  const int32_t no_authority = client.request({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}});
  Fields hop_by_hop = get("/");
  hop_by_hop.push_back({"connection", "close"});  // refused by nghttp2 itself
  const int32_t connection_field = client.request(hop_by_hop);
  Fields same_host = get("/ok");
  same_host.push_back({"host", "EXAMPLE.com"});  // the same authority, in other case: fine
  const int32_t good = client.request(same_host);
  bool ok = true;
  pump(client, server, &ok);
  EXPECT_TRUE(ok);
  for (int32_t id : {bad_host, connect, no_authority, connection_field}) {
    EXPECT_EQ(owner.heads.count(id), 0u) << id;
    EXPECT_TRUE(client.responses[id].closed) << id;
    EXPECT_EQ(client.responses[id].error_code, static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR)) << id;
  }
  ASSERT_EQ(owner.heads.count(good), 1u);
  EXPECT_EQ(owner.heads[good], "GET /ok HTTP/1.1\r\nhost: example.com\r\n\r\n");
  server.respond(good, 204, {}, true);
  pump(client, server);
  EXPECT_EQ(client.responses[good].status, "204");
}

TEST(H2ServerSession, AHeadOverTheLimitIsAnswered431) {
  Recorder owner;
  H2ServerSession server(owner, {.max_header_list_bytes = 4096});
  Nghttp2Client client;
  Fields big = get("/");
  big.push_back({"x-big", std::string(5000, 'a')});
  const int32_t id = client.request(big);
  const int32_t next = client.request(get("/next"));
  pump(client, server);
  EXPECT_EQ(owner.heads.count(id), 0u);
  EXPECT_EQ(client.responses[id].status, "431");
  EXPECT_TRUE(client.responses[id].closed);
  EXPECT_EQ(owner.heads.count(next), 1u);
}

TEST(H2ServerSession, AResponseBodyWaitsForTheClientsWindow) {
  Recorder owner;
  H2ServerSession server(owner, {});
  Nghttp2Client client(16384, true);  // a slow reader: 16 KiB per stream, opened only when it reads
  const int32_t id = client.request(get("/big"));
  pump(client, server);
  server.respond(id, 200, {{"content-length", "200000"}}, false);
  server.send_body(id, std::string(200000, 'z'), true);
  pump(client, server);
  EXPECT_EQ(client.responses[id].body.size(), 16384u);
  EXPECT_EQ(server.queued_body(id), 200000u - 16384u);  // the owner sees it and stops reading the target
  EXPECT_FALSE(client.responses[id].closed);
  size_t read = 0;
  for (int round = 0; round < 100 && !client.responses[id].closed; ++round) {
    const size_t arrived = client.responses[id].body.size();
    ASSERT_GT(arrived, read) << round;
    nghttp2_session_consume(client.session, id, arrived - read);
    read = arrived;
    pump(client, server);
  }
  EXPECT_EQ(client.responses[id].body, std::string(200000, 'z'));
  EXPECT_EQ(server.queued_body(id), 0u);
  EXPECT_TRUE(client.responses[id].closed);
}

TEST(H2ServerSession, GarbageEndsTheConnectionAndShutDownLetsStreamsFinish) {
  Recorder owner;
  H2ServerSession server(owner, {});
  EXPECT_FALSE(server.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));  // not the HTTP/2 preface
  Nghttp2Client client;
  H2ServerSession second(owner, {});
  const int32_t id = client.request(get("/"));
  pump(client, second);
  ASSERT_EQ(owner.heads.count(id), 1u);
  second.shut_down();
  pump(client, second);
  EXPECT_TRUE(client.goaway);
  EXPECT_FALSE(second.finished());  // the stream under way still gets its answer
  second.respond(id, 200, {}, true);
  pump(client, second);
  EXPECT_EQ(client.responses[id].status, "200");
  EXPECT_TRUE(second.finished());
}

// The response call on views: no std::string per field; names still go out lower-cased and
// connection-specific fields dropped.
TEST(H2ServerSession, RespondTakesFieldViews) {
  Recorder owner;
  H2ServerSession server(owner, {});
  Nghttp2Client client;
  const int32_t id = client.request(get("/views"));
  const int32_t other = client.request(get("/other"));
  pump(client, server);
  const std::string type = "text/html; charset=utf-8";
  const H2Field fields[] = {{"Content-Type", type}, {"Upgrade", "h2c"},     {"X-Mixed-Case", "1"},
                            {"x-lower", "2"},       {"KEEP-ALIVE", "x"},   {"Proxy-Connection", "y"}};
  EXPECT_FALSE(server.respond(id, 42, fields, true));  // not three digits
  EXPECT_FALSE(server.respond(id + 100, 200, fields, true));  // no such stream
  ASSERT_TRUE(server.respond(id, 404, fields, true));
  ASSERT_TRUE(server.respond(other, 200, std::span<const H2Field>(), true));
  pump(client, server);
  EXPECT_EQ(client.responses[id].status, "404");
  EXPECT_EQ(client.responses[id].fields, (Fields{{"content-type", type}, {"x-mixed-case", "1"}, {"x-lower", "2"}}));
  EXPECT_EQ(client.responses[other].status, "200");
  EXPECT_TRUE(client.responses[other].closed);
}

// Rapid reset (CVE-2023-44487): streams opened and cancelled at once cost the server work
// nobody waits for. Within the budget the connection serves on; past it, GOAWAY
// ENHANCE_YOUR_CALM ends it.
TEST(H2ServerSession, ClientResetsPastTheBudgetEndTheConnection) {
  Recorder owner;
  // A refill of 1 a second is nothing worth counting within the test.
  H2ServerSession server(owner, {.reset_burst = 50, .resets_per_second = 1});
  Nghttp2Client client;
  bool ok = true;
  // Each stream's HEADERS goes out before its RST_STREAM (nghttp2 would drop a stream
  // cancelled before it was sent).
  auto open_and_cancel = [&](int count) {
    for (int i = 0; i < count; ++i) {
      const int32_t id = client.request(get("/cancelled"));
      pump(client, server, &ok);
      nghttp2_submit_rst_stream(client.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      pump(client, server, &ok);
    }
  };
  open_and_cancel(40);
  EXPECT_TRUE(ok);
  EXPECT_FALSE(client.goaway);
  const int32_t served = client.request(get("/after"));
  pump(client, server);
  ASSERT_EQ(owner.heads.count(served), 1u);

  EXPECT_EQ(owner.heads.size(), 41u);  // every cancelled stream had reached the owner ...
  EXPECT_EQ(std::count_if(owner.closed.begin(), owner.closed.end(),
                          [](const auto& entry) { return entry.second == NGHTTP2_CANCEL; }),
            40);  // ... and heard it was cancelled, so it can stop the work
  open_and_cancel(40);                 // 80 in all: over the 50
  EXPECT_FALSE(ok);
  EXPECT_TRUE(server.calm_exceeded());
  EXPECT_TRUE(client.goaway);
  EXPECT_EQ(client.goaway_error, static_cast<uint32_t>(NGHTTP2_ENHANCE_YOUR_CALM));
}

// A client reading a large body over small windows sends a WINDOW_UPDATE every few KiB: the
// response data it takes refunds the control-frame budget, so a download is never a flood.
TEST(H2ServerSession, WindowUpdatesForResponseDataAreNotAFlood) {
  Recorder owner;
  H2ServerSession server(owner, {.control_frame_burst = 20, .control_frames_per_second = 1});
  Nghttp2Client client(16384, true);
  const int32_t id = client.request(get("/download"));
  pump(client, server);
  const std::string body(1 << 20, 'd');
  server.respond(id, 200, {}, false);
  server.send_body(id, body, true);
  bool ok = true;
  pump(client, server, &ok);
  size_t read = 0;
  for (int round = 0; round < 1000 && !client.responses[id].closed; ++round) {
    const size_t arrived = client.responses[id].body.size();
    ASSERT_GT(arrived, read) << round;
    nghttp2_session_consume(client.session, id, arrived - read);  // a WINDOW_UPDATE per 8 KiB
    read = arrived;
    pump(client, server, &ok);
  }
  EXPECT_TRUE(ok);
  EXPECT_FALSE(client.goaway);
  EXPECT_EQ(client.responses[id].body.size(), body.size());
}

// After max_streams requests a graceful GOAWAY names the last one; each still gets its answer.
TEST(H2ServerSession, AConnectionServesAtMostMaxStreamsThenAsksForANewOne) {
  Recorder owner;
  H2ServerSession server(owner, {.max_streams = 3});
  Nghttp2Client client;
  std::vector<int32_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(client.request(get("/" + std::to_string(i))));
  pump(client, server);
  EXPECT_TRUE(client.goaway);
  EXPECT_EQ(client.goaway_error, 0u);
  EXPECT_EQ(client.goaway_last_stream, ids.back());
  for (int32_t id : ids) {
    ASSERT_EQ(owner.heads.count(id), 1u) << id;
    server.respond(id, 200, {}, true);
  }
  pump(client, server);
  for (int32_t id : ids) EXPECT_EQ(client.responses[id].status, "200") << id;
  EXPECT_TRUE(server.finished());
}

}  // namespace h2_server_session_test
}  // namespace fulcrum::http
