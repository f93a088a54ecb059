#include "common.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>

#include "costops/domain/json_text.h"
#include "costops/engine/aggregator.h"
#include "costops/forecasting/budget.h"
#include "costops/ingest/ingest.h"
#include "costops/report/report.h"

namespace costops::cli {

void setup_logging(bool verbose) {
  const bool color = isatty(STDERR_FILENO) && std::getenv("NO_COLOR") == nullptr;
  std::shared_ptr<spdlog::logger> logger;
  if (color) {
    logger = spdlog::stderr_color_st("cost-ops");
  } else {
    logger = std::make_shared<spdlog::logger>("cost-ops",
                                              std::make_shared<spdlog::sinks::stderr_sink_st>());
  }
  logger->set_pattern(color ? "%^%l%$: %v" : "%l: %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void report(const Status& st) { spdlog::error("{}", st.message()); }

void CatalogOptions::add_to(CLI::App& app, bool with_prices) {
  app.add_option(
         "--catalog", catalog_file,
         "Pricing catalog file replacing the built-in one: genai-prices data.json, LiteLLM's "
         "model_prices_and_context_window.json, or a cost-ops catalog")
      ->type_name("FILE");
  app.add_option("--catalog-format", format,
                 "Catalog format: auto (detect), genai-prices, litellm, cost-ops")
      ->check(CLI::IsMember({"auto", "genai-prices", "litellm", "cost-ops"}));
  if (!with_prices) return;
  app.add_option("--prices", custom_prices,
                 "Custom prices (a cost-ops catalog file) that add or override models on top of "
                 "the catalog, with the file's contract discounts")
      ->type_name("FILE");
}

CLI::Validator suggest(const std::vector<std::string>& words) {
  std::string list;
  for (const auto& w : words) list += (list.empty() ? "" : ",") + w;
  return CLI::Validator([](const std::string&) { return std::string(); }, "",
                        std::string(kSuggestPrefix) + list);
}

CLI::Validator complete_from(std::string_view source) {
  return CLI::Validator([](const std::string&) { return std::string(); }, "",
                        std::string(kCompleteFromPrefix) + std::string(source));
}

void add_prometheus_labels(CLI::App& cmd, std::vector<std::string>& labels) {
  cmd.add_option("--label", labels,
                 "With --format prometheus: NAME=VALUE, a label every sample has (repeatable): "
                 "period=month-to-date tells this file's gauges from another period's")
      ->type_name("NAME=VALUE");
}

void one_value_per_option(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    if (o->nonpositional() && o->get_items_expected_max() > 1) o->allow_extra_args(false);
  }
  for (CLI::App* sub : app.get_subcommands({})) one_value_per_option(*sub);
}

Result<report::PrometheusLabels> constant_labels(const std::vector<std::string>& given,
                                                 const std::string& format,
                                                 std::span<const std::string> taken) {
  if (!given.empty() && format != "prometheus")
    return invalid_argument("--label labels the samples of --format prometheus");
  return report::parse_prometheus_labels(given, taken);
}

CLI::Option* add_filter(CLI::App& cmd, std::vector<std::string>& filters, const std::string& help) {
  return cmd.add_option("--filter", filters, help)->check(complete_from("filters"));
}

CLI::Validator named_periods() {
  return suggest({"today", "yesterday", "last-7-days", "last-30-days", "month-to-date",
                  "quarter-to-date", "year-to-date", "all"});
}

CLI::Validator input_formats() {
  return suggest({"auto", "jsonl", "json", "csv", "otel", "usage-report", "claude-code", "codex",
                  "gemini-cli", "qwen-code", "opencode", "sse", "realtime"});
}

CLI::Validator text_encodings() {
  return suggest({"auto", "utf-8", "utf-16le", "utf-16be", "windows-1252"});
}

namespace {

// The stored custom prices as one cost-ops catalog.
Result<std::optional<pricing::Catalog>> stored_prices(storage::Store& store) {
  auto prices = store.custom_prices();
  if (!prices) return prices.status();
  if (prices->empty()) return std::optional<pricing::Catalog>();
  std::map<std::string, std::string> by_provider;
  for (const auto& p : *prices) {
    std::string& models = by_provider[p.provider];
    models += (models.empty() ? "" : ",") + p.entry_json;
  }
  std::string text = R"({"format": "cost-ops-catalog", "version": 1, "providers": [)";
  bool first = true;
  for (const auto& [provider, models] : by_provider) {
    text += first ? "" : ",";
    first = false;
    text += "{\"id\": ";
    append_json_string(text, provider);
    text += ", \"models\": [" + models + "]}";
  }
  text += "]}";
  auto c = pricing::Catalog::parse(text, "custom prices in " + store.url());
  if (!c) return c.status();
  return std::optional<pricing::Catalog>(std::move(*c));
}

}  // namespace

Result<const pricing::Catalog*> CatalogOptions::load(storage::Store* store,
                                                     std::span<const Discount> adding) {
  owned_.reset();
  if (!catalog_file.empty()) {
    auto f = pricing::parse_catalog_format(format);
    if (!f) return f.status();
    auto c = pricing::Catalog::load_file(catalog_file, *f);
    if (!c) return c.status();
    owned_ = std::move(*c);
  }
  // The built-in catalog is shared: overlays and discounts go on a private copy of it.
  auto own = [&]() -> Status {
    if (owned_) return Status::ok();
    auto b = pricing::Catalog::builtin_copy();
    if (!b) return b.status();
    owned_ = std::move(*b);
    return Status::ok();
  };
  std::vector<pricing::Catalog> layers;
  if (store != nullptr) {
    auto c = stored_prices(*store);
    if (!c) return c.status();
    if (*c) layers.push_back(std::move(**c));
  }
  if (!custom_prices.empty()) {
    auto c =
        pricing::Catalog::load_file(custom_prices, std::nullopt, pricing::Catalog::Role::kOverlay);
    if (!c) return c.status();
    layers.push_back(std::move(*c));
  }
  for (auto& layer : layers) {
    COSTOPS_RETURN_IF_ERROR(own());
    COSTOPS_RETURN_IF_ERROR(owned_->overlay(std::move(layer)));
  }
  // The stored discounts, but for those a file gives a discount of the same name in place of;
  // then `adding`, in place of any of their names.
  std::vector<Discount> stored;
  if (store != nullptr) {
    auto s = store->discounts();
    if (!s) return s.status();
    stored = std::move(*s);
  }
  if (stored.empty() && adding.empty()) return owned_ ? &*owned_ : &pricing::Catalog::builtin();
  COSTOPS_RETURN_IF_ERROR(own());
  std::vector<Discount> all = owned_->discounts();
  const bool files_give_some = !all.empty();
  auto named = [](const std::vector<Discount>& list, const std::string& name) {
    return std::any_of(list.begin(), list.end(), [&](const Discount& d) { return d.name == name; });
  };
  for (Discount& d : stored)
    if (!named(all, d.name)) all.push_back(std::move(d));
  for (const Discount& d : adding) Discount::put_by_name(all, d);
  Status st = owned_->set_discounts(std::move(all));
  if (st.is_ok()) return &*owned_;
  if (files_give_some && !stored.empty())
    st = Status(st.code(), st.message() +
                               " (a discount of a --catalog or --prices file replaces "
                               "the stored one of its name)");
  return store != nullptr ? st.with_context(store->url()) : st;
}

Result<std::unique_ptr<storage::Store>> open_db(const std::string& db, storage::OpenMode mode) {
  return storage::Store::open(db.empty() ? storage::Store::default_url() : db, mode);
}

bool open_store_and_catalog(const std::string& db, storage::OpenMode mode, CatalogOptions& catalog,
                            std::unique_ptr<storage::Store>* store, const pricing::Catalog** cat) {
  auto s = open_db(db, mode);
  if (!s) {
    report(s.status());
    return false;
  }
  auto c = catalog.load(s->get());
  if (!c) {
    report(c.status());
    return false;
  }
  *store = std::move(*s);
  *cat = *c;
  return true;
}

void add_db_to(CLI::App& cmd, const std::shared_ptr<std::string>& db) {
  cmd.add_option("--db", *db,
                 "Database: a SQLite file path, sqlite:PATH, or postgresql://... (default: "
                 "$COSTOPS_DB, else ~/.local/share/cost-ops/costops.db)")
      ->type_name("DB");
}

void print_discount(const Discount& d) {
  std::printf("less discount %s: %s\n", d.name.c_str(), d.describe().c_str());
}

std::string price_text(const pricing::PriceSet& ps) {
  std::string s;
  for (const auto& p : ps.prices()) {
    if (!s.empty()) s += ", ";
    s += std::string(kUnits[p.unit].price_key) + "=" + p.base.to_string();
    for (const auto& t : p.tiers)
      s += " (>" + std::to_string(t.start) + ": " + t.price.to_string() + ")";
  }
  return s;
}

namespace {

// The first 10 of `names`, ", "-joined, and ", ..." when there are more.
std::string shown_names(const std::vector<std::string>& names) {
  constexpr size_t kShown = 10;
  std::string s;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) s += (i ? ", " : "") + names[i];
  return s + (names.size() > kShown ? ", ..." : "");
}

}  // namespace

std::optional<std::string> unmatched_value_hint(std::span<const Filter> filters,
                                                const std::vector<std::string>& values,
                                                const std::string& label) {
  std::string same_but_case;
  std::vector<std::string> shown;
  for (const std::string& v : values) {
    for (const Filter& f : filters) {
      if (f.matches(v)) return std::nullopt;
      if (same_but_case.empty() && !f.is_pattern() && strcasecmp(v.c_str(), f.value.c_str()) == 0)
        same_but_case = v;
    }
    if (!v.empty()) shown.push_back(v);
  }
  if (!same_but_case.empty()) return " (did you mean " + same_but_case + "?)";
  if (shown.empty()) return "";
  return " (" + label + ": " + shown_names(shown) + ")";
}

std::string filter_hint(storage::Store& store, const std::vector<Filter>& filters,
                        bool rollup_keys_only) {
  std::string out;
  for (const auto& f : filters) {
    if (rollup_keys_only && f.key.kind > GroupKey::Kind::kProject) continue;
    if (f.negated) continue;  // leaving out a value no record has leaves nothing out
    AggregateQuery q;
    q.group_by = {f.key};
    auto rows = store.aggregate(q);
    if (!rows) continue;  // a hint only: the query itself reports store errors
    std::vector<std::string> values;
    for (const auto& r : *rows) values.push_back(r.keys.front());
    const auto why = unmatched_value_hint({&f, 1}, values, f.key.name() + " values");
    if (why) out += (out.empty() ? "" : "; ") + ("no stored record has " + f.text() + *why);
  }
  return out;
}

namespace {

// Calls `fn` with each record of the last day with spend, then of the days before it while
// `enough` says no, up to 7 days: a sample of the latest records (every record would take a scan
// of them all). A hint only: store errors are the command's to report.
void scan_latest(storage::Store& store, const std::function<bool()>& enough,
                 const std::function<void(const PricedRecord&)>& fn) {
  AggregateQuery days;
  days.group_by = {*GroupKey::parse("day")};
  auto by_day = store.aggregate(days);
  if (!by_day) return;
  for (size_t back = 1; back <= 7 && back <= by_day->size() && !enough(); ++back) {
    auto day = parse_timestamp((*by_day)[by_day->size() - back].keys.front());
    if (!day) break;
    AggregateQuery one;
    one.from = *day;
    one.to = *day + std::chrono::days(1);
    (void)store.scan(one, [&](const PricedRecord& r) {
      fn(r);
      return Status::ok();
    });
  }
}

// Inserts `v` into the sorted `values` unless it is there.
void insert_sorted(std::vector<std::string>& values, const std::string& v) {
  const auto at = std::lower_bound(values.begin(), values.end(), v);
  if (at == values.end() || *at != v) values.insert(at, v);
}

}  // namespace

TagValues latest_tags(storage::Store& store) {
  // The last day with spend, or the one before when its records have none.
  TagValues tags;
  scan_latest(
      store, [&] { return !tags.empty(); },
      [&](const PricedRecord& r) {
        for (const auto& [k, v] : r.usage.tags) insert_sorted(tags[k], v);
      });
  return tags;
}

std::string absent_tag_hint(std::string_view records, const std::string& tag,
                            const TagValues& tags) {
  std::string hint = "no record " + std::string(records) + " has the tag \"" + tag + "\"";
  if (tags.empty()) return hint + " (the latest records have no tags)";
  std::vector<std::string> keys;
  for (const auto& [k, values] : tags) keys.push_back(k);
  return hint + " (tag keys of the latest records: " + shown_names(keys) + ")";
}

void note_absent_tags(storage::Store& store, const AggregateQuery& query,
                      const std::vector<AggregateRow>& rows) {
  for (size_t i = 0; i < query.group_by.size(); ++i) {
    const GroupKey& key = query.group_by[i];
    if (key.kind != GroupKey::Kind::kTag || rows.empty()) continue;
    if (std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return !r.keys[i].empty(); }))
      continue;
    std::fprintf(stderr, "note: %s\n",
                 absent_tag_hint("in the query", key.tag, latest_tags(store)).c_str());
  }
}

