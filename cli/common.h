// Shared CLI plumbing: exit codes, logging setup, catalog options.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "costops/compression/codec.h"
#include "costops/domain/aggregate.h"
#include "costops/domain/status.h"
#include "costops/engine/aggregator.h"
#include "costops/engine/cost_calculator.h"
#include "costops/engine/exchange.h"
#include "costops/forecasting/budget.h"
#include "costops/pricing/catalog.h"
#include "costops/report/prometheus.h"
#include "costops/storage/store.h"

namespace costops::ingest {
struct IngestStats;
}  // namespace costops::ingest

namespace costops::cli {

/// Documented exit codes.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // some input could not be processed (details on stdout/stderr)
  kExitUsage = 2,        // bad command line
  kExitRejected = 3,     // ingest: some records were rejected (the others are stored)
  kExitOverBudget = 4,   // budget status --fail-at: a budget reached the percentage
  kExitAnomaly = 5,      // anomalies --fail-on: an anomaly of at least that severity
  kExitBillDiffers = 6,  // reconcile --fail-on-diff: the bill and the stored spend differ
};

/// Sets up spdlog on stderr (colour only on a TTY and without NO_COLOR).
void setup_logging(bool verbose);
/// Logs `st` as an error line on stderr.
void report(const Status& st);

/// --catalog, --catalog-format and --prices, shared by every command that prices.
struct CatalogOptions {
  std::string catalog_file;
  std::string format = "auto";
  std::string custom_prices;
  /// Adds --catalog and --catalog-format, and --prices unless `with_prices` is false.
  void add_to(CLI::App& app, bool with_prices = true);
  /// Loads the chosen catalog (the built-in one by default), then the custom prices stored in
  /// `store` (when given), then the --prices file on top, then the contract discounts: the
  /// files' (--prices' in place of --catalog's of the same name), those stored in `store` that no
  /// file names, and `adding` in place of any of their names (pricing discount add's and pricing
  /// import's check).
  Result<const pricing::Catalog*> load(storage::Store* store = nullptr,
                                       std::span<const Discount> adding = {});

 private:
  std::optional<pricing::Catalog> owned_;
};

/// The words `cost-ops completion` offers for an option whose value is free text but for a few
/// names it often takes (an option checked by CLI::IsMember offers its choices without this). It
/// checks nothing, the command's own parsing does (its errors list what is valid), and it adds
/// nothing to the help. The words are the validator's name after kSuggestPrefix.
CLI::Validator suggest(const std::vector<std::string>& words);
inline constexpr std::string_view kSuggestPrefix = "suggest:";
/// Marks an option or positional argument whose completion words depend on what is stored or
/// on the catalog: the scripts of `cost-ops completion` ask `cost-ops __complete SOURCE` for
/// them as they complete, with the words of the line (its --db, --catalog, ...). As suggest(),
/// it checks nothing and adds nothing to the help. SOURCE is the validator's name after
/// kCompleteFromPrefix: budgets, discounts, filters, group-by, breakdowns, providers, models or
/// catalog (catalog's PROVIDER, then MODEL).
CLI::Validator complete_from(std::string_view source);
inline constexpr std::string_view kCompleteFromPrefix = "complete:";
/// The periods --period takes by name (YYYY-MM and the like are its other forms).
CLI::Validator named_periods();
/// The names --format takes on price and ingest (kInputFormatHelp), and --encoding
/// (kEncodingHelp).
CLI::Validator input_formats();
CLI::Validator text_encodings();

/// Opens the database --db names (the default when empty). `mode`: a SQLite file that does not
/// exist is created (commands that write) or an error (commands that read).
Result<std::unique_ptr<storage::Store>> open_db(const std::string& db, storage::OpenMode mode);

/// Opens the database as open_db and loads `catalog` layered with its custom prices. Reports
/// errors; false on failure.
bool open_store_and_catalog(const std::string& db, storage::OpenMode mode, CatalogOptions& catalog,
                            std::unique_ptr<storage::Store>* store, const pricing::Catalog** cat);

/// Adds --db to a subcommand, storing into *db.
void add_db_to(CLI::App& cmd, const std::shared_ptr<std::string>& db);

/// "input_mtok=2.5, output_mtok=10 (>200000: 15)" for a price set.
std::string price_text(const pricing::PriceSet& ps);
/// Prints "less discount NAME: 12% off azure all models from 2026-01-01", below a model's prices.
void print_discount(const Discount& d);

