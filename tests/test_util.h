// Shared helpers for the tests: paths to data and small builders.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace costops::testing