void note_warnings(const ingest::IngestStats& stats, const char* where) {
  if (stats.warned == 0) return;
  std::fprintf(stderr, "note: %llu record%s priced with a warning (%s)%s\n",
               static_cast<unsigned long long>(stats.warned), stats.warned == 1 ? "" : "s", where,
               stats.warnings.size() > 1 ? ", such as:" : ":");
  for (const auto& w : stats.warnings) std::fprintf(stderr, "  %s\n", w.c_str());
}

void note_unread_columns(const std::string& source, const std::vector<std::string>& columns) {
  if (columns.empty()) return;
  std::string names;
  for (const auto& c : columns) names += (names.empty() ? "\"" : ", \"") + c + "\"";
  std::fprintf(stderr,
               "note: %s: CSV column%s %s %s not read (no usage key names %s): %s counts are not "
               "priced\n",
               source.c_str(), columns.size() == 1 ? "" : "s", names.c_str(),
               columns.size() == 1 ? "is" : "are", columns.size() == 1 ? "it" : "them",
               columns.size() == 1 ? "its" : "their");
}

void add_allocate_by(CLI::App& cmd, std::string& by, CLI::Option* allocate) {
  cmd.add_option("--allocate-by", by,
                 "With --allocate: cost (in proportion to each row's own cost; evenly where none "
                 "has any; the default) or even")
      ->check(CLI::IsMember({"cost", "even"}))
      ->needs(allocate);
}

