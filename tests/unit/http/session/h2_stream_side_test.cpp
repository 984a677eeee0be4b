// H2StreamSide on its own: a connection without coroutines (the test feeds its engine raw
// frames and reads the server's frames back) and the side driven as the exchange drives it:
// read_some for the request body, write for the response in HTTP/1.1 form, the end of the
// exchange. Flow control both ways: the client's window opens as the body is read, a write
// waits while the client's window leaves more than kHighWater of the response queued.
#include "http/session/h2_stream_side.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "h2_connection_fakes.hpp"

namespace fulcrum::http::testing {
namespace h2_stream_side_test {

// A connection whose streams nobody serves: the test plays the exchange on their sides.
class BareConnection final : public H2Connection {
 public:
  BareConnection(HttpWorker& worker, ByteStream& stream) : H2Connection(worker, false, H2Client{}) { attach(stream); }
  std::map<int32_t, H2StreamSide*> sides;
  // What a stream's coroutine does when its exchange returns.
  void end_exchange(H2StreamSide& side) {
    ++running_;
    stream_ended(side);
  }

 private:
  void on_request(int32_t id, const H2Request& request) override { sides[id] = open_stream(id, request); }
};

// What a read or write of the side gave, once it completed.
struct Done {
  bool done = false;
  asio::error_code ec;
  std::string bytes;
};

class SideRig {
 public:
  SideRig() : rig_(forward_config({"127.0.0.1:1"})), stream_(rig_.loop()), c_(rig_.http(), stream_) {
    rig_.http().active_sessions.fetch_add(1);
    client(client_preface());
  }

  // Client bytes into the engine; what the server answers is read back into `frames`.
  void client(std::string_view bytes) {
    EXPECT_TRUE(c_.engine().receive(bytes));
    flush();
  }
  void flush() { frames.feed(wire::drain(c_.engine())); }

  H2StreamSide& open(int32_t id, const wire::Fields& fields, bool end_stream) {
    client(wire::headers(id, encoder_.encode(fields), end_stream));
    EXPECT_NE(c_.sides[id], nullptr);
    return *c_.sides[id];
  }

  std::shared_ptr<Done> read(H2StreamSide& side, size_t size) {
    auto result = std::make_shared<Done>();
    asio::co_spawn(
        loop(),
        [&side, result, size]() -> asio::awaitable<void> {
          std::string buffer(size, '\0');
          auto [ec, n] = co_await side.read_some(buffer.data(), size);
          result->ec = ec;
          result->bytes = buffer.substr(0, n);
          result->done = true;
        },
        asio::detached);
    settle();
    return result;
  }
  std::shared_ptr<Done> write(H2StreamSide& side, std::string a, std::string b = {}) {
    auto result = std::make_shared<Done>();
    asio::co_spawn(
        loop(),
        [&side, result, a = std::move(a), b = std::move(b)]() -> asio::awaitable<void> {
          result->ec = co_await side.write(a, b);
          result->done = true;
        },
        asio::detached);
    settle();
    return result;
  }
  // Every body byte the exchange can read, `size` bytes a read at most, until EOF.
  std::string read_to_end(H2StreamSide& side, size_t size) {
    std::string all;
    for (int reads = 0; reads < 100000; ++reads) {
      auto r = read(side, size);
      if (!r->done) {
        ADD_FAILURE() << "a read of " << size << " bytes waits after " << all.size() << " bytes: "
                      << std::string_view(all).substr(0, 80);
        side.cancel();
        settle();
        return all;
      }
      if (r->ec == asio::error::eof) return all;
      if (r->ec) {
        ADD_FAILURE() << r->ec.message();
        return all;
      }
      all += r->bytes;
    }
    ADD_FAILURE() << "no end";
    return all;
  }

  void settle() {
    for (;;) {
      if (loop().stopped()) loop().restart();
      if (loop().poll() == 0) return;
    }
  }
  asio::io_context& loop() { return rig_.loop(); }
  BareConnection& connection() { return c_; }

