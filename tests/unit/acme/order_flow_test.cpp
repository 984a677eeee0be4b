#include "acme/order_flow.hpp"

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "acme/base64url.hpp"
#include "acme/pem.hpp"
#include "fake_ca.hpp"
#include "test_support.hpp"

namespace fulcrum::acme::order_flow_test {

using namespace std::chrono_literals;
using fake_ca::FakeCa;

// One CA, clock and sink per test, and a fresh account key (EC keys are cheap).
class OrderFlowTest : public ::testing::Test {
 protected:
  OrderRequest request_for(std::vector<std::string> names) {
    OrderRequest request;
    request.directory_url = FakeCa::directory_url();
    request.contact_email = "ops@example.com";
    request.names = std::move(names);
    return request;
  }

  // Starts the flow and lets simulated time run until nothing is left to do.
  void run(OrderRequest request) {
    start(std::move(request));
    clock.run_until_idle();
  }

  void start(OrderRequest request) {
    flow = OrderFlow::start(std::move(request), key, sink, ca, clock, [this](OrderResult outcome) {
      ++calls;
      result = std::move(outcome);
    });
  }

  // The Result of a successful order, checked as a server loading it would.
  void expect_usable_certificate() {
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->ok()) << result->error;
    EXPECT_EQ(calls, 1);
    BioPtr bio(BIO_new_mem_buf(result->certificate_chain_pem.data(), static_cast<int>(result->certificate_chain_pem.size())));
    X509Ptr leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    X509Ptr issuer(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    ASSERT_TRUE(leaf && issuer);  // leaf and chain
    std::string error;
    const EvpPkeyPtr certificate_key = read_private_key_pem(result->certificate_key_pem, error);
    ASSERT_TRUE(certificate_key) << error;
    EXPECT_EQ(X509_check_private_key(leaf.get(), certificate_key.get()), 1);
    ASSERT_TRUE(result->not_after);
    EXPECT_EQ(*result->not_after, ca.last_not_after);
    EXPECT_EQ(*result->not_after, std::chrono::sys_seconds(std::chrono::seconds(fake_ca::test_epoch_ms() / 1000)) +
                                      std::chrono::days(90) + delta_of_issue);
    ERR_clear_error();
  }

  // Consecutive differences of `times`, from the `from`-th.
  static std::vector<int64_t> gaps(const std::vector<int64_t>& times, size_t from = 0) {
    std::vector<int64_t> result;
    for (size_t i = from + 1; i < times.size(); ++i) result.push_back(times[i] - times[i - 1]);
    return result;
  }

  fake_ca::FakeScheduler clock;
  fake_ca::RecordingSink sink;
  FakeCa ca{clock, sink};
  std::shared_ptr<const AccountKey> key = std::make_shared<const AccountKey>(AccountKey::generate(KeyType::ecdsa_p256));
  std::shared_ptr<OrderFlow> flow;
  std::optional<OrderResult> result;
  int calls = 0;
  std::chrono::seconds delta_of_issue{0};  // when the certificate is issued, from the test epoch
};

TEST_F(OrderFlowTest, IssuesACertificateForOneName) {
  run(request_for({"www.example.com"}));
  expect_usable_certificate();
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
  // One HEAD for the first nonce; every later nonce comes with the previous answer.
  EXPECT_EQ(ca.trace(), (std::vector<std::string>{"GET /directory", "HEAD /new-nonce", "POST /new-account",
                                                  "POST /new-order", "POST /authz/1", "POST /chall/1/http-01",
                                                  "POST /authz/1", "POST /finalize/1", "POST /cert/1"}));
  EXPECT_EQ(result->account_url, FakeCa::url("/acct/1"));
  const fake_ca::SeenRequest& account = ca.requests[2];
  EXPECT_TRUE(account.header.contains("jwk"));
  EXPECT_EQ(account.payload->at("contact"), nlohmann::json::array({"mailto:ops@example.com"}));
  EXPECT_EQ(account.payload->at("termsOfServiceAgreed"), true);
  EXPECT_FALSE(account.payload->contains("externalAccountBinding"));
  for (size_t i = 3; i < ca.requests.size(); ++i) EXPECT_EQ(ca.requests[i].header.value("kid", ""), result->account_url);
  EXPECT_EQ(ca.issued_names, std::vector<std::string>{"DNS:www.example.com"});
  // Published before the CA looked (the fake checks), withdrawn at the end.
  EXPECT_EQ(sink.events, (std::vector<std::string>{"publish http-01 tok-1-http-01", "withdraw http-01 tok-1-http-01"}));
  EXPECT_TRUE(sink.http01.empty());
  EXPECT_EQ(clock.pending(), 0u);
}

TEST_F(OrderFlowTest, PollsWaitAsLongAsRetryAfterSays) {
  ca.default_script.pending_polls = 3;
  ca.default_script.retry_after = "7";
  ca.processing_polls = 2;
  ca.order_retry_after = "5";
  run(request_for({"www.example.com"}));
  delta_of_issue = 21s;  // issued at finalize, after three 7 s waits
  expect_usable_certificate();
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
  // The first read of the authorization, then a poll right after the challenge and 3 more.
  const std::vector<int64_t> polls = ca.times("POST", FakeCa::url("/authz/1"));
  ASSERT_EQ(polls.size(), 5u);
  EXPECT_EQ(gaps(polls, 1), (std::vector<int64_t>{7000, 7000, 7000}));
  // finalize answers "processing" with Retry-After 5, then two polls say it again.
  const int64_t finalized = ca.times("POST", FakeCa::url("/finalize/1")).at(0);
  std::vector<int64_t> order_polls = ca.times("POST", FakeCa::url("/order/1"));
  order_polls.insert(order_polls.begin(), finalized);
  EXPECT_EQ(gaps(order_polls), (std::vector<int64_t>{5000, 5000, 5000}));
}

TEST_F(OrderFlowTest, PollsBackOffExponentiallyWithoutRetryAfter) {
  ca.default_script.pending_polls = 8;
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result && result->ok()) << (result ? result->error : "no result");
  const std::vector<int64_t> polls = ca.times("POST", FakeCa::url("/authz/1"));
  EXPECT_EQ(gaps(polls, 1), (std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000}));
}

