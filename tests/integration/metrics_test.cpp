// GET /metrics against the real binary under real traffic (curl through an HTTP listener, raw
// sockets through a TCP one, datagrams through a UDP one), read by a strict checker of the
// Prometheus text format.
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace metrics_test {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Checks what Prometheus' parser checks (text format 0.0.4) and a bit more: each family has
// one HELP and one TYPE before its samples and its samples are contiguous; names and label
// names are valid; label values are quoted with only \\, \" and \n escapes; values are
// numbers; counters end in _total; histogram buckets are cumulative, end with le="+Inf", and
// that bucket equals _count. Returns every sample, or fails the test.
std::vector<Sample> parse_strictly(const std::string& text) {
  static const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex label_name_re("[a-zA-Z_][a-zA-Z0-9_]*");
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;
  std::set<std::string> finished;  // families whose samples ended
  std::string current;             // the family of the samples now being read
  std::istringstream in(text);
  std::string line;
  int number = 0;
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "the exposition must end with a newline";
  auto family_of = [&](const std::string& name) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        const std::string base = name.substr(0, name.size() - s.size());
        if (types.count(base) && types[base] == "histogram") return base;
      }
    }
    return name;
  };
  while (std::getline(in, line)) {
    ++number;
    const std::string where = "line " + std::to_string(number) + ": " + line;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, rest;
      words >> name;
      std::getline(words, rest);
      EXPECT_TRUE(std::regex_match(name, name_re)) << where;
      if (line[2] == 'T') {
        rest = rest.substr(rest.find_first_not_of(' '));
        EXPECT_TRUE(rest == "counter" || rest == "gauge" || rest == "histogram") << where;
        EXPECT_EQ(types.count(name), 0u) << "TYPE twice: " << where;
        types[name] = rest;
        if (rest == "counter") {
          EXPECT_TRUE(name.ends_with("_total")) << where;
        }
      }
      continue;
    }
    EXPECT_NE(line[0], '#') << "unknown comment form: " << where;
    Sample sample;
    size_t i = line.find_first_of("{ ");
    if (i == std::string::npos) {
      ADD_FAILURE() << "no value: " << where;
      continue;
    }
    sample.name = line.substr(0, i);
    EXPECT_TRUE(std::regex_match(sample.name, name_re)) << where;
    if (line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos) {
          ADD_FAILURE() << where;
          break;
        }
        const std::string label = line.substr(i, eq - i);
        EXPECT_TRUE(std::regex_match(label, label_name_re)) << where;
        if (eq + 1 >= line.size() || line[eq + 1] != '"') {
          ADD_FAILURE() << "unquoted label value: " << where;
          break;
        }
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ++j;
            EXPECT_TRUE(j < line.size() && (line[j] == '\\' || line[j] == '"' || line[j] == 'n')) << where;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        EXPECT_LT(j, line.size()) << "unterminated label value: " << where;
        EXPECT_EQ(sample.labels.count(label), 0u) << "label twice: " << where;
        sample.labels[label] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // '}'
    }
    EXPECT_TRUE(i < line.size() && line[i] == ' ') << where;
    const std::string value = line.substr(i + 1);
    char* end = nullptr;
    sample.value = std::strtod(value.c_str(), &end);
    EXPECT_TRUE(!value.empty() && *end == '\0') << "not a number: " << where;
    const std::string family = family_of(sample.name);
    EXPECT_EQ(types.count(family), 1u) << "no TYPE before the sample: " << where;
    if (family != current) {
      EXPECT_EQ(finished.count(family), 0u) << "samples of a family are not contiguous: " << where;
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    samples.push_back(std::move(sample));
  }
  // Histograms: cumulative buckets, +Inf last and equal to _count.
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;  // series -> (le, count)
  std::map<std::string, double> counts;
  auto series_key = [](const Sample& s, const std::string& base) {
    std::string key = base;
    for (const auto& [k, v] : s.labels) {
      if (k != "le") key += "|" + k + "=" + v;
    }
    return key;
  };
  for (const auto& s : samples) {
    const std::string family = family_of(s.name);
    if (types[family] != "histogram") continue;
    if (s.name == family + "_bucket") {
      EXPECT_EQ(s.labels.count("le"), 1u) << s.name;
      const std::string le = s.labels.count("le") ? s.labels.at("le") : "";
      buckets[series_key(s, family)].emplace_back(le == "+Inf" ? INFINITY : std::stod(le), s.value);
    } else if (s.name == family + "_count") {
      counts[series_key(s, family)] = s.value;
    }
  }
  for (const auto& [key, list] : buckets) {
    EXPECT_FALSE(list.empty());
    if (list.empty()) continue;
    for (size_t i = 1; i < list.size(); ++i) {
      EXPECT_LT(list[i - 1].first, list[i].first) << key;
      EXPECT_LE(list[i - 1].second, list[i].second) << key << ": buckets are not cumulative";
    }
    EXPECT_TRUE(std::isinf(list.back().first)) << key << ": no +Inf bucket";
    EXPECT_EQ(list.back().second, counts[key]) << key << ": +Inf bucket != _count";
  }
  return samples;
}

