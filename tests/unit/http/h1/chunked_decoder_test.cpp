#include "http/h1/chunked_decoder.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http/h1/content_length_body.hpp"

namespace fulcrum::http {
namespace chunked_decoder_test {

// Decodes `body` in one call to feed() and returns the result.
ChunkedResult feed_all(std::string_view body, const ChunkedLimits& limits = {}) {
  ChunkedDecoder d(limits);
  return d.feed(body);
}

// Collects the payload with next(), feeding the input in pieces of `step` bytes.
std::string payload_of(std::string_view body, size_t step, BodyStatus* final_status = nullptr) {
  ChunkedDecoder d;
  std::string out;
  size_t pos = 0;
  BodyStatus status = BodyStatus::need_more;
  while (pos < body.size() && status == BodyStatus::need_more) {
    std::string_view piece = body.substr(pos, step);
    while (!piece.empty()) {
      const ChunkedResult r = d.next(piece);
      out.append(r.payload);
      piece.remove_prefix(r.consumed);
      pos += r.consumed;
      status = r.status;
      if (r.status != BodyStatus::need_more) break;
      if (r.consumed == 0) break;
    }
  }
  if (final_status != nullptr) *final_status = status;
  return out;
}

TEST(ChunkedDecoder, FindsTheEndOfTheBodyAndLeavesWhatFollows) {
  const std::string body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  const std::string next_request = "GET / HTTP/1.1\r\n";
  ChunkedDecoder d;
  const ChunkedResult r = d.feed(body + next_request);
  ASSERT_TRUE(r.done());
  EXPECT_EQ(r.consumed, body.size());
  EXPECT_EQ(d.payload_bytes(), 11u);
  EXPECT_TRUE(d.done());
  // Once done, nothing more belongs to the body.
  const ChunkedResult again = d.feed(next_request);
  EXPECT_TRUE(again.done());
  EXPECT_EQ(again.consumed, 0u);
}

TEST(ChunkedDecoder, ExposesThePayloadAcrossEverySplit) {
  const std::string body = "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Checksum: 42\r\n\r\n";
  for (size_t step = 1; step <= body.size(); ++step) {
    BodyStatus status{};
    EXPECT_EQ(payload_of(body, step, &status), "helloabcdefghijklmnopqrstuvwxyz") << step;
    EXPECT_EQ(status, BodyStatus::done) << step;
  }
}

TEST(ChunkedDecoder, SameResultWhenSplitAtEveryOffset) {
  const std::string body =
      "4 ; a = b ; c=\"q\\\"x\" \r\nwiki\r\n000005\r\npedia\r\n0;last\r\nTrailer-A: x\r\nB: \r\n\r\nrest";
  const ChunkedResult whole = feed_all(body);
  ASSERT_TRUE(whole.done()) << to_string(whole.reason);
  for (size_t split = 0; split <= body.size(); ++split) {
    ChunkedDecoder d;
    const ChunkedResult a = d.feed(std::string_view(body).substr(0, split));
    size_t consumed = a.consumed;
    ChunkedResult b = a;
    if (!a.done()) b = d.feed(std::string_view(body).substr(split));
    if (!a.done()) consumed += b.consumed;
    EXPECT_TRUE(b.done()) << split;
    EXPECT_EQ(consumed, whole.consumed) << split;
    EXPECT_EQ(d.payload_bytes(), 9u);
  }
}

TEST(ChunkedDecoder, LargeChunksAreSkippedInBulk) {
  const std::string data(1 << 20, 'z');
  const std::string body = "100000\r\n" + data + "\r\n0\r\n\r\n";
  ChunkedDecoder d;
  const ChunkedResult r = d.feed(body);
  ASSERT_TRUE(r.done());
  EXPECT_EQ(d.payload_bytes(), data.size());
}

TEST(ChunkedDecoder, NeedsMoreWhileTheBodyIsIncomplete) {
  ChunkedDecoder d;
  const ChunkedResult r = d.feed("5\r\nhel");
  EXPECT_EQ(r.status, BodyStatus::need_more);
  EXPECT_EQ(r.consumed, 6u);
  const ChunkedResult s = d.feed("lo\r\n0\r\n");
  EXPECT_EQ(s.status, BodyStatus::need_more);
  const ChunkedResult t = d.feed("\r\n");
  EXPECT_TRUE(t.done());
}

TEST(ChunkedDecoder, AcceptsSixteenHexDigits) {
  ChunkedDecoder d;
  const ChunkedResult r = d.feed("000000000000000F\r\n");
  EXPECT_EQ(r.status, BodyStatus::need_more);
  ChunkedDecoder max;
  EXPECT_EQ(max.feed("FFFFFFFFFFFFFFFF\r\n").status, BodyStatus::need_more);
}

TEST(ChunkedDecoder, RejectsMalformedFraming) {
  const std::pair<std::string, DesyncReason> cases[] = {
      {"g\r\n", DesyncReason::bad_chunk_size},
      {"\r\n", DesyncReason::bad_chunk_size},
      {"-1\r\n", DesyncReason::bad_chunk_size},
      {"+1\r\n", DesyncReason::bad_chunk_size},
      {"0x5\r\nhello\r\n", DesyncReason::bad_chunk_size},
      {"10000000000000000\r\n", DesyncReason::bad_chunk_size},  // 17 digits: overflow
      {"00000000000000005\r\n", DesyncReason::bad_chunk_size},  // 17 digits even if small
      {"5 \r\nhello\r\n", DesyncReason::bad_chunk_size},        // BWS only before ';'
      {" 5\r\nhello\r\n", DesyncReason::bad_chunk_size},
      {"5\nhello\r\n", DesyncReason::bad_chunk_framing},      // bare LF
      {"5\rhello\r\n", DesyncReason::bad_chunk_framing},      // bare CR
      {"5\r\nhelloXX\r\n", DesyncReason::bad_chunk_framing},  // data longer than declared
      {"5\r\nhello\n0\r\n\r\n", DesyncReason::bad_chunk_framing},
      {"0\r\n\n", DesyncReason::bad_trailer},
      {"0\r\n\r\r", DesyncReason::bad_chunk_framing},
      {"5;\r\nhello\r\n", DesyncReason::bad_chunk_extension},
      {"5;=x\r\nhello\r\n", DesyncReason::bad_chunk_extension},
      {"5;a=\r\nhello\r\n", DesyncReason::bad_chunk_extension},
      {"5;a=\"x\r\nhello\r\n", DesyncReason::bad_chunk_extension},
      {"5;a=b c\r\nhello\r\n", DesyncReason::bad_chunk_extension},
      {"5;a\x01\r\nhello\r\n", DesyncReason::bad_chunk_extension},
      {"5;a=\"\x01\"\r\nhello\r\n", DesyncReason::bad_chunk_extension},
      {"0\r\nContent-Length: 5\r\n\r\n", DesyncReason::bad_trailer},
      {"0\r\nTRANSFER-ENCODING: chunked\r\n\r\n", DesyncReason::bad_trailer},
      {"0\r\nHost: evil\r\n\r\n", DesyncReason::bad_trailer},
      {"0\r\nX-A : 1\r\n\r\n", DesyncReason::bad_trailer},
      {"0\r\nX-A: 1\r\n folded\r\n\r\n", DesyncReason::bad_trailer},
      {"0\r\nX-A: \x01\r\n\r\n", DesyncReason::bad_trailer},
      {"0\r\nX-A\r\n\r\n", DesyncReason::bad_trailer},
  };
  for (const auto& [body, reason] : cases) {
    const ChunkedResult r = feed_all(body);
    ASSERT_TRUE(r.error()) << body;
    EXPECT_EQ(r.reason, reason) << body << " got " << to_string(r.reason);
    EXPECT_EQ(r.error_status, 400) << body;
  }
}

TEST(ChunkedDecoder, AllowsTrailersThatAreNotFraming) {
  for (const char* body : {"0\r\nX-Sum: 1\r\n\r\n", "0\r\nContent-Lengths: 1\r\nHosting: x\r\n\r\n",
                           "0\r\nServer-Timing: db;dur=53\r\nX-Empty:\r\n\r\n"}) {
    EXPECT_TRUE(feed_all(body).done()) << body;
  }
}

TEST(ChunkedDecoder, ChunkExtensionLimit) {
  ChunkedLimits limits;
  limits.max_chunk_extension = 16;
  EXPECT_TRUE(feed_all("1;abcdefghijklmn\r\nx\r\n0\r\n\r\n", limits).done());  // 15 bytes
  const ChunkedResult r = feed_all("1;abcdefghijklmnopq\r\nx\r\n0\r\n\r\n", limits);
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.reason, DesyncReason::chunk_extension_too_long);
  EXPECT_EQ(r.error_status, 400);
  // The limit is per chunk line, not per body.
  EXPECT_TRUE(feed_all("1;abcdefghij\r\nx\r\n1;abcdefghij\r\ny\r\n0\r\n\r\n", limits).done());
  // An endless extension is refused as soon as it passes the limit, with no CRLF needed.
  ChunkedDecoder d(limits);
  const ChunkedResult endless = d.feed("1;" + std::string(1000, 'a'));
  EXPECT_TRUE(endless.error());
}

TEST(ChunkedDecoder, TrailerSectionLimitIs431) {
  ChunkedLimits limits;
  limits.max_trailer_bytes = 32;
  EXPECT_TRUE(feed_all("0\r\nX: 12345678901234567890\r\n\r\n", limits).done());
  const ChunkedResult r = feed_all("0\r\nX: 123456789012345678901234567890\r\n\r\n", limits);
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error_status, 431);
}

TEST(ChunkedDecoder, ErrorIsSticky) {
  ChunkedDecoder d;
  EXPECT_TRUE(d.feed("z").error());
  EXPECT_TRUE(d.feed("0\r\n\r\n").error());
  d.reset();
  EXPECT_TRUE(d.feed("0\r\n\r\n").done());
}

TEST(ContentLengthBody, TakesExactlyTheDeclaredBytes) {
  ContentLengthBody body(10);
  EXPECT_EQ(body.feed(4), 4u);
  EXPECT_FALSE(body.done());
  EXPECT_EQ(body.remaining(), 6u);
  EXPECT_EQ(body.feed(100), 6u);  // the rest of the input is the next message
  EXPECT_TRUE(body.done());
  EXPECT_EQ(body.feed(5), 0u);
  ContentLengthBody empty(0);
  EXPECT_TRUE(empty.done());
}

}  // namespace chunked_decoder_test
}  // namespace fulcrum::http
