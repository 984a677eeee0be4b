#pragma once
// One certificate order (RFC 8555 § 7), run to its end: directory, nonce, account, order,
// one authorization per name (answering a challenge through a ChallengeSink and polling until
// the CA has validated it), finalize with a CSR for a fresh key, poll the order, download the
// chain. Pure protocol code: the CA is reached through an AcmeTransport and time passes through
// a Scheduler (acme_transport.hpp), both asynchronous, so the flow is a chain of callbacks.
//
// Retries: a badNonce answer repeats the request with the nonce that came with it (at most 3
// times in a row, § 6.5); a 5xx or a transport failure repeats it after 1 s, 2 s, 4 s (or the
// Retry-After given); any other problem ends the order with the CA's own detail quoted.
// Challenges published are withdrawn whenever the flow ends, successfully or not, or is
// cancelled.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "acme/account_key.hpp"
#include "acme/acme_transport.hpp"
#include "acme/challenge_sink.hpp"
#include "acme/directory.hpp"
#include "acme/key_type.hpp"
#include "acme/openssl_ptr.hpp"
#include "acme/resources.hpp"

namespace fulcrum::acme {

// The CA's key identifier and MAC key (already base64url-decoded) for § 7.3.4.
struct ExternalAccountBinding {
  std::string kid;
  std::vector<uint8_t> hmac_key;
};

struct OrderRequest {
  std::string directory_url;
  std::string contact_email;  // sent as "mailto:<email>"; none when empty
  std::optional<ExternalAccountBinding> external_account_binding;
  std::vector<std::string> names;  // the first becomes the CSR's CN
  // The challenge types this server can answer, best first; for each authorization the first
  // of them the CA offers is answered.
  std::vector<ChallengeType> challenge_types{ChallengeType::http_01, ChallengeType::tls_alpn_01};
  KeyType certificate_key_type = KeyType::ecdsa_p256;
  // The account URL ("kid") when the account key is known to the CA: newAccount is skipped.
  std::string account_url;
  // How long to keep polling authorizations (from the first poll) and, separately, the
  // finalized order.
  std::chrono::milliseconds poll_deadline = std::chrono::minutes(10);
};

struct OrderResult {
  // Empty on success; otherwise one sentence naming the step and quoting the CA.
  std::string error;
  std::string certificate_chain_pem;  // leaf first, as the CA sent it
  std::string certificate_key_pem;    // PKCS#8
  std::string account_url;            // also on failure, once known
  std::optional<std::chrono::sys_seconds> not_after;  // of the leaf
  // When the CA said when to come back (the Retry-After of a rate limit, say).
  std::optional<std::chrono::milliseconds> retry_after;

  bool ok() const { return error.empty(); }
};

class OrderFlow : public std::enable_shared_from_this<OrderFlow> {
 public:
  using Done = std::function<void(OrderResult)>;

  // Starts the order; `done` is called exactly once, when it ends, unless cancel() comes
  // first. The flow keeps itself alive (every pending callback holds it), so the returned
  // pointer is only needed to cancel. `sink`, `transport` and `scheduler` must outlive the
  // callbacks they hold. `done` may run before start() returns when the transport answers
  // synchronously.
  static std::shared_ptr<OrderFlow> start(OrderRequest request, std::shared_ptr<const AccountKey> account_key,
                                          ChallengeSink& sink, AcmeTransport& transport, Scheduler& scheduler,
                                          Done done);

  // Stops the order: no further request, no call of `done`; published challenges are
  // withdrawn now. Callbacks already handed to the transport or scheduler still hold the flow
  // until they run, and then do nothing.
  void cancel();

  OrderFlow(const OrderFlow&) = delete;
  OrderFlow& operator=(const OrderFlow&) = delete;

 private:
  using Handler = std::function<void(const AcmeResponse&)>;
  // A signed request and what to do with its 2xx answer; the counters carry over retries.
  struct Call {
    std::string step;  // "new order for a.example": the start of an error sentence
    std::string url;
    std::optional<nlohmann::json> payload;  // nullopt: POST-as-GET
    bool with_jwk = false;                  // newAccount: the key itself instead of the kid
    Handler on_success;
    int bad_nonce_retries = 0;
    int server_retries = 0;
  };
  enum class Method { get, head };
  struct Published {
    ChallengeType type;
    std::string key;  // the token (http-01) or the name (tls-alpn-01)
  };
  struct Validation {  // an authorization whose challenge we answer
    std::string authorization_url;
    std::string name;
    ChallengeType type;
    std::string challenge_url;
  };

  OrderFlow(OrderRequest request, std::shared_ptr<const AccountKey> account_key, ChallengeSink& sink,
            AcmeTransport& transport, Scheduler& scheduler, Done done);

  // Transport plumbing.
  void fetch(Method method, std::string step, std::string url, Handler on_success, int server_retries = 0);
  void post(Call call);
  void on_post_answer(Call call, const AcmeResponse& response);
  void after(std::chrono::milliseconds delay, std::function<void()> next);
  void keep_nonce(const AcmeResponse& response);
  void run_step(const std::string& step, const std::function<void()>& work);

  // The order's steps, in order.
  void begin();
  void on_directory(const AcmeResponse& response);
  void new_account();
  void new_order();
  void on_order_created(const AcmeResponse& response);
  void fetch_authorization(size_t index);
  void on_authorization(size_t index, const AcmeResponse& response);
  bool publish(const Authorization& authorization, const Challenge& challenge, ChallengeType type);
  void respond_to_challenge(size_t index);
  void poll_authorization(size_t index);
  void on_authorization_poll(size_t index, const AcmeResponse& response);
  void finalize();
  void on_order_state(const AcmeResponse& response);
  void poll_order();
  void download(const std::string& certificate_url);
  void on_certificate(const AcmeResponse& response);
  void wait_then(const AcmeResponse& response, const std::string& step, const std::string& status,
                 std::function<void()> next);
  std::string challenge_step(const Validation& validation) const;

  void fail(std::string error, std::optional<std::chrono::milliseconds> retry_after = std::nullopt);
  void finish(OrderResult result);
  void withdraw_all();

  const OrderRequest request_;
  const std::string names_;  // "a.example, b.example", for messages
  const std::shared_ptr<const AccountKey> key_;
  ChallengeSink& sink_;
  AcmeTransport& transport_;
  Scheduler& scheduler_;
  Done done_;
  bool finished_ = false;  // done, failed or cancelled: every callback from now on is a no-op

  Directory directory_;
  std::string nonce_;  // the latest Replay-Nonce, unused
  std::string account_url_;
  std::string order_url_;
  std::vector<std::string> authorization_urls_;
  std::string finalize_url_;
  std::vector<Validation> validations_;
  std::vector<Published> published_;
  EvpPkeyPtr certificate_key_;
  int64_t deadline_ms_ = 0;
  int poll_attempt_ = 0;  // polls of the current resource, for the backoff
};

}  // namespace fulcrum::acme
