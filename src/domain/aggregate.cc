#include "costops/domain/aggregate.h"

#include <algorithm>
#include <cstdio>

#include "costops/domain/records.h"
#include "util/text.h"

namespace costops {

Result<RowOrder> parse_row_order(std::string_view text) {
  if (text == "keys") return RowOrder::kKeys;
  if (text == "cost") return RowOrder::kCost;
  if (text == "records") return RowOrder::kRecords;
  if (text == "requests") return RowOrder::kRequests;
  if (text == "tokens") return RowOrder::kTokens;
  if (text == "per-request") return RowOrder::kPerRequest;
  if (text == "per-mtok") return RowOrder::kPerMtok;
  return invalid_argument("unknown order \"" + std::string(text) +
                          "\": use keys, cost, records, requests, tokens, per-request or per-mtok");
}

std::string main_currency(const std::vector<AggregateRow>& rows) {
  // Exact totals per currency; one whose total leaves Decimal's range outranks the others.
  struct Total {
    Decimal sum;
    bool overflowed = false;
  };
  std::map<std::string, Total> totals;
  for (const auto& r : rows) {
    for (const auto& [c, v] : r.cost) {
      Total& t = totals[c];
      if (!t.overflowed && !Decimal::add_checked(t.sum, v, &t.sum)) t.overflowed = true;
    }
  }
  const std::string* best = nullptr;
  const Total* top = nullptr;
  for (const auto& [c, t] : totals) {
    if (top == nullptr || (t.overflowed && !top->overflowed) ||
        (!t.overflowed && !top->overflowed && t.sum > top->sum)) {
      best = &c;
      top = &t;
    }
  }
  return best != nullptr ? *best : "USD";
}

UnitCosts unit_costs(const AggregateRow& row) {
  UnitCosts u;
  if (row.cost.size() != 1 || row.unpriced > 0) return u;
  const auto& [currency, cost] = *row.cost.begin();
  if (row.requests > 0) {
    if (auto d = cost.div(Decimal::from_int(row.requests), kUnitCostPlaces)) u.per_request = *d;
  }
  // cost / tokens to 6 more places, times a million: cost * 1e6 / tokens rounded once (the
  // product alone could leave Decimal's range).
  int64_t tokens = 0;
  if (!__builtin_add_overflow(row.input_tokens, row.output_tokens, &tokens) && tokens > 0) {
    if (auto d = cost.div(Decimal::from_int(tokens), kUnitCostPlaces + 6)) {
      if (auto m = d->mul_int(1'000'000)) u.per_mtok = *m;
    }
  }
  if (u.per_request || u.per_mtok) u.currency = currency;
  return u;
}

Decimal cost_in(const std::map<std::string, Decimal>& cost, const std::string& currency) {
  const auto it = cost.find(currency);
  return it == cost.end() ? Decimal() : it->second;
}

bool add_cost(std::map<std::string, Decimal>& cost, const Money& m) {
  Decimal& sum = cost[std::string(m.currency.code())];
  return Decimal::add_checked(sum, m.amount, &sum);
}

Result<SpreadBy> parse_spread_by(std::string_view text) {
  if (text == "cost") return SpreadBy::kCost;
  if (text == "even") return SpreadBy::kEven;
  return invalid_argument("unknown way to spread \"" + std::string(text) + "\": use cost or even");
}

std::string_view spread_by_name(SpreadBy by) { return by == SpreadBy::kEven ? "even" : "cost"; }

Status spread_shared(std::vector<AggregateRow>& rows, size_t key, SpreadBy by) {
  const auto too_large = [] { return out_of_range("a shared cost's spread leaves the range"); };
  // The rows that agree on every other key, by those keys.
  std::map<std::vector<std::string>, std::vector<size_t>> parts;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (key >= rows[i].keys.size()) return invalid_argument("no such group key to spread by");
    std::vector<std::string> others = rows[i].keys;
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(key));
    parts[std::move(others)].push_back(i);
  }
  for (const auto& [others, members] : parts) {
    std::vector<size_t> takers, givers;
    for (size_t i : members) (rows[i].keys[key].empty() ? givers : takers).push_back(i);
    if (takers.empty()) continue;
    for (size_t g : givers) {
      for (const auto& [currency, amount] : rows[g].cost) {
        if (amount.is_zero()) continue;
        // The takers' weights: their own cost in the currency, or (evenly, or none having
        // any) one each.
        std::vector<Decimal> weight(takers.size());
        Decimal total;
        if (by == SpreadBy::kCost) {
          for (size_t j = 0; j < takers.size(); ++j) {
            weight[j] = std::max(Decimal(), cost_in(rows[takers[j]].cost, currency));
            if (!Decimal::add_checked(total, weight[j], &total)) return too_large();
          }
        }
        if (total.is_zero()) {
          std::fill(weight.begin(), weight.end(), Decimal::from_int(1));
          total = Decimal::from_int(static_cast<int64_t>(takers.size()));
        }
        // Each share: the amount times its weight's fraction of the total (never past the
        // amount, so in range), the remainder to the largest weight.
        std::vector<Decimal> share(takers.size());
        Decimal given;
        size_t largest = 0;
        for (size_t j = 0; j < takers.size(); ++j) {
          auto fraction = weight[j].div(total, Decimal::kScaleDigits);
          if (!fraction) return fraction.status();
          auto s = amount.mul(*fraction);
          if (!s) return s.status();
          share[j] = *s;
          if (!Decimal::add_checked(given, share[j], &given)) return too_large();
          if (weight[j] > weight[largest]) largest = j;
        }
        if (!Decimal::add_checked(share[largest], amount - given, &share[largest])) {
          return too_large();
        }
        for (size_t j = 0; j < takers.size(); ++j) {
          Decimal& to = rows[takers[j]].shared[currency];
          if (!Decimal::add_checked(to, share[j], &to)) return too_large();
        }
        Decimal& from = rows[g].shared[currency];
        if (!Decimal::add_checked(from, -amount, &from)) return too_large();
      }
    }
  }
  return Status::ok();
}