/// A reporting period and the one before it (same length), [from, to) in UTC.
struct Period {
  std::optional<Timestamp> from, to;            // current
  std::optional<Timestamp> prev_from, prev_to;  // the period before, same length
  /// A to-date period's calendar period and its label ("month" for month-to-date): what summary
  /// and report project the total to. Unset for other periods.
  std::optional<std::pair<std::string, forecasting::DateRange>> whole;
};
/// today, yesterday, last-7-days, last-30-days, month-, quarter- or year-to-date, YYYY-MM,
/// YYYY-Qn, YYYY, YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD (inclusive) or all, relative to `now`, in days
/// of `tz`.
Result<Period> parse_period(const std::string& p, Timestamp now, const TimeZone& tz = {});
/// Today's date in `tz`.
forecasting::Date today(const TimeZone& tz = {});
/// --period's help text.
#define COSTOPS_PERIODS(last30)                        \
  "today, yesterday, last-7-days, last-30-days" last30 \
  ", month-to-date, quarter-to-date, "                 \
  "year-to-date, YYYY-MM, YYYY-Qn, YYYY, YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD (inclusive) or all"
inline constexpr const char* kPeriodHelp = COSTOPS_PERIODS(" (default)");
/// query's --period, which takes every record by default.
inline constexpr const char* kQueryPeriodHelp =
    "Instead of --from and --to: " COSTOPS_PERIODS("") " (default: all)";
/// The --period of commands that act on stored records (delete, reprice, whatif).
inline constexpr const char* kSelectionPeriodHelp =
    "Instead of --from and --to: " COSTOPS_PERIODS("") ", relative to now";
#undef COSTOPS_PERIODS

/// The time stored records are selected by: --from and --to, or else --period (relative to
/// --as-of where the command has one for it, else now), days in the command's --tz. --period
/// excludes --from and --to on the command line.
struct TimeSelection {
  std::string from, to, period, as_of;

  /// --from, --to, --period (`period_help`; its default is what `period` holds) and with
  /// `with_as_of` --as-of (which needs --period when that has no default).
  void add_to(CLI::App& cmd, const char* period_help, bool with_as_of);
  /// The selected [from, to) in `tz`, unbounded where unset; with `whole` a to-date period's
  /// Period::whole (else unset); with `previous` the period before it (a --period's, as
  /// parse_period has it; for --from and --to, as long a time just before --from; unset for
  /// `all` or an open end). Errors name the option.
  Status resolve(const TimeZone& tz, std::optional<Timestamp>* from, std::optional<Timestamp>* to,
                 std::optional<std::pair<std::string, forecasting::DateRange>>* whole = nullptr,
                 std::optional<std::pair<Timestamp, Timestamp>>* previous = nullptr) const;
  /// What takes every record instead, for a note on an empty result.
  const char* advice() const;
};

/// Stored spend shown in one currency: --currency, and the rates that convert the others into it,
/// each day's cost at that day's rate (--rates FILE, --rate FROM/TO=RATE).
inline constexpr const char* kCurrencyHelp =
    "Show costs in this currency (EUR, GBP, ...): costs in others are converted with --rates "
    "or --rate, each day's at that day's rate";
struct CurrencyOptions {
  std::string currency, rates_file;
  std::vector<std::string> rates;

  /// --currency (`currency_help`; none when null: the command has its own), --rates and --rate,
  /// whose help says what they convert `into`.
  void add_to(CLI::App& cmd, const char* currency_help, const char* into = "--currency");
  /// Whether --rates or --rate is given.
  bool has_rates() const { return !rates_file.empty() || !rates.empty(); }
  /// The converter into `target` (--currency's when empty), reading --rates and --rate (a
  /// CUR=RATE one into the target) the first time it is asked for; null when there is no target.
  /// Owned by these options (and their copies), which make one per target. Errors name the file
  /// or the option.
  Result<engine::CurrencyConverter*> converter(std::string target = "") const;
  /// A note per currency a converter made converted at a stale rate (the rates end before the
  /// spend does).
  void note_stale() const;

 private:
  struct Made {
    std::shared_ptr<const engine::ExchangeRates> file;  // --rates', read once
    std::map<std::string, std::unique_ptr<engine::CurrencyConverter>> by_target;
  };
  std::shared_ptr<Made> made_ = std::make_shared<Made>();
};
/// Opens the database a command reads spend from (OpenMode::kExisting) and `money`'s converter
/// (null without --currency). Reports errors; false on failure.
bool open_spend(const std::string& db, const CurrencyOptions& money,
                std::unique_ptr<storage::Store>* store, engine::CurrencyConverter** converter);
