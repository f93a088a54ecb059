// Shared helpers for the tests: paths to data and small builders.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace costops::testing {

inline std::string shared_path(const std::string& rel) {
  return std::string(COSTOPS_SHARED_DIR) + "/" + rel;
}
inline std::string source_path(const std::string& rel) {
  return std::string(COSTOPS_SOURCE_DIR) + "/" + rel;
}

/// Tests on the shared real-world data (../shared/data) skip when it is not beside the clone,
/// except under CI=true, where its absence is a failure.
#define COSTOPS_REQUIRE_SHARED_DATA()                                                    \
  do {                                                                                   \
    if (!std::filesystem::exists(::costops::testing::shared_path("data"))) {             \
      const char* ci = std::getenv("CI");                                                \
      if (ci != nullptr && std::string(ci) == "true") {                                  \
        FAIL() << "missing " << ::costops::testing::shared_path("data");                 \
      } else {                                                                           \
        GTEST_SKIP() << "no shared data at " << ::costops::testing::shared_path("data"); \
      }                                                                                  \
    }                                                                                    \
  } while (0)

/// `utf8` as UTF-16 with its byte order mark, as Windows PowerShell 5 writes text files
/// (little-endian) or big-endian. `utf8` must be well-formed.
inline std::string utf16(std::string_view utf8, bool little_endian = true) {
  std::string out = little_endian ? "\xFF\xFE" : "\xFE\xFF";
  auto unit = [&](uint32_t u) {
    const char hi = static_cast<char>(u >> 8), lo = static_cast<char>(u & 0xFF);
    out += little_endian ? std::string{lo, hi} : std::string{hi, lo};
  };
  for (size_t i = 0; i < utf8.size();) {
    const auto b = static_cast<unsigned char>(utf8[i]);
    const size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (size_t k = 1; k < len; ++k)
      cp = cp << 6 | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    i += len;
    if (cp < 0x10000) {
      unit(cp);
    } else {
      unit(0xD800 + ((cp - 0x10000) >> 10));
      unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
  }
  return out;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Makes the SQLite database `db` (replacing it) by running the SQL script `sql` (a file under
/// tests/testdata, such as opencode.sql); true when it ran whole.
inline bool make_sqlite_database(const std::string& sql, const std::string& db) {
  std::filesystem::remove(db);
  sqlite3* raw = nullptr;
  const bool ok = sqlite3_open(db.c_str(), &raw) == SQLITE_OK &&
                  sqlite3_exec(raw, read_file(sql).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  if (!ok) ADD_FAILURE() << sql << ": " << (raw ? sqlite3_errmsg(raw) : "out of memory");
  sqlite3_close(raw);
  return ok;
}

}  // namespace costops::testing
