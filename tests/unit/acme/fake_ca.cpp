#include "fake_ca.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "acme/base64url.hpp"
#include "acme/jwk.hpp"
#include "acme/key_type.hpp"
#include "acme/pem.hpp"
#include "acme/tls_alpn_certificate.hpp"
#include "test_support.hpp"

namespace fulcrum::acme::fake_ca {

int64_t test_epoch_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(sys_days{year{2026} / December / 8}.time_since_epoch()).count();
}

// --- FakeScheduler --------------------------------------------------------------------------

void FakeScheduler::after(std::chrono::milliseconds delay, std::function<void()> task) {
  delays.push_back(delay);
  tasks_.emplace(std::make_pair(now_ms_ + delay.count(), sequence_++), std::move(task));
}

void FakeScheduler::advance(std::chrono::milliseconds duration) {
  const int64_t end = now_ms_ + duration.count();
  while (!tasks_.empty() && tasks_.begin()->first.first <= end) {
    auto task = tasks_.extract(tasks_.begin());
    now_ms_ = std::max(now_ms_, task.key().first);
    task.mapped()();
  }
  now_ms_ = end;
}

void FakeScheduler::run_until_idle(std::chrono::milliseconds limit) {
  const int64_t end = now_ms_ + limit.count();
  while (!tasks_.empty() && tasks_.begin()->first.first <= end) {
    auto task = tasks_.extract(tasks_.begin());
    now_ms_ = std::max(now_ms_, task.key().first);
    task.mapped()();
  }
}

// --- RecordingSink --------------------------------------------------------------------------

void RecordingSink::publish_http01(const std::string& token, const std::string& key_authorization) {
  events.push_back("publish http-01 " + token);
  http01[token] = key_authorization;
}

void RecordingSink::withdraw_http01(const std::string& token) {
  events.push_back("withdraw http-01 " + token);
  http01.erase(token);
}

void RecordingSink::publish_tls_alpn01(const std::string& name, const std::string& certificate_pem,
                                       const std::string& key_pem) {
  events.push_back("publish tls-alpn-01 " + name);
  tls_alpn01[name] = {certificate_pem, key_pem};
}

void RecordingSink::withdraw_tls_alpn01(const std::string& name) {
  events.push_back("withdraw tls-alpn-01 " + name);
  tls_alpn01.erase(name);
}

// --- helpers --------------------------------------------------------------------------------

const std::string kErrorPrefix = "urn:ietf:params:acme:error:";

AcmeResponse json_answer(int status, const nlohmann::json& body) {
  AcmeResponse response;
  response.status = status;
  response.body = body.dump();
  response.headers["content-type"] = "application/json";
  return response;
}

AcmeResponse problem_answer(int status, const std::string& type, const std::string& detail) {
  AcmeResponse response;
  response.status = status;
  response.body = nlohmann::json{{"type", kErrorPrefix + type}, {"detail", detail}, {"status", status}}.dump();
  response.headers["content-type"] = "application/problem+json";
  return response;
}

std::optional<nlohmann::json> decoded_json(const nlohmann::json& part) {
  if (!part.is_string()) return std::nullopt;
  const auto text = base64url_decode(part.get<std::string>());
  if (!text) return std::nullopt;
  nlohmann::json value = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

bool is_flattened_jws(const nlohmann::json& jws) {
  if (!jws.is_object() || jws.size() != 3) return false;
  for (const char* member : {"protected", "payload", "signature"}) {
    if (!jws.contains(member) || !jws[member].is_string()) return false;
    if (!base64url_decode(jws[member].get<std::string>())) return false;
  }
  return true;
}

std::vector<uint8_t> hmac_sha256(const std::vector<uint8_t>& key, std::string_view data) {
  std::vector<uint8_t> mac(EVP_MAX_MD_SIZE);
  size_t length = 0;
  static const uint8_t kNoKey = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.empty() ? &kNoKey : key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                &length) == nullptr) {
    return {};
  }
  mac.resize(length);
  return mac;
}

X509Ptr certificate_from_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::vector<std::string> dns_names_of(const X509* certificate) {
  GENERAL_NAMES* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return {};
  std::vector<std::string> result = test_support::alt_names(names);
  GENERAL_NAMES_free(names);
  return result;
}

