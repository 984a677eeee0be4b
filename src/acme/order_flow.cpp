#include "acme/order_flow.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <exception>
#include <utility>

#include "acme/csr.hpp"
#include "acme/dns_identifier.hpp"
#include "acme/jws.hpp"
#include "acme/openssl_error.hpp"
#include "acme/pem.hpp"
#include "acme/problem.hpp"
#include "acme/retry_after.hpp"
#include "acme/tls_alpn_certificate.hpp"

namespace fulcrum::acme {
namespace order_flow_detail {

constexpr int kMaxBadNonceRetries = 3;
constexpr int kMaxServerRetries = 3;
constexpr std::chrono::milliseconds kFirstBackoff{1000};
constexpr std::chrono::milliseconds kMaxPollInterval{60 * 1000};
constexpr size_t kMaxTokenLength = 256;

bool is_success(int status) { return status >= 200 && status < 300; }

// 1 s, 2 s, 4 s ... for the wait numbered `attempt` (from 0), at most `cap`.
std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds cap) {
  std::chrono::milliseconds delay = kFirstBackoff;
  for (int i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

std::optional<std::chrono::milliseconds> retry_after_of(const AcmeResponse& response, int64_t now_ms) {
  const std::string& value = response.header("retry-after");
  return value.empty() ? std::nullopt : parse_retry_after(value, now_ms);
}

// The wait before repeating a request that got `response`, or nullopt when it is not to be
// repeated: only failures that say nothing about the request (no answer, a 5xx) are, since
// any other answer would come again.
std::optional<std::chrono::milliseconds> transient_retry_delay(const AcmeResponse& response, int retries_so_far,
                                                               int64_t now_ms) {
  const bool transient = response.status == 0 || response.status >= 500;
  if (!transient || retries_so_far >= kMaxServerRetries) return std::nullopt;
  return retry_after_of(response, now_ms).value_or(backoff(retries_so_far, kMaxPollInterval));
}

// Why a request failed, in the CA's words when it gave any.
std::string answer_text(const AcmeResponse& response) {
  if (response.status == 0) return (response.error.empty() ? "transport failure" : response.error) + " (no answer)";
  if (const auto problem = parse_problem(response.body)) return problem->describe();
  return "the CA answered HTTP " + std::to_string(response.status);
}

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : ", ") + part;
  return text;
}

// RFC 8555 § 8.3: a token is base64url. Checked because the HTTP-01 responder serves it as a
// path segment, where a '/' or ".." from a confused CA must not land.
bool is_token(const std::string& token) {
  return !token.empty() && token.size() <= kMaxTokenLength && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

std::string duration_text(std::chrono::milliseconds duration) {
  if (duration >= std::chrono::minutes(1) && duration % std::chrono::minutes(1) == std::chrono::milliseconds(0)) {
    return std::to_string(std::chrono::duration_cast<std::chrono::minutes>(duration).count()) + " min";
  }
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(duration).count()) + " s";
}

// The first certificate of a PEM chain: the leaf (RFC 8555 § 7.4.2).
X509Ptr first_certificate(std::string_view pem) {
  if (pem.size() > INT_MAX) return nullptr;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!certificate) openssl_error();  // leaves the thread's error queue empty
  return certificate;
}

std::optional<std::chrono::sys_seconds> not_after_of(const X509* certificate) {
  std::tm time{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &time) != 1) {
    openssl_error();
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{time.tm_year + 1900},
                                         std::chrono::month{static_cast<unsigned>(time.tm_mon + 1)},
                                         std::chrono::day{static_cast<unsigned>(time.tm_mday)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{time.tm_hour} + std::chrono::minutes{time.tm_min} +
         std::chrono::seconds{time.tm_sec};
}

// Why an authorization is invalid: the error of the challenge we answered, else of any
// challenge (the CA may have tried another), else a plain statement.
std::string invalid_reason(const Authorization& authorization, const std::string& answered_url) {
  const Challenge* with_error = nullptr;
  for (const Challenge& challenge : authorization.challenges) {
    if (!challenge.error) continue;
    if (challenge.url == answered_url) return challenge.error->describe();
    if (with_error == nullptr) with_error = &challenge;
  }
  if (with_error != nullptr) return with_error->type + ": " + with_error->error->describe();
  return "the CA marked the authorization invalid without saying why";
}

}  // namespace order_flow_detail