/// Whether `st` is a conversion's missing rate; if so, notes "`what`: MESSAGE" (a figure left
/// out, such as the previous period's, whose days the rates do not reach).
bool note_if_rate_missing(const Status& st, std::string_view what);
/// `st`, with what gives the missing rate when it is a conversion's (kNotFound from a converter).
Status with_rates_hint(const Status& st, const engine::CurrencyConverter* converter);

/// ingest's and price's --format.
inline constexpr const char* kInputFormatHelp =
    "Input format: auto (by extension and content), jsonl, json, csv, otel, usage-report, "
    "claude-code (Claude Code's session transcripts), codex (Codex's session rollouts), "
    "gemini-cli (Gemini CLI's sessions), qwen-code (Qwen Code's sessions), opencode (OpenCode's "
    "database), sse (streamed responses' server-sent events), realtime (an OpenAI Realtime "
    "session's events, a JSON object per line)";
/// The --agents flag's help, as price and ingest take it.
inline constexpr const char* kAgentsHelp =
    "Also read the coding agents' logs on this machine, where each keeps them: Claude Code's "
    "(~/.claude/projects, ~/.config/claude/projects or $CLAUDE_CONFIG_DIR), Codex's "
    "(~/.codex/sessions and archived_sessions, or under $CODEX_HOME), Gemini CLI's "
    "(~/.gemini/tmp), Qwen Code's (~/.qwen/projects), OpenCode's (~/.local/share/opencode/"
    "opencode.db, or under $XDG_DATA_HOME) and Kilo Code's (~/.local/share/kilo/kilo.db, or "
    "$KILO_DB)";
/// The --encoding option's help, as price and ingest take it.
inline constexpr const char* kEncodingHelp =
    "Input text encoding: auto (UTF-8, or UTF-16 by its byte order mark or its first "
    "characters), utf-8, utf-16le, "
    "utf-16be, windows-1252 (Excel's plain CSV; also cp1252, latin1, iso-8859-1)";
/// The --filter option's help, as query, summary, report and forecast take it.
inline constexpr const char* kFilterHelp =
    "KEY=VALUE or KEY!=VALUE, a * in VALUE matching any run (repeatable: one of a key's = "
    "values, none of its != values, and every key)";
/// --filter (KEY=VALUE on stored records), whose help is `help`; it completes from the stored
/// values.
CLI::Option* add_filter(CLI::App& cmd, std::vector<std::string>& filters,
                        const std::string& help = kFilterHelp);

/// --label NAME=VALUE (repeatable), of --format prometheus: a label every sample has.
void add_prometheus_labels(CLI::App& cmd, std::vector<std::string>& labels);

/// Makes every repeatable option of `app` and its commands take one value each time it is given
/// (--filter a=b --filter c=d), so that a positional argument after one (an input file, a
/// budget's name) is not taken for another of its values. Called once the commands are added.
void one_value_per_option(CLI::App& app);
/// The --label labels (report::parse_prometheus_labels, none of `taken`, the labels the samples
/// have); an error when some are given and `format` is not prometheus.
Result<report::PrometheusLabels> constant_labels(const std::vector<std::string>& given,
                                                 const std::string& format,
                                                 std::span<const std::string> taken);

/// Why none of `values` (the values a key has) passes one of `filters` (KEY=VALUE filters of that
/// key): nullopt when one does; else " (did you mean V?)" for a value that differs from a filter's
/// only in case, or " (LABEL: v1, v2, ...)" with up to 10 of the values that are not empty, or ""
/// when none is.
std::optional<std::string> unmatched_value_hint(std::span<const Filter> filters,
                                                const std::vector<std::string>& values,
                                                const std::string& label);

/// Why filters may have matched nothing: for each of `filters` whose value no stored record has,
/// "no stored record has KEY=VALUE (did you mean V?)", or with the key's values when none differs
/// from it only in case (up to 10 of them); "; "-joined, empty when every value exists. With
/// `rollup_keys_only`, only provider, model, organization and project filters are looked at
/// (their values come from the daily totals; a user's or tag's from every record).
std::string filter_hint(storage::Store& store, const std::vector<Filter>& filters,
                        bool rollup_keys_only = false);