// "/authz/3" -> {"authz", 3, ""}; "/chall/3/http-01" -> {"chall", 3, "http-01"}.
struct Route {
  std::string kind;
  size_t id = 0;
  std::string rest;
};

Route route_of(const std::string& url) {
  const std::string base = FakeCa::url("");
  Route route;
  if (!url.starts_with(base + "/")) return route;
  std::string path = url.substr(base.size() + 1);
  const size_t slash = path.find('/');
  route.kind = path.substr(0, slash);
  if (slash == std::string::npos) return route;
  std::string tail = path.substr(slash + 1);
  const size_t second = tail.find('/');
  const std::string number = tail.substr(0, second);
  if (number.empty() || !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return {};
  }
  route.id = std::stoul(number);
  if (second != std::string::npos) route.rest = tail.substr(second + 1);
  return route;
}

// --- FakeCa ---------------------------------------------------------------------------------

FakeCa::FakeCa(FakeScheduler& clock, RecordingSink& sink) : clock_(clock), sink_(sink) {
  ca_key_ = generate_key(KeyType::ecdsa_p256);
  ca_certificate_.reset(X509_new());
  X509* certificate = ca_certificate_.get();
  X509_set_version(certificate, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  const time_t now = static_cast<time_t>(clock_.now_ms() / 1000);
  ASN1_TIME_set(X509_getm_notBefore(certificate), now - 86400);
  ASN1_TIME_set(X509_getm_notAfter(certificate), now + 3650L * 86400);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Fake ACME CA"), -1, -1,
                             0);
  X509_set_issuer_name(certificate, name);
  X509_set_pubkey(certificate, ca_key_.get());
  X509_sign(certificate, ca_key_.get(), EVP_sha256());
}

FakeCa::~FakeCa() = default;

std::string FakeCa::register_account(const AccountKey& key) {
  const std::string account_url = url("/acct/" + std::to_string(accounts_.size() + 1));
  accounts_.push_back({key.jwk(), account_url});
  return account_url;
}

size_t FakeCa::count(std::string_view method, const std::string& request_url) const {
  return static_cast<size_t>(std::count_if(requests.begin(), requests.end(), [&](const SeenRequest& seen) {
    return seen.method == method && seen.url == request_url;
  }));
}

std::vector<int64_t> FakeCa::times(std::string_view method, const std::string& request_url) const {
  std::vector<int64_t> result;
  for (const SeenRequest& seen : requests) {
    if (seen.method == method && seen.url == request_url) result.push_back(seen.at_ms);
  }
  return result;
}

std::vector<std::string> FakeCa::trace() const {
  std::vector<std::string> result;
  for (const SeenRequest& seen : requests) result.push_back(seen.method + " " + seen.url.substr(url("").size()));
  return result;
}

std::string FakeCa::fresh_nonce() {
  std::string nonce = base64url("nonce " + std::to_string(++nonce_counter_));
  nonces_.insert(nonce);
  return nonce;
}

const FakeCa::Account* FakeCa::account_by_url(const std::string& account_url) const {
  for (const Account& account : accounts_) {
    if (account.url == account_url) return &account;
  }
  return nullptr;
}

AcmeResponse FakeCa::violation(std::string what, int status, const std::string& type) {
  violations.push_back(what);
  return problem_answer(status, type, "fake CA: " + what);
}

std::optional<AcmeResponse> FakeCa::scripted_failure(const std::string& request_url) {
  if (int& left = transport_errors[request_url]; left > 0) {
    --left;
    AcmeResponse response;
    response.error = "connection reset by peer";
    return response;
  }
  if (int& left = server_errors[request_url]; left > 0) {
    --left;
    return problem_answer(503, "serverInternal", "the fake CA is having a bad day");
  }
  return std::nullopt;
}

void FakeCa::get(const std::string& request_url, std::function<void(AcmeResponse)> done) {
  requests.push_back({"GET", request_url, clock_.now_ms(), nullptr, std::nullopt});
  if (auto failure = scripted_failure(request_url)) return done(std::move(*failure));
  if (request_url != directory_url()) return done(problem_answer(404, "malformed", "no such resource"));
  nlohmann::json directory = {
      {"newNonce", url("/new-nonce")},     {"newAccount", url("/new-account")}, {"newOrder", url("/new-order")},
      {"revokeCert", url("/revoke-cert")}, {"keyChange", url("/key-change")},   {"renewalInfo", url("/renewal-info")},
      {"meta", {{"termsOfService", "https://ca.test/terms.pdf"}, {"externalAccountRequired", external_account_required}}}};
  done(json_answer(200, directory));
}

