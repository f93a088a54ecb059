// report (cost reports in five formats, optionally compressed), compress and decompress.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "commands.h"
#include "common.h"
#include "costops/compression/codec.h"
#include "costops/report/focus.h"
#include "costops/report/report.h"
#include "costops/storage/store.h"

namespace costops::cli {
namespace {

// An output written piece by piece, compressed with `codec` (a level: the codec's default
// without one): stdout for "" or "-", else a file written whole or not at all, into a temporary
// file beside it (or beside the file a symbolic link names) that commit() renames over it (its
// folder made first); removed when not committed. What is there and no regular file (a device
// such as /dev/null, a FIFO) is written in place, never replaced. A file replaced keeps its
// permissions.
class Output {
 public:
  // Errors: kInvalidArgument for a level the codec has not, kIoError for a file not made.
  static Result<std::unique_ptr<Output>> open(const std::string& path, compression::Codec codec,
                                              std::optional<int> level = std::nullopt) {
    std::unique_ptr<Output> out(new Output());
    if (codec != compression::Codec::kNone) {
      auto c = compression::Compressor::create(codec, level);
      if (!c) return c.status();
      out->compressor_.emplace(std::move(*c));
    }
    if (path.empty() || path == "-") return out;
    namespace fs = std::filesystem;
    out->path_ = path;
    std::error_code ec;
    const fs::file_status there = fs::status(path, ec);  // through links
    if (fs::exists(there) && !fs::is_regular_file(there)) {
      out->in_place_ = true;
      out->file_ = std::fopen(path.c_str(), "wb");
    } else {
      fs::path target = path;
      for (int links = 0; links < 40 && fs::is_symlink(fs::symlink_status(target, ec)); ++links) {
        target = target.parent_path() / fs::read_symlink(target, ec);  // absolute: replaces
      }
      out->target_ = target.string();
      out->temp_ = out->target_ + ".tmp-" + std::to_string(::getpid());
      if (!target.parent_path().empty()) fs::create_directories(target.parent_path(), ec);
      out->file_ = std::fopen(out->temp_.c_str(), "wb");
      // A file replaced keeps its permissions (a report kept private stays private).
      const fs::file_status old = fs::status(target, ec);
      if (out->file_ != nullptr && fs::is_regular_file(old)) {
        fs::permissions(out->temp_, old.permissions(), ec);
      }
    }
    if (out->file_ == nullptr) {
      return io_error(path + ": cannot write: " + std::strerror(errno));
    }
    return out;
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::error_code ec;
      if (!in_place_) std::filesystem::remove(temp_, ec);
    }
  }

  Status write(std::string_view bytes) {
    if (!compressor_) return put(bytes);
    buf_.clear();
    COSTOPS_RETURN_IF_ERROR(compressor_->write(bytes, buf_));
    return put(buf_);
  }
  // Ends the compressed stream, and puts the file in place.
  Status commit() {
    if (compressor_) {
      buf_.clear();
      COSTOPS_RETURN_IF_ERROR(compressor_->finish(buf_));
      COSTOPS_RETURN_IF_ERROR(put(buf_));
    }
    if (file_ == nullptr) {
      return std::fflush(stdout) == 0
                 ? Status::ok()
                 : io_error(std::string("stdout: cannot write: ") + std::strerror(errno));
    }
    const int closed = std::fclose(file_);
    const int error = errno;
    file_ = nullptr;
    if (in_place_) {
      return closed == 0 ? Status::ok()
                         : io_error(path_ + ": cannot write: " + std::strerror(error));
    }
    std::error_code ec;
    if (closed == 0) std::filesystem::rename(temp_, target_, ec);
    if (closed != 0 || ec) {
      std::filesystem::remove(temp_, ec);
      return io_error(path_ + ": cannot write: " + (ec ? ec.message() : std::strerror(error)));
    }
    return Status::ok();
  }

 private:
  Output() = default;
  Status put(std::string_view bytes) {
    std::FILE* f = file_ != nullptr ? file_ : stdout;
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
      return io_error((file_ != nullptr ? path_ : std::string("stdout")) +
                      ": cannot write: " + std::strerror(errno));
    }
    return Status::ok();
  }

