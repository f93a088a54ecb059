// Helpers of the fuzz targets: an in-memory input file and a sink for output.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace costops::fuzz {

// A FILE* reading `text` (which must outlive it).
class MemFile {
 public:
  explicit MemFile(std::string& text)
      : f_(text.empty() ? std::fopen("/dev/null", "r") : fmemopen(text.data(), text.size(), "r")) {
    if (f_ == nullptr) std::abort();
  }
  ~MemFile() { std::fclose(f_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::FILE* get() const { return f_; }

 private:
  std::FILE* f_;
};

// A FILE* that discards what is written to it.
class NullFile {
 public:
  NullFile() : f_(std::fopen("/dev/null", "w")) {
    if (f_ == nullptr) std::abort();
  }
  ~NullFile() { std::fclose(f_); }
  NullFile(const NullFile&) = delete;
  NullFile& operator=(const NullFile&) = delete;
  std::FILE* get() const { return f_; }

 private:
  std::FILE* f_;
};

}  // namespace costops::fuzz
