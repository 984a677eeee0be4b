// Nanoseconds per HTTP/1.1 head: the request parser (alone and with the desync classifier),
// the response parser, and chunked-body throughput. Heads are what curl, a browser and a typical
// API client send; the numbers to watch are ns/head for the browser request (the hot path of
// every keep-alive request) and that nothing here allocates.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "http/h1/chunked_decoder.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http/h1/request_parser.hpp"
#include "http/h1/response_parser.hpp"

namespace {

using namespace fulcrum::http;

const std::string kCurl =
    "GET /api/v1/items?id=42 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

const std::string kBrowser =
    "GET /static/app.js?v=20240101 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://www.example.com/index.html\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f1e2d3c4b5a69788796a5b4c3d2e1f0; theme=dark; consent=yes\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: script\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "If-None-Match: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"\r\n"
    "\r\n";

const std::string kPost =
    "POST /api/v1/orders HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\n"
    "Content-Length: 512\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc\r\nX-Request-Id: 1234\r\n\r\n";

const std::string kResponse =
    "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nServer: nginx\r\nContent-Type: text/html\r\n"
    "Content-Length: 1234\r\nLast-Modified: Sun, 31 Dec 2023 00:00:00 GMT\r\nConnection: keep-alive\r\n"
    "ETag: \"65909a80-4d2\"\r\nCache-Control: max-age=3600\r\nAccept-Ranges: bytes\r\n\r\n";

void parse_request(benchmark::State& state, const std::string& bytes) {
  std::array<Header, 100> storage{};
  RequestParser parser;
  for (auto _ : state) {
    RequestHead head(storage);
    const ParseResult r = parser.parse(bytes, head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(state.iterations());
}

void parse_and_classify(benchmark::State& state, const std::string& bytes) {
  std::array<Header, 100> storage{};
  RequestParser parser;
  for (auto _ : state) {
    RequestHead head(storage);
    const ParseResult r = parser.parse(bytes, head);
    const Classification c = classify_request(head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(desync_action(c, DesyncMode::defensive));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(state.iterations());
}

void BM_RequestCurl(benchmark::State& s) { parse_request(s, kCurl); }
void BM_RequestBrowser(benchmark::State& s) { parse_request(s, kBrowser); }
void BM_RequestPost(benchmark::State& s) { parse_request(s, kPost); }
void BM_RequestBrowserClassified(benchmark::State& s) { parse_and_classify(s, kBrowser); }
void BM_RequestPostClassified(benchmark::State& s) { parse_and_classify(s, kPost); }

void BM_Response(benchmark::State& state) {
  std::array<Header, 100> storage{};
  ResponseParser parser;
  for (auto _ : state) {
    ResponseHead head(storage);
    benchmark::DoNotOptimize(parser.parse(kResponse, head, Method::get));
    benchmark::DoNotOptimize(head);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kResponse.size()));
  state.SetItemsProcessed(state.iterations());
}

// A head arriving in 64-byte pieces (a slow client): each call only searches the new bytes.
void BM_RequestBrowserTrickled(benchmark::State& state) {
  std::array<Header, 100> storage{};
  for (auto _ : state) {
    RequestParser parser;
    RequestHead head(storage);
    ParseResult r;
    for (size_t n = 64;; n += 64) {
      r = parser.parse(std::string_view(kBrowser).substr(0, std::min(n, kBrowser.size())), head);
      if (!r.need_more()) break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBrowser.size()));
}

// Chunked body throughput, forwarding as is: 1 MiB in chunks of state.range(0) bytes.
void BM_ChunkedBody(benchmark::State& state) {
  const size_t chunk = static_cast<size_t>(state.range(0));
  std::string body;
  char size_line[32];
  while (body.size() < (1u << 20)) {
    const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk);
    body.append(size_line, static_cast<size_t>(n));
    body.append(chunk, 'x');
    body += "\r\n";
  }
  body += "0\r\n\r\n";
  for (auto _ : state) {
    ChunkedDecoder d;
    benchmark::DoNotOptimize(d.feed(body));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

BENCHMARK(BM_RequestCurl);
BENCHMARK(BM_RequestBrowser);
BENCHMARK(BM_RequestPost);
BENCHMARK(BM_RequestBrowserClassified);
BENCHMARK(BM_RequestPostClassified);
BENCHMARK(BM_RequestBrowserTrickled);
BENCHMARK(BM_Response);
BENCHMARK(BM_ChunkedBody)->Arg(16)->Arg(1024)->Arg(16384);

}  // namespace

BENCHMARK_MAIN();
