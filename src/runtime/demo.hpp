#pragma once
// `fulcrum demo`: three small backends inside the process and a balancer on 127.0.0.1:8080 in
// front of them, so a person sees balancing work with nothing else installed.
#include <string>

namespace fulcrum::runtime {

struct DemoOptions {
  std::string listen = "127.0.0.1:8080";
  std::string admin = "127.0.0.1:9090";  // the admin API, metrics and dashboard ("off": none)
  uint32_t workers = 1;  // one: round robin then visibly cycles 1, 2, 3
};

int run_demo(const DemoOptions& options);

}  // namespace fulcrum::runtime
