#include "upstream/traffic_outcomes.hpp"

namespace fulcrum::upstream {

const char* to_string(TrafficFailure failure) {
  switch (failure) {
    case TrafficFailure::connect_refused: return "connect_refused";
    case TrafficFailure::connect_timeout: return "connect_timeout";
    case TrafficFailure::connect_error: return "connect_error";
    case TrafficFailure::reset: return "reset";
    case TrafficFailure::timeout: return "timeout";
    case TrafficFailure::http_5xx: return "http_5xx";
  }
  return "?";
}

const char* describe(TrafficFailure failure) {
  switch (failure) {
    case TrafficFailure::connect_refused: return "connection refused";
    case TrafficFailure::connect_timeout: return "connect timeout";
    case TrafficFailure::connect_error: return "connect error";
    case TrafficFailure::reset: return "connection reset by the target";
    case TrafficFailure::timeout: return "no answer in time";
    case TrafficFailure::http_5xx: return "answered 5xx";
  }
  return "?";
}

}  // namespace fulcrum::upstream
