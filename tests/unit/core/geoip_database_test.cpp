// GeoIpDatabase against a real .mmdb written for the test (tests/support/write_test_mmdb.pl):
// the fields read (country.iso_code, registered_country.iso_code, continent.code), IPv4 and
// IPv6, unknown addresses, and the errors for missing, empty and corrupt files.
#include "core/geoip_database.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <fstream>

#include "../../support/test_mmdb.hpp"

namespace fulcrum::core {
namespace geoip_database_test {

using fulcrum::testing::ScratchDir;
using fulcrum::testing::write_test_mmdb;

GeoLocation lookup(const GeoIpDatabase& database, const char* text) {
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text, bytes.data()) == 1) return database.lookup(AF_INET, bytes.data());
  EXPECT_EQ(inet_pton(AF_INET6, text, bytes.data()), 1) << text;
  return database.lookup(AF_INET6, bytes.data());
}

std::string country(const GeoIpDatabase& database, const char* address) {
  return geo_code_text(lookup(database, address).country);
}
std::string continent(const GeoIpDatabase& database, const char* address) {
  return geo_code_text(lookup(database, address).continent);
}

TEST(GeoCode, TwoLettersEitherCaseElseMinusOne) {
  EXPECT_EQ(geo_code_index("AA"), 0);
  EXPECT_EQ(geo_code_index("DE"), 3 * 26 + 4);
  EXPECT_EQ(geo_code_index("de"), geo_code_index("DE"));
  EXPECT_EQ(geo_code_index("ZZ"), kGeoCodeCount - 1);
  EXPECT_EQ(geo_code_index(""), -1);
  EXPECT_EQ(geo_code_index("D"), -1);
  EXPECT_EQ(geo_code_index("DEU"), -1);
  EXPECT_EQ(geo_code_index("D1"), -1);
  EXPECT_EQ(geo_code_text(geo_code_index("jp")), "JP");
  EXPECT_EQ(geo_code_text(-1), "");
}

TEST(GeoIpDatabase, ReadsCountryAndContinentOfIpv4AndIpv6Networks) {
  ScratchDir dir;
  const std::string path = dir.file("test.mmdb");
  ASSERT_EQ(write_test_mmdb(path, {"203.0.113.0/24=US/NA", "198.51.100.0/25=DE/EU", "198.51.100.128/25=+JP/AS",
                                   "2001:db8:1::/48=FR/EU", "192.0.2.0/24=-/OC"}),
            "");
  std::string error;
  auto database = GeoIpDatabase::open(path, error);
  ASSERT_TRUE(database) << error;
  EXPECT_EQ(database->database_type(), "Fulcrum-Test-Country");
  EXPECT_GT(database->build_epoch(), 1700000000u);
  EXPECT_EQ(country(*database, "203.0.113.7"), "US");
  EXPECT_EQ(continent(*database, "203.0.113.255"), "NA");
  EXPECT_EQ(country(*database, "198.51.100.1"), "DE");
  EXPECT_EQ(country(*database, "198.51.100.200"), "JP");  // registered_country when country is absent
  EXPECT_EQ(continent(*database, "198.51.100.200"), "AS");
  EXPECT_EQ(country(*database, "2001:db8:1:ffff::1"), "FR");
  EXPECT_EQ(continent(*database, "2001:db8:1::1"), "EU");
  EXPECT_EQ(country(*database, "192.0.2.9"), "");  // continent only
  EXPECT_EQ(continent(*database, "192.0.2.9"), "OC");
  // Addresses the database does not know.
  EXPECT_EQ(lookup(*database, "10.0.0.1").country, -1);
  EXPECT_EQ(lookup(*database, "10.0.0.1").continent, -1);
  EXPECT_EQ(lookup(*database, "2001:db8:2::1").country, -1);
  EXPECT_EQ(database->lookup(0, nullptr).country, -1);
}

TEST(GeoIpDatabase, MissingEmptyAndCorruptFilesAreErrorsThatSayWhy) {
  ScratchDir dir;
  std::string error;
  EXPECT_FALSE(GeoIpDatabase::open(dir.file("nope.mmdb"), error));
  EXPECT_EQ(error, "No such file or directory");
  EXPECT_FALSE(GeoIpDatabase::open(dir.path, error));
  EXPECT_EQ(error, "it is a directory");

  std::ofstream(dir.file("empty.mmdb")).close();
  EXPECT_FALSE(GeoIpDatabase::open(dir.file("empty.mmdb"), error));
  EXPECT_NE(error.find("not a MaxMind DB file"), std::string::npos) << error;

  std::ofstream(dir.file("text.mmdb")) << "this is not a database\n";
  EXPECT_FALSE(GeoIpDatabase::open(dir.file("text.mmdb"), error));
  EXPECT_NE(error.find("not a MaxMind DB file"), std::string::npos) << error;

  // A real database cut short loses its metadata (at the end of the file).
  const std::string whole = dir.file("whole.mmdb");
  ASSERT_EQ(write_test_mmdb(whole, {"203.0.113.0/24=US/NA"}), "");
  std::filesystem::copy_file(whole, dir.file("cut.mmdb"));
  std::filesystem::resize_file(dir.file("cut.mmdb"), std::filesystem::file_size(whole) - 40);
  EXPECT_FALSE(GeoIpDatabase::open(dir.file("cut.mmdb"), error));
  EXPECT_NE(error.find("not a MaxMind DB file"), std::string::npos) << error;

  if (::geteuid() != 0) {  // root reads anything
    std::filesystem::copy_file(whole, dir.file("locked.mmdb"));
    std::filesystem::permissions(dir.file("locked.mmdb"), std::filesystem::perms::none);
    EXPECT_FALSE(GeoIpDatabase::open(dir.file("locked.mmdb"), error));
    EXPECT_EQ(error, "Permission denied");
  }
}

// A search tree that points outside itself: open succeeds (libmaxminddb reads the metadata
// only), lookups must not crash and find nothing.
TEST(GeoIpDatabase, ACorruptTreeFindsNothingAndDoesNotCrash) {
  ScratchDir dir;
  const std::string path = dir.file("tree.mmdb");
  ASSERT_EQ(write_test_mmdb(path, {"203.0.113.0/24=US/NA", "2001:db8:1::/48=FR/EU"}), "");
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    std::string garbage(96, '\xff');  // the first nodes: every record far past the node count
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  std::string error;
  auto database = GeoIpDatabase::open(path, error);
  ASSERT_TRUE(database) << error;
  EXPECT_EQ(lookup(*database, "203.0.113.7").country, -1);
  EXPECT_EQ(lookup(*database, "2001:db8:1::1").country, -1);
}

}  // namespace geoip_database_test
}  // namespace fulcrum::core
