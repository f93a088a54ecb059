// cost-ops records: the stored records themselves, one a line, the dearest or the latest first (a
// day's spike down to its requests).
#include <algorithm>
#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>
#include <queue>

#include "commands.h"
#include "common.h"
#include "costops/domain/json_text.h"
#include "costops/report/report.h"

namespace costops::cli {
namespace {

using json = nlohmann::json;

struct RecordsCmd {
  RecordSelection selection;
  std::string sort = "time", format = "table";
  size_t limit = 20;
  bool unpriced = false;
  CurrencyOptions money;  // --currency, --rates, --rate
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// What a record shows, kept compact (a --limit 0 listing sorted by cost holds every one).
struct Line {
  Timestamp time{};
  bool timed = true;
  std::string provider, model, organization, project, user, tier, id, source, unpriced;
  std::vector<std::pair<std::string, std::string>> tags;
  int64_t requests = 0, input = 0, output = 0, cache_read = 0, cache_write = 0, reasoning = 0;
  std::optional<Money> cost, input_cost, output_cost;  // the latter two parts of cost
  std::optional<Money> list_cost;                      // before a discount (then named)
  std::string discount;
  Decimal discount_percent;
  std::optional<Decimal> logged;
  std::string usage;  // (JSON formats) every count stored, as JSON: audio and image tokens too
  uint64_t seq = 0;   // the scan's order (oldest first), for ties
};

Line line_of(const PricedRecord& r, uint64_t seq, bool with_usage) {
  Line l;
  l.time = r.usage.timestamp;
  l.timed = r.usage.has_timestamp;
  l.provider = group_value(r, *GroupKey::parse("provider"));
  l.model = r.usage.model;
  l.organization = r.usage.organization_id;
  l.project = r.usage.project_id;
  l.user = r.usage.user_id;
  l.tier = tier_of(r.usage);
  l.id = r.usage.id;
  l.source = r.usage.source;
  l.unpriced = r.unpriced_reason;
  l.tags = r.usage.tags;
  const Usage& u = r.usage.usage;
  l.requests = u.requests();
  l.input = u.get(units::kInputTokens);
  l.output = u.get(units::kOutputTokens);
  const TokenParts parts = token_parts(u);
  l.cache_read = parts.cache_read;
  l.cache_write = parts.cache_write;
  l.reasoning = parts.reasoning;
  if (r.cost) {
    l.cost = r.cost->total_cost;
    l.input_cost = r.cost->input_cost;
    l.output_cost = r.cost->output_cost;
    if (const auto& d = r.cost->discount) {
      l.list_cost = d->list_total;
      l.discount = d->name;
      l.discount_percent = d->percent;
    }
  }
  l.logged = r.usage.logged_cost;
  if (with_usage) append_usage_json(l.usage, u);
  l.seq = seq;
  return l;
}

// Whether `a` comes before `b` in `sort`'s order: oldest first (time), newest first (latest), or
// the largest first (cost: unpriced records last; tokens: input plus output), ties oldest first.
bool before(const Line& a, const Line& b, const std::string& sort) {
  if (sort == "latest") return a.seq > b.seq;
  if (sort == "cost") {
    if (a.cost.has_value() != b.cost.has_value()) return a.cost.has_value();
    if (a.cost && a.cost->amount != b.cost->amount) return a.cost->amount > b.cost->amount;
  } else if (sort == "tokens") {
    if (a.input + a.output != b.input + b.output) return a.input + a.output > b.input + b.output;
  }
  return a.seq < b.seq;
}

std::string tags_text(const Line& l) {
  std::string out;
  for (const auto& [k, v] : l.tags) out += (out.empty() ? "" : ";") + k + "=" + v;
  return out;
}

// An amount's exact text in JSON, null for none (an unpriced record's).
json amount_json(const std::optional<Money>& m) {
  return m ? json(m->amount.to_string()) : json(nullptr);
}

json line_json(const Line& l) {
  // A record without a time of its own: dated (and priced) at its ingest's time or --as-of.
  json j = {{"timestamp", l.timed ? json(format_timestamp(l.time)) : json(nullptr)},
            {"provider", l.provider},
            {"model", l.model},
            {"organization", l.organization},
            {"project", l.project},
            {"user", l.user},
            {"tier", l.tier},
            {"id", l.id},
            {"source", l.source},
            {"requests", l.requests},
            {"input_tokens", l.input},
            {"output_tokens", l.output},
            {"cache_read_tokens", l.cache_read},
            {"cache_write_tokens", l.cache_write},
            {"reasoning_tokens", l.reasoning},
            {"cost", amount_json(l.cost)},
            {"input_cost", amount_json(l.input_cost)},
            {"output_cost", amount_json(l.output_cost)},
            {"currency", l.cost ? json(std::string(l.cost->currency.code())) : json(nullptr)}};
  json tags = json::object();
  for (const auto& [k, v] : l.tags) tags[k] = v;
  j["tags"] = tags;
  if (l.logged) j["logged_cost"] = l.logged->to_string();
  if (l.list_cost) {
    j["discount"] = {{"name", l.discount},
                     {"percent", l.discount_percent.to_string()},
                     {"list_cost", amount_json(l.list_cost)}};
  }
  if (!l.cost) j["unpriced_reason"] = l.unpriced;
  if (!l.usage.empty()) j["usage"] = json::parse(l.usage);
  if (!l.timed) j["dated"] = format_timestamp(l.time);
  return j;
}

int run_records(const RecordsCmd& o) {
  AggregateQuery q;
  if (Status st = o.selection.build(&q); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  q.unpriced_only = o.unpriced;
  std::unique_ptr<storage::Store> store;
  engine::CurrencyConverter* converter = nullptr;
  if (!open_spend(*o.db, o.money, &store, &converter)) return kExitFailure;
  // The lines shown: with a --limit, the best so far in a heap whose top is the worst of them
  // (time: the first ones, and the scan stops there).
  const auto worse_first = [&](const Line& a, const Line& b) { return before(a, b, o.sort); };
  std::priority_queue<Line, std::vector<Line>, decltype(worse_first)> best(worse_first);
  std::vector<Line> all;
  uint64_t seq = 0;
  const Status kEnough(StatusCode::kOutOfRange, "enough");  // stops the scan; not an error
  Status st = store->scan(q, [&](const PricedRecord& r) -> Status {
    Line l = line_of(r, seq++, o.format == "json" || o.format == "jsonl");
    if (converter != nullptr && l.cost) {  // at the rate of the record's day, in --tz
      for (std::optional<Money>* m : {&l.cost, &l.input_cost, &l.output_cost, &l.list_cost}) {
        if (!*m) continue;
        auto c = converter->convert(**m, q.time_zone.local_day(l.time));
        if (!c) return c.status();
        *m = *c;
      }
    }
    if (o.limit == 0) {
      all.push_back(std::move(l));
      return Status::ok();
    }
    if (best.size() < o.limit) {
      best.push(std::move(l));
    } else if (before(l, best.top(), o.sort)) {
      best.pop();
      best.push(std::move(l));
    }
    if (o.sort == "time" && best.size() == o.limit) return kEnough;
    return Status::ok();
  });
  if (!st.is_ok() && !(st.code() == kEnough.code() && st.message() == kEnough.message())) {
    report(with_rates_hint(st, converter));
    return kExitFailure;
  }
  while (!best.empty()) {
    all.push_back(best.top());
    best.pop();
  }
  std::sort(all.begin(), all.end(),
            [&](const Line& a, const Line& b) { return before(a, b, o.sort); });
  // How many the selection holds (a --limit shows some of them).
  auto selected = store->aggregate(q);
  if (!selected) {
    report(selected.status());
    return kExitFailure;
  }
  const uint64_t total = selected->empty() ? 0 : selected->front().records;
  if (o.format == "json") {
    json lines = json::array();
    for (const Line& l : all) lines.push_back(line_json(l));
    std::printf("%s\n", json{{"selected", total}, {"records", lines}}.dump(2).c_str());
  } else if (o.format == "jsonl") {
    for (const Line& l : all) std::printf("%s\n", line_json(l).dump().c_str());
  } else if (o.format == "csv") {
    std::printf(
        "timestamp,provider,model,organization,project,user,tier,id,source,requests,input_tokens,"
        "output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost,currency,"
        "logged_cost,tags,dated,input_cost,output_cost\n");
    for (const Line& l : all) {
      std::string row = l.timed ? format_timestamp(l.time) : "";
      for (const std::string* f : {&l.provider, &l.model, &l.organization, &l.project, &l.user,
                                   &l.tier, &l.id, &l.source}) {
        row += "," + report::csv_field(*f);
      }
      for (int64_t n : {l.requests, l.input, l.output, l.cache_read, l.cache_write, l.reasoning}) {
        row += "," + std::to_string(n);
      }
      row += "," + (l.cost ? l.cost->amount.to_string() : std::string()) + "," +
             (l.cost ? std::string(l.cost->currency.code()) : std::string()) + "," +
             (l.logged ? l.logged->to_string() : std::string()) + "," +
             report::csv_field(tags_text(l)) + "," + (l.timed ? "" : format_timestamp(l.time));
      for (const std::optional<Money>* m : {&l.input_cost, &l.output_cost})
        row += "," + (*m ? (*m)->amount.to_string() : std::string());
      std::printf("%s\n", row.c_str());
    }
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"time (" + (q.time_zone.is_utc() ? std::string("UTC") : q.time_zone.name()) + ")",
         "provider", "model", "project", "user", "input", "output", "cost", "id"}};
    bool untimed = false;
    for (const Line& l : all) {
      const std::string local = format_timestamp(q.time_zone.to_local(l.time));
      const std::string time =
          local.substr(0, 10) + " " + local.substr(11, 8) + (l.timed ? "" : "*");
      untimed = untimed || !l.timed;
      rows.push_back(
          {time, l.provider.empty() ? "-" : l.provider, l.model,
           l.project.empty() ? "-" : l.project, l.user.empty() ? "-" : l.user,
           std::to_string(l.input), std::to_string(l.output),
           l.cost ? l.cost->amount.to_string_fixed(6) + " " + std::string(l.cost->currency.code())
                  : "unpriced",
           l.id.empty() ? "-" : l.id});
    }
    if (!all.empty()) print_table(rows, 5);
    if (untimed) {
      std::printf(
          "* no time of its own in its input: dated at its ingest (or the ingest's --as-of)\n");
    }
    if (all.size() < total) {
      std::printf("(%zu of %llu records%s; --limit 0 shows them all)\n", all.size(),
                  static_cast<unsigned long long>(total),
                  o.sort == "time"     ? ", the oldest"
                  : o.sort == "latest" ? ", the latest"
                  : o.sort == "cost"   ? ", the dearest"
                                       : ", with the most tokens");
    }
  }
  o.money.note_stale();
  if (total == 0) note_why_empty(*store, q, "without them every record is listed");
  return kExitOk;
}

}  // namespace

void add_records_command(CLI::App& app, int& rc) {
  auto o = std::make_shared<RecordsCmd>();
  CLI::App* cmd = app.add_subcommand(
      "records", "The stored records themselves: the dearest calls of a day, the latest, a user's");
  cmd->footer(R"(
A line per record: its time (in --tz), provider, model, project, user, tokens, exact cost and id;
csv, json and jsonl add its organization, tier, input file (source), requests, cache and
reasoning tokens, logged cost, tags, and the parts of its cost that are its input's and its
output's (input_cost, output_cost; the rest is per-request fees and web searches); json and jsonl
every count stored too, under usage (audio and image tokens among them), and a record priced
with a contract discount its name, percentage and list cost (pricing discount). A record whose
input gave it no time shows the time it was dated at (its ingest's, or the ingest's --as-of),
marked * in the table, as "dated" in the others (its timestamp empty). --sort time (the oldest
first, the default), latest, cost (the dearest first; unpriced records last) or tokens (input
plus output); --limit N of them (default 20; 0: all, which cost and tokens hold in memory to
sort). Selections as delete's.
Examples:
  cost-ops records --period yesterday --sort cost            # the dearest calls of a spike
  cost-ops records --sort latest --limit 5
  cost-ops records --filter user=ana --period 2026-11 --limit 0 --format csv > ana.csv
  cost-ops records --source logs/2026-11-02.jsonl --format jsonl | jq -c 'select(.cost == null)')");
  o->selection.add_to(*cmd);
  cmd->add_option("--sort", o->sort, "time (oldest first; default), latest, cost or tokens")
      ->check(CLI::IsMember({"time", "latest", "cost", "tokens"}));
  cmd->add_option("--limit", o->limit, "At most this many records (default 20; 0: all)");
  cmd->add_flag("--unpriced", o->unpriced, "Only records stored without a price");
  cmd->add_option("--format", o->format, "table, csv, json or jsonl")
      ->check(CLI::IsMember({"table", "csv", "json", "jsonl"}));
  o->money.add_to(*cmd, kCurrencyHelp);
  add_db_to(*cmd, o->db);
  cmd->callback([o, &rc] { rc = run_records(*o); });
}

}  // namespace costops::cli