void FakeCa::head(const std::string& request_url, std::function<void(AcmeResponse)> done) {
  requests.push_back({"HEAD", request_url, clock_.now_ms(), nullptr, std::nullopt});
  if (auto failure = scripted_failure(request_url)) return done(std::move(*failure));
  if (request_url != url("/new-nonce")) return done(problem_answer(405, "malformed", "HEAD is for newNonce"));
  AcmeResponse response;
  response.status = 200;
  response.headers["replay-nonce"] = fresh_nonce();
  response.headers["cache-control"] = "no-store";
  done(std::move(response));
}

void FakeCa::post_jose(const std::string& request_url, std::string body, std::function<void(AcmeResponse)> done) {
  requests.push_back({"POST", request_url, clock_.now_ms(), nullptr, std::nullopt});
  if (auto failure = scripted_failure(request_url)) {
    if (failure->status != 0) failure->headers["replay-nonce"] = fresh_nonce();
    return done(std::move(*failure));
  }
  AcmeResponse response = handle_post(request_url, body, requests.back());
  // RFC 8555 § 6.5: every answer to a POST carries a fresh nonce, errors included.
  response.headers["replay-nonce"] = fresh_nonce();
  done(std::move(response));
}

AcmeResponse FakeCa::handle_post(const std::string& request_url, const std::string& body, SeenRequest& seen) {
  const nlohmann::json jws = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!is_flattened_jws(jws)) return violation("the body is not a flattened JWS: " + body, 400, "malformed");
  const std::optional<nlohmann::json> header = decoded_json(jws["protected"]);
  if (!header || !header->is_object()) return violation("the protected header is not a JSON object", 400, "malformed");
  seen.header = *header;
  const std::string nonce = header->value("nonce", "");
  if (nonces_.erase(nonce) == 0) {
    return violation("nonce '" + nonce + "' was never issued or is already used", 400, "badNonce");
  }
  if (header->value("url", "") != request_url) {
    return violation("protected url '" + header->value("url", "") + "' is not the request URL " + request_url, 401,
                     "unauthorized");
  }
  const Route route = route_of(request_url);
  const bool has_jwk = header->contains("jwk"), has_kid = header->contains("kid");
  if (has_jwk == has_kid) return violation("the header must have exactly one of jwk and kid", 400, "malformed");
  nlohmann::json jwk;
  std::string account_url;
  if (route.kind == "new-account") {
    if (!has_jwk) return violation("newAccount must be signed with the jwk", 400, "malformed");
    jwk = (*header)["jwk"];
  } else {
    if (!has_kid) return violation(route.kind + " must be signed with the kid", 400, "malformed");
    account_url = header->value("kid", "");
    const Account* account = account_by_url(account_url);
    if (account == nullptr) return violation("no account " + account_url, 400, "accountDoesNotExist");
    jwk = account->jwk;
  }
  const EvpPkeyPtr key = test_support::key_from_jwk(jwk);
  if (!key) return violation("the jwk is not a key", 400, "badPublicKey");
  const std::string expected_alg = jwk.value("kty", "") == "EC" ? "ES256" : "RS256";
  if (header->value("alg", "") != expected_alg) return violation("alg does not match the key", 400, "badSignatureAlgorithm");
  const std::string signing_input = jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
  const std::string signature = base64url_decode(jws["signature"].get<std::string>()).value_or("");
  if (!test_support::jws_signature_verifies(key.get(), signing_input, test_support::bytes_of(signature))) {
    return violation("the signature does not verify with the account's key", 403, "unauthorized");
  }
  std::optional<nlohmann::json> payload;
  if (!jws["payload"].get<std::string>().empty()) {
    payload = decoded_json(jws["payload"]);
    if (!payload) return violation("the payload is not JSON", 400, "malformed");
  }
  seen.payload = payload;

  if (route.kind == "new-account") return new_account(request_url, jwk, payload);
  if (route.kind == "new-order") return new_order(account_url, payload);
  if (route.kind == "authz") return authorization(route.id, account_url, payload);
  if (route.kind == "chall") return challenge(route.id, route.rest, account_url, payload);
  if (route.kind == "finalize") return finalize(route.id, account_url, payload);
  if (route.kind == "order") return order(route.id, account_url, payload);
  if (route.kind == "cert") return certificate(route.id, account_url, payload);
  return violation("POST to an unknown URL " + request_url, 404, "malformed");
}

