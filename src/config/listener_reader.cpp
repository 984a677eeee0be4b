#include "config/listener_reader.hpp"

#include <algorithm>

#include "config/security_reader.hpp"
#include "core/private_network.hpp"
#include "config/value_readers.hpp"

namespace fulcrum::config {
namespace {

using namespace std::chrono_literals;

ListenerTls read_tls(const Field& field, Diagnostics& diagnostics) {
  ListenerTls tls;
  MapFields map(field, schema::kTls, diagnostics);
  if (!map.is_map()) return tls;
  const Field* certificates = map.get("certificates");
  if (certificates == nullptr) {
    diagnostics.error(map.mark(), "tls needs certificates: a list of { cert: FILE, key: FILE }");
  } else if (auto items = read_list(*certificates, diagnostics)) {
    if (items->empty()) {
      diagnostics.error(certificates->mark(), "certificates: the list is empty; give at least one { cert, key }");
    }
    for (const auto& item : *items) {
      MapFields entry(item, schema::kCertificate, diagnostics);
      if (!entry.is_map()) continue;
      Certificate certificate;
      for (auto [key, out] : {std::pair{"cert", &certificate.cert}, std::pair{"key", &certificate.key}}) {
        if (const Field* file = entry.get(key)) {
          if (auto text = read_string(*file, diagnostics)) *out = *text;
        } else {
          diagnostics.error(entry.mark(), std::string("certificate needs '") + key + "' (a PEM file)");
        }
      }
      tls.certificates.push_back(certificate);
    }
  }
  read_into(map, "policy", tls.policy,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kTlsPolicy, "tls policy"); });
  read_into(map, "ticket_rotation", tls.ticket_rotation,
            [&](const Field& f) { return read_duration(f, diagnostics, 1s, std::chrono::hours(7 * 24)); });
  if (const Field* alpn = map.get("alpn")) {
    if (auto items = read_string_list(*alpn, diagnostics)) {
      for (const auto& item : *items) {
        if (item.text == "h2" || item.text == "http/1.1") {
          tls.alpn.push_back(item.text);
        } else {
          diagnostics.error(item.mark, "alpn: unknown protocol '" + item.text + "' (expected h2 | http/1.1)");
        }
      }
    }
  }
  return tls;
}

// Keys that only mean something to the HTTP proxy; on other listeners they are mistakes.
constexpr std::string_view kHttpOnlyKeys[] = {"client_header_timeout", "response_timeout", "desync_mode",
                                              "max_request_line",      "max_header_bytes", "max_headers",
                                              "max_body_bytes",        "add_forwarded",    "add_via",
                                              "http2",                 "max_concurrent_streams", "send_timeout"};

}  // namespace

