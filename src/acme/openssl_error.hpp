#pragma once
// OpenSSL reports why a call failed on a per-thread error queue. This room reads it once, at
// the failure, and leaves the queue empty, so a stale entry never shows up in the error of an
// unrelated call later on the same thread (the TLS code shares the thread's queue).
#include <string>
#include <string_view>

namespace fulcrum::acme {

// OpenSSL's reason for the latest error on this thread's queue ("unknown OpenSSL error" when
// the queue is empty), and clears the queue.
std::string openssl_error();

// For failures that only a broken OpenSSL or an exhausted machine can cause (generating a key,
// signing with a valid key): throws std::runtime_error("<what>: <OpenSSL's reason>"). Failures
// that depend on input (a PEM, a name) are returned as errors instead, never thrown.
[[noreturn]] void throw_openssl_error(std::string_view what);

}  // namespace fulcrum::acme
