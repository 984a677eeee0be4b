#include "admin/admin_message.hpp"

#include <nlohmann/json.hpp>

#include "core/hex_digit.hpp"

namespace fulcrum::admin {

std::string AdminRequest::query_value(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string decoded;
    if (eq == std::string_view::npos || !percent_decode(pair.substr(eq + 1), decoded)) return {};
    return decoded;
  }
  return {};
}

AdminResponse AdminResponse::error(uint16_t status, std::string_view message) {
  nlohmann::json body = {{"error", std::string(message)}};
  return json(body.dump() + "\n", status);
}

AdminResponse AdminResponse::json(std::string body, uint16_t status) {
  AdminResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int high = core::hex_digit_value(in[i + 1]);
      const int low = core::hex_digit_value(in[i + 2]);
      if (high < 0 || low < 0) return false;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (c == '\0') return false;
    out.push_back(c);
  }
  return true;
}

}  // namespace fulcrum::admin
