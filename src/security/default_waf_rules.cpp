// The shipped pattern rules (`waf_default_rules: true`). Signatures of the commonest attacks,
// deliberately narrow: a rule that blocks real users is worse than none. Each has an example
// attack and benign look-alikes in tests/unit/security/default_waf_rules_test.cpp, and its
// false-positive caveats in docs/security.md. Path and query are searched both as sent and
// percent-decoded once.
#include "security/waf_rules.hpp"

namespace fulcrum::security {
namespace {

config::WafRule rule(std::string id, std::string pattern, std::vector<std::string> targets, std::string message) {
  config::WafRule r;
  r.id = std::move(id);
  r.pattern = std::move(pattern);
  r.targets = std::move(targets);
  r.message = std::move(message);
  return r;
}

}  // namespace

const std::vector<config::WafRule>& default_waf_rules() {
  static const std::vector<config::WafRule> rules = {
      // ../ or ..\ in any common encoding (%2e, %252e double-encoded, overlong %c0%ae).
      rule("fulcrum-path-traversal",
           R"((?i)(?:\.|%2e|%252e|%c0%ae)(?:\.|%2e|%252e|%c0%ae)(?:/|\\|%2f|%5c|%252f|%255c))",
           {"path", "query"}, "path traversal"),
      // Files that must never be served: VCS metadata, environment and server config, passwd.
      rule("fulcrum-sensitive-file",
           R"((?i)(?:/\.(?:git|svn|hg)/|/\.env(?:$|[./?])|/\.htaccess|/\.htpasswd|/wp-config\.php|/etc/(?:passwd|shadow)\b))",
           {"path", "query"}, "request for a sensitive file"),
      // SQL injection: UNION SELECT, tautologies after a quote, stacked statements, timing
      // and catalogue probes, comment-terminated quotes.
      rule("fulcrum-sqli",
           R"((?i)(?:\bunion\b(?:\s|/\*.*?\*/)+(?:all\s+|distinct\s+)?select\b|'\s*(?:or|and)\s+(?:'[^']*'|\d+)\s*(?:=|like)\s*(?:'[^']*'?|\d+)|'\s*(?:or|and)\s+\d+\s*(?:--|#)|'\s*;\s*(?:drop|delete|insert|update|shutdown|exec)\b|\b(?:sleep|benchmark|pg_sleep)\s*\(\s*\d|\bwaitfor\s+delay\b|\binformation_schema\b|'\s*(?:--|#)))",
           {"query", "body"}, "SQL injection signature"),
      // Cross-site scripting: script tags, javascript: URLs, inline event handlers on tags.
      rule("fulcrum-xss",
           R"((?i)(?:<\s*script\b|<\s*/\s*script\s*>|\bjavascript\s*:|<[^>]*\son(?:error|load|click|mouseover|focus|blur|toggle|animationstart)\s*=|<\s*(?:iframe|object|embed)\b|\bsrcdoc\s*=))",
           {"path", "query", "body"}, "cross-site scripting signature"),
      // Vulnerability scanners and attack tools that announce themselves.
      rule("fulcrum-scanner",
           R"((?i)(?:sqlmap|nikto|nmap|masscan|zgrab|nuclei|dirbuster|gobuster|wpscan|acunetix|nessus|openvas|w3af|havij|netsparker|fimap|commix))",
           {"header:user-agent"}, "vulnerability scanner user agent"),
  };
  return rules;
}

}  // namespace fulcrum::security
