// Private helper: look at the first bytes of a stream, then read it from its start.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "costops/domain/status.h"

namespace costops::util {

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

/// Reads the first `n` bytes of `in` (fewer at its end) into *head, and returns a stream that
/// reads `in` from where it was: `in` itself, sought back, when it can seek (not owned), else one
/// that replays *head's bytes and then reads the rest of `in` (keep `in` open while reading it).
/// Errors when reading `in` fails.
Result<FilePtr> peek(std::FILE* in, size_t n, std::string* head);

}  // namespace costops::util
