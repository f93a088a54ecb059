// Ingest: read usage records from JSON Lines, JSON, CSV or OpenTelemetry GenAI spans in constant
// memory (JSON documents excepted), price each at its own timestamp, and hand batches to a sink.
//
// OpenTelemetry: OTLP JSON trace exports ({"resourceSpans": ...}, one per line as the collector's
// file exporter writes them, or one document) and flattened spans ({"attributes": {...}}).
// Spans with gen_ai.* usage are records: gen_ai.provider.name / gen_ai.system -> provider,
// gen_ai.response.model (else gen_ai.request.model) -> model, gen_ai.usage.input_tokens (total,
// cache included) / output_tokens, cache read and creation token counts, start time -> timestamp,
// trace and span ids -> id, service.name and gen_ai.operation.name -> tags. Other spans are not
// usage records and are not counted.
//
// Claude Code transcripts (~/.claude/projects/*/*.jsonl): an assistant message's lines are one
// record, with the largest counts they give (src/ingest/agent_logs.h); the other lines are no
// usage (IngestStats::without_usage). Codex rollouts (~/.codex/sessions/**/*.jsonl): each model
// call's token_count event is a record, repeated and replayed ones left out (same header). Gemini
// CLI sessions (~/.gemini/tmp/*/chats/: JSON Lines, or an older version's JSON document): each
// gemini message with token counts is a record, taken once (same header). Qwen Code sessions
// (~/.qwen/projects/*/chats/*.jsonl): each assistant record with usageMetadata (same header).
// OpenCode's database (~/.local/share/opencode/opencode.db): open_opencode_database turns it into
// a line per message, and each step of an assistant message (a model call) is a record (same
// header).
//
// Usage reports: pages of OpenAI's organization usage API (completions, embeddings) and of
// Anthropic's messages usage report, one per line or one document (or a list of pages). Each
// result row is a record of many requests' summed usage, at its time bucket's start; see
// src/ingest/usage_report.h for the fields and how long-context tiers are chosen.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "costops/domain/records.h"
#include "costops/domain/text_encoding.h"
#include "costops/engine/cost_calculator.h"
#include "costops/pricing/catalog.h"

namespace costops::ingest {

enum class InputFormat {
  kAuto,
  kJsonl,
  kJson,
  kCsv,
  kOtel,
  kUsageReport,
  kClaudeCode,
  kCodex,
  kGeminiCli,
  kQwenCode,
  kOpenCode,
  kSse,      // a streamed response's server-sent events
  kRealtime  // an OpenAI Realtime API session's events, a JSON object per line
};
/// Parses "auto", "jsonl", "json", "csv", "otel", "usage-report", "claude-code", "codex",
/// "gemini-cli", "qwen-code", "opencode", "sse", "realtime".
Result<InputFormat> parse_input_format(std::string_view name);
/// Whether `format` is a coding agent's log: Claude Code's, Codex's, Gemini CLI's, Qwen Code's or
/// OpenCode's (whose calls a resumed or forked session's file may hold again).
bool is_agent_log(InputFormat format);
/// The format of an input named `source` (a file name: its extension counts, a compression
/// suffix aside) that begins with `head` (its first block): Qwen Code sessions, Claude Code
/// transcripts, Codex rollouts, Gemini CLI sessions, OpenCode's messages (as
/// open_opencode_database writes them), OpenAI Realtime sessions' events, usage reports and
/// OpenTelemetry exports by their content, server-sent events (a data: or event: line first), then
/// .csv, .jsonl or .ndjson, then a JSON document ('[', an object over several lines, or {"records":
/// [...]} in a .json file), JSON Lines ('{'), else CSV.
InputFormat detect_input_format(std::string_view source, std::string_view head);

/// An error naming `source` when `head`, its first block (decoded to UTF-8), is binary data rather
/// than text (an executable, an image, an archive of a kind not read; an AWS event stream, such as
/// Amazon Bedrock's streamed responses, and a SQLite database read as a stream are named as
/// such); ok otherwise.
Status check_text_input(std::string_view source, std::string_view head);

/// Whether the file at `path` is a SQLite database (by its first 16 bytes).
bool is_sqlite_database(const std::string& path);
/// OpenCode's database (~/.local/share/opencode/opencode.db, or a channel's opencode-*.db; since
/// OpenCode 1.2, which moved its older JSON files there), or Kilo Code's, OpenCode's fork
/// (~/.local/share/kilo/kilo.db), as an input for ingest: a temporary file, read from its start,
/// with a line per message of the database (InputFormat::kOpenCode): {"opencode": {"id", "app"
/// ("kilo" for a file named kilo*, else "opencode"), "session", "directory" and "parent" (the
/// session's: its directory, and the session a sub-agent's works for), "message": its data as
/// stored, "steps": [the data of its step-finish parts]}}, in the order of the messages' ids (their
/// creation). Opened read-only: OpenCode may be running. Errors name the path: it cannot be read,
/// or it is another program's database.
Result<std::unique_ptr<std::FILE, int (*)(std::FILE*)>> open_opencode_database(
    const std::string& path);

/// A record that could not be read or priced, with where it came from.
struct Reject {
  std::string source;  // file name or "stdin"
  uint64_t line = 0;   // 1-based line (JSON: element index + 1)
  std::string reason;
  std::string text;  // the original line or row
};

/// Values for the records of an input that have none of their own (a command line's
/// `--default KEY=VALUE`): the organization, project and user, and tags (a record keeps its own
/// tag of a key). They become part of what a record without an id is (storage::record_key), as
/// the provider given does: an input ingested again with the same ones stores nothing new.
struct RecordDefaults {
  std::string organization, project, user;
  std::vector<std::pair<std::string, std::string>> tags;  // in the order given, keys unique