  // Frames the server sent of `type` on `stream`.
  size_t count(uint8_t type, int32_t stream) const {
    size_t n = 0;
    for (const wire::Frame& f : frames.frames) n += f.type == type && f.stream == stream;
    return n;
  }
  std::string body(int32_t stream) const {
    std::string out;
    for (const wire::Frame& f : frames.frames) {
      if (f.type == NGHTTP2_DATA && f.stream == stream) out += f.payload;
    }
    return out;
  }
  bool ended_stream(int32_t stream) const {
    for (const wire::Frame& f : frames.frames) {
      if (f.stream == stream && (f.type == NGHTTP2_DATA || f.type == NGHTTP2_HEADERS) &&
          (f.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        return true;
      }
    }
    return false;
  }

  wire::Reader frames;

 private:
  Rig rig_;
  FakeStream stream_;
  BareConnection c_;
  wire::Encoder encoder_;
};

TEST(H2StreamSide, TheInputStartsWithTheRequestsHttp11Head) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_post("/up", {{"x-a", "1"}}), false);
  EXPECT_EQ(side.input().view(), "POST /up HTTP/1.1\r\nhost: example.com\r\nx-a: 1\r\ntransfer-encoding: chunked\r\n\r\n");
}

TEST(H2StreamSide, ABodyWithoutALengthIsReadAsChunksAsItArrives) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_post("/up"), false);
  auto first = s.read(side, 1024);
  EXPECT_FALSE(first->done) << "no body yet: the read waits";
  s.client(wire::data(1, "hello", false));
  s.settle();
  ASSERT_TRUE(first->done);
  EXPECT_EQ(first->bytes, "5\r\nhello\r\n");
  s.client(wire::data(1, "", true));
  EXPECT_EQ(s.read(side, 1024)->bytes, "0\r\n\r\n");
  auto end = s.read(side, 1024);
  ASSERT_TRUE(end->done);
  EXPECT_EQ(end->ec, asio::error::eof);
}

TEST(H2StreamSide, AReadWithLittleRoomStillGetsTheWholeChunkedBody) {
  // The exchange reads into what is left of its buffer, which may be a few bytes (the WAF's
  // body inspection fills the buffer before it grows it). A chunk's framing fits no such read
  // whole: it is given over several.
  for (size_t room : {1, 3, 5, 8, 20, 21, 64}) {
    SCOPED_TRACE(room);
    SideRig s;
    H2StreamSide& side = s.open(1, h2c_post("/up"), false);
    s.client(wire::data(1, "hello, world", true));
    EXPECT_EQ(dechunk(s.read_to_end(side, room)), "hello, world");
  }
}

TEST(H2StreamSide, TheClientsWindowOpensOnlyAsTheExchangeReadsTheBody) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_post("/up"), false);
  // More than half the stream's window (256 KiB): read, it would be given back.
  constexpr size_t kFrames = 9;
  for (size_t i = 0; i < kFrames; ++i) s.client(wire::data(1, std::string(16384, 'z'), false));
  s.settle();
  EXPECT_EQ(s.count(NGHTTP2_WINDOW_UPDATE, 1), 0u) << "nothing read, nothing given back";

  size_t payload = 0;  // the 'z's read (the rest is chunk framing)
  while (payload < kFrames * 16384) {
    auto r = s.read(side, 64 * 1024);
    ASSERT_TRUE(r->done);
    ASSERT_FALSE(r->ec);
    payload += static_cast<size_t>(std::count(r->bytes.begin(), r->bytes.end(), 'z'));
  }
  s.flush();
  EXPECT_GE(s.count(NGHTTP2_WINDOW_UPDATE, 1), 1u);
}

