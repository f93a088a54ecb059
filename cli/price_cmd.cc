// cost-ops price: price JSON Lines of usage exactly.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "commands.h"
#include "common.h"
#include "costops/ingest/price_stream.h"
#include "costops/report/report.h"

namespace costops::cli {
namespace {

constexpr const char* kPriceHelp = R"(
Input: JSON Lines, one request per line (blank lines are skipped; gzip, zstd and zlib files are
read directly); or any other input `cost-ops ingest` reads, as it reads them (--format, or told by
the file's extension and first bytes): CSV with a header row, a JSON document (a list of records,
{"records": [...]}, a page {"data": [...]}), OpenTelemetry GenAI spans and log records (Claude
Code's events), Langfuse's observations, Helicone's requests, Cloudflare AI Gateway's logs,
providers' usage reports, coding agents' session logs (Claude Code's, Codex's, Gemini CLI's,
Qwen Code's: a call copied into a resumed session's file is priced once; OpenCode's database).
Fields:
  provider      catalog provider id ("openai", "anthropic", "aws", ...; LiteLLM catalogs use
                their litellm_provider values). May be omitted when the model identifies it.
  model         model name; optional with "body" (read from the response).
  api_flavor    how to read native usage or a body: chat, responses, anthropic, default,
                embeddings, ... (the provider's extractors; when omitted, the one whose
                usage the object or body holds)
  timestamp     RFC 3339 time of the call (prices valid then apply); default: --as-of
  service_tier  standard | flex | priority | batch   batch  true for batch-API calls
                (with neither: the tier the body or usage reports, OpenAI's or Anthropic's)
  usage         canonical usage {"input_tokens": total input incl. cache, "cache_read_tokens",
                "cache_write_tokens", "output_tokens" incl. reasoning, ...}, OpenAI-style names
                (prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens), or the
                provider's native usage object (a count under a key a letter or two from
                one of these is an error: "did you mean input_tokens?")
  body          a whole provider response body instead of usage
                (with neither: the usage keys among the line's own fields, as a gateway
                logs them, e.g. LiteLLM's spend logs: prompt_tokens, completion_tokens, with
                cache reads and writes from metadata.usage_object when it counts the same;
                custom_llm_provider, user and team_id then name provider, user and project;
                Bedrock's model invocation log lines and batch result lines (OpenAI,
                Anthropic, Gemini, Vertex AI) are read whole; a "response" is the body)
  tier_input_tokens  the input of one request, which chooses a long-context tier, when the
                usage sums several (default: input_tokens, divided by usage "requests" when
                that counts more than one)
Output: one JSON line per record (input line), in order:
  {"provider","model","usage","input_price","output_price","total_price"[,"discount"]
  [,"logged_cost"][,"warnings"]} with prices as exact decimal strings in USD ("discount": the
  contract discount of a --prices or --catalog file the prices are net of, {"name", "percent",
  "list_price"}); "logged_cost" is the cost the input
  itself logged, as its gateway or tracer priced the call (LiteLLM's spend or response_cost,
  Langfuse's costDetails.total or calculatedTotalCost, OpenRouter's usage.cost, Helicone's costUSD,
  Cloudflare's cost, OpenLIT's gen_ai.usage.cost, cost_usd), with "logged_off": true when it is more
  than 1% (and 0.000001) away from total_price (list_price when discounted: gateways log list
  prices) (jq 'select(.logged_off)' lists them); --summary
  compares them with the exact prices per model. Or {"line": N, "error": {"code", "message"}} (an
  unknown provider or model with the closest names the catalog has); with several files, each file's
  lines in turn, and an error names its file first: {"source": FILE, "line": N, ...}.
Exit status: 0 when every line priced, 1 otherwise, 2 for a bad command line.
Examples:
  echo '{"provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":50}}' | cost-ops price
  cost-ops price --catalog model_prices_and_context_window.json usage.jsonl
  cost-ops price --summary data/samples/usage.jsonl
  cost-ops price --summary logs/*.jsonl.gz
  cost-ops price --summary --output json gateway-export.csv
  cost-ops price --summary --agents      # what the coding agents on this machine cost)";

struct PriceOptions {
  std::vector<std::string> files;  // none: stdin
  bool agents = false;             // and the coding agents' logs on this machine
  std::string format = "auto", encoding = "auto";
  std::string provider;
  std::string as_of;
  bool detail = false;
  bool summary = false;
  std::string output = "table";  // of --summary
  size_t threads = 0;
  CatalogOptions catalog;
};

struct ModelTotals {
  uint64_t records = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  Decimal input, output, total;
  Decimal discount;  // what contract discounts took off the list cost (total is net of it)
  TokenParts parts;  // of the input and output tokens
  engine::LoggedCosts logged;
  /// Adds `o`'s counts and costs; false when a sum leaves the range (absurd counts).
  [[nodiscard]] bool add(const ModelTotals& o) {
    records += o.records;
    return !__builtin_add_overflow(input_tokens, o.input_tokens, &input_tokens) &&
           !__builtin_add_overflow(output_tokens, o.output_tokens, &output_tokens) &&
           !__builtin_add_overflow(parts.cache_read, o.parts.cache_read, &parts.cache_read) &&
           !__builtin_add_overflow(parts.cache_write, o.parts.cache_write, &parts.cache_write) &&
           !__builtin_add_overflow(parts.reasoning, o.parts.reasoning, &parts.reasoning) &&
           Decimal::add_checked(input, o.input, &input) &&
           Decimal::add_checked(output, o.output, &output) &&
           Decimal::add_checked(total, o.total, &total) &&
           Decimal::add_checked(discount, o.discount, &discount) && logged.add(o.logged);
  }
};
using SummaryRows = std::map<std::pair<std::string, std::string>, ModelTotals>;

// --summary --output json: one object, costs as exact decimal strings.
void print_summary_json(const SummaryRows& rows, const ModelTotals& all, Currency cur,
                        const ingest::PriceStreamStats& stats,
                        const std::vector<std::string>& failures,
                        const ingest::IngestStats& warned) {
  // "discount" where contract discounts took something off (the costs are net of it).
  auto totals = [&all](const ModelTotals& t) {
    nlohmann::json j{{"records", t.records},
                     {"input_tokens", t.input_tokens},
                     {"output_tokens", t.output_tokens},
                     {"cache_read_tokens", t.parts.cache_read},
                     {"cache_write_tokens", t.parts.cache_write},
                     {"reasoning_tokens", t.parts.reasoning},
                     {"input_cost", t.input.to_string()},
                     {"output_cost", t.output.to_string()},
                     {"total_cost", t.total.to_string()}};
    if (!all.discount.is_zero()) j["discount"] = t.discount.to_string();
    return j;
  };
  // With the totals of the records that logged a cost, when any did.
  auto with_logged = [](nlohmann::json j, const engine::LoggedCosts& l) {
    if (l.records > 0) j["logged"] = report::logged_costs_json(l);
    return j;
  };
  nlohmann::json models = nlohmann::json::array();
  for (const auto& [key, t] : rows) {
    nlohmann::json m = {{"provider", key.first}, {"model", key.second}};
    m.update(totals(t));
    models.push_back(with_logged(std::move(m), t.logged));
  }
  const nlohmann::json out = {{"currency", std::string(cur.code())},
                              {"records", stats.lines},
                              {"priced", stats.priced},
                              {"failed", stats.failed},
                              {"duplicates", stats.duplicates},
                              {"first_failures", failures},
                              {"warned", warned.warned},
                              {"first_warnings", warned.warnings},
                              {"models", models},
                              {"total", with_logged(totals(all), all.logged)}};
  std::printf("%s\n", out.dump(2).c_str());
}

void print_summary(const SummaryRows& rows, const ModelTotals& all, Currency cur,
                   const ingest::PriceStreamStats& stats) {
  // The provider and model columns as wide as their longest value.
  size_t pw = display_width("provider"), mw = display_width("model");
  for (const auto& [key, t] : rows) {
    pw = std::max(pw, display_width(key.first));
    mw = std::max(mw, display_width(key.second));
  }
  auto line = [&](const std::string& provider, const std::string& model, const ModelTotals& t) {
    std::printf("%s %s %9llu %14lld %13lld %16s\n", pad_right(provider, pw).c_str(),
                pad_right(model, mw).c_str(), static_cast<unsigned long long>(t.records),
                static_cast<long long>(t.input_tokens), static_cast<long long>(t.output_tokens),
                t.total.to_string_fixed(6).c_str());
  };
  std::printf("%s %s %9s %14s %13s %16s\n", pad_right("provider", pw).c_str(),
              pad_right("model", mw).c_str(), "records", "input_tokens", "output_tokens", "cost");
  for (const auto& [key, t] : rows) line(key.first, key.second, t);
  line("total", std::string(cur.code()), all);
  std::printf(
      "%llu records, %llu priced, %llu failed\n", static_cast<unsigned long long>(stats.lines),
      static_cast<unsigned long long>(stats.priced), static_cast<unsigned long long>(stats.failed));
  if (!all.discount.is_zero())
    std::printf("contract discounts took %s %s off the list cost of %s %s\n",
                all.discount.to_string_fixed(6).c_str(), std::string(cur.code()).c_str(),
                (all.total + all.discount).to_string_fixed(6).c_str(),
                std::string(cur.code()).c_str());
  if (all.logged.records == 0) return;
  // The logged costs against the exact prices, per model.
  std::printf(
      "\nlogged cost (as the input logged it) against the exact price, on the %llu record%s that "
      "logged one:\n",
      static_cast<unsigned long long>(all.logged.records), all.logged.records == 1 ? "" : "s");
  auto logged = [&](const std::string& provider, const std::string& model,
                    const engine::LoggedCosts& l) {
    const auto pct = report::percent_text(l.logged - l.exact, l.exact, 2, true);
    std::printf("%s %s %9llu %16s %16s %16s %9s %8llu\n", pad_right(provider, pw).c_str(),
                pad_right(model, mw).c_str(), static_cast<unsigned long long>(l.records),
                l.logged.to_string_fixed(6).c_str(), l.exact.to_string_fixed(6).c_str(),
                (l.logged - l.exact).to_string_fixed(6).c_str(), pct ? pct->c_str() : "n/a",
                static_cast<unsigned long long>(l.off));
  };
  std::printf("%s %s %9s %16s %16s %16s %9s %8s\n", pad_right("provider", pw).c_str(),
              pad_right("model", mw).c_str(), "records", "logged", "exact", "difference", "diff_%",
              "off_>1%");
  for (const auto& [key, t] : rows)
    if (t.logged.records > 0) logged(key.first, key.second, t.logged);
  logged("total", std::string(cur.code()), all.logged);
  std::printf(
      "off_>1%%: records whose logged cost is more than 1%% (and 0.000001) away from the "
      "exact price\n");
}

int run_price(PriceOptions& o) {
  auto cat = o.catalog.load();
  if (!cat) {
    report(cat.status());
    return kExitFailure;
  }
  ingest::PriceStreamOptions opt;
  opt.catalog = *cat;
  auto as_of = time_or_now(o.as_of, "--as-of");
  if (!as_of) {
    report(as_of.status());
    return kExitUsage;
  }
  opt.as_of = *as_of;
  if (!o.provider.empty() && (*cat)->find_provider(o.provider) == nullptr) {
    report((*cat)->unknown_provider(o.provider).with_context("--provider"));
    return kExitUsage;
  }
  opt.default_provider = o.provider;
  opt.detail = o.detail;
  opt.threads = o.threads;
  SummaryRows rows;
  ModelTotals all;
  const SummaryRows::key_type* row_key = nullptr;  // the last record's row
  ModelTotals* row = nullptr;
  bool sums_fit = true;
  if (o.summary) {
    opt.write_lines = false;
    opt.on_priced = [&](const UsageRecord& r, std::string_view provider, std::string_view model,
                        const engine::PriceResult& pr, const AppliedDiscount* discount) {
      ModelTotals one{1,
                      r.usage.get(units::kInputTokens),
                      r.usage.get(units::kOutputTokens),
                      pr.input,
                      pr.output,
                      pr.total,
                      engine::list_total(pr, discount) - pr.total,
                      token_parts(r.usage),
                      {}};
      // A gateway logs list prices: its cost is compared with the cost before discounts.
      if (r.logged_cost)
        (void)one.logged.add(*r.logged_cost, engine::list_total(pr, discount), (*cat)->currency());
      // Records of one model come in runs: its row is looked up again only when the model changes.
      if (row == nullptr || row_key->first != provider || row_key->second != model) {
        const auto it = rows.try_emplace({std::string(provider), std::string(model)}).first;
        row_key = &it->first;
        row = &it->second;
      }
      sums_fit = row->add(one) && sums_fit;
    };
  }
  auto format = ingest::parse_input_format(o.format);
  if (!format) {
    report(format.status().with_context("--format"));
    return kExitUsage;
  }
  auto encoding = parse_text_encoding(o.encoding);
  if (!encoding) {
    report(encoding.status().with_context("--encoding"));
    return kExitUsage;
  }
  opt.encoding = *encoding;
  if (Status st = expand_and_check_inputs(&o.files, o.agents); !st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  // The summary has no line per record: the first failures are shown on stderr instead.
  constexpr size_t kShownFailures = 3;
  std::vector<std::string> failures;
  std::string source;          // the input being read
  ingest::IngestStats warned;  // the summary's records priced with a warning
  if (o.summary) {
    opt.on_failed = [&](uint64_t line, const Status& st, const UsageRecord*) {
      if (failures.size() == kShownFailures) return;
      failures.push_back(source + ":" + std::to_string(line) + ": " + st.message());
    };
    opt.on_warnings = [&](uint64_t line, const std::vector<std::string>& w) {
      warned.note_warnings(source + ":" + std::to_string(line), w);
    };
  }
  ingest::PriceStreamStats stats;  // of every input
  std::unordered_set<std::string> agent_calls;
  opt.agent_calls = &agent_calls;
  for (const auto& f : o.files) {
    auto in = open_input(f);  // gzip, zstd and zlib read decompressed
    if (!in) {
      report(in.status());
      return kExitFailure;
    }
    source = in->name;
    if (o.files.size() > 1) opt.error_source = in->name;
    auto s = ingest::price_input(in->plain.get(), in->name, *format, stdout, opt);
    if (!s) {
      std::fflush(stdout);                 // the lines before the error, then the error
      report(in->read_error(s.status()));  // it names the input
      return kExitFailure;
    }
    stats.lines += s->lines;
    stats.priced += s->priced;
    stats.failed += s->failed;
    stats.duplicates += s->duplicates;
    note_unread_columns(in->name, s->unread_columns);
  }
  if (stats.duplicates > 0 && !(o.summary && o.output == "json")) {
    std::fflush(stdout);
    std::fprintf(stderr,
                 "note: %llu coding agent call%s copied from session to session (a resumed "
                 "session's file begins with its earlier calls): each priced once\n",
                 static_cast<unsigned long long>(stats.duplicates),
                 stats.duplicates == 1 ? " was" : "s were");
  }
  for (const auto& [key, t] : rows) sums_fit = all.add(t) && sums_fit;
  if (!sums_fit) {
    report(out_of_range("the summary's sums of tokens or costs leave the range they are kept in"));
    return kExitFailure;
  }
  if (o.summary && o.output == "json") {
    print_summary_json(rows, all, (*cat)->currency(), stats, failures, warned);
  } else if (o.summary) {
    print_summary(rows, all, (*cat)->currency(), stats);
    note_uncompared_logged_costs(all.logged, (*cat)->currency());
    note_warnings(warned, "without --summary, each record's line has its warnings");
    for (const auto& f : failures) std::fprintf(stderr, "failed: %s\n", f.c_str());
    if (stats.failed > failures.size()) {
      std::fprintf(stderr, "failed: %llu more (without --summary, each record's error is output)\n",
                   static_cast<unsigned long long>(stats.failed - failures.size()));
    }
  }
  if (stats.failed > 0) {
    spdlog::debug("{} of {} lines could not be priced", stats.failed, stats.lines);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_price_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<PriceOptions>();
  CLI::App* cmd = app.add_subcommand(
      "price", "Price usage exactly: JSON Lines, or any input ingest reads (stores nothing)");
  cmd->footer(kPriceHelp);
  cmd->add_option("files", opts->files,
                  "Input files (JSON Lines, or CSV, JSON, OpenTelemetry or usage reports as ingest "
                  "reads them), directories (the .jsonl and .ndjson files under them, compressed "
                  "too, Gemini CLI's session-*.json and OpenCode's opencode.db), or - for stdin "
                  "(default)");
  cmd->add_flag("--agents", opts->agents, kAgentsHelp);
  cmd->add_option("--format", opts->format, kInputFormatHelp)->check(input_formats());
  cmd->add_option("--encoding", opts->encoding, kEncodingHelp)->check(text_encodings());
  cmd->add_option("--provider", opts->provider, "Provider for records that name none")
      ->check(complete_from("providers"));
  opts->catalog.add_to(*cmd);
  cmd->add_option("--as-of", opts->as_of,
                  "Time (RFC 3339) for lines without a timestamp (default: now)");
  cmd->add_flag("--detail", opts->detail,
                "Add the per-unit breakdown and the price version to each line");
  cmd->add_option("--threads", opts->threads,
                  "Worker threads (default 0: one per core, up to 8); output order is input order")
      ->check(number_in(0, static_cast<double>(ingest::kMaxPriceThreads)));
  CLI::Option* summary =
      cmd->add_flag("--summary", opts->summary,
                    "Print a per-model summary table instead of one line per record (the first "
                    "failures on stderr), and the costs the input logged against the exact ones");
  cmd->add_option("--output", opts->output,
                  "The summary as a table (default) or one JSON object (exact decimal costs)")
      ->check(CLI::IsMember({"table", "json"}))
      ->needs(summary);
  cmd->callback([opts, &rc] { rc = run_price(*opts); });
}

}  // namespace costops::cli
