#pragma once
// Retry-After (RFC 9110 § 10.2.3): how long a CA asks a client to wait before polling an
// authorization or order again (RFC 8555 § 7.5.1, § 7.4) or after a rate limit or an
// overloaded 503. Either delta-seconds ("120") or an HTTP-date.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fulcrum::acme {

// A zero or past Retry-After would make a poll loop spin; one of hours would stall an order
// (and a wrong date must not park it for years): delays are kept between these.
inline constexpr std::chrono::milliseconds kMinRetryAfter{1000};
inline constexpr std::chrono::milliseconds kMaxRetryAfter{3600 * 1000};

// The wait `value` asks for, from `now_unix_ms`, clamped to [kMinRetryAfter, kMaxRetryAfter];
// nullopt when the value is neither delta-seconds nor an HTTP-date (the caller then uses its
// own backoff).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, int64_t now_unix_ms);

// An HTTP-date (RFC 9110 § 5.6.7) as seconds since the Unix epoch: the preferred IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT") and the two obsolete forms recipients must still accept,
// RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT", its two-digit year read as at most 50 years
// ahead of `now_unix_ms`) and asctime ("Sun Nov  6 08:49:37 1994"). nullopt otherwise.
std::optional<int64_t> parse_http_date(std::string_view text, int64_t now_unix_ms);

}  // namespace fulcrum::acme