  /// Takes "KEY=VALUE": KEY organization, project, user or tag:KEY, VALUE not empty, a key given
  /// once. Errors (kInvalidArgument) quote the text.
  Status add(std::string_view text);
  /// Gives `r` the values it has none of.
  void apply(UsageRecord& r) const;
};

struct IngestOptions {
  /// REQUIRES: non-null; outlives the call.
  const pricing::Catalog* catalog = nullptr;
  InputFormat format = InputFormat::kAuto;
  /// The input's character encoding, decoded to UTF-8 before it is read.
  TextEncoding encoding = TextEncoding::kAuto;
  /// Provider for records that name none.
  std::string default_provider;
  /// Organization, project, user and tags for records that have none.
  RecordDefaults defaults;
  /// Time for records without a timestamp.
  Timestamp default_time{};
  /// Take a Claude Code message still streaming at the end of its transcript with its counts so
  /// far, rather than leave it for a later reading (IngestStats::streaming): for pricing that
  /// stores nothing.
  bool take_streaming = false;
  /// The project of a coding agent's session whose log names it by a hash alone: Gemini CLI
  /// keeps the project's directory in a .project_root file beside its chats directory, which the
  /// CLI reads for an input under one. When set, such records take it instead of the hash.
  std::string agent_project;
  /// Records per sink call (one transaction each). Default 10,000.
  size_t batch_size = 10000;
  /// Records per sink call once the input is out of time order (a batch begins before the end
  /// of one before it: an export sorted by user or cost, merged logs), when larger than
  /// batch_size. Such records land on the store's time index at random, so each transaction
  /// rewrites most of its pages: fewer, larger ones write far less. Default 25,000.
  size_t out_of_order_batch_size = 25000;
  /// Run the sink on a worker thread while the next batch is parsed and priced (true by
  /// default). The sink still sees one batch at a time, in input order, but not on the calling
  /// thread; set false when it must run there.
  bool overlap_sink = true;
  /// Optional: called on the calling thread with each complete batch just before the sink gets
  /// it (with overlap_sink, while the sink may still be writing the previous batch). For work on
  /// a batch that can run beside the sink, such as storage::EncodedRecords::encode, so that the
  /// sink's thread does only what must be serial. The batch's records stay valid and unchanged
  /// until the sink has returned for it.
  std::function<void(std::span<const PricedRecord> batch)> prepare;
  /// Optional: called on the calling thread with each record read, priced or unpriced (`cost`
  /// empty, `unpriced_reason` set), and the line it begins on, as it is taken into the batch:
  /// with on_reject, each record of the input in order.
  std::function<void(const PricedRecord& record, uint64_t line)> on_record;
  /// Called after each block of input (about 1 MiB) with records read and bytes consumed so far.
  /// Optional; for progress displays.
  std::function<void(uint64_t records, uint64_t bytes)> progress;
  /// Optional: the sink's store, for usage reports. With it, a report's time bucket that is
  /// stored from another fetch grouped otherwise, or that overlaps one of another width, is
  /// rejected rather than its usage counted twice (each of its rows is reported, with the stored
  /// input to delete first), and a bucket fetched again with revised figures replaces the one
  /// stored (IngestStats::replaced); buckets read earlier in the same input are compared without
  /// it. Called on the calling thread, once the sink has written the batches in flight.
  struct StoredReports {
    /// The records stored at exactly one of `times` whose id starts with `id_prefix`
    /// (storage::Store::records_at).
    std::function<Result<std::vector<PricedRecord>>(std::span<const Timestamp> times,
                                                    std::string_view id_prefix)>
        records_at;
    /// Deletes these stored records (storage::Store::delete_stored); returns how many it did.
    std::function<Result<uint64_t>(std::span<const PricedRecord> records)> remove;
  } stored_reports;
  /// Optional: what a read error of `in` was, when the stream can say more than ferror() (a
  /// decompressor's message, see compression::open_decompressed); read when one happens.
  std::shared_ptr<const std::string> read_error_detail;
};

/// What the sink did with a batch.
struct BatchResult {
  uint64_t stored = 0;
  uint64_t duplicates = 0;
  uint64_t unpriced = 0;  // of `stored`, records without a price
};

/// Records read whose model has no price, per provider and model.
struct UnpricedModel {
  std::string provider, model;
  std::string reason;    // the first record's (unknown model, unknown provider, ...)
  uint64_t records = 0;  // read (stored or duplicate)
};

/// Adds `records` to provider/model's entry of `models`, or appends one with `reason` (while there
/// are fewer than IngestStats::kMaxUnpricedModels).
void count_unpriced(std::vector<UnpricedModel>& models, std::string_view provider,
                    std::string_view model, std::string_view reason, uint64_t records = 1);

struct IngestStats {
  uint64_t read = 0;        // records seen (non-blank lines / rows / elements)
  uint64_t stored = 0;      // new records stored
  uint64_t duplicates = 0;  // already stored: skipped
  uint64_t unpriced = 0;    // stored without a price (model unknown to the catalog), of `stored`
  uint64_t rejected = 0;    // not stored; each reported to on_reject
  uint64_t replaced = 0;    // stored usage report rows a fetch again revised (deleted; its rows
                            // are in `stored`)
  uint64_t untimed = 0;     // taken (stored or duplicate) without a time: dated default_time
  // Coding agents' logs: lines that are no API call (Claude Code's user turns, tool results,
  // summaries, synthetic messages; Codex's messages and tool calls), not counted in `read`; and
  // lines that repeat a call counted otherwise (a Claude Code message's lines after its first,
  // folded into its record with the largest counts they give; Codex's token counts repeated
  // unchanged or replayed from a forked session's parent), not counted either.
  // A message still streaming at the end of its transcript (a session at work) is left out, to be
  // read whole when the file is read again: `streaming` counts them, not counted in `read`.
  uint64_t without_usage = 0;
  uint64_t merged = 0;
  uint64_t streaming = 0;
  // Streamed responses' server-sent events that are no response's final usage (text deltas,
  // pings, ends; usage a later event of the same response supersedes), not counted in `read`.
  uint64_t stream_events = 0;
  // Usage report rows taken at the base rates of a model with long-context prices, for want of
  // the context window of their requests (see src/ingest/usage_report.h).
  uint64_t base_rate_rows = 0;
  // Records priced with a warning (a part beyond its whole, a batch call or tier priced at the
  // standard prices, a unit billed at its parent's rate...), stored with it in their detail; and
  // the first kMaxWarnings distinct warnings, each "SOURCE:LINE: warning".
  uint64_t warned = 0;
  std::vector<std::string> warnings;
  static constexpr size_t kMaxWarnings = 3;
  /// Counts a record priced with `warnings` (read from `source`, "FILE:LINE"), keeping those not
  /// kept yet while there are fewer than kMaxWarnings.
  void note_warnings(std::string_view source, const std::vector<std::string>& warnings);
  // The costs the records logged (a gateway's or tracer's own: UsageRecord::logged_cost) against
  // their exact prices, of the records priced (stored or duplicates); not to be shown when the
  // sums leave their range (logged_fits false).
  engine::LoggedCosts logged;
  bool logged_fits = true;
  // A CSV's columns (as its header writes them) named as a cache, an input, an output, a prompt
  // or a completion but no key a record reads, that hold a count in some row: their counts are
  // not priced, which the caller says. (Columns named as tokens are said per record, in
  // UsageRecord::unread_counts.)
  std::vector<std::string> unread_columns;
  // In the order first seen; at most kMaxUnpricedModels (later models are counted in `unpriced`
  // only).
  std::vector<UnpricedModel> unpriced_models;
  static constexpr size_t kMaxUnpricedModels = 100;
  // read == stored + duplicates + rejected.
  // Set when reading the input failed part way ("SOURCE: " and read_error_detail, or "read
  // error"): the records before the failure were read as usual, and the line it cut short was
  // rejected. The run should fail.
  std::string input_error;
};

using BatchSink = std::function<Result<BatchResult>(std::span<const PricedRecord>)>;
using RejectSink = std::function<void(const Reject&)>;

/// Reads all records of `in` (named `source` in rejects and errors). Records with an unknown
/// model are kept as unpriced (reason recorded), never $0. Errors only for a failing sink (or a
/// CSV header no record can follow); batches already handed to the sink stay (each batch is
/// all-or-nothing in a Store). A read error ends the input: see IngestStats::input_error. UTF-16
/// input (told by its byte order mark) is read as UTF-8; a unit that is no character is a read
/// error there.
Result<IngestStats> ingest_stream(std::FILE* in, std::string_view source,
                                  const IngestOptions& options, const BatchSink& sink,
                                  const RejectSink& on_reject);

}  // namespace costops::ingest
