// reconcile: a provider's bill (its cost report) against the stored spend of the same days.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "common.h"
#include "costops/engine/reconcile.h"
#include "costops/ingest/bill.h"
#include "costops/report/report.h"

namespace costops::cli {
namespace {

using json = nlohmann::json;

struct ReconcileCmd {
  std::vector<std::string> files, filters;
  std::string by = "day", format = "table";
  double tolerance = 1;
  bool fail_on_diff = false;
  CatalogOptions catalog;
  CurrencyOptions money;  // --rates, --rate: stored spend converted into the bill's currency
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// The whole of an input (bills are small: a page per day).
Result<std::string> read_all(Input& in) {
  std::string text;
  char buf[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, in.plain.get())) > 0) text.append(buf, n);
  if (std::ferror(in.plain.get())) return in.read_error(io_error(in.name + ": read error"));
  return text;
}

std::string key_cell(const engine::ReconcileRow& r, size_t i,
                     const std::vector<engine::ReconcileKey>& by) {
  const std::string& k = r.keys[i];
  if (!k.empty()) return k;
  if (by[i] == engine::ReconcileKey::kModel && !r.items.empty()) {
    std::string items;
    for (const auto& it : r.items) items += (items.empty() ? "" : "; ") + it;
    return "(" + items + ")";
  }
  return "-";
}

std::string percent_text(const engine::ReconcileRow& r) {
  if (!r.percent) return r.computed.is_zero() ? "" : "n/a";
  return (r.percent->is_negative() || r.percent->is_zero() ? "" : "+") +
         r.percent->to_string_fixed(2) + "%";
}

json row_json(const engine::ReconcileRow& r, const std::vector<engine::ReconcileKey>& by) {
  json o;
  o["provider"] = r.provider;
  for (size_t i = 0; i < r.keys.size(); ++i)
    o[std::string(engine::reconcile_key_name(by[i]))] = r.keys[i];
  o["billed"] = r.billed.to_string();
  o["computed"] = r.computed.to_string();
  o["difference"] = r.difference().to_string();
  o["percent"] = r.percent ? json(r.percent->to_string()) : json(nullptr);
  o["off"] = r.off;
  o["bill_lines"] = r.bill_lines;
  o["records"] = r.records;
  o["unpriced"] = r.unpriced;
  if (!r.items.empty()) o["items"] = r.items;
  return o;
}

void print_reconciliation(const engine::Reconciliation& rec, const ReconcileCmd& o,
                          const std::vector<engine::ReconcileKey>& by, json about) {
  if (o.format == "json") {
    json rows = json::array(), totals = json::array();
    for (const auto& r : rec.rows) rows.push_back(row_json(r, by));
    for (const auto& r : rec.totals) totals.push_back(row_json(r, {}));
    about["currency"] = rec.currency;
    about["rows"] = std::move(rows);
    about["totals"] = std::move(totals);
    about["off"] = rec.off;
    about["notes"] = rec.notes;
    std::printf("%s\n", about.dump(2).c_str());
    return;
  }
  if (o.format == "csv") {
    std::printf("provider,");
    for (auto k : by) std::printf("%s,", std::string(engine::reconcile_key_name(k)).c_str());
    std::printf("currency,billed,computed,difference,percent,off,bill_lines,records,unpriced\n");
    for (const auto& r : rec.rows) {
      std::printf("%s,", report::csv_field(r.provider).c_str());
      for (const auto& k : r.keys) std::printf("%s,", report::csv_field(k).c_str());
      std::printf(
          "%s,%s,%s,%s,%s,%s,%llu,%llu,%llu\n", rec.currency.c_str(), r.billed.to_string().c_str(),
          r.computed.to_string().c_str(), r.difference().to_string().c_str(),
          r.percent ? r.percent->to_string().c_str() : "", r.off ? "true" : "false",
          static_cast<unsigned long long>(r.bill_lines), static_cast<unsigned long long>(r.records),
          static_cast<unsigned long long>(r.unpriced));
    }
    return;
  }
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> head = {"provider"};
  for (auto k : by) head.emplace_back(engine::reconcile_key_name(k));
  for (const char* h : {"billed", "computed", "difference", "diff%", "records", ""})
    head.emplace_back(h);
  table.push_back(head);
  const auto line = [&](const engine::ReconcileRow& r, bool total) {
    std::vector<std::string> cells = {r.provider};
    for (size_t i = 0; i < by.size(); ++i)
      cells.push_back(total ? (i == 0 ? "total" : "") : key_cell(r, i, by));
    cells.push_back(r.billed.to_string_fixed(6));
    cells.push_back(r.computed.to_string_fixed(6));
    cells.push_back(r.difference().to_string_fixed(6));
    cells.push_back(percent_text(r));
    cells.push_back(std::to_string(r.records));
    cells.push_back(r.off ? "off" : "");
    table.push_back(std::move(cells));
  };
  for (const auto& t : rec.totals) {
    for (const auto& r : rec.rows)
      if (r.provider == t.provider) line(r, false);
    if (!by.empty()) line(t, true);
  }
  if (rec.rows.empty()) {
    std::printf("the bill has no lines and no stored record falls on its days\n");
    return;
  }
  const size_t left = 1 + by.size();  // the key columns
  if (o.format == "markdown") {       // for a CI job's summary or a pull request's comment
    std::printf("Amounts in %s; computed: the stored records' exact costs on the bill's days.\n\n",
                rec.currency.c_str());
    table[0].back() = "off";
    for (size_t i = 0; i < table.size(); ++i) {
      std::string md = "|";
      for (const std::string& cell : table[i]) md += " " + report::md_escape(cell) + " |";
      std::printf("%s\n", md.c_str());
      if (i > 0) continue;
      std::string rule = "|";
      for (size_t c = 0; c < table[0].size(); ++c) rule += c < left ? "---|" : "---:|";
      std::printf("%s\n", rule.c_str());
    }
    return;
  }
  std::printf("amounts in %s; computed: the stored records' exact costs on the bill's days\n",
              rec.currency.c_str());
  print_table(table, left);
}

int run_reconcile(ReconcileCmd& o) {
  auto by = engine::parse_reconcile_keys(o.by);
  if (!by) {
    report(by.status().with_context("--by"));
    return kExitUsage;
  }
  AggregateQuery filtered;
  if (Status st = build_query("", o.filters, &filtered); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  for (const Filter& f : filtered.filters) {
    if (f.key.kind == GroupKey::Kind::kProvider) {
      report(invalid_argument(
          "--filter: the bill names the provider; a provider filter has no place here"));
      return kExitUsage;
    }
  }
  auto tolerance = Decimal::from_double(o.tolerance, 6);
  if (!tolerance) {
    report(tolerance.status().with_context("--tolerance"));
    return kExitUsage;
  }
  if (Status st = check_inputs(o.files); !st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  engine::Bill bill;
  uint64_t rows = 0, rejected_rows = 0, rejected = 0;
  for (const std::string& f : o.files) {
    auto in = open_input(f);  // gzip, zstd and zlib read decompressed
    if (!in) {
      report(in.status());
      return kExitFailure;
    }
    auto text = read_all(*in);
    if (!text) {
      report(text.status());
      return kExitFailure;
    }
    ingest::BillRead read = ingest::read_bill(*text, in->name);
    for (const auto& r : read.rejects) {
      std::fprintf(stderr, "%s:%llu: %s\n", r.source.c_str(),
                   static_cast<unsigned long long>(r.line), r.reason.c_str());
    }
    rows += read.rows;
    rejected_rows += read.rejected_rows;
    rejected += read.rejects.size();
    bill.append(std::move(read.bill));
  }
  std::unique_ptr<storage::Store> store;
  const pricing::Catalog* catalog = nullptr;
  if (!open_store_and_catalog(*o.db, storage::OpenMode::kExisting, o.catalog, &store, &catalog))
    return kExitFailure;
  engine::ReconcileOptions options;
  options.by = *by;
  options.filters = filtered.filters;
  options.tolerance_percent = *tolerance;
  AggregateFn stored = [&](const AggregateQuery& q) { return store->aggregate(q); };
  engine::CurrencyConverter* converter = nullptr;
  if (o.money.has_rates() && !bill.lines.empty()) {
    auto c = o.money.converter(bill.lines.front().currency);
    if (!c) {
      report(c.status());
      return kExitFailure;
    }
    converter = *c;
    stored = converter->wrap(stored);
  }
  auto rec = engine::reconcile(bill, stored, *catalog, options);
  if (!rec) {
    report(with_rates_hint(rec.status(), converter));
    return kExitFailure;
  }
  o.money.note_stale();
  json about = {{"bill",
                 {{"files", o.files},
                  {"buckets", bill.buckets.size()},
                  {"lines", bill.lines.size()},
                  {"rows", rows},
                  {"rejected_rows", rejected_rows},
                  {"rejects", rejected}}},
                {"filters", filters_text(options.filters)},
                {"tolerance_percent", options.tolerance_percent.to_string()},
                {"min_difference", options.min_difference.to_string()}};
  print_reconciliation(*rec, o, *by, std::move(about));
  std::fprintf(stderr, "bill: %llu rows in %zu daily bucket%s, %llu rejected",
               static_cast<unsigned long long>(rows), bill.buckets.size(),
               bill.buckets.size() == 1 ? "" : "s", static_cast<unsigned long long>(rejected_rows));
  if (rejected > rejected_rows) {
    std::fprintf(stderr, " (and %llu pages or buckets)",
                 static_cast<unsigned long long>(rejected - rejected_rows));
  }
  std::fprintf(stderr, "\n");
  for (const auto& n : rec->notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  if (const std::string hint = filter_hint(*store, options.filters); !hint.empty())
    std::fprintf(stderr, "note: %s\n", hint.c_str());
  if (rec->off > 0) {
    std::fprintf(stderr,
                 "reconcile: %llu of %zu rows differ by more than %s%% of the billed amount and "
                 "%s %s\n",
                 static_cast<unsigned long long>(rec->off), rec->rows.size(),
                 options.tolerance_percent.to_string().c_str(),
                 options.min_difference.to_string().c_str(), rec->currency.c_str());
  }
  if (rejected > 0) return kExitRejected;
  return rec->off > 0 && o.fail_on_diff ? kExitBillDiffers : kExitOk;
}

}  // namespace

void add_reconcile_command(CLI::App& app, int& rc) {
  auto o = std::make_shared<ReconcileCmd>();
  auto* cmd = app.add_subcommand(
      "reconcile", "Compare a provider's bill (its cost report) with the stored spend");
  cmd->footer(R"(Reads the pages of OpenAI's cost API (/v1/organization/costs) and Anthropic's cost
report (/v1/organizations/cost_report), as fetched (one page, a list of pages, or pages one after
another), and compares each daily bucket's amounts with the exact costs of the records stored for
that provider and day. A row is off when it differs by more than --tolerance percent of the billed
amount and more than 0.01 in the bill's currency.
Fetch the bill grouped by model (OpenAI: group_by=line_item; Anthropic: group_by[]=description)
to reconcile --by model, and by project (project_id; workspace_id) for --by project.
Exit status 3 when some of the bill was rejected; 6 with --fail-on-diff when a row is off.
Examples:
  curl -s "https://api.openai.com/v1/organization/costs?start_time=1761955200&limit=30&group_by=line_item" \
    -H "Authorization: Bearer $OPENAI_ADMIN_KEY" > openai-costs.json
  cost-ops reconcile openai-costs.json                        # per provider and day
  cost-ops reconcile openai-costs.json anthropic-costs.json --by model
  cost-ops reconcile costs.json --by day,model --format csv > reconcile.csv
  cost-ops reconcile costs.json --tolerance 2 --fail-on-diff  # in CI: exit 6 when off
  cost-ops reconcile azure-eur.json --rates eurofxref-hist.csv  # a bill in euros
  cost-ops reconcile costs.json --format markdown >> "$GITHUB_STEP_SUMMARY")");
  cmd->add_option("files", o->files, "Cost report pages (JSON), or - for stdin")->required();
  cmd->add_option("--by", o->by,
                  "Comma-separated row keys beside the provider: day, model, project (default "
                  "day; \"\" for one row per provider)");
  cmd->add_option("--tolerance", o->tolerance,
                  "Percent of the billed amount a row may differ by (default 1)")
      ->check(number_in(0, 100000));
  add_filter(*cmd, o->filters,
             std::string(kFilterHelp) +
                 "; of the stored records compared (project=ID for a bill fetched for one "
                 "project; tier!=priority for Anthropic's, which leaves Priority Tier out)");
  cmd->add_flag("--fail-on-diff", o->fail_on_diff, "Exit with status 6 when a row is off");
  cmd->add_option("--format", o->format, "table, json, csv or markdown")
      ->check(CLI::IsMember({"table", "json", "csv", "markdown"}));
  o->catalog.add_to(*cmd);
  o->money.add_to(*cmd, nullptr, "the bill's currency");
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_reconcile(*o); });
}

}  // namespace costops::cli
