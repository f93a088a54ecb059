// The unit registry: every billable usage unit (genai-prices v2 units.yml), its price key, how
// many units one price covers, and the dimensions that make one unit part of another.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace costops {

/// Index of a unit in kUnits.
using UnitId = uint8_t;

/// Dimension slots, in this order, of UnitDef::dims.
enum class Dimension : uint8_t {
  kFamily,
  kDirection,
  kModality,
  kTokenType,
  kCacheTtl,
  kPageType,
  kToolType
};
inline constexpr int kDimensionCount = 7;

/// One billable unit. `dims` holds the value of each Dimension ("" when the unit has none).
/// A unit A is an ancestor of B (B is part of A) when they share a family and every dimension
/// A sets, B sets to the same value: cache_read_tokens is part of input_tokens.
struct UnitDef {
  std::string_view usage_key;  // "cache_read_tokens"
  std::string_view price_key;  // "cache_read_mtok"
  int64_t per;                 // usage counts one price covers: 1'000'000 tokens, 1'000 requests
  std::array<std::string_view, kDimensionCount> dims;

  std::string_view family() const { return dims[0]; }
  std::string_view direction() const { return dims[1]; }
  /// Number of dimensions set besides the family: the unit's depth in its family.
  constexpr int depth() const {
    int d = 0;
    for (int i = 1; i < kDimensionCount; ++i) d += dims[i].empty() ? 0 : 1;
    return d;
  }
};