double value_of(const std::vector<Sample>& samples, const std::string& name,
                const std::map<std::string, std::string>& labels) {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) match = match && s.labels.count(k) && s.labels.at(k) == v;
    if (match) return s.value;
  }
  ADD_FAILURE() << "no sample " << name;
  return -1;
}

TEST(Metrics, PrometheusTextCountsRequestsBytesConnectionsAndLatencyPerListenerGroupAndTarget) {
  TempDir dir;
  HttpBackend a(dir, "a"), b(dir, "b");
  Backend t(dir, "t", "echo");
  const uint16_t web = free_port(), raw = free_port();
  const std::string dead = "127.0.0.1:" + std::to_string(free_port());
  const std::string yaml =
      "workers: 2\nlisteners:\n"
      "  - name: web\n    listen: 127.0.0.1:" + std::to_string(web) + "\n    protocol: http\n"
      "    default: { forward: app }\n"
      "  - name: \"raw\"\n    listen: 127.0.0.1:" + std::to_string(raw) + "\n    protocol: tcp\n"
      "    default: { forward: echo }\n"
      "target_groups:\n"
      "  - name: app\n    algorithm: round_robin\n    outlier_detection: { enabled: false }\n    targets:\n"
      "      - { address: " + a.address() + " }\n      - { address: " + b.address() + ", weight: 2 }\n"
      "  - name: echo\n    algorithm: round_robin\n    targets:\n"
      "      - { address: " + dead + " }\n      - { address: " + t.address() + " }\n";
  auto fulcrum = start_fulcrum(dir, yaml, web);
  const std::string admin = admin_address(*fulcrum);
  ASSERT_FALSE(admin.empty()) << fulcrum->errors();

  // 10 answered 200, 4 answered 404 by the targets; keep-alive through one curl.
  std::vector<std::string> args;
  for (int i = 0; i < 14; ++i) {
    args.insert(args.end(), {"-o", "/dev/null", "http://127.0.0.1:" + std::to_string(web) +
                                                    (i < 10 ? "/bytes/100" : "/status/404")});
  }
  ASSERT_EQ(curl(args).exit_code, 0);
  // Two TCP sessions through the raw listener; round robin tries the dead target first at
  // least once: a connect error and a retry.
  for (int i = 0; i < 2; ++i) {
    int fd = connect_to(raw);
    send_all(fd, "ping\n");
    EXPECT_EQ(read_line(fd), "ping\n");
    ::close(fd);
  }
  // The sessions' ends are counted on their workers once the client's close, the echo target's
  // and Fulcrum's own have gone round: several wake-ups, which a fixed 100 ms sleep did not
  // always cover on a loaded machine. Scrape until the second session's bytes are counted (5 s).
  CommandResult result;
  for (int i = 0; i < 50; ++i) {
    result = curl({"-D", "-", "http://" + admin + "/metrics"});
    if (result.out.find("fulcrum_listener_bytes_out_total{listener=\"raw\"} 10\n") != std::string::npos &&
        result.out.find("fulcrum_listener_active_connections{listener=\"web\"} 0\n") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(result.exit_code, 0);
  ASSERT_NE(result.out.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << result.out;
  const std::string body = result.out.substr(result.out.find("\r\n\r\n") + 4);
  auto samples = parse_strictly(body);
  ASSERT_GT(samples.size(), 100u);

  EXPECT_EQ(value_of(samples, "fulcrum_listener_requests_total", {{"listener", "web"}, {"code_class", "2xx"}}), 10);
  EXPECT_EQ(value_of(samples, "fulcrum_listener_requests_total", {{"listener", "web"}, {"code_class", "4xx"}}), 4);
  // start_fulcrum's readiness probe, then curl's one keep-alive connection.
  EXPECT_EQ(value_of(samples, "fulcrum_listener_connections_total", {{"listener", "web"}}), 2);
  EXPECT_EQ(value_of(samples, "fulcrum_listener_active_connections", {{"listener", "web"}}), 0);
  EXPECT_EQ(value_of(samples, "fulcrum_listener_request_duration_seconds_count", {{"listener", "web"}}), 14);
  EXPECT_GE(value_of(samples, "fulcrum_listener_bytes_out_total", {{"listener", "web"}}), 10 * 100);
  EXPECT_EQ(value_of(samples, "fulcrum_group_requests_total", {{"group", "app"}, {"code_class", "2xx"}}), 10);
  EXPECT_EQ(value_of(samples, "fulcrum_group_retries_refused_total", {{"group", "app"}}), 0);
  // Round robin with weights 1 and 2 over 14 requests.
  const double to_a = value_of(samples, "fulcrum_target_request_duration_seconds_count", {{"target", a.address()}});
  const double to_b = value_of(samples, "fulcrum_target_request_duration_seconds_count", {{"target", b.address()}});
  EXPECT_EQ(to_a + to_b, 14);
  EXPECT_GE(to_b, to_a);
  EXPECT_GE(value_of(samples, "fulcrum_target_first_byte_duration_seconds_count", {{"target", a.address()}}), to_a);
  EXPECT_EQ(value_of(samples, "fulcrum_target_weight", {{"target", b.address()}}), 2);
  EXPECT_EQ(value_of(samples, "fulcrum_target_up", {{"target", a.address()}}), 1);
  EXPECT_EQ(value_of(samples, "fulcrum_target_health", {{"target", a.address()}, {"state", "healthy"}}), 1);
  EXPECT_EQ(value_of(samples, "fulcrum_target_health", {{"target", a.address()}, {"state", "unhealthy"}}), 0);

  EXPECT_EQ(value_of(samples, "fulcrum_listener_connections_total", {{"listener", "raw"}}), 2);
  EXPECT_EQ(value_of(samples, "fulcrum_listener_bytes_in_total", {{"listener", "raw"}}), 10);
  EXPECT_EQ(value_of(samples, "fulcrum_listener_bytes_out_total", {{"listener", "raw"}}), 10);
  EXPECT_EQ(value_of(samples, "fulcrum_target_connections_total", {{"target", t.address()}}), 2);
  EXPECT_GE(value_of(samples, "fulcrum_target_connect_errors_total", {{"target", dead}}), 1);
  EXPECT_GE(value_of(samples, "fulcrum_group_retries_total", {{"group", "echo"}}), 1);
  EXPECT_EQ(value_of(samples, "fulcrum_target_connect_duration_seconds_count", {{"target", t.address()}}), 2);
  EXPECT_EQ(body.find("fulcrum_group_retries_refused_total{group=\"echo\""), std::string::npos)
      << "retry_budget applies to HTTP groups only";
  EXPECT_EQ(body.find("fulcrum_listener_requests_total{listener=\"raw\""), std::string::npos)
      << "TCP listeners count connections, not requests";

  // The API shows the same traffic as rates once the sampler has two points.
  std::this_thread::sleep_for(1100ms);
  auto group = curl({"http://" + admin + "/api/v1/target-groups/app"});
  ASSERT_EQ(group.exit_code, 0);
  EXPECT_NE(group.out.find("\"requests_per_second\""), std::string::npos) << group.out;
  EXPECT_NE(group.out.find("\"p99\""), std::string::npos) << group.out;
  EXPECT_NE(group.out.find("\"window_requests\": "), std::string::npos) << group.out;
}

TEST(Metrics, UdpListenersCountDatagramsBytesAndFlows) {
  TempDir dir;
  const uint16_t target_port = free_port(SOCK_DGRAM), udp = free_port(SOCK_DGRAM), ready = free_port();
  Process backend({build_path("udp_backend"), "--listen", "127.0.0.1:" + std::to_string(target_port), "--name", "u"},
                  dir.path(), "udp-u");
  ASSERT_TRUE(backend.wait_for_output("listening")) << backend.errors();
  // One worker and room for two flows: the third client evicts the least recently active.
  const std::string yaml =
      "workers: 1\nlisteners:\n"
      "  - { name: dgram, listen: 127.0.0.1:" + std::to_string(udp) +
      ", protocol: udp, max_flows: 2, idle_timeout: 1s, default: { forward: u } }\n"
      "  - { name: ready, listen: 127.0.0.1:" + std::to_string(ready) + ", protocol: tcp, default: { forward: u } }\n"
      "target_groups:\n  - { name: u, targets: [ { address: 127.0.0.1:" + std::to_string(target_port) + " } ] }\n";
  auto fulcrum = start_fulcrum(dir, yaml, ready);
  const std::string admin = admin_address(*fulcrum);
  ASSERT_FALSE(admin.empty()) << fulcrum->errors();

  size_t reply_bytes = 0;
  {
    UdpClient first(udp), second(udp), third(udp);
    for (auto* client : {&first, &second, &third}) {
      for (int i = 0; i < 2; ++i) {
        const std::string reply = client->ask("ping");
        ASSERT_NE(reply.find("ping"), std::string::npos) << fulcrum->errors();
        reply_bytes += reply.size();
      }
    }
  }
  auto scrape = [&] {
    auto result = curl({"http://" + admin + "/metrics"});
    EXPECT_EQ(result.exit_code, 0);
    return parse_strictly(result.out);
  };
  const std::map<std::string, std::string> dgram{{"listener", "dgram"}};
  auto samples = scrape();
  EXPECT_EQ(value_of(samples, "fulcrum_udp_datagrams_in_total", dgram), 6);
  EXPECT_EQ(value_of(samples, "fulcrum_udp_datagrams_out_total", dgram), 6);
  EXPECT_EQ(value_of(samples, "fulcrum_udp_bytes_in_total", dgram), 6 * 4);
  EXPECT_EQ(value_of(samples, "fulcrum_udp_bytes_out_total", dgram), static_cast<double>(reply_bytes));
  EXPECT_EQ(value_of(samples, "fulcrum_udp_flows_total", dgram), 3);
  EXPECT_EQ(value_of(samples, "fulcrum_udp_flows_active", dgram), 2);
  EXPECT_EQ(value_of(samples, "fulcrum_udp_flows_ended_total", {{"listener", "dgram"}, {"reason", "evicted"}}), 1);
  EXPECT_EQ(value_of(samples, "fulcrum_udp_datagrams_dropped_total", {{"listener", "dgram"}, {"reason", "no_target"}}),
            0);
  EXPECT_EQ(samples.end(), std::find_if(samples.begin(), samples.end(), [](const Sample& s) {
              return s.name.starts_with("fulcrum_listener_") && s.labels.count("listener") &&
                     s.labels.at("listener") == "dgram";
            })) << "UDP listeners are counted in the fulcrum_udp_* families only";

  // The two left expire after the idle timeout (checked four times per timeout).
  for (int i = 0; i < 40; ++i) {
    samples = scrape();
    if (value_of(samples, "fulcrum_udp_flows_active", dgram) == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(value_of(samples, "fulcrum_udp_flows_active", dgram), 0);
  EXPECT_EQ(value_of(samples, "fulcrum_udp_flows_ended_total", {{"listener", "dgram"}, {"reason", "idle_timeout"}}), 2);
}

}  // namespace metrics_test
}  // namespace fulcrum::testing
