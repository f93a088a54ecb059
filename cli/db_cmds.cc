// Commands on stored data: init, ingest, query, summary, reprice, whatif, delete.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tuple>

#include "commands.h"
#include "common.h"
#include "costops/compression/codec.h"
#include "costops/domain/json_text.h"
#include "costops/engine/cost_calculator.h"
#include "costops/engine/whatif.h"
#include "costops/forecasting/budget.h"
#include "costops/ingest/ingest.h"
#include "costops/report/prometheus.h"
#include "costops/report/report.h"
#include "costops/storage/store.h"

namespace costops::cli {
namespace {

using json = nlohmann::json;

// The project directory Gemini CLI keeps for a session file in ~/.gemini/tmp/<project>/chats/ (a
// sub-agent's one level deeper): the first line of <project>/.project_root, or "" without one.
std::string gemini_project_root(const std::string& path) {
  if (path == "-") return {};
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  for (int up = 0; up < 2 && !dir.empty(); ++up, dir = dir.parent_path()) {
    if (dir.filename() != "chats") continue;
    std::ifstream in(dir.parent_path() / ".project_root");
    std::string root;
    if (!std::getline(in, root)) return {};
    while (!root.empty() && (root.back() == '\r' || root.back() == ' ')) root.pop_back();
    return root;
  }
  return {};
}

// Amounts in query's tables and notes: 6 decimals (exact in JSON and CSV).
std::string money_text(const std::map<std::string, Decimal>& cost) {
  return report::money_text(cost, 6);
}
using report::money_json;

// ---- init ----------------------------------------------------------------------------------

void add_init(CLI::App& app, int& rc) {
  auto db = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("init", "Create the database or apply pending schema migrations");
  add_db_to(*cmd, db);
  cmd->callback([db, &rc] {
    auto store = open_db(*db, storage::OpenMode::kCreate);
    if (!store) {
      report(store.status());
      rc = kExitFailure;
      return;
    }
    std::printf("%s: schema version %d\n", (*store)->url().c_str(), (*store)->schema_version());
    rc = kExitOk;
  });
}

// ---- ingest --------------------------------------------------------------------------------

struct IngestCmd {
  std::vector<std::string> files;
  bool agents = false;  // and the coding agents' logs on this machine
  std::string format = "auto", encoding = "auto";
  std::string provider;
  std::vector<std::string> defaults;  // --default KEY=VALUE
  std::string rejects;
  std::string as_of;
  std::string output = "text";
  CatalogOptions catalog;
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

std::string default_rejects_path() {
  const auto t = std::chrono::system_clock::now();
  std::string stamp =
      format_timestamp(std::chrono::time_point_cast<std::chrono::microseconds>(t)).substr(0, 19);
  std::replace(stamp.begin(), stamp.end(), ':', '-');
  std::string base = std::filesystem::path(storage::Store::default_url()).parent_path().string();
  return base + "/rejects/ingest-" + stamp + ".jsonl";
}

constexpr const char* kWarningsKept = "kept in the stored record's detail";

// The note on the costs the records logged (a gateway's or tracer's own) against the exact ones.
void note_logged(const ingest::IngestStats& stats, Currency currency) {
  note_uncompared_logged_costs(stats.logged, currency);
  const engine::LoggedCosts& l = stats.logged;
  if (l.records == 0 || !stats.logged_fits) return;
  const auto pct = report::percent_text(l.logged - l.exact, l.exact, 2, true);
  std::fprintf(stderr,
               "note: %llu record%s logged a cost of %s USD (as the gateway or tracer priced "
               "them), against an exact %s USD (%s%%); %llu of them more than 1%% off (cost-ops "
               "query --logged --group-by model compares them per model)\n",
               static_cast<unsigned long long>(l.records), l.records == 1 ? "" : "s",
               l.logged.to_string_fixed(6).c_str(), l.exact.to_string_fixed(6).c_str(),
               pct ? pct->c_str() : "n/a", static_cast<unsigned long long>(l.off));
}

// Notes the models read without a price (`what`: "no price", or the what-if's), the most records
// first, with why (the catalog's error names the closest models it has), and, for records
// `stored` unpriced, what prices them later.
void note_unpriced_models(std::vector<ingest::UnpricedModel> models, const char* what = "no price",
                          bool stored = true) {
  if (models.empty()) return;
  constexpr size_t kShown = 3;
  std::stable_sort(models.begin(), models.end(),
                   [](const auto& a, const auto& b) { return a.records > b.records; });
  for (size_t i = 0; i < models.size() && i < kShown; ++i) {
    const auto& m = models[i];
    std::fprintf(stderr, "note: %s for %s%s%s (%llu record%s): %s\n", what, m.provider.c_str(),
                 m.provider.empty() ? "" : "/", m.model.c_str(),
                 static_cast<unsigned long long>(m.records), m.records == 1 ? "" : "s",
                 m.reason.c_str());
  }
  if (models.size() > kShown) {
    std::fprintf(stderr, "note: %zu more model%s without a price\n", models.size() - kShown,
                 models.size() - kShown == 1 ? "" : "s");
  }
  if (!stored) return;
  std::fprintf(stderr,
               "note: unpriced records are stored and counted, never as $0; `cost-ops reprice` "
               "prices them once the catalog (--catalog, --prices) or `cost-ops pricing add` "
               "knows their model\n");
}

int run_ingest(IngestCmd& o) {
  auto now = time_or_now(o.as_of, "--as-of");
  if (!now) {
    report(now.status());
    return kExitUsage;
  }
  auto fmt = ingest::parse_input_format(o.format);
  if (!fmt) {
    report(fmt.status());
    return kExitUsage;
  }
  auto encoding = parse_text_encoding(o.encoding);
  if (!encoding) {
    report(encoding.status().with_context("--encoding"));
    return kExitUsage;
  }
  ingest::RecordDefaults defaults;
  for (const auto& d : o.defaults) {
    if (Status st = defaults.add(d); !st.is_ok()) {
      report(st.with_context("--default"));
      return kExitUsage;
    }
  }
  // A misspelled second file stores nothing (nor creates the database), rather than failing
  // after the first is stored without its summary.
  if (Status st = expand_and_check_inputs(&o.files, o.agents); !st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  std::unique_ptr<storage::Store> store;
  const pricing::Catalog* catalog = nullptr;
  if (!open_store_and_catalog(*o.db, storage::OpenMode::kCreate, o.catalog, &store, &catalog))
    return kExitFailure;
  ingest::IngestOptions opt;
  opt.catalog = catalog;
  opt.format = *fmt;
  opt.encoding = *encoding;
  opt.default_provider = o.provider;
  opt.defaults = std::move(defaults);
  opt.default_time = *now;
  const std::string rejects_path = o.rejects.empty() ? default_rejects_path() : o.rejects;
  std::unique_ptr<std::ofstream> rejects;
  std::vector<std::string> first_rejects;  // the first few, shown on stderr as FILE:LINE: reason
  constexpr size_t kShownRejects = 3;
  auto on_reject = [&](const ingest::Reject& r) {
    if (first_rejects.size() < kShownRejects) {
      first_rejects.push_back(r.source + ":" + std::to_string(r.line) + ": " + r.reason);
    }
    if (!rejects) {
      std::error_code ec;
      const auto parent = std::filesystem::path(rejects_path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
      rejects = std::make_unique<std::ofstream>(rejects_path, std::ios::trunc);  // this run's
    }
    std::string line = "{\"source\":";
    append_json_string(line, r.source);
    line += ",\"line\":" + std::to_string(r.line) + ",\"reason\":";
    append_json_string(line, r.reason);
    line += ",\"text\":";
    append_json_string(line, r.text);
    line += "}\n";
    // A rejects file that cannot be written loses nothing: the record goes to stderr instead.
    if (!(*rejects << line)) std::fputs(line.c_str(), stderr);
  };
  opt.stored_reports.records_at = [&](std::span<const Timestamp> times, std::string_view prefix) {
    return store->records_at(times, prefix);
  };
  opt.stored_reports.remove = [&](std::span<const PricedRecord> records) {
    return store->delete_stored(records);
  };
  // Batches are encoded on this thread (prepare) and written on the sink's.
  storage::PipelinedWriter writer(*store);
  opt.prepare = [&](std::span<const PricedRecord> batch) { writer.encode(batch); };
  // What the batches written so far stored (the sink runs on the pipeline's writing thread):
  // said when a write fails, so that the records already stored are not a surprise.
  std::atomic<uint64_t> written{0}, stored_so_far{0};
  auto sink = [&](std::span<const PricedRecord> batch) -> Result<ingest::BatchResult> {
    auto w = writer.write(batch);
    if (!w) return w.status();
    written += batch.size();
    stored_so_far += w->stored;
    return ingest::BatchResult{w->stored, w->duplicates, w->unpriced};
  };
  // Progress on a TTY only: records, bytes, rate; overwritten in place, cleared at the end.
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto started = std::chrono::steady_clock::now();
  auto last_shown = started;
  uint64_t done_records = 0, done_bytes = 0;
  if (tty) {
    opt.progress = [&](uint64_t records, uint64_t bytes) {
      const auto now_t = std::chrono::steady_clock::now();
      if (now_t - last_shown < std::chrono::milliseconds(200)) return;
      last_shown = now_t;
      const double secs = std::chrono::duration<double>(now_t - started).count();
      const uint64_t r = done_records + records, b = done_bytes + bytes;
      std::fprintf(stderr, "\r  %llu records  %.1f MB  %.0f records/s   ",
                   static_cast<unsigned long long>(r), static_cast<double>(b) / 1e6,
                   secs > 0 ? static_cast<double>(r) / secs : 0.0);
    };
  }
  ingest::IngestStats total;
  json unread_columns = json::array();    // {source, column}: counts in CSV columns no key reads
  std::vector<std::string> input_errors;  // files whose reading failed part way
  for (const auto& f : o.files) {
    auto in = open_input(f);  // gzip, zstd and zlib read decompressed
    if (!in) {
      report(in.status());
      return kExitFailure;
    }
    opt.read_error_detail = in->codec_error;
    opt.agent_project = gemini_project_root(f);
    const uint64_t stored_before = stored_so_far;
    auto s = ingest::ingest_stream(in->plain.get(), in->name, opt, sink, on_reject);
    if (!s) {
      report(s.status());
      if (written > 0) {
        std::fprintf(
            stderr,
            "note: the batches written before the error stored %llu record%s (%llu of "
            "them from %s); a batch is stored whole or not at all, and running the same "
            "command again stores the rest (the stored ones count as duplicates)\n",
            static_cast<unsigned long long>(stored_so_far.load()), stored_so_far == 1 ? "" : "s",
            static_cast<unsigned long long>(stored_so_far - stored_before), in->name.c_str());
      }
      return kExitFailure;
    }
    // The records before a read error count; the run fails after the summary.
    if (!s->input_error.empty()) input_errors.push_back(s->input_error);
    done_records += s->read;
    if (f != "-") done_bytes += static_cast<uint64_t>(std::ftell(in->file.get()));
    total.read += s->read;
    total.stored += s->stored;
    total.duplicates += s->duplicates;
    total.unpriced += s->unpriced;
    total.rejected += s->rejected;
    total.untimed += s->untimed;
    total.base_rate_rows += s->base_rate_rows;
    total.replaced += s->replaced;
    total.without_usage += s->without_usage;
    total.stream_events += s->stream_events;
    total.merged += s->merged;
    total.streaming += s->streaming;
    total.warned += s->warned;
    note_unread_columns(in->name, s->unread_columns);
    for (const auto& c : s->unread_columns)
      unread_columns.push_back({{"source", in->name}, {"column", c}});
    total.logged_fits = total.logged_fits && s->logged_fits && total.logged.add(s->logged);
    for (const auto& w : s->warnings)
      if (total.warnings.size() < ingest::IngestStats::kMaxWarnings) total.warnings.push_back(w);
    for (const auto& m : s->unpriced_models) {
      ingest::count_unpriced(total.unpriced_models, m.provider, m.model, m.reason, m.records);
    }
  }
  const bool rejects_lost = rejects && !rejects->flush();
  if (tty && last_shown != started) std::fprintf(stderr, "\r%60s\r", "");
  const bool in_file = total.rejected > 0 && !rejects_lost;
  if (in_file) {  // else they are on stderr whole already
    for (const auto& r : first_rejects) std::fprintf(stderr, "rejected: %s\n", r.c_str());
    if (total.rejected > first_rejects.size()) {
      std::fprintf(stderr, "rejected: %llu more, all in %s\n",
                   static_cast<unsigned long long>(total.rejected - first_rejects.size()),
                   rejects_path.c_str());
    }
  }
  if (o.output == "json" || o.format == "json") {
    json j = {{"read", total.read},
              {"stored", total.stored},
              {"duplicates", total.duplicates},
              {"unpriced", total.unpriced},
              {"rejected", total.rejected},
              {"without_timestamp", total.untimed},
              {"replaced", total.replaced},
              {"without_usage", total.without_usage},
              {"merged", total.merged},
              {"streaming", total.streaming},
              {"stream_events", total.stream_events},
              {"warned", total.warned},
              {"database", store->url()}};
    if (in_file) j["rejects_file"] = rejects_path;
    if (total.logged.records > 0 && total.logged_fits)
      j["logged"] = report::logged_costs_json(total.logged);
    if (!unread_columns.empty()) j["unread_columns"] = unread_columns;  // as the notes say them
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("read %llu, stored %llu (%llu unpriced), duplicates %llu, rejected %llu -> %s\n",
                static_cast<unsigned long long>(total.read),
                static_cast<unsigned long long>(total.stored),
                static_cast<unsigned long long>(total.unpriced),
                static_cast<unsigned long long>(total.duplicates),
                static_cast<unsigned long long>(total.rejected), store->url().c_str());
    if (in_file) std::printf("rejected records: %s\n", rejects_path.c_str());
  }
  note_unpriced_models(total.unpriced_models);
  if (total.untimed > 0) {
    std::fprintf(
        stderr,
        "note: %llu record%s no timestamp (a \"timestamp\" field or column, or "
        "created_at, start_time, created): dated and priced at %s, the ingest time (--as-of "
        "sets it)\n",
        static_cast<unsigned long long>(total.untimed), total.untimed == 1 ? " has" : "s have",
        format_timestamp(*now).c_str());
  }
  note_warnings(total, kWarningsKept);
  note_logged(total, catalog->currency());
  if (total.without_usage + total.merged > 0) {
    std::fprintf(stderr,
                 "note: coding agents' logs: %llu line%s no model call (messages, tool calls "
                 "and results, summaries, metadata); %llu line%s a call counted once (a Claude "
                 "Code message's streaming lines, merged with their largest counts; Codex's "
                 "repeated or replayed token counts; a Gemini CLI message written again; an "
                 "OpenCode call a forked session copied)\n",
                 static_cast<unsigned long long>(total.without_usage),
                 total.without_usage == 1 ? " is" : "s are",
                 static_cast<unsigned long long>(total.merged),
                 total.merged == 1 ? " repeats" : "s repeat");
  }
  if (total.stream_events > 0) {
    std::fprintf(stderr,
                 "note: streamed responses and Realtime sessions: %llu event%s no call's final "
                 "usage (text and audio deltas, pings, ends, session and conversation events, "
                 "usage a later event of the response completed): read past\n",
                 static_cast<unsigned long long>(total.stream_events),
                 total.stream_events == 1 ? " holds" : "s hold");
  }
  if (total.streaming > 0) {
    std::fprintf(stderr,
                 "note: %llu Claude Code message%s still streaming at the end of %s transcript "
                 "(a session at work): not taken yet; ingest the file again once the message "
                 "is done\n",
                 static_cast<unsigned long long>(total.streaming),
                 total.streaming == 1 ? " was" : "s were", total.streaming == 1 ? "its" : "their");
  }
  if (total.replaced > 0) {
    std::fprintf(stderr,
                 "note: %llu stored usage report row%s replaced by a fetch again with revised "
                 "figures (usage the provider recorded late)\n",
                 static_cast<unsigned long long>(total.replaced), total.replaced == 1 ? "" : "s");
  }
  if (total.base_rate_rows > 0) {
    std::fprintf(stderr,
                 "note: %llu usage report row%s of models with long-context prices give%s no "
                 "context_window: priced at the base rates, as if no request was above the "
                 "threshold (fetch the report with group_by[]=context_window to price them "
                 "exactly)\n",
                 static_cast<unsigned long long>(total.base_rate_rows),
                 total.base_rate_rows == 1 ? "" : "s", total.base_rate_rows == 1 ? "s" : "");
  }
  for (const auto& e : input_errors) {
    report(io_error(e + "; the records before it were read (counted above)"));
  }
  if (rejects_lost) {
    report(io_error(rejects_path + ": cannot write the rejects file; the rejected records it "
                                   "could not hold are on stderr (JSON Lines)"));
    return kExitFailure;
  }
  if (!input_errors.empty()) return kExitFailure;
  return total.rejected > 0 ? kExitRejected : kExitOk;
}

void add_ingest(CLI::App& app, int& rc) {
  auto o = std::make_shared<IngestCmd>();
  CLI::App* cmd = app.add_subcommand(
      "ingest", "Read usage records, price them at their own timestamps, and store them");
  cmd->footer(R"(
Inputs: JSON Lines (one record per line, the same form `cost-ops price` reads, gateway log lines
with their counts among their fields included: LiteLLM's spend logs; OpenAI's, Anthropic's, Gemini's
and Vertex AI's batch result files, priced as batch calls; Amazon Bedrock's model invocation logs;
Langfuse's observations, by their usageDetails; Helicone's requests, by their helicone_user;
Cloudflare AI Gateway's logs, by their tokens_in and tokens_out; OpenRouter's generations, by
their native_tokens_prompt, under "data" or not, and its activity rows, by their
byok_usage_inference), a JSON document (a list of
records, {"records": [...]}, an API's page {"data": [...]} such as Langfuse's and Helicone's or
{"result": [...]} as Cloudflare's, or one record, or CloudWatch Logs' {"events": [...]} whose
messages are such lines), OpenTelemetry GenAI spans and log records, Claude Code's api_request
events among them (OTLP JSON), Claude Code's session transcripts (~/.claude/projects/*/*.jsonl: each
assistant message is a record, its streaming lines merged with their final counts, the session's
directory its project, tags service, session, branch, agent and platform; the other lines are no
usage; a message still streaming at the end of its file is taken when the file is read again),
Codex's session rollouts (~/.codex/sessions: each model call's token_count event is a record, its
last_token_usage with its turn's model; events repeated unchanged and a fork's replay of its
parent's calls are left out), Gemini CLI's sessions (~/.gemini/tmp/*/chats: each reply with token
counts is a record, once however often it was written; its project the directory in the
.project_root beside chats, else the session's project hash; tags service, session, agent), Qwen
Code's sessions (~/.qwen/projects/*/chats: each assistant record with usageMetadata is a record, its
provider the one its model names), OpenCode's database (~/.local/share/opencode/opencode.db, read
as it is, OpenCode running or not: each step of an assistant message, one model call, is a record,
copies a forked session made are left out; tags service, session, agent, mode, platform; Kilo
Code's ~/.local/share/kilo/kilo.db the same), providers' usage reports (pages of OpenAI's
/v1/organization/usage/completions or /embeddings and Anthropic's
/v1/organizations/usage_report/messages, as fetched, one per line or one document; each row is a
record of summed requests, dated at its bucket's start, priced at the long-context tier of its mean
request (OpenAI) or of its context_window (Anthropic; base rates when the report is not grouped by
context_window); a bucket stored from a fetch grouped otherwise, or overlapping a stored bucket of
another width, rejects its rows, which would count its usage twice; a bucket fetched again with
revised figures replaces the stored one), streamed responses' server-sent events, as a proxy or
client captured them (text/event-stream: Anthropic's, OpenAI's Chat Completions with
include_usage and Responses, Gemini's, and the APIs that stream as OpenAI's; each response is a
record, its usage the final counts its events give), an OpenAI Realtime session's events as an app
logged them (a JSON object per line: each response.done is a record of the session's model, and
each input audio transcription with usage one of its transcription model), or CSV with a header
row whose columns map by name in any case, spaces or hyphens for underscores, or camel case (id, timestamp, provider, model,
organization_id, project_id, user_id, api_flavor, service_tier, batch, tier_input_tokens, any usage
key such as input_tokens or prompt_tokens, tag:KEY columns or a "tags" column of
key=value;key=value, usage, body or metadata as a JSON object; LiteLLM's custom_llm_provider, user
and team_id when no column names provider, user or project; Cursor's usage export, by its columns
Input (w/ Cache Write) and Input (w/o Cache Write); quoted fields may span lines; separated by
commas, else tabs, else semicolons, as the header is; a column a letter or two from a token
count's name stops the run, and counts in one no key names, such as Cache Reads, are noted). The
time is "timestamp", else created_at, start_time or created; a record without one is dated and
priced at the ingest time (--as-of), and a note says how many were.
Gzip, zstd and zlib files are read directly. Records are keyed by id (else request_id), or by a
content hash: ingesting a file twice stores nothing new. A record whose model has no price is stored
as unpriced with the reason (never as $0), and a note names the models, with the closest ones the
catalog has. Records that cannot be read or priced are rejected and written to the rejects file
(JSON Lines: source, line, reason, text); the first three are printed on stderr as FILE:LINE:
reason.
Exit status: 0 when nothing was rejected, 3 when some records were, 1 on errors that stop the run
or a file cut short (the records before the cut are stored).
Examples:
  cost-ops ingest data/samples/usage.jsonl
  cost-ops ingest --format csv --provider openai usage.csv --rejects bad.jsonl
  cost-ops ingest openai-usage-2026-11.json anthropic-usage-2026-11.jsonl
  cost-ops ingest --output json logs/*.jsonl
  cost-ops ingest ~/.claude/projects ~/.codex/sessions ~/.gemini/tmp ~/.qwen/projects
  cost-ops ingest ~/.local/share/opencode/opencode.db
  cost-ops ingest --agents               # every coding agent's logs on this machine)");
  cmd->add_option("files", o->files,
                  "Input files, directories (the .jsonl and .ndjson files under them, compressed "
                  "too, Gemini CLI's session-*.json and OpenCode's opencode.db, in path order: "
                  "~/.claude/projects), or - for stdin (default)");
  cmd->add_flag("--agents", o->agents, kAgentsHelp);
  cmd->add_option("--format", o->format, kInputFormatHelp)->check(input_formats());
  cmd->add_option("--encoding", o->encoding, kEncodingHelp)->check(text_encodings());
  cmd->add_option("--provider", o->provider, "Provider for records that name none")
      ->check(complete_from("providers"));
  cmd->add_option("--default", o->defaults,
                  "KEY=VALUE: organization, project, user or tag:KEY for the records that have "
                  "none (repeatable): --default user=alice --default tag:env=prod")
      ->type_name("KEY=VALUE")
      ->check(complete_from("defaults"));
  cmd->add_option(
         "--rejects", o->rejects,
         "Where to write rejected records, replacing the file when there are any (default: a "
         "new file under the data directory)")
      ->type_name("FILE");
  cmd->add_option("--as-of", o->as_of, "Time for records without a timestamp (default: now)");
  cmd->add_option("--output", o->output,
                  "Summary format: text or json (also json with --format json)")
      ->check(CLI::IsMember({"text", "json"}));
  o->catalog.add_to(*cmd);
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_ingest(*o); });
}

// ---- query ---------------------------------------------------------------------------------

struct QueryCmd {
  TimeSelection time;
  std::string group_by, format = "table", tz, sort = "keys", source;
  size_t limit = 0;
  bool unit_costs = false, logged = false, cost_split = false;
  std::string allocate, allocate_by = "cost";  // --allocate KEY: spread_shared
  std::vector<std::string> filters;
  std::vector<std::string> labels;  // --label NAME=VALUE (prometheus)
  CurrencyOptions money;            // --currency, --rates, --rate
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// The figures query adds to its rows' counts and cost: unit costs (--unit-costs), shared and
// allocated cost (--allocate), the logged costs against the exact ones (--logged), the cost's
// input, output and other parts (--cost-split).
struct RowExtras {
  bool units = false, allocated = false, logged = false, split = false;
};

// A row's logged costs in tables: the logged and exact cost (6 decimals), the difference in
// percent of the exact cost, and the records more than 1% off; "-" each without any.
struct LoggedTexts {
  std::string logged = "-", exact = "-", percent = "-", off = "-";
};
LoggedTexts logged_texts(const LoggedCosts& l) {
  LoggedTexts t;
  if (l.records == 0) return t;
  t.logged = l.logged.to_string_fixed(6);
  t.exact = l.exact.to_string_fixed(6);
  t.percent = report::percent_text(l.logged - l.exact, l.exact, 2, true).value_or("-");
  t.off = std::to_string(l.off);
  return t;
}

// A gauge of an amount per currency, labelled by it.
void amount_gauges(report::PrometheusText& p, const char* name, const char* help,
                   const report::PrometheusLabels& l, const std::map<std::string, Decimal>& cost) {
  for (const auto& [cur, d] : cost) {
    report::PrometheusLabels lc = l;
    lc.emplace_back("currency", cur);
    p.gauge(name, help, lc, d.to_string());
  }
}

// A row's cost (per currency) and counts as gauges with the labels `l`: query's samples of a
// row, summary's of its total.
void row_gauges(report::PrometheusText& p, const report::PrometheusLabels& l,
                const AggregateRow& r) {
  amount_gauges(p, "costops_cost",
                "Exact cost of the selected stored records, in the currency the label names", l,
                r.cost);
  auto count = [&](const char* name, const char* help, long long v) {
    p.gauge(name, help, l, std::to_string(v));
  };
  count("costops_records", "Selected stored records", static_cast<long long>(r.records));
  count("costops_unpriced_records",
        "Selected records stored without a price (their cost counts as nothing)",
        static_cast<long long>(r.unpriced));
  count("costops_requests", "Requests the selected records stand for", r.requests);
  count("costops_input_tokens", "Input tokens, cache reads and writes included", r.input_tokens);
  count("costops_output_tokens", "Output tokens, reasoning included", r.output_tokens);
  count("costops_cache_read_tokens", "Input tokens read from a prompt cache", r.cache_read_tokens);
  count("costops_cache_write_tokens", "Input tokens written to a prompt cache",
        r.cache_write_tokens);
  count("costops_reasoning_tokens", "Output tokens spent on reasoning", r.reasoning_tokens);
}

// The rows as Prometheus gauges, a sample per row (and per currency for the cost), labelled by
// the group keys: `labels` are their label names (report::prometheus_label_names). Without group
// keys, a selection without records is zero records (and no cost: its currency is unknown).
void print_prometheus(const std::vector<std::string>& labels, const std::vector<AggregateRow>& rows,
                      const RowExtras& x, report::PrometheusLabels constant) {
  report::PrometheusText p(std::move(constant));
  const std::vector<AggregateRow> none(labels.empty() && rows.empty() ? 1 : 0);
  for (const auto& r : rows.empty() ? none : rows) {
    report::PrometheusLabels l;
    for (size_t i = 0; i < labels.size() && i < r.keys.size(); ++i)
      l.emplace_back(labels[i], r.keys[i]);
    row_gauges(p, l, r);
    if (x.allocated) {
      amount_gauges(p, "costops_shared_cost",
                    "Shared cost spread onto the row (negative: spread off it), by --allocate", l,
                    r.shared);
      amount_gauges(p, "costops_allocated_cost", "Cost plus shared cost of the selected records", l,
                    allocated_cost(r));
    }
    if (x.split) {
      amount_gauges(p, "costops_input_cost",
                    "Cost of the selected records' input (cache reads and writes included)", l,
                    r.input_cost);
      amount_gauges(p, "costops_output_cost",
                    "Cost of the selected records' output (reasoning included)", l, r.output_cost);
      amount_gauges(p, "costops_other_cost",
                    "Cost of the selected records' units of neither input nor output (per-request "
                    "fees, web searches)",
                    l, r.other_cost);
      amount_gauges(p, "costops_discount",
                    "What contract discounts took off the selected records' cost at list prices", l,
                    r.discount);
    }
    if (x.logged && r.logged.records > 0) {
      report::PrometheusLabels lc = l;
      lc.emplace_back("currency", "USD");
      p.gauge("costops_logged_cost",
              "Cost the selected records logged themselves (a gateway's price), of those that did",
              lc, r.logged.logged.to_string());
      p.gauge("costops_logged_exact_cost", "Exact cost of the selected records that logged a cost",
              lc, r.logged.exact.to_string());
      p.gauge("costops_logged_off_records",
              "Selected records whose logged cost is more than 1% off the exact one", l,
              std::to_string(r.logged.off));
    }
    if (const UnitCosts u = x.units ? unit_costs(r) : UnitCosts(); !u.currency.empty()) {
      report::PrometheusLabels lc = l;
      lc.emplace_back("currency", u.currency);
      if (u.per_request) {
        p.gauge("costops_cost_per_request", "Cost per request of the selected records", lc,
                u.per_request->to_string());
      }
      if (u.per_mtok) {
        p.gauge("costops_cost_per_mtok",
                "Cost per million tokens (input and output) of the selected records", lc,
                u.per_mtok->to_string());
      }
    }
  }
  std::fputs(p.str().c_str(), stdout);
}

// A unit cost's text: exact, or `none` when it has none (unit_costs).
std::string unit_text(const std::optional<Decimal>& d, const char* none) {
  return d ? d->to_string() : none;
}

void print_rows(const AggregateQuery& q, const std::vector<AggregateRow>& rows,
                const std::string& format, const RowExtras& x) {
  const bool units = x.units, allocated = x.allocated, logged = x.logged, split = x.split;
  if (format == "json") {
    json arr = json::array();
    for (const auto& r : rows) {
      json o;
      for (size_t i = 0; i < q.group_by.size(); ++i) o[q.group_by[i].name()] = r.keys[i];
      o["records"] = r.records;
      o["unpriced"] = r.unpriced;
      o["requests"] = r.requests;
      o["input_tokens"] = r.input_tokens;
      o["output_tokens"] = r.output_tokens;
      o["cache_read_tokens"] = r.cache_read_tokens;
      o["cache_write_tokens"] = r.cache_write_tokens;
      o["reasoning_tokens"] = r.reasoning_tokens;
      o["cost"] = money_json(r.cost);
      if (split) {
        for (const auto& [name, part] : kCostSplit) o[name] = money_json(r.*part);
      }
      if (allocated) {
        o["shared_cost"] = money_json(r.shared);
        o["allocated_cost"] = money_json(allocated_cost(r));
      }
      if (units) {
        const UnitCosts u = unit_costs(r);
        o["cost_per_request"] = report::decimal_json(u.per_request);
        o["cost_per_mtok"] = report::decimal_json(u.per_mtok);
      }
      if (logged) {
        o["logged"] = r.logged.records > 0 ? report::logged_costs_json(r.logged) : json(nullptr);
      }
      arr.push_back(o);
    }
    std::printf("%s\n", json{{"rows", arr}}.dump(2).c_str());
    return;
  }
  if (format == "csv") {
    for (const auto& k : q.group_by) std::printf("%s,", k.name().c_str());
    std::printf(
        "currency,cost,records,unpriced,input_tokens,output_tokens,requests,cache_read_tokens,"
        "cache_write_tokens,reasoning_tokens%s%s%s%s\n",
        split ? ",input_cost,output_cost,other_cost,discount" : "",
        units ? ",cost_per_request,cost_per_mtok" : "",
        allocated ? ",shared_cost,allocated_cost" : "",
        logged ? ",logged_records,logged_cost,logged_exact_cost,logged_records_off" : "");
    for (const auto& r : rows) {
      const UnitCosts u = units ? unit_costs(r) : UnitCosts();
      std::map<std::string, Decimal> cost = r.cost;
      for (const auto& [cur, d] : r.shared) cost.try_emplace(cur);  // a currency only shared
      if (cost.empty()) cost[""] = Decimal();
      for (const auto& [cur, d] : cost) {
        for (const auto& key : r.keys) {
          std::string q2 = "\"";
          for (char c : key) q2 += c == '"' ? std::string("\"\"") : std::string(1, c);
          std::printf("%s\",", q2.c_str());
        }
        std::printf("%s,%s,%llu,%llu,%lld,%lld,%lld,%lld,%lld,%lld", cur.c_str(),
                    d.to_string().c_str(), static_cast<unsigned long long>(r.records),
                    static_cast<unsigned long long>(r.unpriced),
                    static_cast<long long>(r.input_tokens), static_cast<long long>(r.output_tokens),
                    static_cast<long long>(r.requests), static_cast<long long>(r.cache_read_tokens),
                    static_cast<long long>(r.cache_write_tokens),
                    static_cast<long long>(r.reasoning_tokens));
        if (split) {
          for (const auto& [name, part] : kCostSplit)
            std::printf(",%s", cost_in(r.*part, cur).to_string().c_str());
        }
        if (units) {
          std::printf(",%s,%s", unit_text(u.per_request, "").c_str(),
                      unit_text(u.per_mtok, "").c_str());
        }
        if (allocated) {
          std::printf(",%s,%s", cost_in(r.shared, cur).to_string().c_str(),
                      cost_in(allocated_cost(r), cur).to_string().c_str());
        }
        if (logged && cur == "USD" && r.logged.records > 0) {  // logged in USD: on its line
          std::printf(",%llu,%s,%s,%llu", static_cast<unsigned long long>(r.logged.records),
                      r.logged.logged.to_string().c_str(), r.logged.exact.to_string().c_str(),
                      static_cast<unsigned long long>(r.logged.off));
        } else if (logged) {
          std::printf(",,,,");
        }
        std::printf("\n");
      }
    }
    return;
  }
  // Cache and reasoning columns only when some row has them.
  bool parts = false;
  for (const auto& r : rows)
    parts = parts || r.cache_read_tokens || r.cache_write_tokens || r.reasoning_tokens;
  // With --cost-split, the other cost and the discount only when some row has any.
  std::vector<size_t> shown;  // of kCostSplit
  for (size_t i = 0; split && i < std::size(kCostSplit); ++i) {
    bool any = i < 2;
    for (const auto& r : rows)
      for (const auto& [cur, d] : r.*kCostSplit[i].second) any = any || !d.is_zero();
    if (any) shown.push_back(i);
  }
  const size_t split_parts = shown.size();
  if (format == "markdown") {  // for a pull request's comment or a wiki page
    std::string head = "|", rule = "|";
    for (const auto& k : q.group_by)
      head += " " + report::md_escape(k.name()) + " |", rule += "---|";
    head += " records | unpriced | requests | input_tokens | output_tokens |";
    if (parts) head += " cache_read | cache_write | reasoning |";
    if (units) head += " per_request | per_mtok |";
    if (logged) head += " logged | logged_exact | logged_diff_% | logged_off |";
    for (const size_t i : shown) head += std::string(" ") + kCostSplit[i].first + " |";
    head += allocated ? " cost | shared | allocated |" : " cost |";
    for (size_t i = 0; i < (parts ? 9 : 6) + (units ? 2 : 0) + (allocated ? 2 : 0) +
                               (logged ? 4 : 0) + split_parts;
         ++i)
      rule += "---:|";
    std::printf("%s\n%s\n", head.c_str(), rule.c_str());
    for (const auto& r : rows) {
      std::string line = "|";
      for (const auto& key : r.keys)
        line += " " + (key.empty() ? "-" : report::md_escape(key)) + " |";
      line += " " + std::to_string(r.records) + " | " + std::to_string(r.unpriced) + " | " +
              std::to_string(r.requests) + " | " + std::to_string(r.input_tokens) + " | " +
              std::to_string(r.output_tokens) + " |";
      if (parts) {
        line += " " + std::to_string(r.cache_read_tokens) + " | " +
                std::to_string(r.cache_write_tokens) + " | " + std::to_string(r.reasoning_tokens) +
                " |";
      }
      if (units) {
        const UnitCosts u = unit_costs(r);
        line += " " + unit_text(u.per_request, "-") + " | " + unit_text(u.per_mtok, "-") + " |";
      }
      if (logged) {
        const LoggedTexts t = logged_texts(r.logged);
        line += " " + t.logged + " | " + t.exact + " | " + t.percent + " | " + t.off + " |";
      }
      for (const size_t i : shown) line += " " + money_text(r.*kCostSplit[i].second) + " |";
      line += " " + money_text(r.cost) + " |";
      if (allocated) {
        line += " " + money_text(r.shared) + " | " + money_text(allocated_cost(r)) + " |";
      }
      std::printf("%s\n", line.c_str());
    }
    return;
  }
  // Each key column as wide as its longest value (an absent value prints as "-").
  std::vector<size_t> width;
  for (const auto& k : q.group_by) width.push_back(display_width(k.name()));
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.keys.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], std::max<size_t>(display_width(r.keys[i]), 1));
  }
  for (size_t i = 0; i < q.group_by.size(); ++i)
    std::printf("%s ", pad_right(q.group_by[i].name(), width[i]).c_str());
  std::printf("%9s %9s %10s %14s %14s ", "records", "unpriced", "requests", "input_tokens",
              "output_tokens");
  if (parts) std::printf("%12s %12s %12s ", "cache_read", "cache_write", "reasoning");
  if (units) std::printf("%13s %13s ", "per_request", "per_mtok");
  if (logged) std::printf("%14s %14s %9s %6s ", "logged", "logged_exact", "diff_%", "off");
  // The cost's parts each as wide as its longest text.
  size_t split_w[std::size(kCostSplit)] = {};
  for (const size_t i : shown) {
    split_w[i] = std::strlen(kCostSplit[i].first);
    for (const auto& r : rows)
      split_w[i] = std::max(split_w[i], money_text(r.*kCostSplit[i].second).size());
    std::printf("%*s ", static_cast<int>(split_w[i]), kCostSplit[i].first);
  }
  // With shared costs: cost and shared as wide as their longest text, the allocated cost last.
  size_t cost_w = 4, shared_w = 6;
  if (allocated) {
    for (const auto& r : rows) {
      cost_w = std::max(cost_w, money_text(r.cost).size());
      shared_w = std::max(shared_w, money_text(r.shared).size());
    }
    std::printf("%*s %*s allocated\n", static_cast<int>(cost_w), "cost", static_cast<int>(shared_w),
                "shared");
  } else {
    std::printf("cost\n");
  }
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.keys.size() && i < width.size(); ++i)
      std::printf("%s ", pad_right(r.keys[i].empty() ? "-" : r.keys[i], width[i]).c_str());
    std::printf("%9llu %9llu %10lld %14lld %14lld ", static_cast<unsigned long long>(r.records),
                static_cast<unsigned long long>(r.unpriced), static_cast<long long>(r.requests),
                static_cast<long long>(r.input_tokens), static_cast<long long>(r.output_tokens));
    if (parts) {
      std::printf("%12lld %12lld %12lld ", static_cast<long long>(r.cache_read_tokens),
                  static_cast<long long>(r.cache_write_tokens),
                  static_cast<long long>(r.reasoning_tokens));
    }
    if (units) {
      const UnitCosts u = unit_costs(r);
      std::printf("%13s %13s ", unit_text(u.per_request, "-").c_str(),
                  unit_text(u.per_mtok, "-").c_str());
    }
    if (logged) {
      const LoggedTexts t = logged_texts(r.logged);
      std::printf("%14s %14s %9s %6s ", t.logged.c_str(), t.exact.c_str(), t.percent.c_str(),
                  t.off.c_str());
    }
    for (const size_t i : shown) {
      std::printf("%*s ", static_cast<int>(split_w[i]),
                  money_text(r.*kCostSplit[i].second).c_str());
    }
    if (allocated) {
      std::printf("%*s %*s %s\n", static_cast<int>(cost_w), money_text(r.cost).c_str(),
                  static_cast<int>(shared_w), money_text(r.shared).c_str(),
                  money_text(allocated_cost(r)).c_str());
    } else {
      std::printf("%s\n", money_text(r.cost).c_str());
    }
  }
}

int run_query(QueryCmd& o) {
  AggregateQuery q;
  if (Status st = build_selection(o.group_by, o.filters, o.tz, o.time, o.source, &q); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  const auto order = parse_row_order(o.sort);
  if (!order) {
    report(order.status());
    return kExitUsage;
  }
  // --allocate: the group key whose empty value is shared cost, its index among the keys.
  std::optional<size_t> allocate;
  const auto spread_by = parse_spread_by(o.allocate_by);
  if (!spread_by) {
    report(spread_by.status().with_context("--allocate-by"));
    return kExitUsage;
  }
  if (!o.allocate.empty()) {
    for (size_t i = 0; i < q.group_by.size(); ++i) {
      if (q.group_by[i].name() == o.allocate) allocate = i;
    }
    if (!allocate || q.group_by[*allocate].kind >= GroupKey::Kind::kHour) {
      report(invalid_argument("--allocate " + o.allocate +
                              ": name a key of --group-by other than a time bucket (provider, "
                              "model, organization, project, user, tag:KEY, tier), such as "
                              "--group-by tag:team --allocate tag:team"));
      return kExitUsage;
    }
  }
  std::vector<std::string> labels;
  report::PrometheusLabels constant;  // --label's
  if (o.format == "prometheus") {
    std::vector<std::string> names;
    for (const auto& k : q.group_by) names.push_back(k.name());
    const std::string reserved[] = {"currency"};
    auto l = report::prometheus_label_names(names, reserved);
    if (!l) {
      report(l.status().with_context("--format prometheus"));
      return kExitUsage;
    }
    labels = std::move(*l);
  }
  std::vector<std::string> taken = labels;  // by the samples: the keys', and their currency
  taken.push_back("currency");
  if (auto c = constant_labels(o.labels, o.format, taken); c) {
    constant = std::move(*c);
  } else {
    report(c.status());
    return kExitUsage;
  }
  std::unique_ptr<storage::Store> store;
  engine::CurrencyConverter* converter = nullptr;
  if (!open_spend(*o.db, o.money, &store, &converter)) return kExitFailure;
  Result<std::vector<AggregateRow>> rows = std::vector<AggregateRow>();
  if (o.logged || o.cost_split) {
    // Their sums are in the records' detail: the selected records are read.
    const engine::AggregateExtras sums{.logged = o.logged, .split = o.cost_split};
    auto scan = [&](const AggregateQuery& a) { return scanned_rows(*store, a, sums); };
    rows = converter ? converter->aggregate(scan, q) : scan(q);
  } else if (converter) {
    rows = converter->aggregate([&](const AggregateQuery& a) { return store->aggregate(a); }, q);
  } else {
    rows = store->aggregate(q);
  }
  if (!rows) {
    report(with_rates_hint(rows.status(), converter));
    return kExitFailure;
  }
  o.money.note_stale();
  if (allocate) {
    if (Status st = spread_shared(*rows, *allocate, *spread_by); !st.is_ok()) {
      report(st.with_context("--allocate"));
      return kExitFailure;
    }
    note_spread(spread_totals(*rows, *allocate), q.group_by[*allocate].name(), *spread_by);
  }
  order_rows(*rows, *order, main_currency(*rows));
  if (o.limit > 0 && rows->size() > o.limit) rows->resize(o.limit);
  const RowExtras extras{o.unit_costs, allocate.has_value(), o.logged, o.cost_split};
  if (o.format == "prometheus") {
    print_prometheus(labels, *rows, extras, std::move(constant));
  } else {
    print_rows(q, *rows, o.format, extras);
  }
  if (o.logged) note_logged_rows(*rows);
  if (rows->empty()) note_why_empty(*store, q, o.time.advice());
  note_absent_tags(*store, q, *rows);
  return kExitOk;
}

void add_query(CLI::App& app, int& rc) {
  auto o = std::make_shared<QueryCmd>();
  CLI::App* cmd =
      app.add_subcommand("query", "Spend of stored records grouped by any dimension and period");
  cmd->footer(R"(
Group keys: provider, model, organization, project, user, tag:KEY, tier (batch, flex, priority,
standard: how calls were billed), hour, day, week (ISO), month; time buckets are UTC unless --tz
names a zone (Europe/Paris, America/New_York, ...).
Examples:
  cost-ops query --group-by provider,model
  cost-ops query --group-by tier --from 2026-11-01           # what batch and flex calls cost
  cost-ops query --from 2026-09-01 --to 2026-10-01 --group-by day --filter project=search --format csv
  cost-ops query --group-by tag:team,month --format json
  cost-ops query --group-by project --period 2026-09 --format markdown
  cost-ops query --group-by model --sort cost --limit 10 --from 2026-09-01
  cost-ops query --group-by project --period last-7-days
  cost-ops query --group-by model --filter 'model=claude-*' --filter 'project!=test*'
  cost-ops query --group-by day --tz America/Los_Angeles
  cost-ops query --group-by tag:team,month --allocate tag:team   # untagged spend spread over teams
  cost-ops query --group-by model,day --logged     # the gateway's logged costs against exact ones
  cost-ops query --group-by model --cost-split     # what input, output (and fees) each cost
  cost-ops query --group-by project --currency EUR --rates eurofxref-hist.csv  # in euros, daily rates
  cost-ops query --group-by provider,model,tag:team --period month-to-date --format prometheus \
    > /var/lib/prometheus/node-exporter/cost-ops.prom        # node_exporter's textfile collector)");
  o->time.add_to(*cmd, kQueryPeriodHelp, true);
  cmd->add_option("--group-by", o->group_by, "Comma-separated group keys")
      ->check(complete_from("group-by"));
  add_filter(*cmd, o->filters);
  cmd->add_option(
      "--tz", o->tz,
      "Time zone for hour/day/week/month buckets: an IANA name or an offset such as +05:30 "
      "(default UTC)");
  cmd->add_option("--format", o->format,
                  "table, json, csv, markdown, or prometheus (gauges in Prometheus' text format, "
                  "labelled by the group keys)")
      ->check(CLI::IsMember({"table", "json", "csv", "markdown", "prometheus"}));
  add_prometheus_labels(*cmd, o->labels);
  cmd->add_option("--sort", o->sort,
                  "Row order: keys (default), or largest first: cost (in the currency most is "
                  "spent in), records, requests, tokens, or the unit costs per-request or "
                  "per-mtok (see --unit-costs)")
      ->check(
          suggest({"keys", "cost", "records", "requests", "tokens", "per-request", "per-mtok"}));
  cmd->add_option("--limit", o->limit, "At most this many rows, after --sort (default 0: all)")
      ->check(number_in(0));
  cmd->add_flag("--unit-costs", o->unit_costs,
                "Add each row's cost per request and per million tokens (input and output), "
                "rounded half-even to 9 decimals; none for a row with unpriced records or "
                "several currencies");
  CLI::Option* allocate =
      cmd->add_option("--allocate", o->allocate,
                      "Spread shared cost: the cost of the records without a value of this group "
                      "key (tag:team, say) over the rows with one that agree on the other keys "
                      "(the same month), as --allocate-by says; adds each row's shared and "
                      "allocated cost")
          ->check(complete_from("group-by"));
  add_allocate_by(*cmd, o->allocate_by, allocate);
  cmd->add_flag("--logged", o->logged,
                "Add the costs the records logged themselves (a gateway's or tracer's price, as "
                "ingest stores it) against their exact prices: logged, exact, the difference in "
                "percent and the records more than 1% off (reads every selected record)");
  cmd->add_flag("--cost-split", o->cost_split,
                "Add the cost's parts: input_cost (cache reads and writes included), output_cost "
                "(reasoning included), and other_cost (per-request fees, web searches; in tables "
                "only when a row has any), which add up to the cost; and discount, what contract "
                "discounts took off the list cost (in tables only when a row has any; reads every "
                "selected record)");
  o->money.add_to(*cmd, kCurrencyHelp);
  cmd->get_option("--logged")->excludes("--currency");  // logged costs are USD, as priced
  cmd->add_option("--source", o->source, kSourceHelp)->type_name("FILE");
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_query(*o); });
}

// ---- summary -------------------------------------------------------------------------------

struct SummaryCmd {
  std::string period = "last-30-days", format = "table", as_of, tz;
  std::vector<std::string> filters;
  std::vector<std::string> labels;  // --label NAME=VALUE (prometheus)
  CurrencyOptions money;            // --currency, --rates, --rate
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// A summary as Prometheus gauges: the period's total as query's (no labels but the currency),
// the period before's cost and records, and a to-date period's projection to its end, for alert
// rules such as `costops_projected_cost > 1000`. The top models and projects are left to query
// (--group-by provider,model), whose rows are one sample each.
void print_summary_prometheus(const AggregateRow& total, const std::optional<AggregateRow>& prev,
                              const std::optional<report::Projection>& projection,
                              report::PrometheusLabels constant) {
  report::PrometheusText p(std::move(constant));
  row_gauges(p, {}, total);
  if (prev) {
    amount_gauges(p, "costops_previous_cost",
                  "Exact cost of the same selection in the period before", {}, prev->cost);
    p.gauge("costops_previous_records", "Selected stored records of the period before", {},
            std::to_string(prev->records));
  }
  if (projection) {
    const forecasting::BudgetStatus& st = projection->status;
    const report::PrometheusLabels l = {{"currency", projection->currency}};
    p.gauge("costops_projected_cost", "Projected cost by the end of the to-date period", l,
            st.projected_total.to_string());
    report::PrometheusLabels ll = l;
    ll.emplace_back("level", "95");
    if (st.projected_lower && st.projected_upper) {
      p.gauge("costops_projected_cost_lower",
              "Lower bound of the projection's interval at the level the label gives", ll,
              st.projected_lower->to_string());
      p.gauge("costops_projected_cost_upper",
              "Upper bound of the projection's interval at the level the label gives", ll,
              st.projected_upper->to_string());
    }
    p.gauge("costops_run_rate_projected_cost",
            "Cost by the end of the to-date period at its average daily cost so far", l,
            st.run_rate_total.to_string());
    p.gauge("costops_projection_days_remaining", "Days of the to-date period after the as-of day",
            {}, std::to_string(st.days_remaining));
  }
  std::fputs(p.str().c_str(), stdout);
}

int run_summary(SummaryCmd& o) {
  auto zone = parse_tz(o.tz);
  if (!zone) {
    report(zone.status());
    return kExitUsage;
  }
  auto now = time_or_now(o.as_of, "--as-of", *zone);
  if (!now) {
    report(now.status());
    return kExitUsage;
  }
  auto period = parse_period(o.period, *now, *zone);
  if (!period) {
    report(period.status());
    return kExitUsage;
  }
  AggregateQuery scope;  // the filters every figure is of
  if (Status st = build_query("", o.filters, &scope); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  const std::string taken[] = {"currency", "level"};  // the samples' own labels
  auto constant = constant_labels(o.labels, o.format, taken);
  if (!constant) {
    report(constant.status());
    return kExitUsage;
  }
  std::unique_ptr<storage::Store> store;
  engine::CurrencyConverter* converter = nullptr;
  if (!open_spend(*o.db, o.money, &store, &converter)) return kExitFailure;
  // Every figure's spend: the store's, or (--currency) converted day by day.
  AggregateFn spend = [&](const AggregateQuery& q) { return store->aggregate(q); };
  if (converter) spend = converter->wrap(spend);
  AggregateQuery in_period = scope;
  in_period.from = period->from;
  in_period.to = period->to;
  auto ways = report::aggregate_ways(spend, in_period,
                                     {{},
                                      {*GroupKey::parse("provider"), *GroupKey::parse("model")},
                                      {*GroupKey::parse("project")}});
  if (!ways) {
    report(with_rates_hint(ways.status(), converter));
    return kExitFailure;
  }
  auto totals = &(*ways)[0], models = &(*ways)[1], projects = &(*ways)[2];
  AggregateRow total = totals->empty() ? AggregateRow{} : totals->front();
  if (total.records == 0) {
    AggregateQuery q = scope;
    q.from = period->from;
    q.to = period->to;
    q.time_zone = *zone;
    note_why_empty(*store, q, "--period all takes them all");
  }
  const std::string currency = main_currency(*totals);
  // The period before: its total, and the models and projects whose spend changed most since.
  constexpr size_t kChanges = 3;
  std::optional<AggregateRow> prev;
  std::optional<report::Comparison> moved;
  if (period->prev_from && period->prev_to) {
    auto c = report::compare_with(spend, scope, {*period->prev_from, *period->prev_to}, total,
                                  *models, *projects, currency, kChanges);
    if (c) {
      prev = c->total;
      if (prev->records > 0) moved = std::move(*c);
    } else if (!note_if_rate_missing(c.status(), "the previous period is not compared")) {
      report(c.status().with_context("the previous period"));
      return kExitFailure;
    }
  }
  Result<std::optional<report::Projection>> projection = std::optional<report::Projection>();
  if (const auto& whole = period->whole) {
    const auto as_of = zone->local_day(*now);
    projection = report::project_spend(spend, scope.filters, *zone, whole->first, whole->second,
                                       as_of, currency, today(*zone));
    if (!projection && note_if_rate_missing(projection.status(), "the period is not projected")) {
      projection = std::optional<report::Projection>();
    }
    if (!projection) {
      report(projection.status().with_context("the period's projection"));
      return kExitFailure;
    }
    if (*projection && !(*projection)->note.empty()) {
      std::fprintf(stderr, "note: %s\n", (*projection)->note.c_str());
    }
  }
  o.money.note_stale();
  if (o.format == "prometheus") {
    print_summary_prometheus(total, prev, *projection, std::move(*constant));
    return kExitOk;
  }
  // The top five of each, the others summed.
  constexpr size_t kTop = 5;
  auto other_models = report::keep_top(*models, currency, kTop);
  auto other_projects = report::keep_top(*projects, currency, kTop);
  if (!other_models || !other_projects) {
    report(!other_models ? other_models.status() : other_projects.status());
    return kExitFailure;
  }
  // The change of a currency's total since the previous period, in percent of it (exact).
  auto change = [&](const std::string& cur) {
    return cost_in(total.cost, cur) - cost_in(prev->cost, cur);
  };
  if (o.format == "json") {
    json j;
    j["period"] = {{"name", o.period},
                   {"from", period->from ? json(format_timestamp(*period->from)) : json(nullptr)},
                   {"to", period->to ? json(format_timestamp(*period->to)) : json(nullptr)}};
    if (!o.filters.empty()) j["filters"] = o.filters;
    j["records"] = total.records;
    j["unpriced"] = total.unpriced;
    j["requests"] = total.requests;
    j["input_tokens"] = total.input_tokens;
    j["output_tokens"] = total.output_tokens;
    j["cache_read_tokens"] = total.cache_read_tokens;
    j["cache_write_tokens"] = total.cache_write_tokens;
    j["reasoning_tokens"] = total.reasoning_tokens;
    j["total_cost"] = money_json(total.cost);
    if (prev) {
      json c = json::object();
      for (const auto& [cur, d] : total.cost)
        if (auto pct = report::percent_of(change(cur), cost_in(prev->cost, cur), 2))
          c[cur] = pct->to_double();
      j["previous"] = {{"records", prev->records},
                       {"total_cost", money_json(prev->cost)},
                       {"change_percent", c}};
      if (moved) {
        const json cj = report::comparison_json(*moved);
        j["previous"]["largest_changes"] = {
            {"currency", moved->currency}, {"models", cj["models"]}, {"projects", cj["projects"]}};
      }
    }
    if (*projection) j["projection"] = report::projection_json(**projection);
    auto top = [](const std::vector<AggregateRow>& rows, const std::vector<std::string>& names) {
      json a = json::array();
      for (const auto& row : rows) {
        json item;
        for (size_t k = 0; k < names.size(); ++k) item[names[k]] = row.keys[k];
        item["records"] = row.records;
        item["total_cost"] = money_json(row.cost);
        a.push_back(item);
      }
      return a;
    };
    j["top_models"] = top(*models, {"provider", "model"});
    j["top_projects"] = top(*projects, {"project"});
    // The groups the top five leave out, summed.
    for (const auto& [key, others] : {std::pair{"other_models", &*other_models},
                                      std::pair{"other_projects", &*other_projects}}) {
      if (others->count == 0) continue;
      j[key] = {{"count", others->count},
                {"records", others->row.records},
                {"total_cost", money_json(others->row.cost)}};
    }
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("period: %s", o.period.c_str());
  if (period->from)
    std::printf(
        " (%s to %s)", bucket_label(GroupKey::Kind::kDay, *period->from, *zone).c_str(),
        bucket_label(GroupKey::Kind::kDay, *period->to - std::chrono::microseconds{1}, *zone)
            .c_str());
  std::printf("\n");
  if (!o.filters.empty()) std::printf("filters: %s\n", filters_text(scope.filters).c_str());
  std::printf(
      "records: %llu (%llu unpriced)\nrequests: %lld\ntokens: %lld in%s, %lld out%s\ntotal "
      "cost: %s\n",
      static_cast<unsigned long long>(total.records),
      static_cast<unsigned long long>(total.unpriced), static_cast<long long>(total.requests),
      static_cast<long long>(total.input_tokens), report::input_parts_text(total).c_str(),
      static_cast<long long>(total.output_tokens), report::output_parts_text(total).c_str(),
      money_text(total.cost).c_str());
  if (prev) {
    std::printf("previous period: %s",
                prev->records == 0 ? "no records" : money_text(prev->cost).c_str());
    for (const auto& [cur, d] : total.cost)
      if (auto pct = report::percent_text(change(cur), cost_in(prev->cost, cur), 1, true))
        std::printf(" (%s%% %s)", pct->c_str(), cur.c_str());
    std::printf("\n");
  }
  if (moved) {
    for (const auto& [what, d] :
         {std::pair{"models", &moved->models}, std::pair{"projects", &moved->projects}}) {
      if (d->top.empty()) continue;
      std::printf("changed most (%s): %s %s\n", what, report::changes_text(d->top, 6).c_str(),
                  moved->currency.c_str());
    }
  }
  if (*projection) {
    const forecasting::BudgetStatus& st = (*projection)->status;
    auto in = [&](const Decimal& d) { return money_text({{currency, d}}); };
    std::printf("projected %s (%s to %s): %s", (*projection)->label.c_str(),
                forecasting::format_date((*projection)->period.start).c_str(),
                forecasting::format_date((*projection)->period.end).c_str(),
                in(st.projected_total).c_str());
    if (st.projected_lower && st.projected_upper) {
      std::printf(" [%s, %s] at 95%%", st.projected_lower->to_string_fixed(6).c_str(),
                  st.projected_upper->to_string_fixed(6).c_str());
    }
    std::printf(" (%s); run rate %s\n", st.model.empty() ? "period ended" : st.model.c_str(),
                in(st.run_rate_total).c_str());
  }
  // The name columns as wide as the longest name shown (at least as before: 12 and 30), so that
  // the counts line up; each row's share of the total after its cost, the others last.
  size_t pw = 12, mw = 30, jw = 0;
  for (const auto& m : *models) {
    pw = std::max(pw, display_width(m.keys[0]));
    mw = std::max(mw, display_width(m.keys[1]));
  }
  for (const auto& p : *projects) jw = std::max(jw, display_width(p.keys[0]));
  jw = std::max(jw, pw + 1 + mw);
  auto line = [&](const std::string& name, const AggregateRow& row) {
    std::printf("  %s %8llu  %s (%s)\n", pad_right(name, jw).c_str(),
                static_cast<unsigned long long>(row.records), money_text(row.cost).c_str(),
                report::share_text(row, total, currency).c_str());
  };
  std::printf("\ntop models:\n");
  for (const auto& m : *models) {
    line(pad_right(m.keys[0], pw + 1) + m.keys[1], m);
  }
  if (other_models->count > 0) line(report::others_name(*other_models), other_models->row);
  std::printf("top projects:\n");
  for (const auto& p : *projects) line(p.keys[0].empty() ? "-" : p.keys[0], p);
  if (other_projects->count > 0) line(report::others_name(*other_projects), other_projects->row);
  return kExitOk;
}

void add_summary(CLI::App& app, int& rc) {
  auto o = std::make_shared<SummaryCmd>();
  CLI::App* cmd = app.add_subcommand(
      "summary",
      "Totals, top models and projects, unpriced count, change vs the previous period, and what "
      "a to-date period will cost by its end");
  cmd->footer(R"(
Each period is compared with the one before (the calendar one before, or as many days before):
its total, the change, and the three models and projects whose spend changed most.
A to-date period (month-to-date, quarter-to-date, year-to-date) is projected to the end of its
calendar month, quarter or year with its 95% interval and the run rate, from up to 180 days of
daily spend (as budget status projects a budget's period).
Examples:
  cost-ops summary --period month-to-date
  cost-ops summary --period 2026-09 --filter project=search --format json
  cost-ops summary --period month-to-date --format prometheus --label period=month-to-date \
    > /var/lib/prometheus/node-exporter/cost-ops-month.prom  # node_exporter's textfile collector)");
  cmd->add_option("--period", o->period, kPeriodHelp)->check(named_periods());
  cmd->add_option("--format", o->format,
                  "table, json, or prometheus (gauges in Prometheus' text format: the total, the "
                  "period before's, a to-date period's projection)")
      ->check(CLI::IsMember({"table", "json", "prometheus"}));
  add_prometheus_labels(*cmd, o->labels);
  cmd->add_option("--as-of", o->as_of, "Reference time for relative periods (default: now)");
  cmd->add_option("--tz", o->tz, "Time zone of the periods' days (default UTC)");
  add_filter(*cmd, o->filters, std::string(kFilterHelp) + ": the summary of those records");
  o->money.add_to(*cmd, kCurrencyHelp);
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_summary(*o); });
}

// ---- reprice -------------------------------------------------------------------------------

struct RepriceCmd {
  RecordSelection selection;
  std::string output = "text";
  bool all = false;
  CatalogOptions catalog;
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// Whether `c` prices as `old` does: the same costs, in the same currency, under the same provider,
// net of the same contract discount (its name, percentage and list costs: one renamed is updated).
bool same_price(const std::optional<CostRecord>& old, const CostRecord& c) {
  return old && old->provider == c.provider && old->input_cost == c.input_cost &&
         old->output_cost == c.output_cost && old->total_cost == c.total_cost &&
         old->discount == c.discount;
}

int run_reprice(RepriceCmd& o) {
  AggregateQuery q;
  if (Status st = o.selection.build(&q); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  q.unpriced_only = !o.all;
  std::unique_ptr<storage::Store> store;
  const pricing::Catalog* catalog = nullptr;
  if (!open_store_and_catalog(*o.db, storage::OpenMode::kExisting, o.catalog, &store, &catalog))
    return kExitFailure;
  // Price first, then write: a store cannot update the rows it is still reading. Only the records
  // whose price changes are kept for the writing.
  uint64_t selected = 0, unpriced = 0, kept = 0;
  std::vector<PricedRecord> changed;
  std::map<std::string, Decimal> before, after;  // of the changed records, by currency
  std::vector<ingest::UnpricedModel> still;      // noted like ingest's
  ingest::IngestStats warned;                    // the changed records priced with a warning
  Status bad;
  Status st = store->scan(q, [&](const PricedRecord& r) {
    ++selected;
    if (!r.cost) ++unpriced;
    auto c = engine::CostCalculator::price_record(*catalog, r.usage, r.usage.timestamp);
    if (!c) {
      // Unpriced stays unpriced; a price the catalog cannot give again is kept.
      if (r.cost) {
        ++kept;
      } else {
        ingest::count_unpriced(still, r.usage.provider, r.usage.model, c.status().message());
      }
      return Status::ok();
    }
    if (same_price(r.cost, *c)) return Status::ok();
    if (!c->warnings.empty()) warned.note_warnings(r.usage.source, c->warnings);
    auto add = [&](std::map<std::string, Decimal>& sums, const Money& m) {
      if (!add_cost(sums, m) && bad.is_ok()) bad = out_of_range("the selection's cost overflows");
    };
    if (r.cost) add(before, r.cost->total_cost);
    add(after, c->total_cost);
    PricedRecord p = r;
    p.cost = std::move(*c);
    p.unpriced_reason.clear();
    changed.push_back(std::move(p));
    return Status::ok();
  });
  if (st.is_ok()) st = bad;
  if (!st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  uint64_t updated = 0;
  for (size_t i = 0; i < changed.size(); i += 10000) {
    const size_t n = std::min<size_t>(10000, changed.size() - i);
    auto u = store->update_costs(std::span<const PricedRecord>(changed.data() + i, n));
    if (!u) {
      report(u.status());
      return kExitFailure;
    }
    updated += *u;
  }
  uint64_t still_unpriced = 0;
  for (const auto& m : still) still_unpriced += m.records;
  if (o.output == "json") {
    json out = {{"unpriced", unpriced}, {"repriced", updated}, {"still_unpriced", still_unpriced}};
    if (o.all) {
      out["records"] = selected;
      out["unchanged"] = selected - updated - kept - still_unpriced;
      out["kept"] = kept;
      out["cost_before"] = money_json(before);
      out["cost_after"] = money_json(after);
    }
    std::printf("%s\n", out.dump().c_str());
  } else if (!o.all) {
    std::printf("unpriced %llu, repriced %llu, still unpriced %llu\n",
                static_cast<unsigned long long>(unpriced), static_cast<unsigned long long>(updated),
                static_cast<unsigned long long>(still_unpriced));
  } else {
    std::printf(
        "records %llu: repriced %llu (their cost %s before, %s now), unchanged %llu, kept %llu "
        "(the catalog cannot price them), still unpriced %llu\n",
        static_cast<unsigned long long>(selected), static_cast<unsigned long long>(updated),
        money_text(before).c_str(), money_text(after).c_str(),
        static_cast<unsigned long long>(selected - updated - kept - still_unpriced),
        static_cast<unsigned long long>(kept), static_cast<unsigned long long>(still_unpriced));
  }
  note_warnings(warned, kWarningsKept);
  note_unpriced_models(std::move(still));
  if (selected == 0) note_why_empty(*store, q, "");
  return kExitOk;
}

void add_reprice(CLI::App& app, int& rc) {
  auto o = std::make_shared<RepriceCmd>();
  CLI::App* cmd = app.add_subcommand(
      "reprice",
      "Price stored records that were stored unpriced (or, with --all, every selected record) "
      "with the catalog given");
  cmd->footer(R"(
Each record is priced at its own timestamp with the catalog (and --prices and the database's
custom prices). Without --all, the unpriced records are priced; those still unknown stay unpriced.
With --all, every record selected (--source, --from/--to or --period, --filter) is priced again
and those whose cost (or contract discount) changes are updated: after a catalog's correction,
or with your contract's prices. A priced record the catalog no longer prices keeps its price.
The daily totals follow (10,000 records a transaction); summaries and queries include the new
costs at once.
`cost-ops whatif` with the same options shows the change per group first, writing nothing.
Examples:
  cost-ops reprice --prices our-models.json
  cost-ops reprice --all --from 2026-11-01 --filter provider=anthropic
  cost-ops reprice --all --catalog model_prices_and_context_window.json --output json)");
  o->catalog.add_to(*cmd);
  cmd->add_flag("--all", o->all,
                "Every selected record, priced ones too (without it: the unpriced ones)");
  o->selection.add_to(*cmd);
  cmd->add_option("--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_reprice(*o); });
}

// ---- whatif --------------------------------------------------------------------------------

struct WhatIfCmd {
  RecordSelection selection;
  std::vector<std::string> swaps;
  std::string as_of, group_by = "provider,model", sort = "keys", format = "table";
  bool without_cache = false, standard_tier = false;
  CatalogOptions catalog;
  CurrencyOptions money;  // --currency, --rates, --rate
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// A row's change in `currency` in percent of what its compared records cost, exactly, with
// `places` decimals (none when they cost nothing).
std::optional<Decimal> change_percent(const engine::WhatIfRow& r, const std::string& currency,
                                      int places) {
  const Decimal change = cost_in(r.change, currency), base = cost_in(r.compared_cost, currency);
  if (change.is_zero()) return Decimal{};
  return report::percent_of(change, base, places);
}

// A row's change per currency, signed ("-8.000000 USD", "+1.000000 USD"), and in percent ("-80.0%";
// "-" when the compared records cost nothing).
std::string change_text(const engine::WhatIfRow& r) {
  std::string s;
  for (const auto& [cur, d] : r.change) {
    s += std::string(s.empty() ? "" : " + ") + (d.is_negative() || d.is_zero() ? "" : "+") +
         d.to_string_fixed(6) + " " + cur;
  }
  return s.empty() ? "0" : s;
}
std::string change_percent_text(const engine::WhatIfRow& r) {
  std::string s;
  for (const auto& [cur, d] : r.change) {
    std::string pct = "-";
    if (d.is_zero()) {
      pct = "0.0%";
    } else if (const auto t = report::percent_text(d, cost_in(r.compared_cost, cur), 1, true)) {
      pct = *t + "%";
    }
    s += (s.empty() ? "" : " ") + pct;
  }
  return s.empty() ? "-" : s;
}

json whatif_row_json(const engine::WhatIfRow& r) {
  json o = {{"records", r.records},
            {"swapped", r.swapped},
            {"unpriced", r.unpriced},
            {"unpriced_whatif", r.unpriced_whatif},
            {"compared", r.compared},
            {"cost", money_json(r.cost)},
            {"whatif_cost", money_json(r.whatif_cost)},
            {"compared_cost", money_json(r.compared_cost)},
            {"change", money_json(r.change)}};
  json pct = json::object();
  for (const auto& [cur, d] : r.change) {
    const auto p = change_percent(r, cur, 4);
    pct[cur] = p ? json(p->to_double()) : json(nullptr);
  }
  o["change_percent"] = pct;
  return o;
}

// `about`: JSON's other members (the catalog, the as-of day).
void print_whatif(const AggregateQuery& g, const engine::WhatIf& w,
                  const std::vector<engine::WhatIfRow>& rows, const std::string& format,
                  json about) {
  if (format == "json") {
    json arr = json::array();
    for (const auto& r : rows) {
      json o;
      for (size_t i = 0; i < g.group_by.size(); ++i) o[g.group_by[i].name()] = r.keys[i];
      o.update(whatif_row_json(r));
      arr.push_back(std::move(o));
    }
    json swaps = json::array();
    for (const auto& s : w.swaps()) {
      swaps.push_back({{"from", s.swap.from},
                       {"to", s.swap.to},
                       {"records", s.records},
                       {"to_models", s.to_models}});
    }
    about["rows"] = std::move(arr);
    about["total"] = whatif_row_json(w.total());
    about["swaps"] = std::move(swaps);
    std::printf("%s\n", about.dump(2).c_str());
    return;
  }
  if (format == "csv") {
    for (const auto& k : g.group_by) std::printf("%s,", k.name().c_str());
    std::printf("currency,cost,whatif_cost,change,records,swapped,unpriced,unpriced_whatif\n");
    for (const auto& r : rows) {
      std::set<std::string> currencies;
      for (const auto* m : {&r.cost, &r.whatif_cost}) {
        for (const auto& [cur, d] : *m) currencies.insert(cur);
      }
      if (currencies.empty()) currencies.insert("");
      for (const std::string& cur : currencies) {
        for (const auto& key : r.keys) std::printf("%s,", report::csv_field(key).c_str());
        std::printf(
            "%s,%s,%s,%s,%llu,%llu,%llu,%llu\n", cur.c_str(),
            cost_in(r.cost, cur).to_string().c_str(),
            cost_in(r.whatif_cost, cur).to_string().c_str(),
            cost_in(r.change, cur).to_string().c_str(), static_cast<unsigned long long>(r.records),
            static_cast<unsigned long long>(r.swapped), static_cast<unsigned long long>(r.unpriced),
            static_cast<unsigned long long>(r.unpriced_whatif));
      }
    }
    return;
  }
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> head;
  for (const auto& k : g.group_by) head.push_back(k.name());
  const bool swaps = !w.swaps().empty();  // else no "swapped" column
  for (const char* h : {"records", "swapped", "cost", "what-if", "change", "change%"})
    if (swaps || std::string_view(h) != "swapped") head.emplace_back(h);
  table.push_back(head);
  auto line = [&](const engine::WhatIfRow& r, bool total) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < g.group_by.size(); ++i) {
      cells.push_back(total ? (i == 0 ? "total" : "") : r.keys[i].empty() ? "-" : r.keys[i]);
    }
    cells.push_back(std::to_string(r.records));
    if (swaps) cells.push_back(std::to_string(r.swapped));
    // "-" where no record has a price, not a cost of 0.
    cells.push_back(r.cost.empty() && r.unpriced > 0 ? "-" : money_text(r.cost));
    cells.push_back(r.whatif_cost.empty() && r.unpriced_whatif > 0 ? "-"
                                                                   : money_text(r.whatif_cost));
    cells.push_back(r.compared == 0 && r.records > 0 ? "-" : change_text(r));
    cells.push_back(change_percent_text(r));
    table.push_back(std::move(cells));
  };
  for (const auto& r : rows) line(r, false);
  if (rows.size() > 1) line(w.total(), true);
  print_table(table, g.group_by.size());
}

int run_whatif(WhatIfCmd& o) {
  AggregateQuery q, grouping;
  if (Status st = o.selection.build(&q); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  if (Status st = build_query(o.group_by, {}, &grouping); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  grouping.time_zone = q.time_zone;
  engine::WhatIfOptions options;
  for (const std::string& text : o.swaps) {
    auto s = engine::ModelSwap::parse(text);
    if (!s) {
      report(s.status().with_context("--swap"));
      return kExitUsage;
    }
    options.swaps.push_back(std::move(*s));
  }
  if (!o.as_of.empty()) {
    auto t = time_or_now(o.as_of == "now" ? "" : o.as_of, "--as-of");  // a UTC day
    if (!t) {
      report(t.status());
      return kExitUsage;
    }
    options.as_of = *t;
  }
  options.without_cache = o.without_cache;
  options.standard_tier = o.standard_tier;
  auto converter = o.money.converter();
  if (!converter) {
    report(converter.status());
    return kExitFailure;
  }
  options.currency = *converter;
  json about = {{"as_of", nullptr},
                {"without_cache", o.without_cache},
                {"standard_tier", o.standard_tier},
                {"currency", o.money.currency.empty() ? json(nullptr) : json(o.money.currency)}};
  if (options.as_of) about["as_of"] = format_timestamp(*options.as_of).substr(0, 10);
  std::unique_ptr<storage::Store> store;
  const pricing::Catalog* catalog = nullptr;
  if (!open_store_and_catalog(*o.db, storage::OpenMode::kExisting, o.catalog, &store, &catalog))
    return kExitFailure;
  auto w = engine::WhatIf::make(*catalog, grouping, std::move(options));
  if (!w) {
    report(w.status());
    return kExitUsage;
  }
  std::vector<ingest::UnpricedModel> unpriced;  // by the what-if
  std::string reason;
  Status st = store->scan(q, [&](const PricedRecord& r) {
    COSTOPS_RETURN_IF_ERROR(w->add(r, &reason));
    if (!reason.empty()) ingest::count_unpriced(unpriced, r.usage.provider, r.usage.model, reason);
    return Status::ok();
  });
  if (!st.is_ok()) {
    report(with_rates_hint(st, *converter));
    return kExitFailure;
  }
  std::vector<engine::WhatIfRow> rows = w->rows();
  if (o.sort != "keys") {
    std::string cur = "USD";  // the currency most is spent in
    for (const auto& [c, d] : w->total().cost) {
      if (d > cost_in(w->total().cost, cur)) cur = c;
    }
    auto measure = [&](const engine::WhatIfRow& r) {
      const Decimal d = cost_in(o.sort == "cost" ? r.cost : r.change, cur);
      return o.sort == "cost" || !d.is_negative() ? d : -d;
    };
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const auto& a, const auto& b) { return measure(a) > measure(b); });
  }
  about["catalog"] = catalog->source();
  print_whatif(grouping, *w, rows, o.format, std::move(about));
  for (const auto& s : w->swaps()) {
    if (s.records == 0) {
      std::fprintf(stderr, "note: --swap %s=%s moved no record: none selected is %s\n",
                   s.swap.from.c_str(), s.swap.to.c_str(), s.swap.from.c_str());
    }
  }
  const engine::WhatIfRow& t = w->total();
  if (t.unpriced > 0) {
    std::fprintf(stderr,
                 "note: %llu record%s stored without a price %s not compared (their what-if "
                 "cost is counted)\n",
                 static_cast<unsigned long long>(t.unpriced), t.unpriced == 1 ? "" : "s",
                 t.unpriced == 1 ? "is" : "are");
  }
  note_unpriced_models(std::move(unpriced), "the what-if has no price", false);
  o.money.note_stale();
  if (t.records == 0) note_why_empty(*store, q, "");
  return kExitOk;
}

void add_whatif(CLI::App& app, int& rc) {
  auto o = std::make_shared<WhatIfCmd>();
  CLI::App* cmd = app.add_subcommand(
      "whatif",
      "What stored usage would cost with other models, another catalog or other prices, without "
      "prompt caching or batch discounts (stores nothing)");
  cmd->footer(R"(
Prices every selected record (--source, --from/--to or --period, --filter) again, with the
catalog given (--catalog, --prices; the database's custom prices included), and sets what it
would cost beside what it cost as stored, per group (--group-by, default provider,model; the
records' groups as stored). Nothing is written.
--swap FROM=TO prices FROM's calls as TO's, with the same usage: FROM is a model name (every
record whose name the catalog resolves to that model, as gpt-4o takes in gpt-4o-2024-08-06, under
any provider; openai/gpt-4o under openai only) or a pattern with * on the name as stored; TO is a
model of the record's own provider when it has one (azure's gpt-4o to azure's gpt-4o-mini), else
the model the name resolves to.
Tokens TO has no price of its own for are billed as the catalog bills them (cache reads at the
input rate when it has no cache price). The first swap a record matches applies.
--as-of prices every record at the prices in effect on one day (now: today's) instead of its own
day's, each at its own time of day (for prices that change with it: DeepSeek's off-peak hours).
--no-cache prices cache reads and writes as uncached input: what prompt caching saved (or cost).
--standard-tier prices batch calls and flex or priority calls at standard prices: what the batch
API and the service tiers saved (or cost).
change is the what-if less the stored cost, over the records priced both ways (records stored
without a price are counted in the what-if only; records the what-if cannot price are noted).
--currency shows both costs in one currency, each record's at the rate of its day (in --tz): a
catalog in euros against spend stored in dollars is then compared too.
Examples:
  cost-ops whatif --swap gpt-4o=gpt-4o-mini --from 2026-11-01
  cost-ops whatif --swap 'claude-3-opus*=claude-opus-4-1' --group-by project --sort change
  cost-ops whatif --catalog model_prices_and_context_window.json --group-by provider
  cost-ops whatif --prices our-contract-prices.json --as-of now --format json
  cost-ops whatif --prices deal.json --group-by provider   # what a deal's discounts would save
  cost-ops whatif --no-cache --group-by project              # what prompt caching saved
  cost-ops whatif --standard-tier --group-by tier            # what batch and flex saved
  cost-ops whatif --swap gpt-4o=gpt-4o-mini --currency EUR --rates eurofxref-hist.csv)");
  o->catalog.add_to(*cmd);
  o->selection.add_to(*cmd);
  cmd->add_option("--swap", o->swaps, "FROM=TO: price FROM's calls as TO's (repeatable)");
  cmd->add_option(
      "--as-of", o->as_of,
      "Price every record at the prices of this UTC day (YYYY-MM-DD, RFC 3339 or now), not "
      "its own day's");
  cmd->add_flag("--no-cache", o->without_cache,
                "Price cache reads and writes as uncached input (what prompt caching saved)");
  cmd->add_flag("--standard-tier", o->standard_tier,
                "Price batch, flex and priority calls at standard prices (what they saved)");
  cmd->add_option("--group-by", o->group_by,
                  "Comma-separated group keys, as query takes them (default provider,model)");
  cmd->add_option("--sort", o->sort,
                  "Row order: keys (default), cost (as stored, largest first) or change "
                  "(largest either way first)")
      ->check(CLI::IsMember({"keys", "cost", "change"}));
  cmd->add_option("--format", o->format, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  o->money.add_to(*cmd, kCurrencyHelp);
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_whatif(*o); });
}

// ---- delete --------------------------------------------------------------------------------

struct DeleteCmd {
  RecordSelection selection;
  std::string output = "text";
  bool unpriced = false, all = false, yes = false;
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

int run_delete(DeleteCmd& o) {
  AggregateQuery q;
  if (Status st = o.selection.build(&q); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  q.unpriced_only = o.unpriced;
  if (!o.all && q.filters.empty() && !q.from && !q.to && q.source.empty() && !q.unpriced_only) {
    report(invalid_argument(
        "delete selects records by --source, --from/--to or --period, --filter or --unpriced "
        "(--all deletes every record)"));
    return kExitUsage;
  }
  auto store = open_db(*o.db, storage::OpenMode::kExisting);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  auto selected = (*store)->aggregate(q);  // one row, or none
  if (!selected) {
    report(selected.status());
    return kExitFailure;
  }
  const AggregateRow row = selected->empty() ? AggregateRow{} : selected->front();
  uint64_t deleted = 0;
  if (o.yes && row.records > 0) {
    auto n = (*store)->delete_records(q);
    if (!n) {
      report(n.status());
      return kExitFailure;
    }
    deleted = *n;
  }
  if (o.output == "json") {
    json out = {{"records", row.records},   {"unpriced", row.unpriced},
                {"requests", row.requests}, {"cost", money_json(row.cost)},
                {"deleted", deleted},       {"dry_run", !o.yes}};
    std::printf("%s\n", out.dump().c_str());
  } else if (!o.yes) {
    std::printf(
        "would delete %llu record%s (%llu unpriced), cost %s: run again with --yes to "
        "delete %s\n",
        static_cast<unsigned long long>(row.records), row.records == 1 ? "" : "s",
        static_cast<unsigned long long>(row.unpriced), money_text(row.cost).c_str(),
        row.records == 1 ? "it" : "them");
  } else {
    std::printf("deleted %llu record%s (%llu unpriced), cost %s\n",
                static_cast<unsigned long long>(deleted), deleted == 1 ? "" : "s",
                static_cast<unsigned long long>(row.unpriced), money_text(row.cost).c_str());
  }
  if (row.records == 0) note_why_empty(**store, q, "--all deletes every record");
  return kExitOk;
}

void add_delete(CLI::App& app, int& rc) {
  auto o = std::make_shared<DeleteCmd>();
  CLI::App* cmd = app.add_subcommand(
      "delete", "Delete stored records (an input ingested by mistake, a period, a selection)");
  cmd->footer(R"(
Without --yes, says what it would delete and deletes nothing. The records and the daily totals
lose them in one transaction, as if they had never been ingested: ingesting the input again stores
them again. Selections combine: --source with --from/--to (or --period), --filter and --unpriced.
Examples:
  cost-ops delete --source logs/2026-11-02.jsonl            # what ingesting it stored
  cost-ops delete --source logs/2026-11-02.jsonl --yes
  cost-ops delete --from 2026-09-01 --to 2026-10-01 --filter provider=acme --yes
  cost-ops delete --unpriced --filter 'model=test-*' --yes)");
  o->selection.add_to(*cmd);
  cmd->add_flag("--unpriced", o->unpriced, "Only records stored without a price");
  cmd->add_flag("--all", o->all, "Every record (when nothing else selects)");
  cmd->add_flag("--yes", o->yes, "Delete them (without it: say what would be deleted)");
  cmd->add_option("--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_delete(*o); });
}

// ---- copy ----------------------------------------------------------------------------------

struct CopyCmd {
  RecordSelection selection;
  std::string into, output = "text";
  bool unpriced = false, records_only = false;
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// Whether two database names are one database: the same SQLite file (by any path), or the same
// PostgreSQL URL.
bool same_database(const std::string& a, const std::string& b) {
  auto file = [](const std::string& url) -> std::optional<std::string> {
    if (url.starts_with("postgres")) return std::nullopt;
    return url.starts_with("sqlite:") ? url.substr(7) : url;
  };
  const auto fa = file(a), fb = file(b);
  if (!fa || !fb) return a == b;
  std::error_code ec;
  return std::filesystem::equivalent(*fa, *fb, ec) || *fa == *fb;
}

int run_copy(CopyCmd& o) {
  AggregateQuery q;
  if (Status st = o.selection.build(&q); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  q.unpriced_only = o.unpriced;
  const std::string from_url = o.db->empty() ? storage::Store::default_url() : *o.db;
  if (same_database(from_url, o.into)) {
    report(invalid_argument("--into names the database copied from (" + o.into + ")"));
    return kExitUsage;
  }
  auto from = open_db(*o.db, storage::OpenMode::kExisting);
  if (!from) {
    report(from.status());
    return kExitFailure;
  }
  auto to = open_db(o.into, storage::OpenMode::kCreate);
  if (!to) {
    report(to.status().with_context("--into"));
    return kExitFailure;
  }
  storage::CopyStats stats;
  // Progress on a terminal: records copied of those selected, and the rate; cleared at the end.
  std::function<void(const storage::CopyStats&)> progress;
  uint64_t selected = 0;
  bool shown = false;
  const auto started = std::chrono::steady_clock::now();
  if (isatty(STDERR_FILENO) != 0) {
    if (auto counted = (*from)->aggregate(q); counted && !counted->empty())
      selected = counted->front().records;
    progress = [&](const storage::CopyStats& s) {
      shown = true;
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::fprintf(stderr, "\r  %llu of %llu records  %.0f records/s   ",
                   static_cast<unsigned long long>(s.selected),
                   static_cast<unsigned long long>(std::max(selected, s.selected)),
                   secs > 0 ? static_cast<double>(s.selected) / secs : 0.0);
    };
  }
  Status st = storage::copy_records(**from, **to, q, &stats, 10'000, progress);
  if (shown) std::fprintf(stderr, "\r%60s\r", "");
  if (st.is_ok() && !o.records_only) st = storage::copy_settings(**from, **to, q.filters, &stats);
  if (!st.is_ok()) {
    report(st);
    if (stats.written.stored + stats.written.duplicates > 0) {
      std::fprintf(stderr,
                   "note: the batches written before the error copied %llu records (%llu there "
                   "already); running the copy again completes it\n",
                   static_cast<unsigned long long>(stats.written.stored),
                   static_cast<unsigned long long>(stats.written.duplicates));
    }
    return kExitFailure;
  }
  const std::string into = (*to)->url();
  if (o.output == "json") {
    json out = {{"into", into},
                {"records",
                 {{"selected", stats.selected},
                  {"copied", stats.written.stored},
                  {"there_already", stats.written.duplicates},
                  {"unpriced", stats.written.unpriced}}}};
    if (!o.records_only) {
      out["budgets"] = {{"copied", stats.budgets},
                        {"there_already", stats.budgets_present},
                        {"kept_there", stats.budgets_kept},
                        {"outside_selection", stats.budgets_outside}};
      out["custom_prices"] = {{"copied", stats.prices},
                              {"there_already", stats.prices_present},
                              {"kept_there", stats.prices_kept},
                              {"outside_selection", stats.prices_outside}};
      out["discounts"] = {{"copied", stats.discounts},
                          {"there_already", stats.discounts_present},
                          {"kept_there", stats.discounts_kept},
                          {"outside_selection", stats.discounts_outside}};
    }
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("copied %llu of %llu record%s into %s (%llu unpriced); %llu there already\n",
                static_cast<unsigned long long>(stats.written.stored),
                static_cast<unsigned long long>(stats.selected), stats.selected == 1 ? "" : "s",
                into.c_str(), static_cast<unsigned long long>(stats.written.unpriced),
                static_cast<unsigned long long>(stats.written.duplicates));
    if (!o.records_only) {
      std::printf(
          "budgets: %llu copied, %llu there already; custom prices: %llu copied, %llu "
          "there already\n",
          static_cast<unsigned long long>(stats.budgets),
          static_cast<unsigned long long>(stats.budgets_present),
          static_cast<unsigned long long>(stats.prices),
          static_cast<unsigned long long>(stats.prices_present));
      if (stats.discounts + stats.discounts_present + stats.discounts_kept.size() +
              stats.discounts_outside.size() >
          0)
        std::printf("discounts: %llu copied, %llu there already\n",
                    static_cast<unsigned long long>(stats.discounts),
                    static_cast<unsigned long long>(stats.discounts_present));
    }
  }
  // The budgets and discounts left out, by name.
  for (const auto& [what, why, names] :
       {std::tuple{"budget", "their scope not within --filter's selection", &stats.budgets_outside},
        std::tuple{"discount", "of providers --filter leaves out", &stats.discounts_outside}}) {
    if (names->empty()) continue;
    std::string list;
    for (const std::string& name : *names) list += (list.empty() ? "" : ", ") + name;
    std::fprintf(stderr, "note: not copied, %s: %s%s %s\n", why, what,
                 names->size() == 1 ? "" : "s", list.c_str());
  }
  if (!stats.prices_outside.empty()) {
    std::fprintf(stderr,
                 "note: not copied, of providers or models --filter leaves out: %zu custom "
                 "price%s\n",
                 stats.prices_outside.size(), stats.prices_outside.size() == 1 ? "" : "s");
  }
  for (const auto& [what, kept] :
       {std::pair{"budget", &stats.budgets_kept}, std::pair{"custom price", &stats.prices_kept},
        std::pair{"discount", &stats.discounts_kept}}) {
    for (const std::string& name : *kept) {
      std::fprintf(stderr,
                   "note: %s %s is defined otherwise in %s: kept as it is there, not copied\n",
                   what, name.c_str(), into.c_str());
    }
  }
  if (stats.selected == 0) note_why_empty(**from, q, "without them every record is copied");
  return kExitOk;
}

void add_copy(CLI::App& app, int& rc) {
  auto o = std::make_shared<CopyCmd>();
  CLI::App* cmd = app.add_subcommand(
      "copy",
      "Copy stored records, as priced, with the budgets, custom prices and discounts, into "
      "another database (a SQLite file into a team's PostgreSQL)");
  cmd->footer(R"(
Records are copied as stored (their prices, logged costs, tags and inputs), oldest first, 10,000
to a transaction of the database copied into; those it has already (the same record ingested
into both, or copied before) are left as they are, so a copy cut short and run again completes
it, and several databases copy into one. Budgets, custom prices and discounts it has not are
copied too; one it has otherwise is kept as it is there, with a note. With --filter, only the
budgets whose scope lies within it (provider=openai's budget with --filter provider=openai, not
the budget of all spend), the custom prices of the providers and models it keeps, and the
discounts of the providers it keeps. --into is created when it does not exist. Selections as
delete's: --source, --from/--to or --period, --filter, --unpriced.
Examples:
  cost-ops copy --into postgresql://costops@db.internal/costops       # everything, into a team's database
  cost-ops copy --db laptop.db --into shared.db --period 2026-11
  cost-ops copy --into archive.db --to 2026-01-01 --records-only      # then: cost-ops delete --to 2026-01-01 --yes)");
  cmd->add_option("--into", o->into,
                  "The database to copy into (a SQLite path or postgresql://...)")
      ->required()
      ->type_name("DB");
  o->selection.add_to(*cmd);
  cmd->add_flag("--unpriced", o->unpriced, "Only records stored without a price");
  cmd->add_flag("--records-only", o->records_only,
                "Leave the budgets, custom prices and discounts out");
  cmd->add_option("--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_copy(*o); });
}

}  // namespace

void add_db_commands(CLI::App& app, int& rc) {
  add_reprice(app, rc);
  add_whatif(app, rc);
  add_delete(app, rc);
  add_copy(app, rc);
  add_init(app, rc);
  add_ingest(app, rc);
  add_query(app, rc);
  add_summary(app, rc);
}

}  // namespace costops::cli