void note_spread(const SpreadTotals& t, const std::string& name, SpreadBy by) {
  if (!t.spread.empty()) {
    std::fprintf(stderr, "note: spread %s of records without %s over %zu row%s %s\n",
                 report::money_text(t.spread, 6).c_str(), name.c_str(), t.takers,
                 t.takers == 1 ? "" : "s",
                 by == SpreadBy::kEven ? "evenly" : "in proportion to their cost");
  }
  if (t.unallocated_rows > 0) {
    std::fprintf(stderr,
                 "note: %s of records without %s stays unallocated (%zu row%s: no row with a "
                 "value shares %s other keys)\n",
                 report::money_text(t.unallocated, 6).c_str(), name.c_str(), t.unallocated_rows,
                 t.unallocated_rows == 1 ? "" : "s", t.unallocated_rows == 1 ? "its" : "their");
  }
}

void note_uncompared_logged_costs(const engine::LoggedCosts& logged, Currency currency) {
  if (logged.uncompared == 0) return;
  std::fprintf(stderr,
               "note: %llu record%s logged a cost (in USD, as gateways log), not compared with the "
               "catalog's %s prices\n",
               static_cast<unsigned long long>(logged.uncompared),
               logged.uncompared == 1 ? "" : "s", std::string(currency.code()).c_str());
}

