#include "acme/challenge_sink.hpp"

namespace fulcrum::acme {

std::string_view challenge_type_name(ChallengeType type) {
  switch (type) {
    case ChallengeType::http_01:
      return "http-01";
    case ChallengeType::tls_alpn_01:
      return "tls-alpn-01";
  }
  return "";
}

std::optional<ChallengeType> parse_challenge_type(std::string_view name) {
  for (const ChallengeType type : {ChallengeType::http_01, ChallengeType::tls_alpn_01}) {
    if (challenge_type_name(type) == name) return type;
  }
  return std::nullopt;
}

}  // namespace fulcrum::acme
