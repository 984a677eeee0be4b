#include "tls/server_context.hpp"

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>

#include "test_certificates.hpp"
#include "tls/certificate_names.hpp"

namespace fulcrum::tls {
namespace server_context_test {

using testing::KeyKind;
using testing::make_certificate;

class ServerContextTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }
  void TearDown() override { testing::remove_dir(dir_); }
  config::Certificate pair(const testing::TestCertificate& c) { return {c.cert_path, c.key_path}; }
  std::string dir_;
};

std::string common_name_of(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) return "";
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof buffer);
  return buffer;
}

std::vector<int> key_types_of(SSL_CTX* ctx) {
  std::vector<int> types;
  for (long more = SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_FIRST); more == 1;
       more = SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_NEXT)) {
    types.push_back(EVP_PKEY_get_base_id(X509_get0_pubkey(SSL_CTX_get0_certificate(ctx))));
  }
  return types;
}

TEST_F(ServerContextTest, NamesComeFromSubjectAltNamesElseTheCommonName) {
  auto with_san = make_certificate(dir_, "a", "ignored.test", {"WWW.Example.Test", "*.api.test"});
  auto cn_only = make_certificate(dir_, "b", "Only-CN.test", {});
  auto read = [](const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "r");
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    auto names = certificate_names(x);
    X509_free(x);
    return names;
  };
  EXPECT_EQ(read(with_san.cert_path), (std::vector<std::string>{"www.example.test", "*.api.test"}));
  EXPECT_EQ(read(cn_only.cert_path), (std::vector<std::string>{"only-cn.test"}));
  EXPECT_EQ(wildcard_suffix("*.api.test"), "api.test");
  EXPECT_EQ(wildcard_suffix("www.api.test"), "");
}

TEST_F(ServerContextTest, SniPicksExactThenWildcardElseTheFirstCertificate) {
  config::ListenerTls tls;
  tls.certificates = {pair(make_certificate(dir_, "default", "default", {})),
                      pair(make_certificate(dir_, "www", "www", {"www.example.test"})),
                      pair(make_certificate(dir_, "wild", "wild", {"*.example.test"}, KeyKind::rsa)),
                      pair(make_certificate(dir_, "again", "again", {"www.example.test"}))};
  std::string error;
  auto context = ServerContext::build(tls, nullptr, error);
  ASSERT_TRUE(context) << error;
  EXPECT_EQ(context->certificate_count(), 4u);  // "again": a later ECDSA certificate for a name already served
  EXPECT_EQ(common_name_of(context->select("www.example.test")), "www");
  EXPECT_EQ(common_name_of(context->select("WWW.EXAMPLE.TEST.")), "www");  // case and a trailing dot
  EXPECT_EQ(common_name_of(context->select("api.example.test")), "wild");
  EXPECT_EQ(common_name_of(context->select("a.b.example.test")), "default");  // a wildcard is one label
  EXPECT_EQ(common_name_of(context->select("example.test")), "default");
  EXPECT_EQ(common_name_of(context->select("other.test")), "default");
  EXPECT_EQ(common_name_of(context->select("")), "default");
  EXPECT_EQ(context->select(std::string(300, 'a')), context->select("other.test"));
}

TEST_F(ServerContextTest, RsaAndEcdsaForTheSameNamesShareOneContext) {
  config::ListenerTls tls;
  tls.certificates = {pair(make_certificate(dir_, "ec", "ec", {"both.test"}, KeyKind::ecdsa)),
                      pair(make_certificate(dir_, "rsa", "rsa", {"both.test"}, KeyKind::rsa))};
  std::string error;
  auto context = ServerContext::build(tls, nullptr, error);
  ASSERT_TRUE(context) << error;
  auto types = key_types_of(context->select("both.test"));
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<int>{EVP_PKEY_RSA, EVP_PKEY_EC}));
}

TEST_F(ServerContextTest, UnreadableOrMismatchedFilesAreClearErrors) {
  auto a = make_certificate(dir_, "a", "a", {"a.test"});
  auto b = make_certificate(dir_, "b", "b", {"b.test"});
  std::string error;
  config::ListenerTls tls;
  tls.certificates = {{a.cert_path, b.key_path}};
  EXPECT_FALSE(ServerContext::build(tls, nullptr, error));
  EXPECT_EQ(error, "key " + b.key_path + " does not belong to certificate " + a.cert_path);
  tls.certificates = {{dir_ + "/missing.pem", a.key_path}};
  EXPECT_FALSE(ServerContext::build(tls, nullptr, error));
  EXPECT_NE(error.find("certificate " + dir_ + "/missing.pem: cannot open"), std::string::npos) << error;
  tls.certificates = {{a.key_path, a.key_path}};  // a key where the certificate should be
  EXPECT_FALSE(ServerContext::build(tls, nullptr, error));
  EXPECT_NE(error.find("no PEM certificate"), std::string::npos) << error;
}

TEST_F(ServerContextTest, AlpnOffersWhatTheListenerListsInItsOrder) {
  config::ListenerTls tls;
  tls.certificates = {pair(make_certificate(dir_, "a", "a", {"a.test"}))};
  tls.alpn = {"h2", "http/1.1"};
  std::string error;
  auto context = ServerContext::build(tls, nullptr, error);
  ASSERT_TRUE(context) << error;
  const std::vector<unsigned char> expected{2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  EXPECT_EQ(context->alpn_wire(), expected);
}

}  // namespace server_context_test
}  // namespace fulcrum::tls
