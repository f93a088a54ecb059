#include "costops/engine/reconcile.h"

#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "util/text.h"

namespace costops::engine {
namespace {

using std::chrono::days;
using std::chrono::floor;

std::string day_text(Timestamp t) {
  return date::format("%F", date::sys_days(floor<days>(t).time_since_epoch()));
}

// Joins model names as the catalog resolves them: two names of one catalog model are one model.
class ModelKeys {
 public:
  explicit ModelKeys(const pricing::Catalog& catalog) : catalog_(catalog) {}
  const std::string& key(const std::string& provider, const std::string& name) {
    auto [it, fresh] = keys_.try_emplace({provider, name});
    if (fresh && !name.empty()) {
      const auto ref = catalog_.resolve(provider, name);
      it->second = ref ? "model:" + ref->model->id : "name:" + util::ascii_lower(name);
    }
    return it->second;
  }

 private:
  const pricing::Catalog& catalog_;
  std::map<std::pair<std::string, std::string>, std::string> keys_;
};

struct Group {
  ReconcileRow row;
  bool any = false;  // a line or a record
};

Decimal abs_of(Decimal d) { return d.is_negative() ? -d : d; }

// Fills percent and off as ReconcileOptions says.
void judge(ReconcileRow& r, const ReconcileOptions& o) {
  const Decimal diff = abs_of(r.difference());
  r.percent.reset();
  if (!r.billed.is_zero()) {
    if (auto p = r.difference().as_percent_of(r.billed, 2)) r.percent = *p;
  }
  if (diff <= o.min_difference) {
    r.off = false;
  } else if (r.billed.is_zero()) {
    r.off = true;
  } else {
    const auto share = diff.as_percent_of(abs_of(r.billed), 6);
    r.off = !share || *share > o.tolerance_percent;
  }
}

std::string count_text(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A bucket's lines as a comparable value: which lines, not in which order.
using LineSet =
    std::vector<std::tuple<std::string, std::string, std::string, Decimal, std::string>>;

}  // namespace

void Bill::append(Bill other) {
  const size_t offset = buckets.size();
  for (BillBucket& b : other.buckets) buckets.push_back(std::move(b));
  for (BillLine& l : other.lines) {
    l.bucket += offset;
    lines.push_back(std::move(l));
  }
}

Result<std::vector<ReconcileKey>> parse_reconcile_keys(std::string_view text) {
  std::vector<ReconcileKey> keys;
  std::stringstream in{std::string(text)};
  std::string part;
  while (std::getline(in, part, ',')) {
    const auto b = part.find_first_not_of(' ');
    const auto e = part.find_last_not_of(' ');
    part = b == std::string::npos ? "" : part.substr(b, e - b + 1);
    if (part.empty()) continue;
    ReconcileKey k;
    if (part == "day") {
      k = ReconcileKey::kDay;
    } else if (part == "model") {
      k = ReconcileKey::kModel;
    } else if (part == "project") {
      k = ReconcileKey::kProject;
    } else {
      return invalid_argument("unknown key \"" + part + "\": expected day, model or project");
    }
    if (std::find(keys.begin(), keys.end(), k) != keys.end())
      return invalid_argument("key \"" + part + "\" given twice");
    keys.push_back(k);
  }
  return keys;
}

std::string_view reconcile_key_name(ReconcileKey k) {
  switch (k) {
    case ReconcileKey::kDay:
      return "day";
    case ReconcileKey::kModel:
      return "model";
    case ReconcileKey::kProject:
      return "project";
  }
  return "";
}

Result<Reconciliation> reconcile(const Bill& bill, const AggregateFn& stored,
                                 const pricing::Catalog& catalog, const ReconcileOptions& options) {
  Reconciliation out;
  const auto has = [&](ReconcileKey k) {
    return std::find(options.by.begin(), options.by.end(), k) != options.by.end();
  };
  const bool by_model = has(ReconcileKey::kModel), by_project = has(ReconcileKey::kProject);

  // The days each provider's bill covers, checked to be UTC days.
  std::map<std::string, std::set<std::string>> covered;
  std::map<std::string, std::pair<Timestamp, Timestamp>> span;  // first start, last end
  const auto check_day = [](Timestamp start, Timestamp end, const std::string& where) -> Status {
    if (floor<days>(start) != start || end - start != days(1)) {
      return invalid_argument(
          where + ": the bucket from " + format_timestamp(start) + " to " + format_timestamp(end) +
          " is not one UTC day: fetch the cost report with daily buckets (bucket_width=1d)");
    }
    return Status::ok();
  };
  std::map<std::string, uint64_t> incomplete;  // days with rejected rows, per provider
  for (const BillBucket& b : bill.buckets) {
    if (Status st = check_day(b.start, b.end, b.where); !st.is_ok()) return st;
    if (b.rejected > 0) ++incomplete[b.provider];
    covered[b.provider].insert(day_text(b.start));
    auto [it, fresh] = span.try_emplace(b.provider, b.start, b.end);
    if (!fresh) {
      it->second.first = std::min(it->second.first, b.start);
      it->second.second = std::max(it->second.second, b.end);
    }
  }
  std::map<std::string, bool> has_models, has_projects;
  for (const BillLine& l : bill.lines) {
    if (Status st = check_day(l.start, l.end, l.where); !st.is_ok()) return st;
    if (!covered[l.provider].contains(day_text(l.start))) {
      return invalid_argument(l.where + ": a line outside the bill's buckets");
    }
    if (out.currency.empty()) out.currency = l.currency;
    if (l.currency != out.currency) {
      return invalid_argument(l.where + ": an amount in " + l.currency +
                              ", where the bill's first is in " + out.currency +
                              ": reconcile one currency at a time");
    }
    has_models[l.provider] = has_models[l.provider] || !l.model.empty();
    has_projects[l.provider] = has_projects[l.provider] || !l.project.empty();
  }
  if (out.currency.empty()) out.currency = "USD";
  for (const auto& [provider, days_] : covered) {
    if (by_model && !has_models[provider]) {
      return invalid_argument("the " + provider +
                              " bill names no model: fetch its cost report grouped by " +
                              (provider == "openai" ? "line item (group_by=line_item)"
                                                    : "description (group_by[]=description)") +
                              ", or reconcile without the model key");
    }
    if (by_project && !has_projects[provider]) {
      return invalid_argument("the " + provider + " bill names no " +
                              (provider == "openai"
                                   ? "project: fetch its cost report grouped by project_id"
                                   : "workspace: fetch its cost report grouped by workspace_id") +
                              ", or reconcile without the project key");
    }
  }

  ModelKeys models(catalog);
  // Groups by provider and the canonical keys; a row shows the first name each key came with.
  std::map<std::pair<std::string, std::vector<std::string>>, Group> groups;
  const auto group_of = [&](const std::string& provider, const std::string& day,
                            const std::string& model, const std::string& project) -> Group& {
    std::vector<std::string> canonical, shown;
    for (ReconcileKey k : options.by) {
      switch (k) {
        case ReconcileKey::kDay:
          canonical.push_back(day);
          shown.push_back(day);
          break;
        case ReconcileKey::kModel:
          canonical.push_back(models.key(provider, model));
          shown.push_back(model);
          break;
        case ReconcileKey::kProject:
          canonical.push_back(project);
          shown.push_back(project);
          break;
      }
    }
    Group& g = groups[{provider, std::move(canonical)}];
    if (!g.any) {
      g.any = true;
      g.row.provider = provider;
      g.row.keys = std::move(shown);
    }
    return g;
  };

  // A day's bucket given twice with the same lines is one fetched twice: counted once.
  std::vector<LineSet> sets(bill.buckets.size());
  for (const BillLine& l : bill.lines) {
    if (l.bucket >= sets.size()) return invalid_argument(l.where + ": a line of no bucket");
    sets[l.bucket].emplace_back(l.model, l.project, l.item, l.amount, l.currency);
  }
  for (LineSet& set : sets) std::sort(set.begin(), set.end());
  std::vector<bool> repeated(bill.buckets.size(), false);
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_day;
  for (size_t i = 0; i < bill.buckets.size(); ++i)
    by_day[{bill.buckets[i].provider, day_text(bill.buckets[i].start)}].push_back(i);
  for (const auto& entry : by_day) {
    // Not a structured binding: clang 14 (the fuzz preset's) cannot capture one in a lambda.
    const std::vector<size_t>& list = entry.second;
    if (list.size() < 2) continue;
    size_t same = 0, split = 0;  // the first bucket of each kind after the first
    for (size_t j = 1; j < list.size(); ++j) {
      bool seen = false;
      for (size_t k = 0; k < j && !seen; ++k)
        seen = !repeated[list[k]] && sets[list[k]] == sets[list[j]];
      repeated[list[j]] = seen;
      size_t& first = seen ? same : split;
      if (first == 0) first = j;
    }
    const auto& [provider, day] = entry.first;
    const auto at = [&](size_t j) {
      return bill.buckets[list[0]].where + " and " + bill.buckets[list[j]].where;
    };
    if (same > 0) {
      out.notes.push_back("the " + provider + " bill gives the bucket of " + day +
                          " again with the same lines (" + at(same) + "): counted once");
    }
    if (split > 0) {
      out.notes.push_back("the " + provider + " bill gives the bucket of " + day +
                          " again with other lines (" + at(split) +
                          "): they are added up, as rows of one day split over pages; a day "
                          "fetched twice grouped differently counts twice");
    }
  }

  for (const BillLine& l : bill.lines) {
    if (repeated[l.bucket]) continue;
    Group& g = group_of(l.provider, day_text(l.start), l.model, l.project);
    if (!Decimal::add_checked(g.row.billed, l.amount, &g.row.billed))
      return out_of_range(l.where + ": the bill's sum leaves the range of amounts");
    ++g.row.bill_lines;
    if (by_model && l.model.empty() &&
        std::find(g.row.items.begin(), g.row.items.end(), l.item) == g.row.items.end()) {
      g.row.items.push_back(l.item);
    }
  }

  for (const auto& [provider, days_] : covered) {
    AggregateQuery q;
    q.group_by.push_back(GroupKey{GroupKey::Kind::kDay, {}});
    if (by_model) q.group_by.push_back(GroupKey{GroupKey::Kind::kModel, {}});
    if (by_project) q.group_by.push_back(GroupKey{GroupKey::Kind::kProject, {}});
    q.filters.push_back(Filter{GroupKey{GroupKey::Kind::kProvider, {}}, provider, false});
    q.filters.insert(q.filters.end(), options.filters.begin(), options.filters.end());
    q.from = span[provider].first;
    q.to = span[provider].second;
    auto rows = stored(q);
    if (!rows) return rows.status();
    uint64_t outside = 0, unpriced = 0, other_currency = 0, inside = 0;
    for (const AggregateRow& r : *rows) {
      const std::string& day = r.keys[0];
      if (!days_.contains(day)) {
        outside += r.records;
        continue;
      }
      inside += r.records;
      Group& g = group_of(provider, day, by_model ? r.keys[1] : std::string(),
                          by_project ? r.keys[by_model ? 2 : 1] : std::string());
      g.row.records += r.records;
      g.row.unpriced += r.unpriced;
      unpriced += r.unpriced;
      const auto it = r.cost.find(out.currency);
      if (it != r.cost.end()) {
        if (!Decimal::add_checked(g.row.computed, it->second, &g.row.computed))
          return out_of_range("the stored spend leaves the range of amounts");
      }
      if (r.cost.size() > (it != r.cost.end() ? 1u : 0u)) other_currency += r.records;
    }
    if (inside == 0) {
      out.notes.push_back("no stored record of " + provider +
                          (options.filters.empty() ? "" : " that passes the filters") +
                          " falls on the bill's " + count_text(days_.size(), "day", "days") + " (" +
                          *days_.begin() + " to " + *days_.rbegin() +
                          "): ingest the usage of those days first");
    }
    if (const uint64_t n = incomplete[provider]; n > 0) {
      out.notes.push_back(count_text(n, "day", "days") + " of the " + provider +
                          " bill had rows that were rejected: its billed amounts there leave "
                          "them out");
    }
    if (outside > 0) {
      out.notes.push_back(count_text(outside, "stored record", "stored records") + " of " +
                          provider + (outside == 1 ? " falls" : " fall") +
                          " on days between the bill's first and last that it has no bucket for, "
                          "and " +
                          (outside == 1 ? "is" : "are") + " left out");
    }
    if (unpriced > 0) {
      out.notes.push_back(
          count_text(unpriced, "stored record", "stored records") + " of " + provider +
          " on the bill's days " + (unpriced == 1 ? "has" : "have") + " no price and count" +
          (unpriced == 1 ? "s" : "") +
          " as nothing in the computed spend (cost-ops reprice prices them once the catalog has "
          "their models)");
    }
    if (other_currency > 0) {
      out.notes.push_back(count_text(other_currency, "stored record", "stored records") + " of " +
                          provider + " on the bill's days " +
                          (other_currency == 1 ? "has costs" : "have costs") +
                          " in a currency other than " + out.currency +
                          ", which are left out (reconcile --rates or --rate converts them)");
    }
  }

  std::map<std::string, ReconcileRow> totals;
  for (auto& [key, g] : groups) {
    if (g.row.bill_lines == 0 && g.row.records == 0) continue;
    judge(g.row, options);
    ReconcileRow& t = totals[g.row.provider];
    t.provider = g.row.provider;
    if (!Decimal::add_checked(t.billed, g.row.billed, &t.billed) ||
        !Decimal::add_checked(t.computed, g.row.computed, &t.computed))
      return out_of_range("the sums leave the range of amounts");
    t.bill_lines += g.row.bill_lines;
    t.records += g.row.records;
    t.unpriced += g.row.unpriced;
    out.off += g.row.off ? 1 : 0;
    out.rows.push_back(std::move(g.row));
  }
  std::stable_sort(out.rows.begin(), out.rows.end(),
                   [](const ReconcileRow& a, const ReconcileRow& b) {
                     return std::tie(a.provider, a.keys) < std::tie(b.provider, b.keys);
                   });
  for (auto& [provider, t] : totals) {
    judge(t, options);
    out.totals.push_back(std::move(t));
  }
  return out;
}

}  // namespace costops::engine