/// The registry, mirroring genai-prices' prices/units.yml (v2 contract; a test checks the copy in
/// data/pricing/genai-prices/units.yml against this table).
inline constexpr UnitDef kUnits[] = {
    {"input_tokens", "input_mtok", 1000000, {"tokens", "input", "", "", "", "", ""}},
    {"output_tokens", "output_mtok", 1000000, {"tokens", "output", "", "", "", "", ""}},
    {"cache_read_tokens",
     "cache_read_mtok",
     1000000,
     {"tokens", "input", "", "cache_read", "", "", ""}},
    {"cache_write_tokens",
     "cache_write_mtok",
     1000000,
     {"tokens", "input", "", "cache_write", "", "", ""}},
    {"cache_write_5m_tokens",
     "cache_write_5m_mtok",
     1000000,
     {"tokens", "input", "", "cache_write", "5m", "", ""}},
    {"cache_write_1h_tokens",
     "cache_write_1h_mtok",
     1000000,
     {"tokens", "input", "", "cache_write", "1h", "", ""}},
    {"input_text_tokens", "input_text_mtok", 1000000, {"tokens", "input", "text", "", "", "", ""}},
    {"output_text_tokens",
     "output_text_mtok",
     1000000,
     {"tokens", "output", "text", "", "", "", ""}},
    {"cache_text_read_tokens",
     "cache_text_read_mtok",
     1000000,
     {"tokens", "input", "text", "cache_read", "", "", ""}},
    {"cache_text_write_tokens",
     "cache_text_write_mtok",
     1000000,
     {"tokens", "input", "text", "cache_write", "", "", ""}},
    {"cache_text_write_5m_tokens",
     "cache_text_write_5m_mtok",
     1000000,
     {"tokens", "input", "text", "cache_write", "5m", "", ""}},
    {"cache_text_write_1h_tokens",
     "cache_text_write_1h_mtok",
     1000000,
     {"tokens", "input", "text", "cache_write", "1h", "", ""}},
    {"input_audio_tokens",
     "input_audio_mtok",
     1000000,
     {"tokens", "input", "audio", "", "", "", ""}},
    {"output_audio_tokens",
     "output_audio_mtok",
     1000000,
     {"tokens", "output", "audio", "", "", "", ""}},
    {"cache_audio_read_tokens",
     "cache_audio_read_mtok",
     1000000,
     {"tokens", "input", "audio", "cache_read", "", "", ""}},
    {"cache_audio_write_tokens",
     "cache_audio_write_mtok",
     1000000,
     {"tokens", "input", "audio", "cache_write", "", "", ""}},
    {"cache_audio_write_5m_tokens",
     "cache_audio_write_5m_mtok",
     1000000,
     {"tokens", "input", "audio", "cache_write", "5m", "", ""}},
    {"cache_audio_write_1h_tokens",
     "cache_audio_write_1h_mtok",
     1000000,
     {"tokens", "input", "audio", "cache_write", "1h", "", ""}},
    {"input_image_tokens",
     "input_image_mtok",
     1000000,
     {"tokens", "input", "image", "", "", "", ""}},
    {"output_image_tokens",
     "output_image_mtok",
     1000000,
     {"tokens", "output", "image", "", "", "", ""}},
    {"cache_image_read_tokens",
     "cache_image_read_mtok",
     1000000,
     {"tokens", "input", "image", "cache_read", "", "", ""}},
    {"cache_image_write_tokens",
     "cache_image_write_mtok",
     1000000,
     {"tokens", "input", "image", "cache_write", "", "", ""}},
    {"cache_image_write_5m_tokens",
     "cache_image_write_5m_mtok",
     1000000,
     {"tokens", "input", "image", "cache_write", "5m", "", ""}},
    {"cache_image_write_1h_tokens",
     "cache_image_write_1h_mtok",
     1000000,
     {"tokens", "input", "image", "cache_write", "1h", "", ""}},
    {"input_video_tokens",
     "input_video_mtok",
     1000000,
     {"tokens", "input", "video", "", "", "", ""}},
    {"output_video_tokens",
     "output_video_mtok",
     1000000,
     {"tokens", "output", "video", "", "", "", ""}},
    {"cache_video_read_tokens",
     "cache_video_read_mtok",
     1000000,
     {"tokens", "input", "video", "cache_read", "", "", ""}},
    {"cache_video_write_tokens",
     "cache_video_write_mtok",
     1000000,
     {"tokens", "input", "video", "cache_write", "", "", ""}},
    {"cache_video_write_5m_tokens",
     "cache_video_write_5m_mtok",
     1000000,
     {"tokens", "input", "video", "cache_write", "5m", "", ""}},
    {"cache_video_write_1h_tokens",
     "cache_video_write_1h_mtok",
     1000000,
     {"tokens", "input", "video", "cache_write", "1h", "", ""}},
    {"input_tool_tokens", "input_tool_mtok", 1000000, {"tokens", "input", "", "tool", "", "", ""}},
    {"input_text_tool_tokens",
     "input_text_tool_mtok",
     1000000,
     {"tokens", "input", "text", "tool", "", "", ""}},
    {"input_audio_tool_tokens",
     "input_audio_tool_mtok",
     1000000,
     {"tokens", "input", "audio", "tool", "", "", ""}},
    {"input_image_tool_tokens",
     "input_image_tool_mtok",
     1000000,
     {"tokens", "input", "image", "tool", "", "", ""}},
    {"input_video_tool_tokens",
     "input_video_tool_mtok",
     1000000,
     {"tokens", "input", "video", "tool", "", "", ""}},
    {"output_reasoning_tokens",
     "output_reasoning_mtok",
     1000000,
     {"tokens", "output", "", "reasoning", "", "", ""}},
    {"output_text_reasoning_tokens",
     "output_text_reasoning_mtok",
     1000000,
     {"tokens", "output", "text", "reasoning", "", "", ""}},
    {"output_audio_reasoning_tokens",
     "output_audio_reasoning_mtok",
     1000000,
     {"tokens", "output", "audio", "reasoning", "", "", ""}},
    {"output_image_reasoning_tokens",
     "output_image_reasoning_mtok",
     1000000,
     {"tokens", "output", "image", "reasoning", "", "", ""}},
    {"output_video_reasoning_tokens",
     "output_video_reasoning_mtok",
     1000000,
     {"tokens", "output", "video", "reasoning", "", "", ""}},
    {"output_citation_tokens",
     "output_citation_mtok",
     1000000,
     {"tokens", "output", "", "citation", "", "", ""}},
    {"output_text_citation_tokens",
     "output_text_citation_mtok",
     1000000,
     {"tokens", "output", "text", "citation", "", "", ""}},
    {"output_audio_citation_tokens",
     "output_audio_citation_mtok",
     1000000,
     {"tokens", "output", "audio", "citation", "", "", ""}},
    {"output_image_citation_tokens",
     "output_image_citation_mtok",
     1000000,
     {"tokens", "output", "image", "citation", "", "", ""}},
    {"output_video_citation_tokens",
     "output_video_citation_mtok",
     1000000,
     {"tokens", "output", "video", "citation", "", "", ""}},
    {"input_characters", "input_mchars", 1000000, {"characters", "input", "", "", "", "", ""}},
    {"input_text_messages",
     "input_text_messages_kcount",
     1000,
     {"messages", "input", "text", "", "", "", ""}},
    {"audio_seconds", "audio_hours", 3600, {"durations", "", "audio", "", "", "", ""}},
    {"input_audio_seconds",
     "input_audio_hours",
     3600,
     {"durations", "input", "audio", "", "", "", ""}},
    {"output_audio_seconds",
     "output_audio_hours",
     3600,
     {"durations", "output", "audio", "", "", "", ""}},
    {"input_pixels", "input_gpixels", 1000000000, {"pixels", "input", "", "", "", "", ""}},
    {"input_document_pages",
     "input_document_kpages",
     1000,
     {"document_pages", "input", "", "", "", "", ""}},
    {"input_annotated_document_pages",
     "input_annotated_document_kpages",
     1000,
     {"document_pages", "input", "", "", "", "annotated", ""}},
    {"rerank_searches", "rerank_searches_kcount", 1000, {"rerank", "", "", "", "", "", ""}},
    {"web_searches", "web_searches_kcount", 1000, {"tool_calls", "", "", "", "", "", "web_search"}},
    {"social_searches",
     "social_searches_kcount",
     1000,
     {"tool_calls", "", "", "", "", "", "social_search"}},
    {"storage_searches",
     "storage_searches_kcount",
     1000,
     {"tool_calls", "", "", "", "", "", "storage_search"}},
    {"code_executions",
     "code_executions_kcount",
     1000,
     {"tool_calls", "", "", "", "", "", "code_execution"}},
    {"requests", "requests_kcount", 1000, {"requests", "", "", "", "", "", ""}},
};
inline constexpr int kUnitCount = static_cast<int>(sizeof(kUnits) / sizeof(kUnits[0]));
static_assert(kUnitCount <= 64, "Usage keeps a 64-bit presence mask");