bool FakeCa::check_external_account_binding(const nlohmann::json& binding, const nlohmann::json& jwk,
                                            const std::string& new_account_url) {
  if (!is_flattened_jws(binding)) return false;
  const auto header = decoded_json(binding["protected"]);
  const auto payload = decoded_json(binding["payload"]);
  if (!header || !payload) return false;
  // § 7.3.4: HS256 under the CA's MAC key, its kid, the newAccount URL, no nonce; the payload
  // is the account's JWK.
  if (*header != nlohmann::json{{"alg", "HS256"}, {"kid", eab_kid}, {"url", new_account_url}}) return false;
  if (*payload != jwk) return false;
  const std::string signing_input = binding["protected"].get<std::string>() + "." + binding["payload"].get<std::string>();
  const std::string signature = base64url_decode(binding["signature"].get<std::string>()).value_or("");
  return hmac_sha256(eab_key, signing_input) == test_support::bytes_of(signature);
}

AcmeResponse FakeCa::new_account(const std::string& request_url, const nlohmann::json& jwk,
                                 const std::optional<nlohmann::json>& payload) {
  if (!payload || !payload->is_object()) return violation("newAccount needs a JSON object", 400, "malformed");
  if (payload->value("termsOfServiceAgreed", false) != true) {
    return violation("the terms of service were not agreed to", 403, "userActionRequired");
  }
  if (payload->contains("contact")) {
    const nlohmann::json& contact = (*payload)["contact"];
    if (!contact.is_array() || contact.empty() || !contact[0].is_string() ||
        !contact[0].get<std::string>().starts_with("mailto:")) {
      return violation("contact must be a list of mailto: URLs", 400, "invalidContact");
    }
  }
  for (const Account& account : accounts_) {
    if (account.jwk == jwk) {  // the key already has an account (§ 7.3.1)
      AcmeResponse response = json_answer(200, {{"status", "valid"}});
      response.headers["location"] = account.url;
      return response;
    }
  }
  if (external_account_required) {
    if (!payload->contains("externalAccountBinding")) {
      return problem_answer(400, "externalAccountRequired", "this CA requires an external account binding");
    }
    // A wrong binding is a configuration mistake, not the flow's: answered, not a violation.
    if (!check_external_account_binding((*payload)["externalAccountBinding"], jwk, request_url)) {
      return problem_answer(403, "unauthorized", "the external account binding does not verify");
    }
    eab_verified = true;
  }
  const std::string account_url = url("/acct/" + std::to_string(accounts_.size() + 1));
  accounts_.push_back({jwk, account_url});
  AcmeResponse response = json_answer(201, {{"status", "valid"}, {"contact", payload->value("contact", nlohmann::json::array())}});
  response.headers["location"] = account_url;
  return response;
}

AcmeResponse FakeCa::new_order(const std::string& account, const std::optional<nlohmann::json>& payload) {
  if (bad_nonces_on_new_order > 0) {
    --bad_nonces_on_new_order;
    return problem_answer(400, "badNonce", "JWS has an invalid anti-replay nonce");
  }
  if (new_order_problem) {
    AcmeResponse response = problem_answer(new_order_problem->status, new_order_problem->type, new_order_problem->detail);
    if (!new_order_problem->retry_after.empty()) response.headers["retry-after"] = new_order_problem->retry_after;
    return response;
  }
  if (!payload || !payload->contains("identifiers") || !(*payload)["identifiers"].is_array() ||
      (*payload)["identifiers"].empty()) {
    return violation("newOrder needs identifiers", 400, "malformed");
  }
  OrderState state;
  state.account = account;
  for (const nlohmann::json& identifier : (*payload)["identifiers"]) {
    if (!identifier.is_object() || identifier.value("type", "") != "dns" || !identifier.contains("value")) {
      return violation("identifiers must be {type: dns, value}", 400, "malformed");
    }
    const std::string name = identifier.value("value", "");
    state.names.push_back(name);
    AuthorizationState authorization;
    authorization.name = name;
    authorization.account = account;
    authorization.script = scripts.contains(name) ? scripts.at(name) : default_script;
    if (authorization.script.already_valid) authorization.status = "valid";
    const size_t id = authorizations_.size() + 1;
    for (const std::string& type : authorization.script.offered) {
      authorization.challenges.push_back({type, "tok-" + std::to_string(id) + "-" + type,
                                         url("/chall/" + std::to_string(id) + "/" + type), "pending", std::nullopt});
    }
    authorizations_.push_back(std::move(authorization));
    state.authorizations.push_back(id);
  }
  orders_.push_back(std::move(state));
  const size_t id = orders_.size();
  AcmeResponse response = json_answer(201, order_json(id));
  response.headers["location"] = url("/order/" + std::to_string(id));
  return response;
}