/// --logged's notes (query, report): records whose logged cost could not be compared (priced in
/// another currency than USD), and what to do when none of the selected records `rows` sum has
/// one.
void note_logged_rows(const std::vector<AggregateRow>& rows);
/// `query`'s rows with the sums `extras` asks for: the costs the records logged
/// (AggregateRow::logged; query --logged and report --logged), the cost's parts (query
/// --cost-split). They are in each record's detail, not in the daily totals, so the records are
/// read and summed here, as the stores sum them.
Result<std::vector<AggregateRow>> scanned_rows(storage::Store& store, const AggregateQuery& query,
                                               engine::AggregateExtras extras);

/// Says on stderr why `query` matched nothing, when it can tell: a filter value no stored record
/// has (filter_hint), or a period no stored record falls in although the store holds some:
/// "note: no stored record falls in the period; the N stored records' days run from D1 to D2
/// (ADVICE)", days in the query's time zone.
void note_why_empty(storage::Store& store, const AggregateQuery& query, std::string_view advice);

/// Says on stderr how many records logged a cost (in USD, as gateways log) that prices in
/// `currency` could not be compared with (LoggedCosts::uncompared), when any did.
void note_uncompared_logged_costs(const engine::LoggedCosts& logged, Currency currency);

/// Says on stderr which of `source`'s CSV columns hold counts no key reads
/// (IngestStats::unread_columns), when any.
void note_unread_columns(const std::string& source, const std::vector<std::string>& columns);
/// The records priced with a warning (a cache read billed at the input rate, a tier without
/// prices, a logged cost not read), and the first warnings: a note of ingest, reprice and price
/// --summary; `where` says where each record's warnings are ("kept in the stored record's detail").
void note_warnings(const ingest::IngestStats& stats, const char* where);

/// --allocate-by, which needs --allocate (query's and report's): cost (the default) or even.
void add_allocate_by(CLI::App& cmd, std::string& by, CLI::Option* allocate);

/// What --allocate spread (query's and report's), on stderr: per currency, the cost of records
/// without `name` that was spread, over how many rows and how (`by`), and what stayed where no
/// row could take it.
void note_spread(const SpreadTotals& t, const std::string& name, SpreadBy by);

/// The tags of the latest records, each key with its values (sorted): of the last day with spend
/// whose records have tags, up to 7 days back (a sample: every record's would take a scan of them
/// all).
using TagValues = std::map<std::string, std::vector<std::string>>;
TagValues latest_tags(storage::Store& store);
/// "no record RECORDS has the tag \"TAG\" (tag keys of the latest records: ...)", RECORDS as "in
/// the query"; `tags` from latest_tags.
std::string absent_tag_hint(std::string_view records, const std::string& tag,
                            const TagValues& tags);
/// For each tag:KEY of the query's group keys that no row has a value of (a misspelled or absent
/// tag), a note on stderr: absent_tag_hint with latest_tags.
void note_absent_tags(storage::Store& store, const AggregateQuery& query,
                      const std::vector<AggregateRow>& rows);

/// An input file opened for reading (`open_input`).
struct Input {
  std::string name;            // the path, or "stdin" for "-"
  compression::FilePtr file;   // as stored (std::ftell: the bytes read so far); stdin not owned
  compression::FilePtr plain;  // what to read: its content, decompressed when it is compressed
  std::shared_ptr<std::string> codec_error;  // the decompressor's complaint, once it has one
  compression::Codec codec = compression::Codec::kNone;  // what its first bytes call for
  /// Why reading `plain` failed: the decompressor's complaint when it has one, else `otherwise`.
  Status read_error(Status otherwise) const;
};
/// Opens `path`, or stdin for "-". With `decompress`, gzip, zstd and zlib content (told by its
/// first bytes) reads decompressed, and a SQLite database, OpenCode's, reads as its messages
/// (ingest::open_opencode_database); without, `plain` reads the file as it is. Errors name the
/// path: it cannot be opened, or it is a directory.
Result<Input> open_input(const std::string& path, bool decompress = true);

/// Whether every one of `files` can be read (stdin, "-", always can), told before any is read
/// and without opening them: the first that cannot, as open_input would say it.
Status check_inputs(const std::vector<std::string>& files);

/// `path` without the suffix of its compression (compression::codec_for_path): "r.csv.gz" ->
/// "r.csv".
std::string without_codec_suffix(const std::string& path);

/// The inputs of price and ingest: `files`, with the coding agents' logs (find_agent_logs) after
/// them for `agents` (--agents: a note on stderr says what it found; none is an error), or stdin
/// ("-") when there are none; then check_inputs, after replacing each directory among them with
/// the JSON Lines files under it (.jsonl or .ndjson, compressed too; and Gemini CLI's older
/// session-*.json, OpenCode's opencode.db or a channel's opencode-*.db, and Kilo Code's kilo.db),
/// at any depth, in path order: Claude Code's ~/.claude/projects, a folder of gateway logs. A
/// directory without any is an error.
Status expand_and_check_inputs(std::vector<std::string>* files, bool agents = false);