/// The unit whose usage key is `key`, if any. constexpr so ids below are compile-time constants.
constexpr std::optional<UnitId> unit_by_usage_key(std::string_view key) {
  for (int i = 0; i < kUnitCount; ++i)
    if (kUnits[i].usage_key == key) return static_cast<UnitId>(i);
  return std::nullopt;
}
/// The unit whose price key is `key` ("input_mtok"), if any.
constexpr std::optional<UnitId> unit_by_price_key(std::string_view key) {
  for (int i = 0; i < kUnitCount; ++i)
    if (kUnits[i].price_key == key) return static_cast<UnitId>(i);
  return std::nullopt;
}

/// True when `d` is `a` or part of it (same family, d sets every dimension a sets, equally).
constexpr bool is_descendant_or_self(UnitId a, UnitId d) {
  const UnitDef& ua = kUnits[a];
  const UnitDef& ud = kUnits[d];
  for (int i = 0; i < kDimensionCount; ++i) {
    if (i > 0 && ua.dims[i].empty()) continue;
    if (ua.dims[i] != ud.dims[i]) return false;
  }
  return true;
}

/// Bit a of kAncestorMasks[u] is set when unit a is a proper ancestor of u (u is part of a).
inline constexpr std::array<uint64_t, kUnitCount> kAncestorMasks = [] {
  std::array<uint64_t, kUnitCount> m{};
  for (int u = 0; u < kUnitCount; ++u)
    for (int a = 0; a < kUnitCount; ++a)
      if (a != u && is_descendant_or_self(static_cast<UnitId>(a), static_cast<UnitId>(u)))
        m[u] |= uint64_t{1} << a;
  return m;
}();

namespace units {
inline constexpr UnitId kInputTokens = *unit_by_usage_key("input_tokens");
inline constexpr UnitId kOutputTokens = *unit_by_usage_key("output_tokens");
inline constexpr UnitId kCacheReadTokens = *unit_by_usage_key("cache_read_tokens");
inline constexpr UnitId kCacheWriteTokens = *unit_by_usage_key("cache_write_tokens");
inline constexpr UnitId kCacheWrite5mTokens = *unit_by_usage_key("cache_write_5m_tokens");
inline constexpr UnitId kCacheWrite1hTokens = *unit_by_usage_key("cache_write_1h_tokens");
inline constexpr UnitId kInputAudioTokens = *unit_by_usage_key("input_audio_tokens");
inline constexpr UnitId kOutputAudioTokens = *unit_by_usage_key("output_audio_tokens");
inline constexpr UnitId kCacheAudioReadTokens = *unit_by_usage_key("cache_audio_read_tokens");
inline constexpr UnitId kCacheAudioWriteTokens = *unit_by_usage_key("cache_audio_write_tokens");
inline constexpr UnitId kInputImageTokens = *unit_by_usage_key("input_image_tokens");
inline constexpr UnitId kOutputImageTokens = *unit_by_usage_key("output_image_tokens");
inline constexpr UnitId kCacheImageReadTokens = *unit_by_usage_key("cache_image_read_tokens");
inline constexpr UnitId kInputTextTokens = *unit_by_usage_key("input_text_tokens");
inline constexpr UnitId kOutputTextTokens = *unit_by_usage_key("output_text_tokens");
inline constexpr UnitId kInputVideoTokens = *unit_by_usage_key("input_video_tokens");
inline constexpr UnitId kOutputReasoningTokens = *unit_by_usage_key("output_reasoning_tokens");
inline constexpr UnitId kInputCharacters = *unit_by_usage_key("input_characters");
inline constexpr UnitId kAudioSeconds = *unit_by_usage_key("audio_seconds");
inline constexpr UnitId kInputAudioSeconds = *unit_by_usage_key("input_audio_seconds");
inline constexpr UnitId kOutputAudioSeconds = *unit_by_usage_key("output_audio_seconds");
inline constexpr UnitId kInputPixels = *unit_by_usage_key("input_pixels");
inline constexpr UnitId kWebSearches = *unit_by_usage_key("web_searches");
inline constexpr UnitId kRequests = *unit_by_usage_key("requests");
}  // namespace units

}  // namespace costops