nlohmann::json FakeCa::authorization_json(size_t id) const {
  const AuthorizationState& state = authorizations_[id - 1];
  nlohmann::json challenges = nlohmann::json::array();
  for (const ChallengeState& challenge : state.challenges) {
    nlohmann::json entry = {{"type", challenge.type}, {"url", challenge.url}, {"token", challenge.token},
                            {"status", challenge.status}};
    if (challenge.error) entry["error"] = *challenge.error;
    challenges.push_back(entry);
  }
  return {{"identifier", {{"type", "dns"}, {"value", state.name}}},
          {"status", state.status},
          {"expires", "2026-12-15T00:00:00Z"},
          {"challenges", challenges}};
}

std::string FakeCa::order_status(const OrderState& order) const {
  bool all_valid = true;
  for (const size_t id : order.authorizations) {
    const std::string& status = authorizations_[id - 1].status;
    if (status == "invalid") return "invalid";
    all_valid = all_valid && status == "valid";
  }
  if (order.finalized) return order.processing_left > 0 ? "processing" : "valid";
  return all_valid ? "ready" : "pending";
}

nlohmann::json FakeCa::order_json(size_t id) const {
  const OrderState& state = orders_[id - 1];
  nlohmann::json identifiers = nlohmann::json::array(), authorizations = nlohmann::json::array();
  for (const std::string& name : state.names) identifiers.push_back({{"type", "dns"}, {"value", name}});
  for (const size_t authorization : state.authorizations) {
    authorizations.push_back(url("/authz/" + std::to_string(authorization)));
  }
  nlohmann::json order = {{"status", order_status(state)},
                          {"expires", "2026-12-15T00:00:00Z"},
                          {"identifiers", identifiers},
                          {"authorizations", authorizations},
                          {"finalize", url("/finalize/" + std::to_string(id))}};
  if (order["status"] == "valid") order["certificate"] = url("/cert/" + std::to_string(id));
  return order;
}

AcmeResponse FakeCa::authorization(size_t id, const std::string& account, const std::optional<nlohmann::json>& payload) {
  if (id == 0 || id > authorizations_.size()) return violation("no such authorization", 404, "malformed");
  AuthorizationState& state = authorizations_[id - 1];
  if (state.account != account) return violation("another account's authorization", 403, "unauthorized");
  if (payload) return violation("reading an authorization must be a POST-as-GET", 400, "malformed");
  AcmeResponse response;
  if (state.triggered && state.status == "pending") {
    if (state.polls_left > 0) {
      --state.polls_left;
      response = json_answer(200, authorization_json(id));
      if (!state.script.retry_after.empty()) response.headers["retry-after"] = state.script.retry_after;
      return response;
    }
    // Validation is over: show its outcome on the challenge that was answered.
    for (ChallengeState& challenge : state.challenges) {
      if (challenge.status != "processing") continue;
      challenge.status = state.outcome_error ? "invalid" : "valid";
      challenge.error = state.outcome_error;
    }
    state.status = state.outcome_error ? "invalid" : "valid";
  }
  return json_answer(200, authorization_json(id));
}