void note_logged_rows(const std::vector<AggregateRow>& rows) {
  const LoggedCosts all = logged_sum(rows);  // the counts are what the notes need
  if (all.uncompared > 0) {
    std::fprintf(stderr,
                 "note: %llu record%s logged a cost (in USD, as gateways log) but %s priced in "
                 "another currency: not compared\n",
                 static_cast<unsigned long long>(all.uncompared), all.uncompared == 1 ? "" : "s",
                 all.uncompared == 1 ? "is" : "are");
  }
  if (all.records == 0 && all.uncompared == 0 && !rows.empty()) {
    std::fprintf(stderr,
                 "note: none of the selected records logged a cost of its own (ingest keeps "
                 "the cost a gateway or tracer logged; an earlier cost-ops did not: to add it to "
                 "records it stored, cost-ops delete --source FILE, then ingest FILE again)\n");
  }
}

Result<std::vector<AggregateRow>> scanned_rows(storage::Store& store, const AggregateQuery& query,
                                               engine::AggregateExtras extras) {
  engine::Aggregator sums(query, extras);
  COSTOPS_RETURN_IF_ERROR(store.scan(query, [&](const PricedRecord& r) { return sums.add(r); }));
  return sums.rows();
}

void note_why_empty(storage::Store& store, const AggregateQuery& query, std::string_view advice) {
  if (const std::string hint = filter_hint(store, query.filters); !hint.empty()) {
    std::fprintf(stderr, "note: %s\n", hint.c_str());
    return;
  }
  if (!query.source.empty()) {
    AggregateQuery read_from;
    read_from.source = query.source;
    auto rows = store.aggregate(read_from);
    if (rows && rows->empty()) {
      // The inputs the latest records were read from, named as ingest was given them.
      std::vector<std::string> sources;
      scan_latest(
          store, [&] { return !sources.empty(); },
          [&](const PricedRecord& r) { insert_sorted(sources, std::string(input_of(r.usage))); });
      std::string names;
      for (size_t i = 0; i < sources.size() && i < 5; ++i)
        names += (i == 0 ? "" : ", ") + sources[i];
      if (sources.size() > 5) names += ", ...";
      std::fprintf(stderr,
                   "note: no stored record was read from \"%s\" (--source names an input as "
                   "ingest was given it%s%s)\n",
                   query.source.c_str(),
                   names.empty() ? "" : "; the latest records' inputs: ", names.c_str());
      return;
    }
  }
  if ((!query.from && !query.to) || !query.filters.empty()) return;
  AggregateQuery all;
  all.group_by = {*GroupKey::parse("day")};
  all.time_zone = query.time_zone;
  auto rows = store.aggregate(all);
  if (!rows || rows->empty()) return;  // a hint only: the query itself reports store errors
  uint64_t records = 0;
  for (const auto& r : *rows) records += r.records;
  std::fprintf(stderr,
               "note: no stored record falls in the period; the %llu stored records' days run "
               "from %s to %s%s%.*s%s\n",
               static_cast<unsigned long long>(records), rows->front().keys.front().c_str(),
               rows->back().keys.front().c_str(), advice.empty() ? "" : " (",
               static_cast<int>(advice.size()), advice.data(), advice.empty() ? "" : ")");
}

Status Input::read_error(Status otherwise) const {
  return codec_error->empty() ? otherwise : io_error(name + ": " + *codec_error);
}

namespace {

Status not_a_file(const std::string& path) {
  return io_error(path + ": is a directory; expected a file");
}
Status cannot_open(const std::string& path) {
  return io_error(path + ": cannot open input file: " + std::strerror(errno));
}

}  // namespace

Status check_inputs(const std::vector<std::string>& files) {
  // Without opening them: a named pipe opened and closed again would lose its writer.
  for (const auto& f : files) {
    if (f == "-") continue;
    std::error_code ec;
    if (std::filesystem::is_directory(f, ec)) return not_a_file(f);
    if (::access(f.c_str(), R_OK) != 0) return cannot_open(f);
  }
  return Status::ok();
}

std::string without_codec_suffix(const std::string& path) {
  return compression::codec_for_path(path) == compression::Codec::kNone
             ? path
             : path.substr(0, path.rfind('.'));
}

