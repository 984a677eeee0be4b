#pragma once
// A MaxMind DB file (GeoLite2/GeoIP2 Country or City, or any .mmdb with the same fields) opened
// once with libmaxminddb in MMDB_MODE_MMAP and then only read: lookups take no lock and allocate
// nothing, so any number of threads may look up at once while the configuration that opened it
// lives. The file must be replaced by rename (as geoipupdate does), never rewritten in place,
// because the old mapping stays in use until the last configuration holding it is gone.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct MMDB_s;

namespace fulcrum::core {

// Two-letter codes (ISO 3166-1 alpha-2 countries, MaxMind's continent codes) as an index into a
// 26x26 table: geo_code_index("DE") == ('D'-'A')*26 + ('E'-'A'). -1 for anything else. Letter
// case does not matter.
inline constexpr int kGeoCodeCount = 26 * 26;
int geo_code_index(std::string_view code);
std::string geo_code_text(int index);  // "DE"; "" for -1

struct GeoLocation {
  int country = -1;    // country.iso_code, else registered_country.iso_code, as geo_code_index
  int continent = -1;  // continent.code, as geo_code_index
};

class GeoIpDatabase {
 public:
  // Opens and maps `path`; nullptr with `error` set ("No such file or directory", "not a MaxMind
  // DB file (...)") when the file is missing, unreadable or not a valid database.
  static std::shared_ptr<const GeoIpDatabase> open(const std::string& path, std::string& error);
  ~GeoIpDatabase();
  GeoIpDatabase(const GeoIpDatabase&) = delete;
  GeoIpDatabase& operator=(const GeoIpDatabase&) = delete;

  // `family` AF_INET (4 bytes) or AF_INET6 (16 bytes). An address the database does not know,
  // or a lookup the file cannot answer (a corrupt tree), gives an empty location.
  GeoLocation lookup(int family, const uint8_t* bytes) const;

  const std::string& path() const { return path_; }
  std::string database_type() const;  // from the metadata, e.g. "GeoLite2-Country"
  uint64_t build_epoch() const;       // when the file was built (seconds since 1970)

 private:
  explicit GeoIpDatabase(std::string path);
  std::string path_;
  std::unique_ptr<MMDB_s> mmdb_;
  bool opened_ = false;
};

}  // namespace fulcrum::core
