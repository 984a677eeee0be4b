// The keys of issue 24: a listener's scheme (internet-facing or internal, as ELB says it) and
// the top-level user and group a root-started Fulcrum switches to.
#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace fulcrum::config {
namespace service_keys_test {

using testing::all_errors;
using testing::expect_error;
using testing::load;

std::string listener_at(const std::string& listen, const std::string& scheme) {
  return "listeners:\n"
         "  - name: web\n"
         "    listen: " + listen + "\n"
         "    protocol: http\n"
         "    scheme: " + scheme + "\n"
         "    default: { forward: web }\n"
         "target_groups:\n"
         "  - { name: web, targets: [ { address: 127.0.0.1:9001 } ] }\n";
}

TEST(ServiceKeys, SchemeDefaultsToInternetFacingAsToday) {
  LoadResult result = load(testing::http_config());
  ASSERT_TRUE(result.config) << all_errors(result);
  EXPECT_EQ(result.config->listeners[0].scheme, ListenerScheme::internet_facing);
  EXPECT_TRUE(result.config->user.empty());
}

TEST(ServiceKeys, AnInternalListenerMayBindPrivateOrUnspecifiedAddresses) {
  for (const char* listen : {"10.1.2.3:80", "192.168.0.10:443", "172.16.5.5:8080", "100.64.0.1:80", "127.0.0.1:80",
                             "0.0.0.0:80", "\"[::]:80\"", "\"[fd00::1]:80\"", "\"[::1]:80\""}) {
    LoadResult result = load(listener_at(listen, "internal"));
    ASSERT_TRUE(result.config) << listen << "\n" << all_errors(result);
    EXPECT_EQ(result.config->listeners[0].scheme, ListenerScheme::internal);
  }
}

TEST(ServiceKeys, AnInternalListenerOnAPublicAddressIsRefusedWhereSchemeIsWritten) {
  expect_error(listener_at("203.0.113.5:80", "internal"), 5, 13,
               "listener 'web' is internal but listens on 203.0.113.5:80, a public address: internal listeners bind "
               "private addresses (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7, loopback, "
               "link-local) or 0.0.0.0 / [::]; or make it internet-facing");
  // The same address is fine for an internet-facing listener.
  EXPECT_TRUE(load(listener_at("203.0.113.5:80", "internet-facing")).config);
}

TEST(ServiceKeys, AnUnknownSchemeSuggestsTheRightSpelling) {
  LoadResult result = load(listener_at("127.0.0.1:80", "intenral"));
  ASSERT_EQ(result.errors.size(), 1u) << all_errors(result);
  EXPECT_NE(result.errors[0].message.find("did you mean 'internal'?"), std::string::npos) << all_errors(result);
}

TEST(ServiceKeys, UserAndGroupAreReadAndGroupAloneIsAnError) {
  LoadResult result = load("user: fulcrum\ngroup: adm\n" + testing::http_config());
  ASSERT_TRUE(result.config) << all_errors(result);
  EXPECT_EQ(result.config->user, "fulcrum");
  EXPECT_EQ(result.config->group, "adm");
  expect_error("group: adm\n" + testing::http_config(), 1, 1,
               "'group' needs 'user': the user to switch to when started as root");
}

}  // namespace service_keys_test
}  // namespace fulcrum::config