TEST(H2StreamSide, AResponseInHttp11FormLeavesAsHeadersAndData) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_get("/"), true);
  auto w = s.write(side, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Trace: t1\r\n\r\n",
                   "5\r\nhello\r\n0\r\n\r\n");
  ASSERT_TRUE(w->done);
  EXPECT_FALSE(w->ec);
  s.flush();
  EXPECT_EQ(s.frames.status(1), "200");
  const wire::Fields& head = s.frames.heads[1];
  EXPECT_NE(std::find(head.begin(), head.end(), std::pair<std::string, std::string>{"x-trace", "t1"}), head.end());
  for (const auto& [name, value] : head) EXPECT_NE(name, "transfer-encoding");
  EXPECT_EQ(s.body(1), "hello");
  EXPECT_TRUE(s.ended_stream(1));
}

TEST(H2StreamSide, AWriteWaitsWhileMoreThanHighWaterWaitsForTheClientsWindow) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_get("/"), true);
  constexpr size_t kBody = 200 * 1024;
  auto w = s.write(side, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n",
                   std::string(kBody, 'r'));
  EXPECT_FALSE(w->done) << "the client's window (64 KiB) leaves more than kHighWater queued";
  s.flush();  // what the window takes leaves
  side.window_moved();
  s.settle();
  EXPECT_EQ(s.body(1).size(), 65535u);
  EXPECT_FALSE(w->done) << "still more than kHighWater queued";

  s.client(wire::window_update(0, 1 << 20) + wire::window_update(1, 1 << 20));
  side.window_moved();
  s.settle();
  ASSERT_TRUE(w->done);
  EXPECT_FALSE(w->ec);
  s.flush();
  EXPECT_EQ(s.body(1).size(), kBody);
  EXPECT_TRUE(s.ended_stream(1));
}

TEST(H2StreamSide, AResponseTheExchangeLeavesUnfinishedResetsTheStream) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_get("/"), true);
  ASSERT_FALSE(s.write(side, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "abc")->ec);
  s.flush();  // the writer ran (else the reset would overtake the DATA, which is fine too)
  s.connection().end_exchange(side);
  s.flush();
  EXPECT_EQ(s.body(1), "abc");
  EXPECT_EQ(s.frames.rst(1), kInternalError);
  EXPECT_FALSE(s.ended_stream(1));
}

TEST(H2StreamSide, ABodyDelimitedByTheTargetsCloseEndsWithTheExchangesShutdown) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_get("/"), true);
  ASSERT_FALSE(s.write(side, "HTTP/1.1 200 OK\r\n\r\n", "until close")->ec);
  s.flush();
  EXPECT_FALSE(s.ended_stream(1));
  side.shutdown_send();
  s.connection().end_exchange(side);
  s.flush();
  EXPECT_EQ(s.body(1), "until close");
  EXPECT_TRUE(s.ended_stream(1));
  EXPECT_FALSE(s.frames.rst(1).has_value());
}

TEST(H2StreamSide, AClientResetFailsAWaitingRead) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_post("/up"), false);
  auto r = s.read(side, 1024);
  ASSERT_FALSE(r->done);
  s.client(wire::frame(NGHTTP2_RST_STREAM, 0, 1, wire::u32(0x8)));  // CANCEL
  s.settle();
  ASSERT_TRUE(r->done);
  EXPECT_EQ(r->ec, asio::error::connection_reset);
  EXPECT_FALSE(side.open_on_wire());
  s.connection().end_exchange(side);
}

TEST(H2StreamSide, CancelAbortsAWaitingReadAndTheBodyCanStillBeRead) {
  SideRig s;
  H2StreamSide& side = s.open(1, h2c_post("/up"), false);
  auto r = s.read(side, 1024);
  ASSERT_FALSE(r->done);
  side.cancel();  // a Deadline's doing
  s.settle();
  ASSERT_TRUE(r->done);
  EXPECT_EQ(r->ec, asio::error::operation_aborted);
  s.client(wire::data(1, "late", false));
  EXPECT_EQ(s.read(side, 1024)->bytes, "4\r\nlate\r\n");
}

}  // namespace h2_stream_side_test
}  // namespace fulcrum::http::testing