/// A coding agent's logs on this machine: the agent, where they are, and the input files there.
struct AgentLogs {
  std::string agent, place;
  std::vector<std::string> files;
};
/// The coding agents' logs on this machine, where each agent keeps them (those with input files,
/// as expand_and_check_inputs reads a directory): Claude Code's projects ($CLAUDE_CONFIG_DIR, a
/// comma-separated list, else $XDG_CONFIG_HOME/claude or ~/.config/claude, and ~/.claude), Codex's
/// sessions and archived sessions ($CODEX_HOME, else ~/.codex), Gemini CLI's ~/.gemini/tmp, Qwen
/// Code's ~/.qwen/projects, OpenCode's databases ($XDG_DATA_HOME/opencode, else
/// ~/.local/share/opencode: opencode.db and a channel's opencode-*.db) and Kilo Code's, OpenCode's
/// fork ($KILO_DB, else kilo.db in $XDG_DATA_HOME/kilo or ~/.local/share/kilo).
std::vector<AgentLogs> find_agent_logs();

/// The first instant of day `d` in `tz` (its local midnight, or the clock change when the clocks
/// skip midnight).
Timestamp day_start(std::chrono::sys_days d, const TimeZone& tz);
/// A --from/--to/--as-of value: a timestamp with an offset as written, one without an offset as
/// wall-clock time in `tz` (the clock change when the clocks skip it), or a day YYYY-MM-DD as its
/// first instant in `tz`. Errors name `option`.
Result<Timestamp> parse_time_in(const std::string& text, const char* option, const TimeZone& tz);

/// The time an option such as --as-of gives (parse_time_in: a day is its start in `tz`), or now
/// when it is empty. Errors name the option.
Result<Timestamp> time_or_now(const std::string& text, const char* option, const TimeZone& tz = {});

/// The zone a --tz option names: UTC when `name` is empty. Errors name the option.
Result<TimeZone> parse_tz(const std::string& name);

/// A number option's check: a finite number from `lo` to `hi`. CLI11's Range lets NaN through,
/// and an unsigned option would read -1 as its largest value; this refuses both, and the error
/// names the option ("--horizon: expected a number from 1 to 1000000, got 0").
CLI::Validator number_in(double lo, double hi = std::numeric_limits<double>::max());
/// The same for a finite number above 0 ("--threshold: expected a finite number above 0, got 0").
CLI::Validator positive_number();

/// Adds comma-separated --group-by keys and KEY=VALUE --filter expressions to `q`. Errors name
/// the option.
Status build_query(const std::string& group_by, const std::vector<std::string>& filters,
                   AggregateQuery* q);
/// The records a command selects, into `q`: its group keys and filters, --tz, the time and
/// --source. Errors name the option or value.
Status build_selection(const std::string& group_by, const std::vector<std::string>& filters,
                       const std::string& tz, const TimeSelection& time, const std::string& source,
                       AggregateQuery* q);

/// --source's help.
inline constexpr const char* kSourceHelp =
    "Only the records read from this input, named as ingest was given it (its rejects' FILE)";

/// The stored records a command acts on (delete, reprice, whatif, copy, records): --source,
/// --from/--to or --period, --filter, --tz.
struct RecordSelection {
  TimeSelection time;
  std::string tz, source;
  std::vector<std::string> filters;

  void add_to(CLI::App& cmd);
  Status build(AggregateQuery* q) const {
    return build_selection("", filters, tz, time, source, q);
  }
};

/// The columns UTF-8 `text` takes in a terminal: one per character, two for the wide ones (East
/// Asian ideographs and syllables, full-width forms, emoji), none for combining marks; so that
/// tables line up whatever the names in them ("café" is 4 columns, not 5 bytes).
size_t display_width(std::string_view text);
/// `text` and spaces after it to make `width` columns (display_width): printf's %-*s for text
/// that is not ASCII.
std::string pad_right(std::string_view text, size_t width);

/// Prints rows of cells in columns as wide as their widest cell (display_width): the first
/// `left` columns left-aligned (names), the others right-aligned (figures).
void print_table(const std::vector<std::vector<std::string>>& rows, size_t left);

}  // namespace costops::cli
