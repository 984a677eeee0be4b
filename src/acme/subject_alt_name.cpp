#include "acme/subject_alt_name.hpp"

#include <openssl/x509v3.h>

#include "acme/openssl_error.hpp"

namespace fulcrum::acme {
namespace subject_alt_name_detail {

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
struct GeneralNameFree {
  void operator()(GENERAL_NAME* name) const { GENERAL_NAME_free(name); }
};

}  // namespace subject_alt_name_detail

X509ExtensionPtr dns_subject_alt_name(const std::vector<std::string>& names, bool critical) {
  using namespace subject_alt_name_detail;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> general_names(GENERAL_NAMES_new());
  if (!general_names) throw_openssl_error("cannot build a subjectAltName");
  for (const std::string& name : names) {
    std::unique_ptr<GENERAL_NAME, GeneralNameFree> entry(GENERAL_NAME_new());
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (!entry || text == nullptr || ASN1_STRING_set(text, name.data(), static_cast<int>(name.size())) != 1) {
      ASN1_IA5STRING_free(text);
      throw_openssl_error("cannot build a subjectAltName");
    }
    GENERAL_NAME_set0_value(entry.get(), GEN_DNS, text);  // the entry owns the string now
    if (sk_GENERAL_NAME_push(general_names.get(), entry.get()) == 0) throw_openssl_error("cannot build a subjectAltName");
    entry.release();  // the stack owns the entry now
  }
  X509ExtensionPtr extension(X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0, general_names.get()));
  if (!extension) throw_openssl_error("cannot encode a subjectAltName");
  return extension;
}

}  // namespace fulcrum::acme