std::shared_ptr<OrderFlow> OrderFlow::start(OrderRequest request, std::shared_ptr<const AccountKey> account_key,
                                            ChallengeSink& sink, AcmeTransport& transport, Scheduler& scheduler,
                                            Done done) {
  std::shared_ptr<OrderFlow> flow(
      new OrderFlow(std::move(request), std::move(account_key), sink, transport, scheduler, std::move(done)));
  flow->begin();
  return flow;
}

OrderFlow::OrderFlow(OrderRequest request, std::shared_ptr<const AccountKey> account_key, ChallengeSink& sink,
                     AcmeTransport& transport, Scheduler& scheduler, Done done)
    : request_(std::move(request)),
      names_(order_flow_detail::joined(request_.names)),
      key_(std::move(account_key)),
      sink_(sink),
      transport_(transport),
      scheduler_(scheduler),
      done_(std::move(done)) {}

void OrderFlow::cancel() {
  if (finished_) return;
  finished_ = true;
  withdraw_all();
  done_ = nullptr;  // frees whatever the caller's callback holds now, not when the last timer fires
}

// --- transport plumbing ---------------------------------------------------------------------

void OrderFlow::keep_nonce(const AcmeResponse& response) {
  // Every answer may carry a fresh nonce (§ 6.5), errors included; using it saves a HEAD.
  const std::string& nonce = response.header("replay-nonce");
  if (!nonce.empty()) nonce_ = nonce;
}

void OrderFlow::run_step(const std::string& step, const std::function<void()>& work) {
  // Only a broken OpenSSL or an exhausted machine throws here (key generation, signing); that
  // ends this order, not the event loop that called back.
  try {
    work();
  } catch (const std::exception& error) {
    fail(step + " failed: " + error.what());
  }
}

void OrderFlow::after(std::chrono::milliseconds delay, std::function<void()> next) {
  scheduler_.after(delay, [self = shared_from_this(), next = std::move(next)] {
    if (!self->finished_) self->run_step("the order for " + self->names_, next);
  });
}

void OrderFlow::fetch(Method method, std::string step, std::string url, Handler on_success, int server_retries) {
  auto answer = [self = shared_from_this(), method, step, url, on_success, server_retries](AcmeResponse response) {
    if (self->finished_) return;
    self->keep_nonce(response);
    if (order_flow_detail::is_success(response.status)) {
      self->run_step(step, [&] { on_success(response); });
      return;
    }
    if (const auto delay =
            order_flow_detail::transient_retry_delay(response, server_retries, self->scheduler_.now_ms())) {
      self->after(*delay, [self, method, step, url, on_success, retries = server_retries + 1] {
        self->fetch(method, step, url, on_success, retries);
      });
      return;
    }
    self->fail(step + " failed: " + order_flow_detail::answer_text(response),
               order_flow_detail::retry_after_of(response, self->scheduler_.now_ms()));
  };
  if (method == Method::get) {
    transport_.get(url, std::move(answer));
  } else {
    transport_.head(url, std::move(answer));
  }
}

void OrderFlow::post(Call call) {
  if (nonce_.empty()) {
    // Each request needs a nonce never used before (§ 6.5); usually the previous answer
    // brought one, otherwise newNonce hands one out.
    std::string step = call.step;
    fetch(Method::head, std::move(step), directory_.new_nonce, [this, call](const AcmeResponse&) {
      if (nonce_.empty()) {
        fail(call.step + " failed: the CA's newNonce answer has no Replay-Nonce");
        return;
      }
      post(call);
    });
    return;
  }
  const std::string nonce = std::exchange(nonce_, std::string());
  const std::string body =
      sign_request(*key_, call.url, nonce, call.payload, call.with_jwk ? std::string() : account_url_).dump();
  const std::string url = call.url;
  transport_.post_jose(url, body, [self = shared_from_this(), call = std::move(call)](AcmeResponse response) mutable {
    if (self->finished_) return;
    self->on_post_answer(std::move(call), response);
  });
}

void OrderFlow::on_post_answer(Call call, const AcmeResponse& response) {
  using namespace order_flow_detail;
  keep_nonce(response);
  if (is_success(response.status)) {
    run_step(call.step, [&] { call.on_success(response); });
    return;
  }
  const auto problem = parse_problem(response.body);
  if (problem && problem->is_bad_nonce() && call.bad_nonce_retries < kMaxBadNonceRetries) {
    // The request itself was fine: send it again with the nonce this answer brought.
    ++call.bad_nonce_retries;
    post(std::move(call));
    return;
  }
  if (const auto delay = transient_retry_delay(response, call.server_retries, scheduler_.now_ms())) {
    call.bad_nonce_retries = 0;
    ++call.server_retries;
    after(*delay, [this, call = std::move(call)] { post(call); });
    return;
  }
  fail(call.step + " failed: " + answer_text(response), retry_after_of(response, scheduler_.now_ms()));
}

