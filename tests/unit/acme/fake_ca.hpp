#pragma once
// An in-memory ACME CA, a clock the test moves and a challenge sink that records, for the
// order flow's tests. The CA checks what a real one checks, so a test passes only when the
// flow's requests would be accepted: the JWS signature against the JWK (newAccount) or the
// account's key (kid), a nonce it issued and nobody used, the protected "url" equal to the
// request URL, the empty payload of POST-as-GET, the {} of a challenge response, an external
// account binding's HMAC, and that the challenge answer is actually published (HTTP-01 key
// authorization, TLS-ALPN-01 certificate with its acmeIdentifier) when the challenge is
// POSTed. Every breach is recorded in `violations` (and answered with a problem, as a CA
// would). It issues real certificates from the CSR, signed by its own test CA key.
//
// Everything answers synchronously, inside the call: the flow must cope with callbacks that
// run before the request returns.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "acme/account_key.hpp"
#include "acme/acme_transport.hpp"
#include "acme/challenge_sink.hpp"
#include "acme/openssl_ptr.hpp"

namespace fulcrum::acme::fake_ca {

// 2026-12-08 00:00:00 UTC (a Tuesday), where every test's clock starts.
int64_t test_epoch_ms();

// Runs delayed callbacks in time order (ties in the order they were scheduled), moving its
// clock to each one's time, only when the test advances it.
class FakeScheduler : public Scheduler {
 public:
  void after(std::chrono::milliseconds delay, std::function<void()> task) override;
  int64_t now_ms() override { return now_ms_; }

  // Runs every task due within `duration`; the clock then stands at now + duration.
  void advance(std::chrono::milliseconds duration);
  // Runs tasks until none is left (or `limit` of simulated time has passed).
  void run_until_idle(std::chrono::milliseconds limit = std::chrono::hours(3));
  size_t pending() const { return tasks_.size(); }

  std::vector<std::chrono::milliseconds> delays;  // every delay asked for, in order

 private:
  int64_t now_ms_ = test_epoch_ms();
  uint64_t sequence_ = 0;
  std::map<std::pair<int64_t, uint64_t>, std::function<void()>> tasks_;
};

class RecordingSink : public ChallengeSink {
 public:
  void publish_http01(const std::string& token, const std::string& key_authorization) override;
  void withdraw_http01(const std::string& token) override;
  void publish_tls_alpn01(const std::string& name, const std::string& certificate_pem,
                          const std::string& key_pem) override;
  void withdraw_tls_alpn01(const std::string& name) override;

  // "publish http-01 <token>", "withdraw tls-alpn-01 <name>", ... in order.
  std::vector<std::string> events;
  // What is being served now.
  std::map<std::string, std::string> http01;  // token -> key authorization
  struct Served {
    std::string certificate_pem;
    std::string key_pem;
  };
  std::map<std::string, Served> tls_alpn01;  // name -> certificate and key
};

// How the authorization of one name behaves.
struct AuthorizationScript {
  std::vector<std::string> offered{"http-01", "dns-01", "tls-alpn-01"};
  int pending_polls = 0;    // polls answered "pending" after the challenge was POSTed
  std::string retry_after;  // the Retry-After of those answers ("" for none)
  std::string fail_detail;  // when set, validation fails with this detail (type unauthorized)
  bool already_valid = false;  // valid from the start: the account proved control before
};

struct ScriptedProblem {
  int status = 400;
  std::string type;
  std::string detail;
  std::string retry_after;
};

struct SeenRequest {
  std::string method;
  std::string url;
  int64_t at_ms = 0;
  nlohmann::json header;                  // the decoded protected header (POST)
  std::optional<nlohmann::json> payload;  // nullopt: POST-as-GET (or GET/HEAD)
};

class FakeCa : public AcmeTransport {
 public:
  FakeCa(FakeScheduler& clock, RecordingSink& sink);
  ~FakeCa() override;

  static std::string url(std::string_view path) { return "https://ca.test/acme" + std::string(path); }
  static std::string directory_url() { return url("/directory"); }