std::map<std::string, Decimal> allocated_cost(const AggregateRow& row) {
  std::map<std::string, Decimal> out = row.cost;
  for (const auto& [currency, amount] : row.shared) out[currency] += amount;
  return out;
}

SpreadTotals spread_totals(const std::vector<AggregateRow>& rows, size_t key) {
  SpreadTotals t;
  for (const auto& r : rows) {
    if (key >= r.keys.size()) continue;
    if (!r.keys[key].empty()) {
      t.takers += r.shared.empty() ? 0 : 1;
      continue;
    }
    for (const auto& [currency, amount] : r.shared) t.spread[currency] -= amount;
    if (r.shared.empty() && !r.cost.empty()) {
      ++t.unallocated_rows;
      for (const auto& [currency, amount] : r.cost) t.unallocated[currency] += amount;
    }
  }
  return t;
}

bool add_row(AggregateRow& sum, const AggregateRow& row) {
  sum.records += row.records;
  sum.unpriced += row.unpriced;
  sum.requests += row.requests;
  sum.input_tokens += row.input_tokens;
  sum.output_tokens += row.output_tokens;
  sum.cache_read_tokens += row.cache_read_tokens;
  sum.cache_write_tokens += row.cache_write_tokens;
  sum.reasoning_tokens += row.reasoning_tokens;
  for (const auto& [currency, amount] : row.cost) {
    Decimal& total = sum.cost[currency];
    if (!Decimal::add_checked(total, amount, &total)) return false;
  }
  auto add = [&](std::map<std::string, Decimal> AggregateRow::*part) {
    for (const auto& [currency, amount] : row.*part) {
      Decimal& total = (sum.*part)[currency];
      if (!Decimal::add_checked(total, amount, &total)) return false;
    }
    return true;
  };
  if (!add(&AggregateRow::shared)) return false;
  for (const auto& [name, part] : kCostSplit)
    if (!add(part)) return false;
  return sum.logged.add(row.logged);
}

LoggedCosts logged_sum(const std::vector<AggregateRow>& rows) {
  LoggedCosts all;
  for (const auto& r : rows) {
    if (!all.add(r.logged)) break;
  }
  return all;
}

void order_rows(std::vector<AggregateRow>& rows, RowOrder order, const std::string& currency) {
  // Each row's measure, computed once: money in Decimal's raw units, counts as they are; none
  // (below every value) by keys, or where a row has no unit cost in `currency`.
  auto measure = [&](const AggregateRow& r) -> std::optional<int128> {
    switch (order) {
      case RowOrder::kKeys:
        return std::nullopt;
      case RowOrder::kCost:
        return (cost_in(r.cost, currency) + cost_in(r.shared, currency)).raw();
      case RowOrder::kRecords:
        return static_cast<int128>(r.records);
      case RowOrder::kRequests:
        return r.requests;
      case RowOrder::kTokens:
        return static_cast<int128>(r.input_tokens) + r.output_tokens;
      case RowOrder::kPerRequest:
      case RowOrder::kPerMtok: {
        const UnitCosts u = unit_costs(r);
        const std::optional<Decimal>& v =
            order == RowOrder::kPerRequest ? u.per_request : u.per_mtok;
        if (!v || u.currency != currency) return std::nullopt;
        return v->raw();
      }
    }
    return std::nullopt;
  };
  std::vector<std::pair<std::optional<int128>, AggregateRow>> by;
  by.reserve(rows.size());
  for (auto& r : rows) {
    auto m = measure(r);
    by.emplace_back(m, std::move(r));
  }
  std::stable_sort(by.begin(), by.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;  // largest first
    return a.second.keys < b.second.keys;
  });
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = std::move(by[i].second);
}