TEST_F(OrderFlowTest, RetryAfterMayBeAnHttpDate) {
  ca.default_script.pending_polls = 2;
  ca.default_script.retry_after = "Tue, 08 Dec 2026 00:00:20 GMT";  // the test epoch + 20 s
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result && result->ok()) << (result ? result->error : "no result");
  const std::vector<int64_t> polls = ca.times("POST", FakeCa::url("/authz/1"));
  // Until the date; then the date is past, and the wait is the 1 s floor.
  EXPECT_EQ(polls.at(1), fake_ca::test_epoch_ms());
  EXPECT_EQ(gaps(polls, 1), (std::vector<int64_t>{20000, 1000}));
}

TEST_F(OrderFlowTest, ABadNonceIsRetriedWithTheNonceOfTheAnswer) {
  ca.bad_nonces_on_new_order = 1;
  run(request_for({"www.example.com"}));
  expect_usable_certificate();
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
  EXPECT_EQ(ca.count("POST", FakeCa::url("/new-order")), 2u);
  EXPECT_EQ(ca.count("HEAD", FakeCa::url("/new-nonce")), 1u);  // the badNonce answer brought one
}

TEST_F(OrderFlowTest, BadNoncesEndTheOrderAfterThreeRetries) {
  ca.bad_nonces_on_new_order = 100;
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, "new order for www.example.com failed: CA says: JWS has an invalid anti-replay nonce (badNonce)");
  EXPECT_EQ(ca.count("POST", FakeCa::url("/new-order")), 4u);
}

TEST_F(OrderFlowTest, ARateLimitOnNewOrderQuotesTheCa) {
  const std::string detail =
      "too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s, retry after "
      "2026-12-09 00:00:00 UTC: see https://letsencrypt.org/docs/rate-limits/";
  ca.new_order_problem = fake_ca::ScriptedProblem{429, "rateLimited", detail, "1800"};
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(result->error, "new order for www.example.com failed: CA says: " + detail + " (rateLimited)");
  EXPECT_EQ(result->retry_after, std::chrono::milliseconds(1800s));
  EXPECT_EQ(result->account_url, FakeCa::url("/acct/1"));
  EXPECT_EQ(ca.count("POST", FakeCa::url("/new-order")), 1u);  // a 429 is not retried
  EXPECT_TRUE(sink.events.empty());
}

TEST_F(OrderFlowTest, AnInvalidChallengeNamesItsTypeAndTheCasDetail) {
  const std::string detail =
      "96.7.128.198: Invalid response from http://www.example.com/.well-known/acme-challenge/tok-1-http-01: 404";
  ca.default_script.pending_polls = 1;
  ca.default_script.fail_detail = detail;
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, "challenge http-01 for www.example.com failed: CA says: " + detail + " (unauthorized)");
  EXPECT_EQ(sink.events, (std::vector<std::string>{"publish http-01 tok-1-http-01", "withdraw http-01 tok-1-http-01"}));
  EXPECT_EQ(ca.count("POST", FakeCa::url("/finalize/1")), 0u);
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
}

