// Helpers of the fuzz targets: an in-memory input file and a sink for output.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "costops/compression/codec.h"

namespace costops::fuzz {

// A FILE* (never null) from `open`'s result.
inline compression::FilePtr checked(std::FILE* f) {
  if (f == nullptr) std::abort();
  return compression::FilePtr(f, &std::fclose);
}

// A FILE* reading `text` (which must outlive it).
inline compression::FilePtr reading(std::string& text) {
  return checked(text.empty() ? std::fopen("/dev/null", "r")
                              : fmemopen(text.data(), text.size(), "r"));
}

// A FILE* that discards what is written to it.
inline compression::FilePtr discarding() { return checked(std::fopen("/dev/null", "w")); }

}  // namespace costops::fuzz