  std::optional<compression::Compressor> compressor_;
  std::string path_, target_, temp_, buf_;  // as named, the file replaced, the one written
  std::FILE* file_ = nullptr;
  bool in_place_ = false;  // written to path_ itself
};

// Writes `text` to `path` as Output does.
Status write_output(const std::string& path, std::string_view text, compression::Codec codec) {
  auto out = Output::open(path, codec);
  if (!out) return out.status();
  COSTOPS_RETURN_IF_ERROR((*out)->write(text));
  return (*out)->commit();
}

// "wrote FILE (WHAT[, codec][: detail])" on stderr, for an --output that is a file.
void note_written(const std::string& output, const std::string& what, compression::Codec codec,
                  const std::string& detail = "") {
  if (output.empty() || output == "-") return;
  std::string about = what;
  if (codec != compression::Codec::kNone)
    about += ", " + std::string(compression::codec_name(codec));
  if (!detail.empty()) about += ": " + detail;
  std::fprintf(stderr, "wrote %s (%s)\n", output.c_str(), about.c_str());
}

// Rows of a report's top tables unless --top says otherwise.
constexpr size_t kDefaultTop = 10;

struct ReportCmd {
  TimeSelection time{.from = {}, .to = {}, .period = "last-30-days", .as_of = {}};
  std::string format, output, tz, title, compress = "auto";  // format "": by --output
  std::string allocate, allocate_by = "cost";  // --allocate KEY: the --by table spread_shared
  std::vector<std::string> filters, by;
  int forecast = 0;
  bool no_anomalies = false, hourly = false, no_users = false, budgets = false, logged = false,
       cost_split = false;
  std::vector<std::string> tags;  // --tags: focus's tag keys ("" for none: given, never empty)
  size_t top = kDefaultTop;
  CurrencyOptions money;  // --currency, --rates, --rate
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// --format focus: the selected records as a FOCUS dataset, written as the report would be.
int run_focus(const ReportCmd& o, const AggregateQuery& selection, compression::Codec codec) {
  if (o.forecast != 0 || !o.by.empty() || !o.allocate.empty() || o.no_anomalies ||
      o.top != kDefaultTop || !o.title.empty() || o.budgets || o.logged || o.cost_split) {
    report(invalid_argument(
        "--format focus writes the records' charges: --forecast, --by, --allocate, "
        "--no-anomalies, --top, --title, --budgets, --logged and --cost-split are the "
        "report's"));
    return kExitUsage;
  }
  if (!selection.time_zone.is_utc()) {
    report(
        invalid_argument("--format focus: FOCUS charge periods are UTC days and hours; "
                         "leave out --tz"));
    return kExitUsage;
  }
  std::unique_ptr<storage::Store> store;
  engine::CurrencyConverter* converter = nullptr;
  if (!open_spend(*o.db, o.money, &store, &converter)) return kExitFailure;
  report::FocusOptions fo;
  fo.hourly = o.hourly;
  fo.users = !o.no_users;
  if (engine::CurrencyConverter* c = converter) {  // billed in --currency, at each UTC day's rate
    fo.convert = [c](const Money& m, std::chrono::sys_days day) { return c->convert(m, day); };
  }
  if (!o.tags.empty()) {
    fo.tag_keys.emplace();
    for (const auto& t : o.tags) {
      if (!t.empty()) fo.tag_keys->push_back(t);
    }
  }
  auto out = Output::open(o.output, codec);
  if (!out) {
    report(out.status());
    return kExitFailure;
  }
  report::FocusDataset data(
      [](const std::string& id) {
        const pricing::Provider* p = pricing::Catalog::builtin().find_provider(id);
        return p != nullptr ? p->name : std::string();
      },
      [&](std::string_view text) { return (*out)->write(text); }, fo);
  Status st = store->scan(selection, [&](const PricedRecord& r) { return data.add(r); });
  if (st.is_ok()) st = data.finish();
  if (st.is_ok()) st = (*out)->commit();
  if (!st.is_ok()) {
    report(with_rates_hint(st, converter));
    return kExitFailure;
  }
  o.money.note_stale();
  if (data.unpriced() != 0) {
    std::fprintf(stderr,
                 "note: %llu unpriced record(s) left out: they have no cost to bill (cost-ops "
                 "reprice prices them once the catalog or a custom price knows their models)\n",
                 static_cast<unsigned long long>(data.unpriced()));
  }
  if (data.records() + data.unpriced() == 0) {
    note_why_empty(*store, selection, "--period all takes them all");
  }
  note_written(
      o.output, "focus", codec,
      std::to_string(data.rows()) + " rows of " + std::to_string(data.records()) + " records");
  return kExitOk;
}

// The report format an --output file's extension names (a compression suffix aside): csv, json,
// jsonl, html or markdown (.md); "" for none of them.
std::string format_of_path(const std::string& path) {
  std::string ext = std::filesystem::path(without_codec_suffix(path)).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".csv" || ext == ".json" || ext == ".jsonl" || ext == ".html") return ext.substr(1);
  if (ext == ".ndjson") return "jsonl";
  if (ext == ".htm") return "html";
  if (ext == ".md" || ext == ".markdown") return "markdown";
  return "";
}