TEST_F(OrderFlowTest, ExternalAccountBindingIsSentAndVerifies) {
  ca.external_account_required = true;
  ca.eab_kid = "kid-from-the-ca";
  ca.eab_key = test_support::bytes_of(base64url_decode("zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W").value());
  OrderRequest request = request_for({"www.example.com"});
  request.external_account_binding = ExternalAccountBinding{ca.eab_kid, ca.eab_key};
  run(std::move(request));
  expect_usable_certificate();
  EXPECT_TRUE(ca.eab_verified);
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
}

TEST_F(OrderFlowTest, AWrongExternalAccountKeyEndsWithTheCasWords) {
  ca.external_account_required = true;
  ca.eab_kid = "kid-from-the-ca";
  ca.eab_key = test_support::bytes_of("the right key");
  OrderRequest request = request_for({"www.example.com"});
  request.external_account_binding = ExternalAccountBinding{"kid-from-the-ca", test_support::bytes_of("a wrong key")};
  run(std::move(request));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error,
            "creating the ACME account failed: CA says: the external account binding does not verify (unauthorized)");
  EXPECT_FALSE(ca.eab_verified);
}

TEST_F(OrderFlowTest, AMissingExternalAccountBindingIsReportedBeforeAsking) {
  ca.external_account_required = true;
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result);
  EXPECT_NE(result->error.find("requires an external account binding"), std::string::npos) << result->error;
  EXPECT_EQ(ca.count("POST", FakeCa::url("/new-account")), 0u);
}

TEST_F(OrderFlowTest, TlsAlpn01IsChosenWhenFirstInOurOrderAndOffered) {
  OrderRequest request = request_for({"www.example.com"});
  request.challenge_types = {ChallengeType::tls_alpn_01, ChallengeType::http_01};
  run(std::move(request));
  expect_usable_certificate();
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();  // the fake checked the acmeIdentifier
  EXPECT_EQ(ca.count("POST", FakeCa::url("/chall/1/tls-alpn-01")), 1u);
  EXPECT_EQ(sink.events,
            (std::vector<std::string>{"publish tls-alpn-01 www.example.com", "withdraw tls-alpn-01 www.example.com"}));
}

TEST_F(OrderFlowTest, TheNextPreferenceIsUsedWhenTheFirstIsNotOffered) {
  ca.default_script.offered = {"dns-01", "http-01"};
  OrderRequest request = request_for({"www.example.com"});
  request.challenge_types = {ChallengeType::tls_alpn_01, ChallengeType::http_01};
  run(std::move(request));
  expect_usable_certificate();
  EXPECT_EQ(ca.count("POST", FakeCa::url("/chall/1/http-01")), 1u);
}

TEST_F(OrderFlowTest, NoChallengeWeCanAnswerEndsTheOrder) {
  ca.default_script.offered = {"dns-01"};
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error,
            "authorization for www.example.com failed: the CA offers dns-01, this server answers http-01, tls-alpn-01");
  EXPECT_TRUE(sink.events.empty());
}

TEST_F(OrderFlowTest, TwoNamesInOneOrder) {
  ca.default_script.pending_polls = 1;
  run(request_for({"example.com", "www.example.com"}));
  delta_of_issue = 2s;
  expect_usable_certificate();
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
  EXPECT_EQ(ca.issued_names, (std::vector<std::string>{"DNS:example.com", "DNS:www.example.com"}));
  // Both answers are published and both challenges POSTed before the first poll.
  EXPECT_EQ(ca.trace(), (std::vector<std::string>{
                            "GET /directory", "HEAD /new-nonce", "POST /new-account", "POST /new-order",
                            "POST /authz/1", "POST /authz/2", "POST /chall/1/http-01", "POST /chall/2/http-01",
                            "POST /authz/1", "POST /authz/1", "POST /authz/2", "POST /authz/2", "POST /finalize/1",
                            "POST /cert/1"}));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"publish http-01 tok-1-http-01", "publish http-01 tok-2-http-01",
                                                   "withdraw http-01 tok-1-http-01", "withdraw http-01 tok-2-http-01"}));
}

TEST_F(OrderFlowTest, AnAuthorizationAlreadyValidIsNotChallenged) {
  ca.scripts["example.com"].already_valid = true;
  run(request_for({"example.com", "www.example.com"}));
  expect_usable_certificate();
  EXPECT_EQ(sink.events, (std::vector<std::string>{"publish http-01 tok-2-http-01", "withdraw http-01 tok-2-http-01"}));
}