Result<GroupKey> GroupKey::parse(std::string_view t) {
  GroupKey k;
  using K = Kind;
  if (t == "provider")
    k.kind = K::kProvider;
  else if (t == "model")
    k.kind = K::kModel;
  else if (t == "organization" || t == "organization_id")
    k.kind = K::kOrganization;
  else if (t == "project" || t == "project_id")
    k.kind = K::kProject;
  else if (t == "user" || t == "user_id")
    k.kind = K::kUser;
  else if (t == "tier")
    k.kind = K::kTier;
  else if (t == "hour")
    k.kind = K::kHour;
  else if (t == "day")
    k.kind = K::kDay;
  else if (t == "week")
    k.kind = K::kWeek;
  else if (t == "month")
    k.kind = K::kMonth;
  else if (t.starts_with("tag:") && t.size() > 4) {
    k.kind = K::kTag;
    k.tag = std::string(t.substr(4));
  } else {
    return invalid_argument(
        "unknown group key \"" + std::string(t) +
        "\"; use provider, model, organization, project, user, tag:KEY, tier, hour, day, week or "
        "month");
  }
  return k;
}

std::string GroupKey::name() const {
  switch (kind) {
    case Kind::kProvider:
      return "provider";
    case Kind::kModel:
      return "model";
    case Kind::kOrganization:
      return "organization";
    case Kind::kProject:
      return "project";
    case Kind::kUser:
      return "user";
    case Kind::kTag:
      return "tag:" + tag;
    case Kind::kTier:
      return "tier";
    case Kind::kHour:
      return "hour";
    case Kind::kDay:
      return "day";
    case Kind::kWeek:
      return "week";
    case Kind::kMonth:
      return "month";
  }
  return "";
}

bool Filter::matches(std::string_view v) const { return util::star_match(value, v); }

std::vector<FilterGroup> group_filters(const std::vector<Filter>& filters) {
  std::vector<FilterGroup> groups;
  for (const auto& f : filters) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const FilterGroup& g) { return g.key == f.key; });
    if (it == groups.end()) it = groups.insert(groups.end(), FilterGroup{f.key, {}, {}});
    (f.negated ? it->none_of : it->any_of).push_back(f);
  }
  return groups;
}

bool scope_within(const std::vector<Filter>& scope, const std::vector<Filter>& selection) {
  const std::vector<FilterGroup> mine = group_filters(scope);
  for (const FilterGroup& g : group_filters(selection)) {
    const auto own = std::find_if(mine.begin(), mine.end(),
                                  [&](const FilterGroup& m) { return m.key == g.key; });
    if (own == mine.end() || own->any_of.empty()) {
      // Every value of the key but those the scope leaves out: within only when the selection
      // leaves out no more.
      if (!g.any_of.empty()) return false;
      for (const Filter& out : g.none_of) {
        const bool also =
            own != mine.end() && std::any_of(own->none_of.begin(), own->none_of.end(),
                                             [&](const Filter& f) { return f.value == out.value; });
        if (!also) return false;
      }
      continue;
    }
    // Each value the scope keeps must pass the selection's filters of the key.
    for (const Filter& kept : own->any_of) {
      if (kept.is_pattern()) {
        const bool same = std::any_of(g.any_of.begin(), g.any_of.end(),
                                      [&](const Filter& f) { return f.value == kept.value; });
        if (!same || !g.none_of.empty()) return false;
        continue;
      }
      const bool in =
          g.any_of.empty() || std::any_of(g.any_of.begin(), g.any_of.end(),
                                          [&](const Filter& f) { return f.matches(kept.value); });
      const bool out = std::any_of(g.none_of.begin(), g.none_of.end(),
                                   [&](const Filter& f) { return f.matches(kept.value); });
      if (!in || out) return false;
    }
  }
  return true;
}

