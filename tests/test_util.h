// Shared helpers for the tests: paths to data and small builders.
#pragma once

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

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace costops::testing