TEST_F(OrderFlowTest, AKnownAccountUrlSkipsNewAccount) {
  const std::string account_url = ca.register_account(*key);
  OrderRequest request = request_for({"www.example.com"});
  request.account_url = account_url;
  run(std::move(request));
  expect_usable_certificate();
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
  EXPECT_EQ(ca.count("POST", FakeCa::url("/new-account")), 0u);
  EXPECT_EQ(result->account_url, account_url);
  for (const fake_ca::SeenRequest& seen : ca.requests) {
    if (seen.method == "POST") {
      EXPECT_EQ(seen.header.value("kid", ""), account_url);
    }
  }
}

TEST_F(OrderFlowTest, CancelMidFlowGivesNoCallback) {
  ca.default_script.pending_polls = 5;
  ca.default_script.retry_after = "10";
  start(request_for({"www.example.com"}));
  clock.advance(15s);  // the flow is waiting between polls
  ASSERT_EQ(ca.count("POST", FakeCa::url("/authz/1")), 3u);
  ASSERT_EQ(sink.http01.size(), 1u);
  flow->cancel();
  EXPECT_TRUE(sink.http01.empty());  // withdrawn at once
  const size_t requests_before = ca.requests.size();
  const std::weak_ptr<OrderFlow> watched = flow;
  flow.reset();
  EXPECT_FALSE(watched.expired());  // the pending timer still holds it
  clock.run_until_idle();
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(ca.requests.size(), requests_before);
  EXPECT_TRUE(watched.expired());
  EXPECT_EQ(sink.events, (std::vector<std::string>{"publish http-01 tok-1-http-01", "withdraw http-01 tok-1-http-01"}));
}

TEST_F(OrderFlowTest, ServerErrorsAndTransportFailuresAreRetriedWithBackoff) {
  ca.server_errors[FakeCa::directory_url()] = 2;
  ca.transport_errors[FakeCa::url("/new-order")] = 1;
  run(request_for({"www.example.com"}));
  delta_of_issue = 4s;  // 1 s + 2 s for the directory, 1 s for newOrder
  expect_usable_certificate();
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
  EXPECT_EQ(gaps(ca.times("GET", FakeCa::directory_url())), (std::vector<int64_t>{1000, 2000}));
  EXPECT_EQ(gaps(ca.times("POST", FakeCa::url("/new-order"))), (std::vector<int64_t>{1000}));
}

TEST_F(OrderFlowTest, RepeatedServerErrorsEndTheOrder) {
  ca.server_errors[FakeCa::directory_url()] = 100;
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, "reading the ACME directory " + FakeCa::directory_url() +
                               " failed: CA says: the fake CA is having a bad day (serverInternal)");
  EXPECT_EQ(gaps(ca.times("GET", FakeCa::directory_url())), (std::vector<int64_t>{1000, 2000, 4000}));
}

TEST_F(OrderFlowTest, PollingGivesUpAtTheDeadline) {
  ca.default_script.pending_polls = 1000000;
  run(request_for({"www.example.com"}));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, "challenge http-01 for www.example.com failed: still pending after 10 min of polling");
  const std::vector<int64_t> polls = ca.times("POST", FakeCa::url("/authz/1"));
  EXPECT_EQ(polls.back() - polls.at(1), 600000);  // the last look is at the deadline
  EXPECT_TRUE(sink.http01.empty());
}

TEST_F(OrderFlowTest, RsaAccountAndRsaCertificate) {
  key = std::shared_ptr<const AccountKey>(&test_support::rsa_account_key(), [](const AccountKey*) {});
  OrderRequest request = request_for({"www.example.com"});
  request.certificate_key_type = KeyType::rsa_2048;
  run(std::move(request));
  expect_usable_certificate();
  EXPECT_TRUE(ca.violations.empty()) << ca.violations.front();
  std::string error;
  const EvpPkeyPtr certificate_key = read_private_key_pem(result->certificate_key_pem, error);
  EXPECT_EQ(key_type_of(certificate_key.get()), KeyType::rsa_2048);
}

TEST_F(OrderFlowTest, BadNamesAreRefusedBeforeTheCaIsAsked) {
  run(request_for({"www.example.com", "bad name.example"}));
  ASSERT_TRUE(result);
  EXPECT_NE(result->error.find("bad name.example"), std::string::npos) << result->error;
  EXPECT_TRUE(ca.requests.empty());
}

}  // namespace fulcrum::acme::order_flow_test
