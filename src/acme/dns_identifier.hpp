#pragma once
// The host names this room puts into CSRs and challenge certificates (ACME "dns" identifiers,
// RFC 8555 § 9.7.7). Checked here because a name goes into DER as an IA5String as given: a
// space, a comma or a non-ASCII byte would make a request the CA refuses with an error far
// from its cause. Internationalized names must already be A-labels ("xn--...").
#include <string>
#include <string_view>

namespace fulcrum::acme {

// True when `name` is a host name: dot-separated labels of 1-63 letters, digits and hyphens,
// no hyphen at either end of a label, 253 characters at most, no trailing dot, a last label
// that is not all digits (so an IPv4 address is never taken for a DNS name). With
// `allow_wildcard`, the first label may be "*" (DNS-01 can validate "*.example.com";
// TLS-ALPN-01 cannot, RFC 8737 § 3). Otherwise false with `error` saying why.
bool check_dns_identifier(std::string_view name, bool allow_wildcard, std::string& error);

}  // namespace fulcrum::acme