AcmeResponse FakeCa::challenge(size_t id, const std::string& type, const std::string& account,
                               const std::optional<nlohmann::json>& payload) {
  if (id == 0 || id > authorizations_.size()) return violation("no such challenge", 404, "malformed");
  AuthorizationState& state = authorizations_[id - 1];
  if (state.account != account) return violation("another account's challenge", 403, "unauthorized");
  if (!payload || *payload != nlohmann::json::object()) {
    return violation("a challenge is answered with the payload {}", 400, "malformed");
  }
  const auto challenge = std::find_if(state.challenges.begin(), state.challenges.end(),
                                      [&](const ChallengeState& entry) { return entry.type == type; });
  if (challenge == state.challenges.end()) return violation("no such challenge type " + type, 404, "malformed");
  if (!state.triggered && state.status == "pending") {
    state.triggered = true;
    state.polls_left = state.script.pending_polls;
    challenge->status = "processing";
    // The CA looks at the answer now: it must already be published.
    const std::string why = validate(state, *challenge);
    if (!why.empty()) {
      violations.push_back(type + " for " + state.name + ": " + why);
      state.outcome_error = nlohmann::json{{"type", kErrorPrefix + "unauthorized"}, {"detail", why}, {"status", 403}};
    } else if (!state.script.fail_detail.empty()) {
      state.outcome_error = nlohmann::json{
          {"type", kErrorPrefix + "unauthorized"}, {"detail", state.script.fail_detail}, {"status", 403}};
    }
  }
  nlohmann::json entry = {{"type", challenge->type}, {"url", challenge->url}, {"token", challenge->token},
                          {"status", challenge->status}};
  return json_answer(200, entry);
}

std::string FakeCa::validate(const AuthorizationState& authorization, const ChallengeState& challenge) {
  const Account* account = account_by_url(authorization.account);
  const std::string expected = challenge.token + "." + thumbprint_of(account->jwk).value_or("?");
  if (challenge.type == "http-01") {
    const auto served = sink_.http01.find(challenge.token);
    if (served == sink_.http01.end()) return "nothing is served for the token";
    if (served->second != expected) return "the key authorization served is " + served->second;
    return "";
  }
  if (challenge.type == "tls-alpn-01") return check_tls_alpn(authorization.name, expected);
  return "this fake CA cannot validate " + challenge.type;
}

std::string FakeCa::check_tls_alpn(const std::string& name, const std::string& key_authorization) {
  const auto served = sink_.tls_alpn01.find(name);
  if (served == sink_.tls_alpn01.end()) return "no acme-tls/1 certificate is served for the name";
  const X509Ptr certificate = certificate_from_pem(served->second.certificate_pem);
  if (!certificate) return "the served certificate is not PEM";
  if (dns_names_of(certificate.get()) != std::vector<std::string>{"DNS:" + name}) {
    return "the certificate does not name exactly " + name;
  }
  ASN1_OBJECT* oid = OBJ_txt2obj(kAcmeIdentifierOid, 1);
  const int index = X509_get_ext_by_OBJ(certificate.get(), oid, -1);
  ASN1_OBJECT_free(oid);
  if (index < 0) return "the certificate has no acmeIdentifier";
  X509_EXTENSION* extension = X509_get_ext(certificate.get(), index);
  unsigned char digest[32];
  size_t digest_length = 0;
  EVP_Q_digest(nullptr, "SHA256", nullptr, key_authorization.data(), key_authorization.size(), digest, &digest_length);
  std::vector<uint8_t> expected = {0x04, 0x20};
  expected.insert(expected.end(), digest, digest + digest_length);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
  const std::vector<uint8_t> actual(ASN1_STRING_get0_data(value), ASN1_STRING_get0_data(value) + ASN1_STRING_length(value));
  if (X509_EXTENSION_get_critical(extension) != 1 || actual != expected) {
    return "the acmeIdentifier is not critical or not SHA-256 of the key authorization";
  }
  std::string error;
  const EvpPkeyPtr key = read_private_key_pem(served->second.key_pem, error);
  if (!key || X509_check_private_key(certificate.get(), key.get()) != 1) {
    ERR_clear_error();
    return "the served key does not match the certificate";
  }
  return "";
}

AcmeResponse FakeCa::finalize(size_t id, const std::string& account, const std::optional<nlohmann::json>& payload) {
  if (id == 0 || id > orders_.size()) return violation("no such order", 404, "malformed");
  OrderState& state = orders_[id - 1];
  if (state.account != account) return violation("another account's order", 403, "unauthorized");
  if (order_status(state) != "ready") return violation("finalize before the order is ready", 403, "orderNotReady");
  if (!payload || !payload->contains("csr") || !(*payload)["csr"].is_string()) {
    return violation("finalize needs a csr", 400, "malformed");
  }
  std::string why;
  const auto pem = issue((*payload)["csr"].get<std::string>(), state.names, why);
  if (!pem) return violation(why, 400, "badCSR");
  state.certificate_pem = *pem;
  state.finalized = true;
  state.processing_left = processing_polls;
  AcmeResponse response = json_answer(200, order_json(id));
  if (!order_retry_after.empty() && state.processing_left > 0) response.headers["retry-after"] = order_retry_after;
  return response;
}

