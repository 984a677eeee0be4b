#pragma once
// One response field as the caller holds it (views, no copy); names in any case (they go out
// lower-cased).
#include <string_view>

namespace fulcrum::http {

struct H2Field {
  std::string_view name;
  std::string_view value;
};

}  // namespace fulcrum::http