// --- the order's steps ------------------------------------------------------------------------

void OrderFlow::begin() {
  // Names are checked before the CA sees them: a refused order would cost a request against
  // the CA's rate limits and explain less.
  if (request_.names.empty()) {
    fail("the order has no names");
    return;
  }
  for (const std::string& name : request_.names) {
    std::string error;
    if (!check_dns_identifier(name, /*allow_wildcard=*/true, error)) {
      fail("the order cannot include " + name + ": " + error);
      return;
    }
  }
  if (request_.challenge_types.empty()) {
    fail("the order has no challenge types to answer");
    return;
  }
  fetch(Method::get, "reading the ACME directory " + request_.directory_url, request_.directory_url,
        [this](const AcmeResponse& response) { on_directory(response); });
}

void OrderFlow::on_directory(const AcmeResponse& response) {
  std::string error;
  std::optional<Directory> directory = parse_directory(response.body, error);
  if (!directory) {
    fail("reading the ACME directory " + request_.directory_url + " failed: " + error);
    return;
  }
  directory_ = std::move(*directory);
  if (!request_.account_url.empty()) {
    account_url_ = request_.account_url;
    new_order();
    return;
  }
  if (directory_.external_account_required && !request_.external_account_binding) {
    fail("creating the ACME account failed: the CA requires an external account binding (a key identifier and MAC "
         "key from the CA) and none is configured");
    return;
  }
  new_account();
}

void OrderFlow::new_account() {
  // Agreeing to the CA's terms is the operator's decision, made by configuring this CA.
  nlohmann::json payload = {{"termsOfServiceAgreed", true}};
  if (!request_.contact_email.empty()) payload["contact"] = nlohmann::json::array({"mailto:" + request_.contact_email});
  if (const auto& binding = request_.external_account_binding) {
    payload["externalAccountBinding"] =
        external_account_binding(*key_, binding->kid, binding->hmac_key, directory_.new_account);
  }
  // 201 for a new account, 200 when the key already has one (§ 7.3.1): either way the
  // account URL is the Location.
  post(Call{"creating the ACME account", directory_.new_account, std::move(payload), /*with_jwk=*/true,
            [this](const AcmeResponse& response) {
              const std::string& location = response.header("location");
              if (location.empty()) {
                fail("creating the ACME account failed: the CA's answer has no Location (the account URL)");
                return;
              }
              account_url_ = location;
              new_order();
            }});
}

void OrderFlow::new_order() {
  nlohmann::json identifiers = nlohmann::json::array();
  for (const std::string& name : request_.names) identifiers.push_back({{"type", "dns"}, {"value", name}});
  post(Call{"new order for " + names_, directory_.new_order, nlohmann::json{{"identifiers", std::move(identifiers)}},
            /*with_jwk=*/false, [this](const AcmeResponse& response) { on_order_created(response); }});
}

void OrderFlow::on_order_created(const AcmeResponse& response) {
  const std::string step = "new order for " + names_;
  std::string error;
  const std::optional<Order> order = parse_order(response.body, error);
  if (!order) {
    fail(step + " failed: " + error);
    return;
  }
  order_url_ = response.header("location");
  if (order_url_.empty()) {
    fail(step + " failed: the CA's answer has no Location (the order URL)");
    return;
  }
  if (order->status == "invalid") {
    fail(step + " failed: " + (order->error ? order->error->describe() : "the CA created it invalid"));
    return;
  }
  authorization_urls_ = order->authorizations;
  finalize_url_ = order->finalize;
  fetch_authorization(0);
}

void OrderFlow::fetch_authorization(size_t index) {
  if (index == authorization_urls_.size()) {
    respond_to_challenge(0);
    return;
  }
  post(Call{"reading an authorization of the order for " + names_, authorization_urls_[index], std::nullopt,
            /*with_jwk=*/false, [this, index](const AcmeResponse& response) { on_authorization(index, response); }});
}

