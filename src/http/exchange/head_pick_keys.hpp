#pragma once
// HeadPickKeys: an HTTP/1.1 request head as the facts ip_hash may hash (upstream/pick_request.hpp):
// a header's first value, a cookie's value, the request-target. Views into the head: use it
// while the head is parsed, before its buffer is reused.
#include <string_view>

#include "http/h1/request_head.hpp"
#include "upstream/pick_request.hpp"

namespace fulcrum::http {

class HeadPickKeys final : public upstream::RequestKeys {
 public:
  explicit HeadPickKeys(const RequestHead& head) : head_(head) {}

  std::string_view header(std::string_view lower_case_name) const override;
  std::string_view cookie(std::string_view name) const override;
  std::string_view uri() const override { return head_.target; }

 private:
  const RequestHead& head_;
};

}  // namespace fulcrum::http
