// Private helpers for readers of a FILE*: look at the first bytes of a stream, then read it from
// its start; read a stream through a transformation (a decompressor, a text decoder).
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "costops/domain/status.h"

namespace costops::util {

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

/// A handle on `f` that does not close it.
FilePtr borrowed(std::FILE* f);

/// Reads the first `n` bytes of `in` (fewer at its end) into *head, and returns a stream that
/// reads `in` from where it was: `in` itself, sought back, when it can seek (not owned), else one
/// that replays *head's bytes and then reads the rest of `in` (keep `in` open while reading it).
/// Errors when reading `in` fails before a byte; a failure after some fails the stream returned
/// once it has replayed them.
Result<FilePtr> peek(std::FILE* in, size_t n, std::string* head);

/// What open_transformed reads its input through: each piece of the input, in order, then the
/// end. Each appends its output to `out`.
class Transform {
 public:
  virtual ~Transform() = default;
  virtual Status write(std::string_view in, std::string& out) = 0;
  /// At the end of the input: errors when it ended where it may not (a stream cut short).
  virtual Status finish(std::string& out) = 0;
};

/// A stream that reads `in` through `t`. When `t` fails, reading fails (std::ferror) and *error,
/// when given, holds its message.
Result<FilePtr> open_transformed(FilePtr in, std::unique_ptr<Transform> t,
                                 std::shared_ptr<std::string> error);

}  // namespace costops::util