namespace {

// Whether a file's name (its compression suffix aside) is one of the inputs a directory is read
// for: JSON Lines; Gemini CLI's sessions as its versions before April 2026 wrote them (one
// document); OpenCode's database, a channel's too (opencode-beta.db), and Kilo Code's.
bool input_name(const std::string& file_name) {
  const std::string name = without_codec_suffix(file_name);
  return name.ends_with(".jsonl") || name.ends_with(".ndjson") ||
         (name.starts_with("session-") && name.ends_with(".json")) || name == "opencode.db" ||
         (name.starts_with("opencode-") && name.ends_with(".db")) || name == "kilo.db" ||
         (name.starts_with("kilo-") && name.ends_with(".db"));
}

// The input files under directory `dir` (input_name), at any depth, in path order.
Result<std::vector<std::string>> inputs_under(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  auto it = std::filesystem::recursive_directory_iterator(
      dir, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && input_name(it->path().filename().string()))
      found.push_back(it->path());
  if (ec) return io_error(dir + ": cannot list the directory: " + ec.message());
  std::sort(found.begin(), found.end());
  return found;
}

// $NAME, or "" when it is not set.
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::vector<AgentLogs> find_agent_logs() {
  const std::string home = env("HOME");
  const auto under_home = [&](const char* rel) { return home.empty() ? "" : home + "/" + rel; };
  std::vector<std::pair<std::string, std::string>> places;  // agent, directory or file
  // Claude Code: $CLAUDE_CONFIG_DIR (as ccusage reads it, a comma-separated list), else its
  // XDG directory and its older one.
  std::vector<std::string> claude;
  if (const std::string dirs = env("CLAUDE_CONFIG_DIR"); !dirs.empty()) {
    for (size_t start = 0; start <= dirs.size();) {
      const size_t comma = std::min(dirs.find(',', start), dirs.size());
      if (comma > start) claude.push_back(dirs.substr(start, comma - start));
      start = comma + 1;
    }
  } else {
    const std::string xdg = env("XDG_CONFIG_HOME");
    claude = {xdg.empty() ? under_home(".config/claude") : xdg + "/claude", under_home(".claude")};
  }
  for (const auto& d : claude)
    if (!d.empty()) places.emplace_back("Claude Code", d + "/projects");
  const std::string codex = env("CODEX_HOME").empty() ? under_home(".codex") : env("CODEX_HOME");
  if (!codex.empty()) {
    places.emplace_back("Codex", codex + "/sessions");
    places.emplace_back("Codex", codex + "/archived_sessions");
  }
  places.emplace_back("Gemini CLI", under_home(".gemini/tmp"));
  places.emplace_back("Qwen Code", under_home(".qwen/projects"));
  std::vector<AgentLogs> found;
  std::error_code ec;
  for (const auto& [agent, dir] : places) {
    if (dir.empty() || !std::filesystem::is_directory(dir, ec)) continue;
    auto files = inputs_under(dir);
    if (files && !files->empty()) found.push_back({agent, dir, std::move(*files)});
  }
  // OpenCode's data directory holds much else (its snapshots' git objects): its databases alone;
  // and Kilo Code's, OpenCode's fork, whose database $KILO_DB may name.
  const std::string data = env("XDG_DATA_HOME");
  for (const auto& [agent, app] :
       {std::pair<std::string, std::string>{"OpenCode", "opencode"}, {"Kilo Code", "kilo"}}) {
    const std::string rel = ".local/share/" + app;
    AgentLogs db{agent, data.empty() ? under_home(rel.c_str()) : data + "/" + app, {}};
    if (app == "kilo" && !env("KILO_DB").empty()) {
      db.place = env("KILO_DB");
      if (std::filesystem::is_regular_file(db.place, ec)) db.files.push_back(db.place);
    } else if (!db.place.empty() && std::filesystem::is_directory(db.place, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(db.place, ec)) {
        const std::string name = e.path().filename().string();
        if (e.is_regular_file(ec) && name.ends_with(".db") && input_name(name))
          db.files.push_back(e.path());
      }
      std::sort(db.files.begin(), db.files.end());
    }
    if (!db.files.empty()) found.push_back(std::move(db));
  }
  return found;
}

namespace {

// --agents: appends the files of find_agent_logs() to `files`, and says on stderr what it found;
// an error when it found none.
Status add_agent_logs(std::vector<std::string>* files) {
  const auto found = find_agent_logs();
  if (found.empty()) {
    return not_found(
        "--agents: no coding agent's logs here (looked for Claude Code's projects under "
        "$CLAUDE_CONFIG_DIR, ~/.config/claude and ~/.claude; Codex's sessions under $CODEX_HOME or "
        "~/.codex; ~/.gemini/tmp; ~/.qwen/projects; OpenCode's opencode.db and Kilo Code's "
        "kilo.db under $XDG_DATA_HOME or ~/.local/share)");
  }
  std::string said;
  for (const auto& f : found) {
    said += (said.empty() ? "" : ", ") + f.agent + " " + f.place + " (" +
            std::to_string(f.files.size()) + (f.files.size() == 1 ? " file)" : " files)");
    files->insert(files->end(), f.files.begin(), f.files.end());
  }
  std::fprintf(stderr, "note: --agents reads %s\n", said.c_str());
  return Status::ok();
}

}  // namespace

Status expand_and_check_inputs(std::vector<std::string>* files, bool agents) {
  if (agents) COSTOPS_RETURN_IF_ERROR(add_agent_logs(files));
  if (files->empty()) files->push_back("-");
  std::vector<std::string> out;
  for (const auto& f : *files) {
    std::error_code ec;
    if (f == "-" || !std::filesystem::is_directory(f, ec)) {
      out.push_back(f);
      continue;
    }
    auto found = inputs_under(f);
    if (!found) return found.status();
    if (found->empty()) {
      return io_error(f + ": is a directory without JSON Lines files (.jsonl, .ndjson) under it");
    }
    out.insert(out.end(), found->begin(), found->end());
  }
  *files = std::move(out);
  return check_inputs(*files);
}

Result<Input> open_input(const std::string& path, bool decompress) {
  constexpr auto no_close = [](std::FILE*) { return 0; };
  Input in{path == "-" ? "stdin" : path, compression::FilePtr(stdin, no_close),
           compression::FilePtr(nullptr, no_close), std::make_shared<std::string>()};
  if (path != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return not_a_file(path);
    in.file = compression::FilePtr(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!in.file) return cannot_open(path);
  }
  if (!decompress) {
    in.plain = compression::FilePtr(in.file.get(), no_close);
    return in;
  }
  if (path != "-" && ingest::is_sqlite_database(path)) {
    auto messages = ingest::open_opencode_database(path);
    if (!messages) return messages.status();
    in.file = std::move(*messages);
    in.plain = compression::FilePtr(in.file.get(), no_close);
    return in;
  }
  auto plain = compression::open_decompressed(in.file.get(), in.codec_error, &in.codec);
  if (!plain) return plain.status().with_context(in.name);
  in.plain = std::move(*plain);
  return in;
}

Timestamp day_start(std::chrono::sys_days d, const TimeZone& tz) {
  return tz.from_local(Timestamp{d});
}

Result<Timestamp> parse_time_in(const std::string& text, const char* option, const TimeZone& tz) {
  auto t = parse_timestamp(text);
  if (!t) return t.status().with_context(option);
  if (text.size() == 10) return day_start(std::chrono::floor<std::chrono::days>(*t), tz);
  // After the date, an offset is Z or a sign; without one the clock time is tz's.
  if (text.find_first_of("Zz+-", 10) != std::string::npos) return t;
  return tz.from_local(*t);
}

Result<Timestamp> time_or_now(const std::string& text, const char* option, const TimeZone& tz) {
  if (text.empty()) {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
  return parse_time_in(text, option, tz);
}

Result<Period> parse_period(const std::string& p, Timestamp now, const TimeZone& tz) {
  using namespace std::chrono;
  const sys_days today = tz.local_day(now);
  auto T = [&tz](sys_days d) { return day_start(d, tz); };
  Period r;
  auto span = [&](sys_days from, sys_days to) {
    r.from = T(from);
    r.to = T(to);
    r.prev_from = T(from - (to - from));
    r.prev_to = T(from);
  };
  if (p == "all") return r;
  if (p == "today") {
    span(today, today + days{1});
  } else if (p == "yesterday") {
    span(today - days{1}, today);
  } else if (p == "last-7-days") {
    span(today - days{6}, today + days{1});
  } else if (p == "last-30-days") {
    span(today - days{29}, today + days{1});
  } else if (p == "month-to-date" || p == "quarter-to-date" || p == "year-to-date") {
    // From the first day of the calendar month, quarter or year to today; the one before over the
    // same number of days from its start (at most all of it).
    std::string unit = p.substr(0, p.find('-'));
    auto whole = forecasting::resolve_period(unit, today);
    if (!whole) return whole.status();
    auto before = forecasting::resolve_period(unit, whole->start - days{1});
    if (!before) return before.status();
    const sys_days first = whole->start, prev_first = before->start;
    r.whole = std::pair{std::move(unit), *whole};
    r.from = T(first);
    r.to = T(today + days{1});
    r.prev_from = T(prev_first);
    r.prev_to = T(std::min(prev_first + (today + days{1} - first), first));
  } else {
    // A calendar month, quarter or year, a day, or FROM..TO (inclusive days); the one before is
    // the calendar one before, or the same number of days before.
    const bool calendar = p != "month" && p != "quarter" && p != "year";  // those are budgets'
    auto range = forecasting::resolve_period(p, today);
    if (!calendar || !range) {
      return invalid_argument("--period: unknown period \"" + p +
                              "\"; use today, yesterday, last-7-days, last-30-days, month-to-date, "
                              "quarter-to-date, year-to-date, YYYY-MM, YYYY-Qn, YYYY, "
                              "YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD or all");
    }
    const sys_days first = range->start, end = range->end + days{1};
    sys_days prev_first = first - (end - first);
    if (p.size() <= 7) {  // YYYY, YYYY-Qn, YYYY-MM
      const char* unit = p.size() == 4 ? "year" : p[5] == 'Q' ? "quarter" : "month";
      prev_first = forecasting::resolve_period(unit, first - days{1})->start;
    }
    r.from = T(first);
    r.to = T(end);
    r.prev_from = T(prev_first);
    r.prev_to = T(first);
  }
  return r;
}

forecasting::Date today(const TimeZone& tz) {
  return tz.local_day(
      std::chrono::time_point_cast<Timestamp::duration>(std::chrono::system_clock::now()));
}

void TimeSelection::add_to(CLI::App& cmd, const char* period_help, bool with_as_of) {
  CLI::Option* f = cmd.add_option("--from", from,
                                  "Start (inclusive): RFC 3339 (without an offset: in --tz), or "
                                  "YYYY-MM-DD (that day's start in --tz)");
  CLI::Option* t = cmd.add_option("--to", to, "End (exclusive), as --from");
  CLI::Option* p = cmd.add_option("--period", period, period_help)
                       ->check(named_periods())
                       ->excludes(f)
                       ->excludes(t);
  if (with_as_of) {
    CLI::Option* a =
        cmd.add_option("--as-of", as_of, "The time --period is relative to (default: now)");
    if (period.empty()) a->needs(p);  // else the default period is relative to it
  }
}

Status TimeSelection::resolve(const TimeZone& tz, std::optional<Timestamp>* out_from,
                              std::optional<Timestamp>* out_to,
                              std::optional<std::pair<std::string, forecasting::DateRange>>* whole,
                              std::optional<std::pair<Timestamp, Timestamp>>* previous) const {
  auto now = time_or_now(as_of, "--as-of", tz);  // checked even where --from/--to leave it unused
  if (!now) return now.status();
  if (from.empty() && to.empty() && !period.empty()) {
    auto p = parse_period(period, *now, tz);
    if (!p) return p.status();
    *out_from = p->from;
    *out_to = p->to;
    if (whole != nullptr) *whole = p->whole;
    if (previous != nullptr && p->prev_from && p->prev_to) {
      *previous = std::pair{*p->prev_from, *p->prev_to};
    }
    return Status::ok();
  }
  for (auto [text, option, slot] :
       {std::tuple{&from, "--from", out_from}, std::tuple{&to, "--to", out_to}}) {
    if (text->empty()) continue;
    auto at = parse_time_in(*text, option, tz);
    if (!at) return at.status();
    *slot = *at;
  }
  if (previous != nullptr && *out_from && *out_to && **out_from < **out_to) {
    *previous = std::pair{**out_from - (**out_to - **out_from), **out_from};
  }
  return Status::ok();
}

const char* TimeSelection::advice() const {
  return from.empty() && to.empty() && !period.empty()
             ? "--period all takes them all"
             : "without --from and --to the query takes them all";
}

namespace {

// A finite number that `in` accepts; `expected` says which ones.
CLI::Validator number_check(std::function<bool(double)> in, std::string expected,
                            std::string description) {
  return CLI::Validator(
      [in = std::move(in), expected = std::move(expected)](std::string& value) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(value.c_str(), &end);
        const bool number = !value.empty() && end == value.c_str() + value.size();
        if (number && std::isfinite(v) && in(v)) return {};
        return "expected " + expected + ", got " + value;
      },
      std::move(description));
}

}  // namespace

CLI::Validator number_in(double lo, double hi) {
  const bool bounded = hi < std::numeric_limits<double>::max();
  auto text = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.15g", v);
    return std::string(b);
  };
  return number_check([lo, hi](double v) { return v >= lo && v <= hi; },
                      bounded ? "a number from " + text(lo) + " to " + text(hi)
                              : "a finite number, at least " + text(lo),
                      bounded ? "in [" + text(lo) + " - " + text(hi) + "]" : ">= " + text(lo));
}