void OrderFlow::on_authorization(size_t index, const AcmeResponse& response) {
  std::string error;
  const std::optional<Authorization> authorization = parse_authorization(response.body, error);
  if (!authorization) {
    fail("reading an authorization of the order for " + names_ + " failed: " + error);
    return;
  }
  const std::string name = authorization->name();
  if (authorization->status == "valid") {
    // The account proved control of this name recently; the CA reuses that (§ 7.1.4).
    fetch_authorization(index + 1);
    return;
  }
  if (authorization->status != "pending") {
    fail("authorization for " + name + " is " + authorization->status +
         (authorization->status == "invalid" ? ": " + order_flow_detail::invalid_reason(*authorization, "") : ""));
    return;
  }
  for (const ChallengeType type : request_.challenge_types) {
    const auto offered =
        std::find_if(authorization->challenges.begin(), authorization->challenges.end(),
                     [&](const Challenge& challenge) { return challenge.type == challenge_type_name(type); });
    if (offered == authorization->challenges.end()) continue;
    if (!publish(*authorization, *offered, type)) return;
    validations_.push_back({authorization_urls_[index], name, type, offered->url});
    fetch_authorization(index + 1);
    return;
  }
  std::vector<std::string> ours, theirs;
  for (const ChallengeType type : request_.challenge_types) ours.emplace_back(challenge_type_name(type));
  for (const Challenge& challenge : authorization->challenges) theirs.push_back(challenge.type);
  fail("authorization for " + name + " failed: the CA offers " +
       (theirs.empty() ? "no challenge" : order_flow_detail::joined(theirs)) + ", this server answers " +
       order_flow_detail::joined(ours));
}

bool OrderFlow::publish(const Authorization& authorization, const Challenge& challenge, ChallengeType type) {
  const std::string step = "challenge " + std::string(challenge_type_name(type)) + " for " + authorization.name();
  if (!order_flow_detail::is_token(challenge.token)) {
    fail(step + " failed: the CA's token is not base64url");
    return false;
  }
  const std::string answer = key_authorization(challenge.token, *key_);
  if (type == ChallengeType::http_01) {
    sink_.publish_http01(challenge.token, answer);
    published_.push_back({type, challenge.token});
    return true;
  }
  std::string error;
  const TlsAlpnCertificate certificate = make_tls_alpn_certificate(authorization.identifier, answer, error);
  if (!certificate.certificate) {
    fail(step + " failed: " + error);
    return false;
  }
  sink_.publish_tls_alpn01(authorization.identifier, certificate.certificate_pem(), certificate.key_pem());
  published_.push_back({type, authorization.identifier});
  return true;
}

std::string OrderFlow::challenge_step(const Validation& validation) const {
  return "challenge " + std::string(challenge_type_name(validation.type)) + " for " + validation.name;
}

void OrderFlow::respond_to_challenge(size_t index) {
  if (index == validations_.size()) {
    // Every answer is published and every challenge told before the first poll, so the CA
    // validates the names in parallel.
    deadline_ms_ = scheduler_.now_ms() + request_.poll_deadline.count();
    poll_attempt_ = 0;
    poll_authorization(0);
    return;
  }
  const Validation& validation = validations_[index];
  // The payload {} (not a POST-as-GET) is what asks the CA to validate now (§ 7.5.1).
  post(Call{challenge_step(validation), validation.challenge_url, nlohmann::json::object(), /*with_jwk=*/false,
            [this, index](const AcmeResponse&) { respond_to_challenge(index + 1); }});
}

void OrderFlow::poll_authorization(size_t index) {
  if (index == validations_.size()) {
    finalize();
    return;
  }
  const Validation& validation = validations_[index];
  post(Call{challenge_step(validation), validation.authorization_url, std::nullopt, /*with_jwk=*/false,
            [this, index](const AcmeResponse& response) { on_authorization_poll(index, response); }});
}

void OrderFlow::on_authorization_poll(size_t index, const AcmeResponse& response) {
  const Validation& validation = validations_[index];
  const std::string step = challenge_step(validation);
  std::string error;
  const std::optional<Authorization> authorization = parse_authorization(response.body, error);
  if (!authorization) {
    fail(step + " failed: " + error);
    return;
  }
  if (authorization->status == "valid") {
    poll_attempt_ = 0;
    poll_authorization(index + 1);
  } else if (authorization->status == "invalid") {
    fail(step + " failed: " + order_flow_detail::invalid_reason(*authorization, validation.challenge_url));
  } else if (authorization->status == "pending" || authorization->status == "processing") {
    wait_then(response, step, authorization->status, [this, index] { poll_authorization(index); });
  } else {
    fail(step + " failed: the authorization is " + authorization->status);
  }
}

