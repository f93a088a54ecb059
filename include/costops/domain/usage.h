// Usage: the canonical counts of one LLM call (or an aggregate), keyed by the unit registry.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>

#include "costops/domain/units.h"

namespace costops {

/// Counts per unit, with presence. `input_tokens` is the TOTAL input including cache reads,
/// cache writes and audio; `output_tokens` includes reasoning; parts are counted both in
/// themselves and in their ancestors. Fixed size, no allocation: cheap to build per request.
struct Usage {
  std::array<int64_t, kUnitCount> counts{};
  uint64_t present = 0;  // bit i set when counts[i] was given

  bool has(UnitId u) const { return (present >> u) & 1u; }
  int64_t get(UnitId u) const { return counts[u]; }
  void set(UnitId u, int64_t v) {
    counts[u] = v;
    present |= uint64_t{1} << u;
  }
  /// Adds `v` to the unit (marks it present). Returns false on overflow.
  bool add(UnitId u, int64_t v) {
    present |= uint64_t{1} << u;
    return !__builtin_add_overflow(counts[u], v, &counts[u]);
  }
  bool empty() const { return present == 0; }
  /// How many requests the usage counts: its `requests` when given (a usage report's row, a
  /// gateway's rollup), else one call.
  int64_t requests() const { return has(units::kRequests) ? counts[units::kRequests] : int64_t{1}; }
  bool operator==(const Usage&) const = default;
};

/// The cache reads, cache writes and reasoning tokens a usage counts, as stores keep them beside
/// input and output: each whole's own count when given, else the sum of its parts' (cache reads:
/// text, audio and image; cache writes: 5-minute and 1-hour).
struct TokenParts {
  int64_t cache_read = 0, cache_write = 0, reasoning = 0;
};
inline TokenParts token_parts(const Usage& u) {
  constexpr UnitId kTextRead = *unit_by_usage_key("cache_text_read_tokens");
  auto whole = [&u](UnitId w, std::initializer_list<UnitId> parts) {
    if (u.has(w)) return u.get(w);
    int64_t sum = 0;
    for (UnitId p : parts) sum += u.get(p);
    return sum;
  };
  return {whole(units::kCacheReadTokens,
                {kTextRead, units::kCacheAudioReadTokens, units::kCacheImageReadTokens}),
          whole(units::kCacheWriteTokens, {units::kCacheWrite5mTokens, units::kCacheWrite1hTokens}),
          u.get(units::kOutputReasoningTokens)};
}

}  // namespace costops