int run_report(ReportCmd o) {
  if (o.format.empty()) o.format = format_of_path(o.output);
  if (o.format.empty()) o.format = "markdown";
  const bool focus = o.format == "focus";
  auto format =
      focus ? Result<report::Format>(report::Format::kCsv) : report::parse_format(o.format);
  if (!format) {
    report(invalid_argument(format.status().message() + ", focus"));
    return kExitUsage;
  }
  if ((o.hourly || o.no_users || !o.tags.empty()) && !focus) {
    report(invalid_argument("--hourly, --tags and --no-users are for --format focus"));
    return kExitUsage;
  }
  report::ReportOptions ro;
  if (!o.title.empty()) ro.title = o.title;
  ro.top = o.top;
  ro.forecast_days = o.forecast;
  ro.anomalies = !o.no_anomalies;
  // A table's key, as --by and --allocate name it: an error (reported) when it cannot be one.
  auto breakdown = [](const std::string& text, const char* option) -> std::optional<GroupKey> {
    auto key = GroupKey::parse(text);
    Status st = key ? report::check_breakdown(*key) : key.status();
    if (!st.is_ok()) {
      report(st.with_context(option));
      return std::nullopt;
    }
    return *key;
  };
  for (const auto& text : o.by) {
    const auto key = breakdown(text, "--by");
    if (!key) return kExitUsage;
    ro.breakdowns.push_back(*key);
  }
  if (!o.allocate.empty()) {
    // The table to spread: added to --by's when not among them.
    const auto key = breakdown(o.allocate, "--allocate");
    if (!key) return kExitUsage;
    if (std::find(ro.breakdowns.begin(), ro.breakdowns.end(), *key) == ro.breakdowns.end()) {
      ro.breakdowns.push_back(*key);
    }
    const auto by = parse_spread_by(o.allocate_by);
    if (!by) {
      report(by.status().with_context("--allocate-by"));
      return kExitUsage;
    }
    ro.allocate = *key;
    ro.allocate_by = *by;
  }
  auto zone = parse_tz(o.tz);
  if (!zone) {
    report(zone.status());
    return kExitUsage;
  }
  ro.time_zone = *zone;
  // A to-date period is projected to its end; each is compared with the period before.
  if (auto st = o.time.resolve(*zone, &ro.from, &ro.to, &ro.project_to, &ro.compare_to);
      !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  AggregateQuery scope;
  if (auto st = build_query("", o.filters, &scope); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  ro.filters = scope.filters;
  compression::Codec codec = compression::Codec::kNone;
  if (o.compress == "auto") {
    codec = compression::codec_for_path(o.output);
  } else {
    auto c = compression::parse_codec(o.compress);
    if (!c) {
      report(c.status().with_context("--compress"));
      return kExitUsage;
    }
    codec = *c;
  }
  // The records the report or dataset covers.
  AggregateQuery selection = scope;
  selection.from = ro.from;
  selection.to = ro.to;
  selection.time_zone = ro.time_zone;
  if (focus) return run_focus(o, selection, codec);
  std::unique_ptr<storage::Store> store;
  engine::CurrencyConverter* converter = nullptr;
  if (!open_spend(*o.db, o.money, &store, &converter)) return kExitFailure;
  storage::Store* s = store.get();
  AggregateFn spend = [s](const AggregateQuery& q) { return s->aggregate(q); };
  if (converter) spend = converter->wrap(spend);
  report::ReportGenerator gen(spend);
  auto r = gen.build(ro);
  if (!r) {
    report(with_rates_hint(r.status(), converter));
    if (converter && r.status().code() == StatusCode::kNotFound && !o.no_anomalies) {
      std::fprintf(stderr,
                   "note: a report's unusual days and forecast read up to %d days of spend "
                   "before its end, and its comparison the period before: the rates must reach "
                   "back as far (--no-anomalies leaves the unusual days out)\n",
                   report::kForecastHistoryDays);
    }
    return kExitFailure;
  }
  if (o.logged || o.cost_split) {
    // Their sums are in the period's records, read once for both, by provider and model.
    AggregateQuery by_model = selection;
    by_model.group_by = {*GroupKey::parse("provider"), *GroupKey::parse("model")};
    const engine::AggregateExtras sums{.logged = o.logged, .split = o.cost_split};
    auto scan = [&](const AggregateQuery& q) { return scanned_rows(*store, q, sums); };
    auto read = converter ? converter->aggregate(scan, by_model) : scan(by_model);
    if (!read) {
      report(with_rates_hint(read.status(), converter));
      return kExitFailure;
    }
    if (o.logged) {
      std::vector<AggregateRow> rows = *read;
      std::stable_sort(rows.begin(), rows.end(), [](const AggregateRow& a, const AggregateRow& b) {
        return a.logged.logged > b.logged.logged;
      });
      note_logged_rows(rows);
      std::erase_if(rows, [](const AggregateRow& row) { return row.logged.records == 0; });
      r->logged = std::move(rows);
    }
    if (o.cost_split) {
      std::vector<AggregateRow> rows = std::move(*read);
      std::erase_if(rows, [](const AggregateRow& row) { return row.cost.empty(); });  // unpriced
      order_rows(rows, RowOrder::kCost, main_currency(rows));
      r->split = std::move(rows);
    }
  }
  if (o.budgets) {
    // As of the report's last day; today (still running) when the report reaches it.
    std::string as_of;
    if (ro.to) {
      const forecasting::Date last = zone->local_day(*ro.to - std::chrono::microseconds(1));
      if (last < today(*zone)) as_of = forecasting::format_date(last);
    }
    if (int rc = stored_budget_lines(o.db, o.tz, as_of, o.money, ro.filters, &r->budgets);
        rc != kExitOk)
      return rc;
  }
  if (auto st = write_output(o.output, report::ReportGenerator::render(*r, *format), codec);
      !st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  if (r->projection && !r->projection->note.empty()) {
    std::fprintf(stderr, "note: %s\n", r->projection->note.c_str());
  }
  for (const auto& b : r->breakdowns) {
    if (b.spread_by) note_spread(b.spread, b.key.name(), *b.spread_by);
  }
  o.money.note_stale();
  if (r->total.records == 0) note_why_empty(*s, selection, "--period all takes them all");
  note_written(o.output, std::string(report::format_name(*format)), codec);
  return kExitOk;
}

void add_report(CLI::App& app, int& rc) {
  auto o = std::make_shared<ReportCmd>();
  CLI::App* cmd = app.add_subcommand("report",
                                     "A cost report of stored usage: CSV, JSON, JSON Lines, "
                                     "Markdown or HTML with charts; or a FOCUS dataset");
  cmd->footer(R"(
The report has the period's total (per currency, exact), spend per day, the top models and
projects, the period before (the calendar one before or as many days before; for --from/--to as
long a time before) with the models and projects whose spend changed most since, the period's
unusual days (the seasonal detector of `cost-ops anomalies` on up to 180 days of daily spend,
each with the models that moved it), and with --forecast N an N-day forecast of daily spend
with its 95% interval (fitted to up to 180 days of daily spend ending with the report's last
day, not only the period's).
A to-date --period (month-to-date, quarter-to-date, year-to-date) is projected to the end of its
calendar month, quarter or year, with its 95% interval and the run rate.
--format focus writes the selected records instead, as a FOCUS 1.2 cost and usage dataset
(CSV, as FinOps tools load): a row per UTC day (--hourly: hour), provider, model, organization,
project, user, tier, tag set and currency, and charge (input tokens, output tokens, the rest of
the cost), every cost column the priced cost summed exactly; unpriced records are left out, and
counted in a note. --tags KEYS keeps only those tag keys, --no-users sums the users: fewer rows.
An --output ending in .gz or .zst is compressed (or choose with --compress); without --format,
its extension names the format (report.csv, report.html.gz).
Examples:
  cost-ops report --period last-7-days
  cost-ops report --period 2026-10 --format html --forecast 14 --output october.html
  cost-ops report --period 2026-10 --by tag:team,user     # spend by team and by user too
  cost-ops report --period 2026-10 --allocate tag:team    # by team, untagged spend spread
  cost-ops report --period 2026-10 --currency EUR --rates eurofxref-hist.csv
  cost-ops report --period month-to-date --budgets --format html --output budgets.html
  cost-ops report --period 2026-10 --format focus --output october-focus.csv
  cost-ops report --from 2026-09-01 --to 2026-10-01 --filter project=search --format csv --output sep.csv.gz)");
  o->time.add_to(*cmd, kPeriodHelp, true);
  add_filter(*cmd, o->filters);
  cmd->add_option("--tz", o->tz, "Time zone of days and periods (default UTC)");
  cmd->add_option("--format", o->format,
                  "csv, json, jsonl, markdown, html, or focus (the records' charges as a FOCUS "
                  "1.2 dataset); default: --output's extension (.csv, .json, .jsonl, .html, .md; "
                  "before .gz or .zst), else markdown")
      ->check(suggest({"csv", "json", "jsonl", "markdown", "html", "focus"}));
  cmd->add_flag("--hourly", o->hourly, "focus: a charge period per hour (default per day)");
  cmd->add_option("--tags", o->tags,
                  "focus: the tag keys written in Tags and grouped by (comma-separated; default "
                  "every key; \"\" none): leave out one set per request, such as a trace id")
      ->delimiter(',');
  cmd->add_flag("--no-users", o->no_users,
                "focus: sum the users of a row rather than a row per user (x_User empty)");
  cmd->add_option("--output", o->output, "File to write (default stdout)")->type_name("FILE");
  cmd->add_option("--compress", o->compress,
                  "none, gzip, zlib, deflate, zstd, or auto (by --output's extension)")
      ->check(suggest({"none", "gzip", "zlib", "deflate", "zstd", "auto"}));
  cmd->add_option("--forecast", o->forecast, "Days of forecast to add (default 0)")
      ->check(number_in(0, 1000000));
  cmd->add_flag("--no-anomalies", o->no_anomalies, "Leave out the period's unusual days");
  cmd->add_flag("--logged", o->logged,
                "Add the costs the records logged themselves (a gateway's or tracer's price, as "
                "ingest stores it) against their exact prices, by model (reads the period's "
                "records)");
  cmd->add_flag("--cost-split", o->cost_split,
                "Add each model's cost in its parts: input (cache reads and writes included), "
                "output (reasoning included) and other (per-request fees, web searches), and "
                "the output's share (reads the period's records)");
  cmd->add_flag("--budgets", o->budgets,
                "Add each stored budget's status as of the report's last day (as budget status "
                "gives it: spent, projected with its interval, probability of going over, the "
                "day it runs out, thresholds crossed); with --filter, of the budgets whose "
                "scope lies within it");
  cmd->add_option(
         "--top", o->top,
         "Rows in the model and project tables, and in their tables of changes, the others "
         "summed in one row (default 10)")
      ->check(number_in(1));
  cmd->add_option("--by", o->by,
                  "More top tables, by organization, user, tag:KEY or tier (comma-separated or "
                  "repeated): --by tag:team for spend by team")
      ->delimiter(',')
      ->check(complete_from("breakdowns"));
  CLI::Option* allocate =
      cmd->add_option(
             "--allocate", o->allocate,
             "Showback: in the --by table of this key (tag:team, say; added to --by when not "
             "there), spread the cost of the records without a value over the rows with one, as "
             "--allocate-by says; adds each row's shared and allocated cost, and orders the table "
             "by the allocated")
          ->check(complete_from("breakdowns"));
  add_allocate_by(*cmd, o->allocate_by, allocate);
  cmd->add_option("--title", o->title, "Report title");
  o->money.add_to(*cmd, kCurrencyHelp);
  cmd->get_option("--logged")->excludes("--currency");  // logged costs are USD, as priced
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_report(*o); });
}

struct CodecCmd {
  std::string input = "-", output, codec = "gzip";
  std::optional<int> level;
  bool force = false;
};

int run_codec(const CodecCmd& o, bool compress) {
  auto input = open_input(o.input, /*decompress=*/!compress);
  if (!input) {
    report(input.status());
    return kExitFailure;
  }
  std::FILE* in = input->plain.get();
  const std::string& name = input->name;
  if (!compress && input->codec == compression::Codec::kNone) {
    report(invalid_argument(name + ": not compressed: its first bytes are no gzip, zlib or zstd "
                                   "header"));
    return kExitFailure;
  }
  std::string output = o.output;
  if (output.empty() && o.input != "-") {
    if (compress) {
      auto c = compression::parse_codec(o.codec);
      output = o.input + (c && *c == compression::Codec::kZstd      ? ".zst"
                          : c && *c == compression::Codec::kZlib    ? ".zz"
                          : c && *c == compression::Codec::kDeflate ? ".deflate"
                                                                    : ".gz");
    } else {
      output = without_codec_suffix(o.input);
      if (output == o.input) output += ".out";
    }
  }
  if (!output.empty() && output != "-") {
    std::error_code ec;
    if (o.input != "-" && std::filesystem::equivalent(o.input, output, ec)) {
      report(invalid_argument(output + ": is the input; name another output (-o)"));
      return kExitUsage;
    }
    if (!o.force && std::filesystem::exists(output, ec)) {
      report(invalid_argument(output + ": exists (--force replaces it)"));
      return kExitUsage;
    }
  }
  compression::Codec codec = compression::Codec::kNone;
  if (compress) {
    auto c = compression::parse_codec(o.codec);
    if (!c) {
      report(c.status().with_context("--codec"));
      return kExitUsage;
    }
    codec = *c;
  }
  auto out = Output::open(output, codec, o.level);
  if (!out) {
    report(out.status());
    return out.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::string buf(1 << 16, '\0');
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
    if (auto st = (*out)->write(std::string_view(buf.data(), n)); !st.is_ok()) {
      report(st);
      return kExitFailure;
    }
  }
  if (std::ferror(in)) {  // a read error is not the end of the input
    report(compress ? io_error(name + ": read error: " + std::strerror(errno))
                    : input->read_error(io_error(name + ": read error")));
    return kExitFailure;
  }
  if (Status st = (*out)->commit(); !st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  if (!output.empty() && output != "-") std::fprintf(stderr, "wrote %s\n", output.c_str());
  return kExitOk;
}

void add_codec_commands(CLI::App& app, int& rc) {
  auto c = std::make_shared<CodecCmd>();
  CLI::App* cc = app.add_subcommand("compress", "Compress a file (gzip, zlib, deflate or zstd)");
  cc->add_option("input", c->input, "File (default stdin)");
  cc->add_option("-o,--output", c->output, "Output (default INPUT.gz / .zst; stdout for stdin)")
      ->type_name("FILE");
  cc->add_option("--codec", c->codec, "gzip (default), zlib, deflate or zstd")
      ->check(suggest({"gzip", "zlib", "deflate", "zstd"}));
  cc->add_option("--level", c->level, "Level: 1..9 (gzip, zlib, deflate), 1..19 (zstd)");
  cc->add_flag("-f,--force", c->force, "Replace the output file when it exists");
  cc->callback([c, &rc] { rc = run_codec(*c, true); });

  auto d = std::make_shared<CodecCmd>();
  CLI::App* dc = app.add_subcommand(
      "decompress", "Decompress a gzip, zlib or zstd file (codec detected from its bytes)");
  dc->add_option("input", d->input, "File (default stdin)");
  dc->add_option("-o,--output", d->output,
                 "Output (default INPUT without .gz/.zst; stdout for stdin)");
  dc->add_flag("-f,--force", d->force, "Replace the output file when it exists");
  dc->callback([d, &rc] { rc = run_codec(*d, false); });
}

}  // namespace

void add_report_commands(CLI::App& app, int& rc) {
  add_report(app, rc);
  add_codec_commands(app, rc);
}

}  // namespace costops::cli
