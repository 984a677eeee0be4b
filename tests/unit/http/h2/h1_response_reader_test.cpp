// H1ResponseReader: the HTTP/1.1 responses the exchange writes, read back for an HTTP/2 stream,
// fed whole and one byte at a time.
#include "http/h2/h1_response_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace fulcrum::http {
namespace h1_response_reader_test {

struct Collected : H1ResponseReader::Sink {
  int heads = 0;
  uint16_t status = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  bool head_end = false;
  std::string body;
  int ends = 0;
  void on_head(uint16_t s, std::span<const H2Field> f, bool end) override {
    ++heads;
    status = s;
    fields.clear();
    for (const H2Field& field : f) fields.emplace_back(field.name, field.value);
    head_end = end;
    ends += end;
  }
  void on_body(std::string_view data, bool end) override {
    body.append(data);
    ends += end;
  }
  std::string field(const std::string& name) const {
    for (const auto& [n, v] : fields) {
      if (n == name) return v;
    }
    return "<none>";
  }
};

// Feeds `bytes` whole, then byte by byte into a second reader: both must agree.
Collected read_all(const std::string& bytes, Method method = Method::get, bool finish = false, bool* ok = nullptr) {
  Collected whole, bytewise;
  H1ResponseReader a(method), b(method);
  bool good = a.feed(bytes, whole);
  for (char c : bytes) good = b.feed(std::string_view(&c, 1), bytewise) && good;
  if (finish) {
    good = a.finish(whole) && good;
    good = b.finish(bytewise) && good;
  }
  EXPECT_EQ(whole.body, bytewise.body);
  EXPECT_EQ(whole.status, bytewise.status);
  EXPECT_EQ(whole.ends, bytewise.ends);
  if (ok != nullptr) *ok = good;
  return whole;
}

TEST(H1ResponseReader, ContentLengthBodyEndsAtItsLength) {
  bool ok = false;
  const Collected c = read_all("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", Method::get, false, &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(c.heads, 1);
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.field("X-A"), "b");
  EXPECT_EQ(c.body, "hello");
  EXPECT_EQ(c.ends, 1);
}

TEST(H1ResponseReader, ChunkedBodyComesOutDechunked) {
  const Collected c = read_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(c.body, "abcde");
  EXPECT_EQ(c.ends, 1);
}

TEST(H1ResponseReader, InterimHeadsAreSkipped) {
  const Collected c = read_all("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(c.heads, 1);
  EXPECT_EQ(c.status, 204);
  EXPECT_TRUE(c.head_end);
}

TEST(H1ResponseReader, AnswerToHeadHasNoBody) {
  const Collected c = read_all("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", Method::head);
  EXPECT_TRUE(c.head_end);
  EXPECT_EQ(c.ends, 1);
}

TEST(H1ResponseReader, BodyUntilCloseEndsWithFinish) {
  bool ok = false;
  const Collected c = read_all("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", Method::get, true, &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(c.body, "all of it");
  EXPECT_EQ(c.ends, 1);
}

TEST(H1ResponseReader, ACutShortBodyIsNotComplete) {
  H1ResponseReader reader(Method::get);
  Collected c;
  EXPECT_TRUE(reader.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", c));
  EXPECT_FALSE(reader.complete());
  EXPECT_FALSE(reader.finish(c));
  EXPECT_EQ(c.ends, 0);
}

TEST(H1ResponseReader, GarbageIsRefused) {
  H1ResponseReader reader(Method::get);
  Collected c;
  EXPECT_FALSE(reader.feed("NOT HTTP AT ALL\r\n\r\n", c));
  EXPECT_EQ(c.heads, 0);
}

TEST(H1ResponseReader, BytesAfterTheResponseAreIgnored) {
  H1ResponseReader reader(Method::get);
  Collected c;
  EXPECT_TRUE(reader.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", c));
  EXPECT_EQ(c.body, "ok");
  EXPECT_TRUE(reader.complete());
}

}  // namespace h1_response_reader_test
}  // namespace fulcrum::http