ListenerConfig read_listener(const Field& item, std::vector<GroupReference>& references, Diagnostics& diagnostics) {
  ListenerConfig listener;
  MapFields map(item, schema::kListener, diagnostics);
  if (!map.is_map()) return listener;
  if (const Field* name = map.get("name")) {
    if (auto text = read_name(*name, diagnostics)) listener.name = *text;
  } else {
    diagnostics.error(map.mark(), "listener needs a name");
  }
  if (const Field* listen = map.get("listen")) {
    if (auto endpoint = read_endpoint(*listen, diagnostics, &listener.listen_text)) listener.listen = *endpoint;
  } else {
    diagnostics.error(map.mark(), "listener needs a listen address (HOST:PORT)");
  }
  read_into(map, "protocol", listener.protocol,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kListenerProtocol); });
  const ListenerContext context{listener.name.empty() ? "?" : listener.name, listener.protocol, &references};
  const std::string described = "listener '" + context.name + "' is " + to_string(listener.protocol);
  read_into(map, "scheme", listener.scheme,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kListenerScheme, "scheme"); });
  // An internal listener on a public address would tell the internet it exists and then
  // refuse it: that is a mistake in the file. 0.0.0.0 / :: are accepted (the host's private
  // addresses are among them, and the client check still refuses public clients).
  if (const Field* scheme = map.get("scheme"); scheme != nullptr && listener.scheme == ListenerScheme::internal &&
                                                 listener.listen.length != 0 &&
                                                 !core::is_private_network(listener.listen.address()) &&
                                                 !core::is_unspecified(listener.listen.address())) {
    diagnostics.error(scheme->mark(), "listener '" + context.name + "' is internal but listens on " +
                                          listener.listen.to_string() +
                                          ", a public address: internal listeners bind private addresses (10.0.0.0/8, "
                                          "172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7, loopback, "
                                          "link-local) or 0.0.0.0 / [::]; or make it internet-facing");
  }

  if (const Field* tls = map.get("tls")) {
    if (listener.protocol == ListenerProtocol::https) {
      listener.tls = read_tls(*tls, diagnostics);
    } else {
      diagnostics.error(
          tls->key_mark(),
          "'tls' (certificates) applies to https listeners only; " + described +
              (listener.protocol == ListenerProtocol::tls ? " (passthrough: the targets hold the certificates)" : ""));
    }
  } else if (listener.protocol == ListenerProtocol::https) {
    diagnostics.error(map.get("protocol")->mark(),
                      "https listeners need tls: { certificates: [ { cert: FILE, key: FILE } ] }");
  }

  if (const Field* rules = map.get("rules")) {
    if (auto items = read_list(*rules, diagnostics)) {
      std::vector<std::pair<std::string, YAML::Mark>> names_seen;
      for (std::size_t i = 0; i < items->size(); ++i) {
        Rule rule = read_rule((*items)[i], i, context, diagnostics);
        if (const YAML::Node& rule_node = (*items)[i].value; rule_node.IsMap() && rule_node["name"]) {
          const YAML::Node name = rule_node["name"];
          for (const auto& [earlier, mark] : names_seen) {
            if (earlier == rule.name) {
              diagnostics.error(name.Mark(), "duplicate rule name '" + rule.name + "' in listener '" + context.name +
                                                 "' (first at line " + std::to_string(mark.line + 1) + ")");
            }
          }
          names_seen.emplace_back(rule.name, name.Mark());
        }
        listener.rules.push_back(std::move(rule));
      }
    }
  }

  if (const Field* action = map.get("default")) {
    listener.default_action = read_default_action(*action, context, diagnostics);
  } else {
    diagnostics.error(map.mark(),
                      "listener '" + context.name + "' needs a default action, e.g. default: { forward: GROUP }");
  }

  if (const Field* security = map.get("security")) listener.security = read_security(*security, context, diagnostics);
  read_into(map, "accept_proxy_protocol", listener.accept_proxy_protocol,
            [&](const Field& f) { return read_bool(f, diagnostics); });
  if (const Field* field = map.get("accept_proxy_protocol");
      field != nullptr && listener.accept_proxy_protocol && listener.protocol != ListenerProtocol::tcp &&
      listener.protocol != ListenerProtocol::tls) {
    // An http listener would read the header as a malformed request line and answer 400.
    diagnostics.error(field->key_mark(),
                      "'accept_proxy_protocol' applies to tcp and tls listeners only (http and https listeners do "
                      "not read PROXY headers yet); " + described);
  }
  // UDP has no connection to close, so flows expire sooner (NLB uses 120 s; DNS-like traffic wants less).
  if (listener.protocol == ListenerProtocol::udp) listener.idle_timeout = 30s;
  read_into(map, "idle_timeout", listener.idle_timeout,
            [&](const Field& f) { return read_duration(f, diagnostics, 100ms, std::chrono::hours(24 * 7)); });

  if (const Field* field = map.get("max_flows")) {
    if (listener.protocol == ListenerProtocol::udp) {
      if (auto value = read_uint(*field, diagnostics, 1, 10'000'000)) listener.max_flows = static_cast<uint32_t>(*value);
    } else {
      diagnostics.error(field->key_mark(), "'max_flows' applies to udp listeners only; " + described);
    }
  }

  for (auto key : kHttpOnlyKeys) {
    const Field* field = map.get(key);
    if (field != nullptr && !is_http(listener.protocol)) {
      diagnostics.error(field->key_mark(),
                        "'" + std::string(key) + "' applies to http and https listeners only; " + described);
    }
  }
  if (!is_http(listener.protocol)) return listener;
  read_into(map, "client_header_timeout", listener.client_header_timeout,
            [&](const Field& f) { return read_duration(f, diagnostics, 100ms, 3600s); });
  read_into(map, "response_timeout", listener.response_timeout,
            [&](const Field& f) { return read_duration(f, diagnostics, 100ms, std::chrono::hours(24)); });
  read_into(map, "desync_mode", listener.desync_mode,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kDesyncMode); });
  read_into(map, "max_request_line", listener.max_request_line,
            [&](const Field& f) { return read_byte_size(f, diagnostics, 1024, 1024 * 1024); });
  read_into(map, "max_header_bytes", listener.max_header_bytes,
            [&](const Field& f) { return read_byte_size(f, diagnostics, 1024, 1024 * 1024); });
  read_into(map, "max_headers", listener.max_headers,
            [&](const Field& f) { return read_uint(f, diagnostics, 1, 1000); });
  read_into(map, "max_body_bytes", listener.max_body_bytes,
            [&](const Field& f) { return read_byte_size(f, diagnostics, 0, UINT64_MAX); });
  read_into(map, "add_forwarded", listener.add_forwarded, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "add_via", listener.add_via, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "http2", listener.http2, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "max_concurrent_streams", listener.max_concurrent_streams,
            [&](const Field& f) { return read_uint(f, diagnostics, 1, 10000); });
  read_into(map, "send_timeout", listener.send_timeout,
            [&](const Field& f) { return read_duration(f, diagnostics, 100ms, std::chrono::hours(24)); });
  if (listener.protocol == ListenerProtocol::https) {
    const bool lists_h2 = std::find(listener.tls.alpn.begin(), listener.tls.alpn.end(), "h2") != listener.tls.alpn.end();
    if (lists_h2 && !listener.http2) {
      // Pointed at the alpn list: the http2 key is there, so it was written on purpose.
      const Field* tls = map.get("tls");
      const YAML::Node alpn = tls->value.IsMap() ? YAML::Node(tls->value["alpn"]) : YAML::Node();
      diagnostics.error(alpn.IsDefined() ? alpn.Mark() : map.get("http2")->mark(),
                        "tls.alpn lists h2 but 'http2: false' turns HTTP/2 off on " + described +
                            "; drop h2 from alpn or the http2 key");
    }
    if (listener.tls.alpn.empty()) {
      if (listener.http2) listener.tls.alpn.push_back("h2");
      listener.tls.alpn.push_back("http/1.1");
    }
  }
  return listener;
}

}  // namespace fulcrum::config