CLI::Validator positive_number() {
  return number_check([](double v) { return v > 0; }, "a finite number above 0", "> 0");
}

Result<TimeZone> parse_tz(const std::string& name) {
  if (name.empty()) return TimeZone{};
  auto z = TimeZone::locate(name);
  if (!z) return z.status().with_context("--tz");
  return z;
}

Status build_query(const std::string& group_by, const std::vector<std::string>& filters,
                   AggregateQuery* q) {
  size_t start = 0;
  while (start < group_by.size()) {
    size_t end = group_by.find(',', start);
    if (end == std::string::npos) end = group_by.size();
    if (end > start) {
      auto k = GroupKey::parse(std::string_view(group_by).substr(start, end - start));
      if (!k) return k.status().with_context("--group-by");
      q->group_by.push_back(*k);
    }
    start = end + 1;
  }
  for (const auto& f : filters) {
    auto p = Filter::parse(f);
    if (!p) return p.status().with_context("--filter");
    q->filters.push_back(*p);
  }
  return Status::ok();
}

Status build_selection(const std::string& group_by, const std::vector<std::string>& filters,
                       const std::string& tz, const TimeSelection& time, const std::string& source,
                       AggregateQuery* q) {
  COSTOPS_RETURN_IF_ERROR(build_query(group_by, filters, q));
  auto zone = parse_tz(tz);
  if (!zone) return zone.status();
  q->time_zone = *zone;
  COSTOPS_RETURN_IF_ERROR(time.resolve(q->time_zone, &q->from, &q->to));
  q->source = source;
  return Status::ok();
}