  // --- the script ---
  bool external_account_required = false;
  std::string eab_kid;
  std::vector<uint8_t> eab_key;
  AuthorizationScript default_script;
  std::map<std::string, AuthorizationScript> scripts;  // by name; default_script otherwise
  int bad_nonces_on_new_order = 0;  // newOrder answers badNonce this many times, nonce valid or not
  std::optional<ScriptedProblem> new_order_problem;
  std::map<std::string, int> server_errors;     // URL -> how many 503s it answers first
  std::map<std::string, int> transport_errors;  // URL -> how many transport failures first
  int processing_polls = 0;  // order polls answered "processing" after finalize
  std::string order_retry_after;

  // An account the CA already has for `key`; its URL.
  std::string register_account(const AccountKey& key);

  // --- what it saw ---
  std::vector<SeenRequest> requests;
  std::vector<std::string> violations;
  bool eab_verified = false;
  std::vector<std::string> issued_names;  // the subjectAltName of the last certificate
  std::chrono::sys_seconds last_not_after{};

  // Requests with this method to exactly this URL; their times.
  size_t count(std::string_view method, const std::string& url) const;
  std::vector<int64_t> times(std::string_view method, const std::string& url) const;
  // "POST /new-order", ... every request in order, with the base URL left off.
  std::vector<std::string> trace() const;

  void get(const std::string& url, std::function<void(AcmeResponse)> done) override;
  void head(const std::string& url, std::function<void(AcmeResponse)> done) override;
  void post_jose(const std::string& url, std::string body, std::function<void(AcmeResponse)> done) override;

 private:
  struct Account {
    nlohmann::json jwk;
    std::string url;
  };
  struct ChallengeState {
    std::string type, token, url;
    std::string status = "pending";
    std::optional<nlohmann::json> error;
  };
  struct AuthorizationState {
    std::string name;
    std::string account;
    std::string status = "pending";
    AuthorizationScript script;
    std::vector<ChallengeState> challenges;
    bool triggered = false;
    std::optional<nlohmann::json> outcome_error;  // what validation found, shown after the polls
    int polls_left = 0;
  };
  struct OrderState {
    std::string account;
    std::vector<std::string> names;
    std::vector<size_t> authorizations;
    bool finalized = false;
    int processing_left = 0;
    std::string certificate_pem;
  };

  std::optional<AcmeResponse> scripted_failure(const std::string& url);
  AcmeResponse handle_post(const std::string& url, const std::string& body, SeenRequest& seen);
  AcmeResponse new_account(const std::string& url, const nlohmann::json& jwk, const std::optional<nlohmann::json>& payload);
  AcmeResponse new_order(const std::string& account, const std::optional<nlohmann::json>& payload);
  AcmeResponse authorization(size_t id, const std::string& account, const std::optional<nlohmann::json>& payload);
  AcmeResponse challenge(size_t id, const std::string& type, const std::string& account,
                         const std::optional<nlohmann::json>& payload);
  AcmeResponse finalize(size_t id, const std::string& account, const std::optional<nlohmann::json>& payload);
  AcmeResponse order(size_t id, const std::string& account, const std::optional<nlohmann::json>& payload);
  AcmeResponse certificate(size_t id, const std::string& account, const std::optional<nlohmann::json>& payload);

  bool check_external_account_binding(const nlohmann::json& binding, const nlohmann::json& jwk, const std::string& url);
  // "" when the answer to the challenge is being served as it should be; why not otherwise.
  std::string validate(const AuthorizationState& authorization, const ChallengeState& challenge);
  std::string check_tls_alpn(const std::string& name, const std::string& key_authorization);
  std::optional<std::string> issue(const std::string& csr, const std::vector<std::string>& names, std::string& why);

  std::string order_status(const OrderState& order) const;
  nlohmann::json order_json(size_t id) const;
  nlohmann::json authorization_json(size_t id) const;
  AcmeResponse violation(std::string what, int status, const std::string& type);
  std::string fresh_nonce();
  const Account* account_by_url(const std::string& url) const;

  FakeScheduler& clock_;
  RecordingSink& sink_;
  std::set<std::string> nonces_;  // issued and not yet used
  uint64_t nonce_counter_ = 0;
  std::vector<Account> accounts_;
  std::vector<AuthorizationState> authorizations_;  // id = index + 1
  std::vector<OrderState> orders_;                  // id = index + 1
  EvpPkeyPtr ca_key_;
  X509Ptr ca_certificate_;
};

}  // namespace fulcrum::acme::fake_ca
