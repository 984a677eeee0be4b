#include "tls/certificate_names.hpp"

#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>

namespace fulcrum::tls {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

// Text that could be a DNS name: no NULs or spaces (an embedded NUL is a classic forgery).
bool plausible(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  return std::none_of(name.begin(), name.end(), [](unsigned char c) { return c <= ' ' || c >= 0x7f; });
}

}  // namespace

std::string_view wildcard_suffix(std::string_view name) {
  if (name.size() > 2 && name[0] == '*' && name[1] == '.') return name.substr(2);
  return {};
}

std::vector<std::string> certificate_names(X509* certificate) {
  std::vector<std::string> names;
  auto* general = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (general != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(general); ++i) {
      const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general, i);
      if (entry->type != GEN_DNS) continue;
      const ASN1_IA5STRING* text = entry->d.dNSName;
      std::string_view name(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                            static_cast<size_t>(ASN1_STRING_length(text)));
      if (plausible(name)) names.push_back(lower(name));
    }
    GENERAL_NAMES_free(general);
  }
  if (!names.empty()) return names;
  X509_NAME* subject = X509_get_subject_name(certificate);
  for (int at = -1; (at = X509_NAME_get_index_by_NID(subject, NID_commonName, at)) >= 0;) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length > 0) {
      std::string_view name(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
      if (plausible(name)) names.push_back(lower(name));
    }
    OPENSSL_free(utf8);
  }
  return names;
}

}  // namespace fulcrum::tls
