#pragma once
// The host names a certificate serves, read from the certificate itself: its DNS
// subjectAltNames, or its subject CN when it has none (RFC 6125 §6.4.4). Lower case; a wildcard
// keeps its "*." (only a whole first label is a wildcard, as browsers accept).
#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <vector>

namespace fulcrum::tls {

std::vector<std::string> certificate_names(X509* certificate);

// "*.example.com" -> "example.com"; other names -> empty.
std::string_view wildcard_suffix(std::string_view name);

}  // namespace fulcrum::tls