void OrderFlow::wait_then(const AcmeResponse& response, const std::string& step, const std::string& status,
                          std::function<void()> next) {
  using namespace order_flow_detail;
  const int64_t now = scheduler_.now_ms();
  if (now >= deadline_ms_) {
    fail(step + " failed: still " + status + " after " + duration_text(request_.poll_deadline) + " of polling");
    return;
  }
  // The CA's Retry-After when it gives one (§ 7.5.1, § 7.4), else our own backoff; the last
  // wait ends at the deadline, for one final look.
  std::chrono::milliseconds delay =
      retry_after_of(response, now).value_or(backoff(poll_attempt_, kMaxPollInterval));
  ++poll_attempt_;
  delay = std::min(delay, std::chrono::milliseconds(deadline_ms_ - now));
  after(delay, std::move(next));
}

void OrderFlow::finalize() {
  const std::string step = "finalizing the order for " + names_;
  // A fresh key per certificate: a renewal never reuses the key of the certificate it replaces.
  certificate_key_ = generate_certificate_key(request_.certificate_key_type);
  std::string error;
  std::string csr = make_csr_der_base64url(certificate_key_.get(), request_.names, error);
  if (csr.empty()) {
    fail(step + " failed: " + error);
    return;
  }
  post(Call{step, finalize_url_, nlohmann::json{{"csr", std::move(csr)}}, /*with_jwk=*/false,
            [this](const AcmeResponse& response) {
              deadline_ms_ = scheduler_.now_ms() + request_.poll_deadline.count();
              poll_attempt_ = 0;
              on_order_state(response);
            }});
}

void OrderFlow::poll_order() {
  post(Call{"finalizing the order for " + names_, order_url_, std::nullopt, /*with_jwk=*/false,
            [this](const AcmeResponse& response) { on_order_state(response); }});
}

void OrderFlow::on_order_state(const AcmeResponse& response) {
  const std::string step = "finalizing the order for " + names_;
  std::string error;
  const std::optional<Order> order = parse_order(response.body, error);
  if (!order) {
    fail(step + " failed: " + error);
  } else if (order->status == "valid") {
    if (order->certificate.empty()) {
      fail(step + " failed: the order is valid but names no certificate URL");
    } else {
      download(order->certificate);
    }
  } else if (order->status == "invalid") {
    fail(step + " failed: " + (order->error ? order->error->describe() : "the CA marked the order invalid"));
  } else if (order->status == "processing" || order->status == "ready" || order->status == "pending") {
    wait_then(response, step, order->status, [this] { poll_order(); });
  } else {
    fail(step + " failed: the order is " + order->status);
  }
}

void OrderFlow::download(const std::string& certificate_url) {
  post(Call{"downloading the certificate for " + names_, certificate_url, std::nullopt, /*with_jwk=*/false,
            [this](const AcmeResponse& response) { on_certificate(response); }});
}

void OrderFlow::on_certificate(const AcmeResponse& response) {
  const std::string step = "downloading the certificate for " + names_;
  const std::string& content_type = response.header("content-type");
  if (!content_type.empty() && content_type.find("application/pem-certificate-chain") == std::string::npos) {
    fail(step + " failed: the CA sent " + content_type + " instead of a PEM certificate chain");
    return;
  }
  const X509Ptr leaf = order_flow_detail::first_certificate(response.body);
  if (!leaf) {
    fail(step + " failed: the answer holds no PEM certificate");
    return;
  }
  // The leaf must certify the key we hold, or the server would load a pair that cannot work.
  if (X509_check_private_key(leaf.get(), certificate_key_.get()) != 1) {
    openssl_error();
    fail(step + " failed: the certificate is not for the key of the request");
    return;
  }
  OrderResult result;
  result.certificate_chain_pem = response.body;
  result.certificate_key_pem = private_key_pem(certificate_key_.get());
  result.account_url = account_url_;
  result.not_after = order_flow_detail::not_after_of(leaf.get());
  finish(std::move(result));
}

// --- the end ----------------------------------------------------------------------------------

void OrderFlow::fail(std::string error, std::optional<std::chrono::milliseconds> retry_after) {
  OrderResult result;
  result.error = std::move(error);
  result.account_url = account_url_;
  result.retry_after = retry_after;
  finish(std::move(result));
}

void OrderFlow::finish(OrderResult result) {
  if (finished_) return;
  finished_ = true;
  withdraw_all();
  certificate_key_.reset();
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));
}

void OrderFlow::withdraw_all() {
  for (const Published& published : published_) {
    if (published.type == ChallengeType::http_01) {
      sink_.withdraw_http01(published.key);
    } else {
      sink_.withdraw_tls_alpn01(published.key);
    }
  }
  published_.clear();
}

}  // namespace fulcrum::acme
