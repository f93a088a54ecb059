// Helpers of the fuzz targets: an in-memory input file and a sink for output.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "costops/compression/codec.h"
#include "costops/ingest/ingest.h"

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

// The input format a fuzz input's first byte picks: auto, JSON Lines, a JSON document, CSV,
// OpenTelemetry or usage reports.
inline ingest::InputFormat input_format(unsigned char first) {
  static constexpr ingest::InputFormat kFormats[] = {
      ingest::InputFormat::kAuto, ingest::InputFormat::kJsonl, ingest::InputFormat::kJson,
      ingest::InputFormat::kCsv,  ingest::InputFormat::kOtel,  ingest::InputFormat::kUsageReport};
  return kFormats[first % 6];
}

}  // namespace costops::fuzz
