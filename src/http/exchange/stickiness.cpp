#include <algorithm>
#include <chrono>

#include "http/exchange/exchange_driver.hpp"
#include "http/h1/head_writer.hpp"

namespace fulcrum::http {

// Stickiness, when the chosen group has it: a valid cookie naming an eligible target sends the
// request there; a missing, tampered or expired cookie, or one naming a target that is gone,
// unhealthy or draining, leaves the choice to the picker and (for lb_cookie) issues a new one.
void ExchangeDriver::find_sticky_target(Exchange& x, const RequestHead& head) {
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  const auto& stickiness = group.config->stickiness;
  if (stickiness.type == config::StickinessType::none) return;
  const auto& signer = w_.sticky[static_cast<size_t>(x.group_index)];
  std::string_view value;
  for (const Header& h : head.headers()) {
    if (h.id == HeaderId::cookie) value = find_cookie(h.value, stickiness.lb_cookie_name);
    if (!value.empty()) break;
  }
  x.issue_cookie = stickiness.type == config::StickinessType::lb_cookie;
  if (value.empty() || !signer) return;
  const int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  auto key = signer->verify(group.name(), value, now_unix);
  if (!key) return;
  const auto& set = group.pickers->targets();
  for (uint32_t index : set.eligible) {
    if (set.targets[index].key == *key) {
      x.sticky_target = static_cast<int>(index);
      x.issue_cookie = false;
      return;
    }
  }
  x.issue_cookie = true;  // the named target is not eligible now: fail over and say so
}

std::string_view ExchangeDriver::sticky_set_cookie(Exchange& x, const ResponseHead& response, char (&out)[256]) {
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  const auto& stickiness = group.config->stickiness;
  const auto& signer = w_.sticky[static_cast<size_t>(x.group_index)];
  if (stickiness.type == config::StickinessType::none || !signer || x.target_index < 0) return {};
  bool issue = x.issue_cookie;
  if (stickiness.type == config::StickinessType::app_cookie && !issue) {
    // app_cookie: affinity starts when the application starts its session.
    for (const Header& h : response.headers()) {
      if (h.id == HeaderId::set_cookie && h.value.size() > stickiness.cookie.size() &&
          h.value.substr(0, stickiness.cookie.size()) == stickiness.cookie && h.value[stickiness.cookie.size()] == '=') {
        issue = true;
        break;
      }
    }
  }
  if (!issue) return {};
  const int64_t seconds = std::max<int64_t>(1, stickiness.duration.count() / 1000);
  const int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  const uint64_t key = group.pickers->targets().targets[static_cast<size_t>(x.target_index)].key;
  HeadWriter cookie(out, sizeof out);
  cookie.append(stickiness.lb_cookie_name);
  cookie.append("=");
  char value[StickyCookie::kMaxValue];
  cookie.append(std::string_view(value, signer->issue(group.name(), key, now_unix + seconds, value)));
  cookie.append("; Max-Age=");
  cookie.append_decimal(static_cast<uint64_t>(seconds));
  cookie.append("; Path=/; HttpOnly");
  return cookie.overflowed() ? std::string_view{} : cookie.view();
}

}  // namespace fulcrum::http
