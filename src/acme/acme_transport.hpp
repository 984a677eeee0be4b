#pragma once
// What the ACME protocol code needs from the outside world, as two small interfaces: HTTPS
// exchanges with the CA (AcmeTransport) and delayed callbacks with a clock (Scheduler). The
// protocol core (order_flow.hpp) is pure code over these, so tests drive it against an
// in-memory CA with a clock they move by hand, and the server plugs in libcurl and its event
// loop.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace fulcrum::acme {

// One answer from the CA. A transport failure (no connection, TLS error, timeout) is status 0
// with `error` saying what happened; any HTTP answer, 4xx and 5xx included, has its status.
struct AcmeResponse {
  int status = 0;
  std::string body;
  // Header names in lower case (HTTP names are case-insensitive); a repeated header keeps its
  // last value, which is enough for the ones ACME reads (Replay-Nonce, Location, Retry-After,
  // Content-Type).
  std::map<std::string, std::string> headers;
  std::string error;

  // The value of header `lower_case_name`, or "" when it is absent.
  const std::string& header(const std::string& lower_case_name) const {
    static const std::string kNone;
    const auto found = headers.find(lower_case_name);
    return found == headers.end() ? kNone : found->second;
  }
};

// HTTPS to the CA. Each call ends with exactly one call of `done`, on the caller's thread or
// loop, possibly before the call returns (the in-memory CA of the tests answers at once).
class AcmeTransport {
 public:
  virtual ~AcmeTransport() = default;
  virtual void get(const std::string& url, std::function<void(AcmeResponse)> done) = 0;
  virtual void head(const std::string& url, std::function<void(AcmeResponse)> done) = 0;
  // POST with "Content-Type: application/jose+json" (RFC 8555 § 6.2). The answers ACME reads
  // are JSON, and the one other, the certificate, comes as application/pem-certificate-chain,
  // which is the default format of that resource (§ 7.4.2), so one Accept for every request
  // ("application/pem-certificate-chain, application/json") suits them all.
  virtual void post_jose(const std::string& url, std::string body, std::function<void(AcmeResponse)> done) = 0;
};

// Delayed work and the time, so tests control both.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Runs `task` once, `delay` from now, on the same thread or loop as the transport's callbacks.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> task) = 0;
  // Milliseconds since the Unix epoch: wall-clock time, because a Retry-After may be a date.
  virtual int64_t now_ms() = 0;
};

}  // namespace fulcrum::acme
