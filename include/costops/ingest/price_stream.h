// Pricing a stream of JSON Lines: the library side of `cost-ops price`.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "costops/domain/time.h"
#include "costops/engine/cost_calculator.h"
#include "costops/ingest/ingest.h"
#include "costops/pricing/catalog.h"

namespace costops::ingest {

/// The most worker threads price_jsonl runs (a larger PriceStreamOptions::threads is this many).
inline constexpr size_t kMaxPriceThreads = 256;

struct PriceStreamOptions {
  /// Catalog to price against. REQUIRES: non-null, outlives the call.
  const pricing::Catalog* catalog = nullptr;
  /// Time used for lines without a timestamp.
  Timestamp as_of{};
  /// The input's character encoding, decoded to UTF-8 before it is read.
  TextEncoding encoding = TextEncoding::kAuto;
  /// Provider for records that name none (read as they are, then priced as this provider's).
  std::string default_provider;
  /// Emit per-unit breakdown and price version in each result line. Default: false.
  bool detail = false;
  /// Worker threads (0: one per core, up to 8; at most kMaxPriceThreads). Output order is input
  /// order regardless.
  /// With on_priced set, one thread runs (the callback need not be thread-safe).
  size_t threads = 0;
  /// Write result lines to `out`. Default: true (false when only on_priced is wanted).
  bool write_lines = true;
  /// When not empty, each error object names it first: {"source": ..., "line": N, ...} (for
  /// output that several inputs share).
  std::string error_source;
  /// Called for each priced record (e.g. to build a summary) with the catalog provider and model
  /// ids its line names, its prices and the contract discount they are net of (null when none).
  /// Optional.
  std::function<void(const UsageRecord&, std::string_view provider, std::string_view model,
                     const engine::PriceResult&, const AppliedDiscount*)>
      on_priced;
  /// Called for each line that fails, with its number, the error and the record (null when the
  /// line did not parse). Optional; with it set, one thread runs too.
  std::function<void(uint64_t line, const Status& error, const UsageRecord* record)> on_failed;
  /// Called for each priced record with warnings (engine::record_warnings: usage the model has
  /// no price for, a tier or batch price it lacks, counts or a logged cost not read), with its
  /// line: without write_lines too, where no line carries them. Optional; with it set, one
  /// thread runs.
  std::function<void(uint64_t line, const std::vector<std::string>& warnings)> on_warnings;
  /// Optional: the ids of the coding agents' calls priced so far (Claude Code's, Codex's, Gemini
  /// CLI's and Qwen Code's records), for the inputs of one run to share: a resumed or continued
  /// session's file begins with copies of its earlier calls, each priced once (as ingest stores it
  /// once). Copies are counted in PriceStreamStats::duplicates, not in `lines`, and have no output
  /// line.
  std::unordered_set<std::string>* agent_calls = nullptr;
};

struct PriceStreamStats {
  uint64_t lines = 0;       // records read (non-blank lines of JSON Lines)
  uint64_t priced = 0;      // lines that produced prices
  uint64_t failed = 0;      // lines that produced an error object
  uint64_t duplicates = 0;  // agents' calls priced already (see PriceStreamOptions::agent_calls)
  std::vector<std::string> unread_columns;  // IngestStats::unread_columns of a CSV
};

/// Reads JSON Lines from `in` in constant memory and writes one JSON line per non-blank input
/// line to `out`, in order: {"provider","model","usage","input_price","output_price",
/// "total_price"[,"discount": {"name","percent","list_price"} when the catalog's contract
/// discount applies: the prices are net of it][,"currency" when not USD][,"warnings"]} or
/// {"line": N, "error": {"code", "message"}}. Prices are exact decimal strings. A bad line never
/// stops the others.
/// Errors only for I/O failures. UTF-16 input (told by its byte order mark) is read as UTF-8.
Result<PriceStreamStats> price_jsonl(std::FILE* in, std::FILE* out,
                                     const PriceStreamOptions& options);

/// Prices every record of an input in any format ingest reads (JSON Lines by price_jsonl; CSV, a
/// JSON document, OpenTelemetry exports, usage reports as ingest_stream reads them; kAuto: told by
/// `source`'s name and the first bytes, see detect_input_format), writing what price_jsonl writes:
/// one line per record in input order, an error object {"line": N, ...} naming the line a record
/// begins on for a record that cannot be priced or read. `source` names the input in errors.
Result<PriceStreamStats> price_input(std::FILE* in, std::string_view source, InputFormat format,
                                     std::FILE* out, const PriceStreamOptions& options);

}  // namespace costops::ingest
