#include "runtime/demo.hpp"

#include <cstdio>
#include <thread>
#include <memory>
#include <vector>

#include "config/config_loader.hpp"
#include "core/log.hpp"
#include "runtime/demo_backend.hpp"
#include "runtime/server.hpp"

namespace fulcrum::runtime {

int run_demo(const DemoOptions& options) {
  // The demo's configuration is ordinary YAML, read by the same loader as any file, so what
  // the demo shows is what a user gets.
  std::vector<std::string> addresses;
  asio::io_context backend_loop;  // bound first: the configuration names their ports
  const std::string admin =
      options.admin == "off" ? "admin:\n  enabled: false\n" : "admin:\n  listen: " + options.admin + "\n";
  std::string yaml = "workers: " + (options.workers == 0 ? std::string("auto") : std::to_string(options.workers)) +
                     "\nshutdown_timeout: 2s\n" + admin + "listeners:\n  - name: demo\n    listen: " + options.listen +
                     "\n    protocol: http\n    default: { forward: demo }\ntarget_groups:\n  - name: demo\n"
                     "    algorithm: round_robin\n    targets:\n";

  // The backends run on a loop of their own thread, beside the balancer's workers.
  std::vector<std::unique_ptr<DemoBackend>> backends;
  std::vector<std::string> names{"demo-backend-1", "demo-backend-2", "demo-backend-3"};
  asio::io_context& loop = backend_loop;
  for (const auto& name : names) {
    backends.push_back(std::make_unique<DemoBackend>(loop, name));
    addresses.push_back(backends.back()->bind());
    yaml += "      - { address: " + addresses.back() + " }\n";
  }

  auto loaded = config::load_config_text(yaml, "<demo>");
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::fprintf(stderr, "%s\n", error.format().c_str());
    return 1;
  }
  auto server = std::make_unique<Server>(std::make_shared<const config::Config>(std::move(*loaded.config)));
  std::string error;
  if (!server->start(error)) {
    std::fprintf(stderr, "fulcrum demo: %s\n", error.c_str());
    return 1;
  }
  for (auto& backend : backends) backend->start();
  std::thread backend_thread([&loop] { loop.run(); });

  std::printf(
      "Fulcrum demo: an HTTP load balancer on %s in front of three backends (%s, %s, %s), round robin.\n"
      "Try:\n"
      "  curl http://%s/            # run it a few times: the answering backend changes\n"
      "  for i in 1 2 3 4 5 6; do curl -s http://%s/; done\n"
      "%s%s%s"
      "Stop with Ctrl-C.\n",
      options.listen.c_str(), addresses[0].c_str(), addresses[1].c_str(), addresses[2].c_str(), options.listen.c_str(),
      options.listen.c_str(), options.admin == "off" ? "" : "  curl http://",
      options.admin == "off" ? "" : options.admin.c_str(),
      options.admin == "off" ? "" : "/api/v1/target-groups/demo   # the admin API\n");
  std::fflush(stdout);
  int code = server->run();
  loop.stop();
  backend_thread.join();
  return code;
}

}  // namespace fulcrum::runtime
