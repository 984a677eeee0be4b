#include "core/geoip_database.hpp"

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::core {
namespace {

int code_of(const MMDB_entry_data_s& data) {
  if (!data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING) return -1;
  return geo_code_index(std::string_view(data.utf8_string, data.data_size));
}

// Lookup paths as arrays: MMDB_get_value (varargs) allocates one per call, MMDB_aget_value does not.
constexpr const char* kCountryPath[] = {"country", "iso_code", nullptr};
constexpr const char* kRegisteredCountryPath[] = {"registered_country", "iso_code", nullptr};
constexpr const char* kContinentPath[] = {"continent", "code", nullptr};

// The value at `path` of the found record, as a code index.
int code_at(MMDB_entry_s& entry, const char* const* path) {
  MMDB_entry_data_s data;
  if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS) return -1;
  return code_of(data);
}

}  // namespace

int geo_code_index(std::string_view code) {
  if (code.size() != 2) return -1;
  int index = 0;
  for (char c : code) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c < 'A' || c > 'Z') return -1;
    index = index * 26 + (c - 'A');
  }
  return index;
}

std::string geo_code_text(int index) {
  if (index < 0 || index >= kGeoCodeCount) return {};
  return {static_cast<char>('A' + index / 26), static_cast<char>('A' + index % 26)};
}

GeoIpDatabase::GeoIpDatabase(std::string path) : path_(std::move(path)), mmdb_(std::make_unique<MMDB_s>()) {}

GeoIpDatabase::~GeoIpDatabase() {
  if (opened_) MMDB_close(mmdb_.get());  // a failed MMDB_open has freed its own allocations
}

std::shared_ptr<const GeoIpDatabase> GeoIpDatabase::open(const std::string& path, std::string& error) {
  // MMDB_open's own message for a missing file is "Error opening the specified MaxMind DB
  // file"; say which error, as for any other file.
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    error = std::strerror(errno);
    return nullptr;
  }
  if (S_ISDIR(info.st_mode)) {
    error = "it is a directory";
    return nullptr;
  }
  if (info.st_size == 0) {  // mmap would say "Invalid argument"
    error = "not a MaxMind DB file (it is empty)";
    return nullptr;
  }
  std::shared_ptr<GeoIpDatabase> database(new GeoIpDatabase(path));
  errno = 0;
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, database->mmdb_.get());
  if (status != MMDB_SUCCESS) {
    if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) {
      error = errno != 0 ? std::strerror(errno) : MMDB_strerror(status);
    } else {
      error = std::string("not a MaxMind DB file (") + MMDB_strerror(status) + ")";
    }
    return nullptr;
  }
  database->opened_ = true;
  return database;
}

GeoLocation GeoIpDatabase::lookup(int family, const uint8_t* bytes) const {
  GeoLocation location;
  sockaddr_storage storage{};
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    std::memcpy(&in->sin_addr, bytes, 4);
  } else if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, bytes, 16);
  } else {
    return location;
  }
  int error = MMDB_SUCCESS;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(mmdb_.get(), reinterpret_cast<const sockaddr*>(&storage), &error);
  if (error != MMDB_SUCCESS || !result.found_entry) return location;
  location.country = code_at(result.entry, kCountryPath);
  if (location.country < 0) location.country = code_at(result.entry, kRegisteredCountryPath);
  location.continent = code_at(result.entry, kContinentPath);
  return location;
}

std::string GeoIpDatabase::database_type() const {
  const char* type = mmdb_->metadata.database_type;
  return type != nullptr ? type : "";
}

uint64_t GeoIpDatabase::build_epoch() const { return mmdb_->metadata.build_epoch; }

}  // namespace fulcrum::core
