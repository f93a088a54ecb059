// The JSON form of a UsageRecord: reading one record (with canonical, OpenAI-style or native
// usage, or a whole provider response body) and writing usage back as canonical JSON.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "costops/domain/json_text.h"
#include "costops/domain/records.h"
#include "costops/engine/normalizer.h"

namespace costops::ingest {

/// Parses records of the form
///   {"id", "timestamp", "provider", "model", "api_flavor", "service_tier", "batch",
///    "organization_id", "project_id", "user_id", "tags": {"k": "v"} | ["k=v"], "metadata": {...},
///    "tier_input_tokens", "usage": {...} | "body": {...}}
/// The time may also be named created_at, createdAt, start_time, startTime or created (see
/// is_timestamp_alias); "timestamp" wins when both are given.
/// Only provider (or a model that identifies one), model (or a body that names it) and usage
/// (or body) are required. Unknown keys are ignored. Errors name the field.
/// Not thread-safe (reuses parser buffers): one per thread.
class RecordParser {
 public:
  explicit RecordParser(engine::Normalizer& normalizer);
  ~RecordParser();

  /// Extra readable bytes parse_padded needs after the text.
  static size_t padding();
  /// Parses `text`, which is followed in memory by at least padding() readable bytes.
  Result<UsageRecord> parse_padded(std::string_view text);
  /// As parse_padded, into *out (cleared first, capacity reused: no allocation in steady state).
  Status parse_padded_into(std::string_view text, UsageRecord* out);
  /// Parses `text` (copied into an internal padded buffer).
  Result<UsageRecord> parse(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Whether `key` is another name the parser takes the time from when a record has no
/// "timestamp": created_at, createdAt, start_time, startTime or created (as gateways, tracing tools
/// and OpenAI-style response bodies name it).
bool is_timestamp_alias(std::string_view key);

/// Whether the parser reads `key` as one line of text (provider, model, id, timestamp, the
/// organization, project and user ids and kDimensionFields' names for them, api_flavor,
/// service_tier, source): a line break in its
/// value is never meant. CSV ingest takes one there as a stray quote.
bool one_line_record_key(std::string_view key);

/// Whether the parser reads `key` among a record's fields (a gateway line's: cache_hit, spend,
/// ...); CSV columns are fields of their row's record.
bool reads_record_key(std::string_view key);

/// Whether the parser reads `key` as the cost the input logged for the call (spend,
/// response_cost, cost_usd, ...).
bool logged_cost_key(std::string_view key);

/// Why a row of OpenRouter's activity export (the dashboard's CSV, a row per generation, told by
/// generation_id beside byok_usage_inference) is not read, and what to fetch instead.
inline constexpr std::string_view kOpenRouterExportNotRead =
    "OpenRouter's activity export (the dashboard's CSV, a row per generation by generation_id) is "
    "not read; fetch the generations (GET /api/v1/generation?id=...) or the activity by day (GET "
    "/api/v1/activity), whose counts are those the calls were billed by";

/// Another name for a record's field.
struct FieldAlias {
  std::string_view name;  // the other name
  std::string_view key;   // the record's
};
/// A gateway's names, as LiteLLM's spend logs give them: custom_llm_provider is the provider,
/// team_id the project_id. The parser reads them in a line that gives its counts among its
/// fields, and CSV ingest as columns, each when the record names no value of its own for the
/// field.
inline constexpr FieldAlias kGatewayFields[] = {{"custom_llm_provider", "provider"},
                                                {"team_id", "project_id"}};
/// The dimensions' names in queries and filters: organization, project and user are a record's
/// organization_id, project_id and user_id when it gives none (as a string or a number; a value
/// of another shape is left alone). Any record, and CSV columns.
inline constexpr FieldAlias kDimensionFields[] = {
    {"organization", "organization_id"}, {"project", "project_id"}, {"user", "user_id"}};

}  // namespace costops::ingest
