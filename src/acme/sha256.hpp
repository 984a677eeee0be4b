#pragma once
// SHA-256, the one digest ACME asks of a client: JWK thumbprints (RFC 7638), DNS-01 TXT values
// and the TLS-ALPN-01 acmeIdentifier (RFC 8555 § 8.4, RFC 8737 § 3).
#include <array>
#include <cstdint>
#include <string_view>

namespace fulcrum::acme {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(std::string_view data);

}  // namespace fulcrum::acme