std::string filters_text(const std::vector<Filter>& filters) {
  std::string s;
  for (const auto& g : group_filters(filters)) {
    // A key's KEY=VALUE filters are alternatives; everything else must hold.
    for (size_t i = 0; i < g.any_of.size(); ++i)
      s += (i > 0 ? " or " : s.empty() ? "" : ", ") + g.any_of[i].text();
    for (const auto& f : g.none_of) s += (s.empty() ? "" : ", ") + f.text();
  }
  return s;
}

Result<Filter> Filter::parse(std::string_view t) {
  const auto eq = t.find('=');
  if (eq == std::string_view::npos)
    return invalid_argument("filter \"" + std::string(t) + "\": expected KEY=VALUE or KEY!=VALUE");
  const bool negated = eq > 0 && t[eq - 1] == '!';
  auto k = GroupKey::parse(t.substr(0, negated ? eq - 1 : eq));
  if (!k) return k.status().with_context("filter \"" + std::string(t) + "\"");
  if (k->kind >= GroupKey::Kind::kHour)
    return invalid_argument("filter \"" + std::string(t) +
                            "\": time buckets are filtered with --from/--to");
  return Filter{*k, std::string(t.substr(eq + 1)), negated};
}

std::string bucket_label(GroupKey::Kind kind, Timestamp utc, const TimeZone& tz) {
  using namespace std::chrono;
  const Timestamp t = tz.to_local(utc);
  const sys_days d = floor<days>(t);
  const year_month_day ymd{d};
  char buf[32];
  switch (kind) {
    case GroupKey::Kind::kHour:
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(duration_cast<hours>(t - d).count()));
      return buf;
    case GroupKey::Kind::kDay:
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
      return buf;
    case GroupKey::Kind::kWeek: {
      // ISO 8601 week: the week with the year's first Thursday is week 1.
      const weekday wd{d};
      const sys_days thursday = d - days{(wd.iso_encoding() - 1)} + days{3};
      const year_month_day ty{thursday};
      const sys_days jan1 = sys_days{ty.year() / January / 1};
      const int week = static_cast<int>((thursday - jan1).count() / 7 + 1);
      std::snprintf(buf, sizeof buf, "%04d-W%02d", static_cast<int>(ty.year()), week);
      return buf;
    }
    case GroupKey::Kind::kMonth:
      std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()));
      return buf;
    default:
      return "";
  }
}

std::string group_value(const PricedRecord& pr, const GroupKey& key, const TimeZone& tz) {
  const UsageRecord& r = pr.usage;
  switch (key.kind) {
    case GroupKey::Kind::kProvider:
      return provider_of(pr);
    case GroupKey::Kind::kModel:
      return r.model;
    case GroupKey::Kind::kOrganization:
      return r.organization_id;
    case GroupKey::Kind::kProject:
      return r.project_id;
    case GroupKey::Kind::kUser:
      return r.user_id;
    case GroupKey::Kind::kTag:
      for (const auto& [k, v] : r.tags)
        if (k == key.tag) return v;
      return "";
    case GroupKey::Kind::kTier:
      return tier_of(r);
    default:
      return bucket_label(key.kind, r.timestamp, tz);
  }
}

std::vector<std::string> group_values(const PricedRecord& r, const AggregateQuery& q) {
  std::vector<std::string> keys;
  keys.reserve(q.group_by.size());
  for (const auto& k : q.group_by) keys.push_back(group_value(r, k, q.time_zone));
  return keys;
}

bool matches(const PricedRecord& pr, const AggregateQuery& q) {
  const UsageRecord& r = pr.usage;
  // unpriced_only is a property of the stored record, checked by the callers that have it.
  if (q.from && r.timestamp < *q.from) return false;
  if (q.to && r.timestamp >= *q.to) return false;
  if (!q.source.empty() && !(r.source.size() > q.source.size() && r.source.starts_with(q.source) &&
                             r.source[q.source.size()] == ':'))
    return false;
  // Each filter is looked at with the others of its key (FilterGroup), without building groups
  // per record: a negated one that matches leaves the record out, and so does a KEY=VALUE one
  // when no KEY=VALUE filter of its key matches.
  for (const auto& f : q.filters) {
    const std::string v = group_value(pr, f.key);
    if (f.negated) {
      if (f.matches(v)) return false;
      continue;
    }
    if (std::none_of(q.filters.begin(), q.filters.end(),
                     [&](const Filter& g) { return !g.negated && g.key == f.key && g.matches(v); }))
      return false;
  }
  return true;
}

}  // namespace costops