AcmeResponse FakeCa::order(size_t id, const std::string& account, const std::optional<nlohmann::json>& payload) {
  if (id == 0 || id > orders_.size()) return violation("no such order", 404, "malformed");
  OrderState& state = orders_[id - 1];
  if (state.account != account) return violation("another account's order", 403, "unauthorized");
  if (payload) return violation("reading an order must be a POST-as-GET", 400, "malformed");
  const bool processing = state.finalized && state.processing_left > 0;
  if (processing) --state.processing_left;
  AcmeResponse response = json_answer(200, order_json(id));
  if (processing) {
    response.body = [&] {
      nlohmann::json body = order_json(id);
      body["status"] = "processing";
      body.erase("certificate");
      return body.dump();
    }();
    if (!order_retry_after.empty()) response.headers["retry-after"] = order_retry_after;
  }
  return response;
}

AcmeResponse FakeCa::certificate(size_t id, const std::string& account, const std::optional<nlohmann::json>& payload) {
  if (id == 0 || id > orders_.size() || orders_[id - 1].certificate_pem.empty()) {
    return violation("no such certificate", 404, "malformed");
  }
  if (orders_[id - 1].account != account) return violation("another account's certificate", 403, "unauthorized");
  if (payload) return violation("downloading a certificate must be a POST-as-GET", 400, "malformed");
  AcmeResponse response;
  response.status = 200;
  response.body = orders_[id - 1].certificate_pem;
  response.headers["content-type"] = "application/pem-certificate-chain";
  return response;
}

std::optional<std::string> FakeCa::issue(const std::string& csr, const std::vector<std::string>& names, std::string& why) {
  const std::string der = base64url_decode(csr).value_or("");
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
  const X509ReqPtr request(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())));
  if (!request) {
    why = "the CSR is not DER";
    ERR_clear_error();
    return std::nullopt;
  }
  const EvpPkeyPtr public_key(X509_REQ_get_pubkey(request.get()));
  if (!public_key || X509_REQ_verify(request.get(), public_key.get()) != 1) {
    why = "the CSR's signature does not verify";
    ERR_clear_error();
    return std::nullopt;
  }
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request.get());
  GENERAL_NAMES* alt_names =
      static_cast<GENERAL_NAMES*>(X509V3_get_d2i(extensions, NID_subject_alt_name, nullptr, nullptr));
  std::vector<std::string> requested = alt_names ? test_support::alt_names(alt_names) : std::vector<std::string>{};
  std::vector<std::string> ordered;
  for (const std::string& name : names) ordered.push_back("DNS:" + name);
  std::vector<std::string> sorted_requested = requested, sorted_ordered = ordered;
  std::sort(sorted_requested.begin(), sorted_requested.end());
  std::sort(sorted_ordered.begin(), sorted_ordered.end());
  if (sorted_requested != sorted_ordered) {
    GENERAL_NAMES_free(alt_names);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    why = "the CSR's names are not the order's";
    return std::nullopt;
  }

  const X509Ptr certificate(X509_new());
  X509_set_version(certificate.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), static_cast<long>(orders_.size() + 1000));
  const time_t now = static_cast<time_t>(clock_.now_ms() / 1000);
  last_not_after = std::chrono::sys_seconds(std::chrono::seconds(now)) + std::chrono::days(90);
  ASN1_TIME_set(X509_getm_notBefore(certificate.get()), now);
  ASN1_TIME_set(X509_getm_notAfter(certificate.get()), static_cast<time_t>(last_not_after.time_since_epoch().count()));
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca_certificate_.get()));
  X509_set_pubkey(certificate.get(), public_key.get());
  X509_add1_ext_i2d(certificate.get(), NID_subject_alt_name, alt_names, 0, 0);
  X509_sign(certificate.get(), ca_key_.get(), EVP_sha256());
  GENERAL_NAMES_free(alt_names);
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  issued_names = requested;
  return certificate_pem(certificate.get()) + certificate_pem(ca_certificate_.get());
}

}  // namespace fulcrum::acme::fake_ca