void RecordSelection::add_to(CLI::App& cmd) {
  cmd.add_option("--source", source, kSourceHelp)->type_name("FILE");
  time.add_to(cmd, kSelectionPeriodHelp, false);
  add_filter(cmd, filters);
  cmd.add_option("--tz", tz, "Time zone of --from, --to and --period days (default UTC)");
}

size_t display_width(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence(text.substr(i));
    if (n <= 1) {  // ASCII, or a byte that is not UTF-8: one column each
      ++width;
      ++i;
      continue;
    }
    uint32_t cp = static_cast<unsigned char>(text[i]) & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += n;
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0xFE00 && cp <= 0xFE0F)) {
      continue;  // combining marks, zero-width spaces and joiners, variation selectors
    }
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
                      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

std::string pad_right(std::string_view text, size_t width) {
  std::string out(text);
  const size_t w = display_width(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

void print_table(const std::vector<std::vector<std::string>>& rows, size_t left) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size());
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string pad(width[i] - display_width(r[i]), ' ');
      line += (i ? "  " : "") + (i < left ? r[i] + pad : pad + r[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace costops::cli

namespace costops::cli {
namespace {

// A --rate: "FROM/TO=RATE" (1 FROM is RATE TO), or "CUR=RATE" into the target currency.
struct RateText {
  std::optional<Currency> from, to;
  Decimal rate;
};

Result<RateText> parse_rate_text(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    return invalid_argument(
        "expected FROM/TO=RATE (USD/EUR=0.92: 1 USD is 0.92 EUR) or CUR=RATE "
        "(into --currency), got " +
        quoted_excerpt(text));
  }
  RateText r;
  const std::string_view pair = text.substr(0, eq);
  const size_t slash = pair.find('/');
  auto from = Currency::parse(pair.substr(0, slash));
  if (!from) return from.status();
  r.from = *from;
  if (slash != std::string_view::npos) {
    auto to = Currency::parse(pair.substr(slash + 1));
    if (!to) return to.status();
    r.to = *to;
  }
  auto rate = Decimal::parse(text.substr(eq + 1));
  if (!rate) return rate.status();
  if (*rate <= Decimal()) {
    return invalid_argument("a rate must be positive, got " + quoted_excerpt(text.substr(eq + 1)));
  }
  r.rate = *rate;
  return r;
}

}  // namespace

void CurrencyOptions::add_to(CLI::App& cmd, const char* currency_help, const char* into) {
  CLI::Option* shown = nullptr;
  if (currency_help != nullptr) {
    shown = cmd.add_option("--currency", currency, currency_help)
                ->type_name("CUR")
                ->check(CLI::Validator(
                    [](std::string& v) {
                      auto c = Currency::parse(v);
                      return c ? std::string() : c.status().message();
                    },
                    ""));
  }
  CLI::Option* file =
      cmd.add_option("--rates", rates_file,
                     "Exchange rates that convert costs into " + std::string(into) +
                         ", each day's at that day's rate: a CSV of from,to,rate (with a date "
                         "column for daily rates), or the ECB's euro reference rates as "
                         "published (eurofxref-hist.csv, or the XML: eurofxref-daily.xml)")
          ->type_name("FILE");
  CLI::Option* rate =
      cmd.add_option("--rate", rates,
                     "An exchange rate for every day: FROM/TO=RATE (USD/EUR=0.92: 1 USD is 0.92 "
                     "EUR), or CUR=RATE into " +
                         std::string(into) + " (repeatable; beside --rates too)")
          ->type_name("FROM/TO=RATE")
          ->check(CLI::Validator(
              [](std::string& v) {
                auto r = parse_rate_text(v);
                return r ? std::string() : r.status().message();
              },
              ""));
  if (shown != nullptr) {
    file->needs(shown);
    rate->needs(shown);
  }
}

Result<engine::CurrencyConverter*> CurrencyOptions::converter(std::string target) const {
  if (target.empty()) target = currency;
  if (target.empty()) return static_cast<engine::CurrencyConverter*>(nullptr);
  auto to = Currency::parse(target);
  if (!to) return to.status().with_context("--currency");
  const std::string code(to->code());
  if (const auto it = made_->by_target.find(code); it != made_->by_target.end()) {
    return it->second.get();
  }
  // The file's table, read once whatever the target (a CUR=RATE --rate is the target's own).
  engine::ExchangeRates table;
  if (!rates_file.empty()) {
    if (!made_->file) {
      auto loaded = engine::ExchangeRates::load_file(rates_file);
      if (!loaded) return loaded.status();
      made_->file = std::make_shared<const engine::ExchangeRates>(std::move(*loaded));
    }
    table = *made_->file;
  }
  for (const std::string& text : rates) {
    auto r = parse_rate_text(text);
    if (!r) return r.status().with_context("--rate");
    if (Status st = table.add(*r->from, r->to.value_or(*to), r->rate); !st.is_ok()) {
      return st.with_context("--rate " + text);
    }
  }
  auto made = std::make_unique<engine::CurrencyConverter>(
      std::make_shared<const engine::ExchangeRates>(std::move(table)), *to);
  engine::CurrencyConverter* out = made.get();
  made_->by_target.emplace(code, std::move(made));
  return out;
}

bool open_spend(const std::string& db, const CurrencyOptions& money,
                std::unique_ptr<storage::Store>* store, engine::CurrencyConverter** converter) {
  auto c = money.converter();
  if (!c) {
    report(c.status());
    return false;
  }
  auto s = open_db(db, storage::OpenMode::kExisting);
  if (!s) {
    report(s.status());
    return false;
  }
  *store = std::move(*s);
  *converter = *c;
  return true;
}

void CurrencyOptions::note_stale() const {
  for (const auto& [code, converter] : made_->by_target) {
    for (const auto& s : converter->stale()) {
      std::fprintf(stderr,
                   "note: spend in %s up to %s converted into %s at the rate of %s, %lld days "
                   "older: the rates%s%s end before the spend does\n",
                   std::string(s.from.code()).c_str(), forecasting::format_date(s.day).c_str(),
                   code.c_str(), forecasting::format_date(s.rate_day).c_str(),
                   static_cast<long long>((s.day - s.rate_day).count()),
                   converter->rates().source().empty() ? "" : " of ",
                   converter->rates().source().c_str());
    }
  }
}

namespace {
constexpr std::string_view kMissing = "no rate from ";  // ExchangeRates::convert's kNotFound
}  // namespace

bool note_if_rate_missing(const Status& st, std::string_view what) {
  if (st.code() != StatusCode::kNotFound || st.message().find(kMissing) == std::string::npos) {
    return false;
  }
  std::fprintf(stderr, "note: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               st.message().c_str());
  return true;
}

Status with_rates_hint(const Status& st, const engine::CurrencyConverter* converter) {
  const size_t at = st.message().find(kMissing);
  if (converter == nullptr || !converter->rates().empty() || st.code() != StatusCode::kNotFound ||
      at == std::string::npos) {
    return st;
  }
  const std::string from = st.message().substr(at + kMissing.size(), 3);
  return Status(st.code(), st.message() + ": --rates FILE or --rate " + from + "/" +
                               std::string(converter->target().code()) + "=RATE gives one");
}

}  // namespace costops::cli
