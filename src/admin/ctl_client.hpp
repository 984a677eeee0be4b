#pragma once
// `fulcrum ctl`: the admin API from a shell. A small blocking HTTP/1.1 client (one request
// per connection, 10 s timeout) and the commands people type, printed as tables, or the API's
// JSON as it came with --json (for scripts).
//
//   fulcrum ctl [--admin HOST:PORT | -c fulcrum.yaml] [--token-file F] [--json] COMMAND ...
//     status                                one screen: the process, listeners, groups
//     list                                  target groups and their health counts
//     show GROUP                            every target: state, reason, weight, traffic
//     register GROUP ADDRESS [--weight N] [--zone Z]
//     deregister GROUP ADDRESS              drains for the group's deregistration_delay
//     weight GROUP ADDRESS N
//     drain GROUP ADDRESS | enable GROUP ADDRESS
//     reload                                re-read the configuration file
#include <cstdint>
#include <string>
#include <vector>

namespace fulcrum::admin {

struct CtlOptions {
  std::string admin = "127.0.0.1:9090";
  std::string token_file;
  bool json = false;
};

struct HttpAnswer {
  int status = 0;  // 0: no answer (the error says why)
  std::string body;
  std::string error;
};

// One request to the admin API; `body` is sent as application/json when not empty.
HttpAnswer admin_request(const CtlOptions& options, const std::string& method, const std::string& path,
                         const std::string& body = {});

// Runs one ctl command (`words`: the command and its arguments, already checked for count by
// the command line); prints the result; returns the exit code: 0 done, 1 the API refused (its
// error is printed), 2 no answer from the admin API.
int run_ctl(const CtlOptions& options, const std::vector<std::string>& words, uint32_t weight = 1,
            const std::string& zone = {});

}  // namespace fulcrum::admin
