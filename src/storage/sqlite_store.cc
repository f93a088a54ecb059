// SQLite store. Schema built for speed at scale:
// - usage_records is narrow: integer dimension ids (dims), token counts, the cost as integer parts
//   that SQL sums exactly (10^-6, 10^-15, 10^-24), tags, and the rest of the record as one JSON
//   `detail` column. Records are keyed by a 128-bit hash of their key (unique index).
// - daily_totals holds per-day totals by provider, model, organization, project and currency,
//   updated in the same transaction as the records; aggregations that only need those answer from
//   it (summary over millions of records reads thousands of rows).
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>
#include <unordered_map>

#include "costops/domain/json_text.h"
#include "costops/storage/store.h"

namespace costops::storage {
namespace {

using json = nlohmann::json;

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

constexpr const char* kMigrations[] = {
    // 1: records, dimension dictionary, daily totals, custom prices, budgets.
    R"sql(
CREATE TABLE dims (
  id INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,             -- 0 provider, 1 model, 2 organization, 3 project, 4 user, 5 currency
  value TEXT NOT NULL,
  UNIQUE (kind, value)
);
CREATE TABLE usage_records (
  key_hi INTEGER NOT NULL,           -- 128-bit hash of the record key (id, or content)
  key_lo INTEGER NOT NULL,
  ts INTEGER NOT NULL,               -- microseconds since 1970-01-01 UTC
  provider INTEGER NOT NULL,         -- dims ids
  model INTEGER NOT NULL,
  organization INTEGER NOT NULL,
  project INTEGER NOT NULL,
  user INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  priced INTEGER NOT NULL,           -- 0: unpriced (reason in detail), never $0
  currency INTEGER NOT NULL,
  cost_e6 INTEGER NOT NULL,          -- total cost = e6*10^-6 + e15*10^-15 + e24*10^-24, exact
  cost_e15 INTEGER NOT NULL,
  cost_e24 INTEGER NOT NULL,
  tags TEXT NOT NULL,                -- JSON object
  detail TEXT NOT NULL               -- JSON: id, flavor, tier, batch, metadata, source, usage, prices, ...
);
CREATE UNIQUE INDEX usage_records_key ON usage_records (key_hi, key_lo);
CREATE INDEX usage_records_ts ON usage_records (ts);
CREATE TABLE daily_totals (
  day INTEGER NOT NULL,              -- days since 1970-01-01 UTC
  provider INTEGER NOT NULL,
  model INTEGER NOT NULL,
  organization INTEGER NOT NULL,
  project INTEGER NOT NULL,
  currency INTEGER NOT NULL,
  records INTEGER NOT NULL,
  unpriced INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_e6 INTEGER NOT NULL,
  cost_e15 INTEGER NOT NULL,
  cost_e24 INTEGER NOT NULL,
  PRIMARY KEY (day, provider, model, organization, project, currency)
) WITHOUT ROWID;
CREATE TABLE custom_prices (
  provider TEXT NOT NULL,
  model_id TEXT NOT NULL,
  entry TEXT NOT NULL,               -- the model as cost-ops catalog JSON
  added_at INTEGER NOT NULL,
  PRIMARY KEY (provider, model_id)
);
CREATE TABLE budgets (
  name TEXT PRIMARY KEY,
  scope TEXT NOT NULL,               -- JSON list of filters, [] for all
  period TEXT NOT NULL,
  amount TEXT NOT NULL,              -- exact decimal
  currency TEXT NOT NULL,
  thresholds TEXT NOT NULL           -- JSON list of percentages
);
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);

enum DimKind {
  kDimProvider = 0,
  kDimModel,
  kDimOrganization,
  kDimProject,
  kDimUser,
  kDimCurrency,
  kDimKinds
};

constexpr int64_t kUsPerDay = 86'400'000'000LL;
constexpr int64_t kUsPerHour = 3'600'000'000LL;

std::string sqlite_error(sqlite3* db, std::string_view what) {
  return std::string(what) + ": " + sqlite3_errmsg(db);
}

void split_money(Decimal d, int64_t* e6, int64_t* e15, int64_t* e24) {
  constexpr int128 k9 = 1'000'000'000;
  const int128 raw = d.raw();
  *e24 = static_cast<int64_t>(raw % k9);
  *e15 = static_cast<int64_t>((raw / k9) % k9);
  *e6 = static_cast<int64_t>(raw / (k9 * k9));
}

Decimal join_money(int64_t e6, int64_t e15, int64_t e24) {
  constexpr int128 k9 = 1'000'000'000;
  return Decimal::from_raw(static_cast<int128>(e6) * k9 * k9 + static_cast<int128>(e15) * k9 + e24);
}

std::string tags_json(const UsageRecord& r) {
  std::string s = "{";
  for (size_t i = 0; i < r.tags.size(); ++i) {
    if (i) s += ',';
    append_json_string(s, r.tags[i].first);
    s += ':';
    append_json_string(s, r.tags[i].second);
  }
  s += '}';
  return s;
}

// 64-bit FNV-1a; two seeds give the 128-bit record key.
uint64_t fnv1a(std::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : "";
}

Status exec_on(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return io_error(what + ": " + m);
  }
  return Status::ok();
}

// The record's fields that are not columns, as one JSON object.
std::string detail_json(const PricedRecord& pr) {
  const UsageRecord& r = pr.usage;
  std::string d = "{\"id\":";
  append_json_string(d, r.id);
  d += ",\"api_flavor\":";
  append_json_string(d, r.api_flavor);
  d += ",\"service_tier\":";
  append_json_string(d, r.service_tier);
  d += r.batch ? ",\"batch\":true" : ",\"batch\":false";
  if (!r.metadata_json.empty()) d += ",\"metadata\":" + r.metadata_json;
  d += ",\"source\":";
  append_json_string(d, r.source);
  d += ",\"usage\":";
  append_usage_json(d, r.usage);
  if (pr.cost) {
    const CostRecord& c = *pr.cost;
    d += ",\"model_id\":";
    append_json_string(d, c.model);
    d += ",\"input_cost\":\"";
    c.input_cost.amount.append_to(d);
    d += "\",\"output_cost\":\"";
    c.output_cost.amount.append_to(d);
    d += "\",\"total_cost\":\"";
    c.total_cost.amount.append_to(d);
    d += "\",\"price_version\":";
    append_json_string(d, c.price_version);
    d += ",\"catalog_entry\":";
    append_json_string(d, c.catalog_entry);
    if (!c.warnings.empty()) {
      d += ",\"warnings\":[";
      for (size_t i = 0; i < c.warnings.size(); ++i) {
        if (i) d += ',';
        append_json_string(d, c.warnings[i]);
      }
      d += ']';
    }
  } else {
    d += ",\"unpriced_reason\":";
    append_json_string(d, pr.unpriced_reason);
  }
  d += '}';
  return d;
}

struct RollupKey {
  int64_t day, provider, model, organization, project, currency;
  auto operator<=>(const RollupKey&) const = default;
};
struct RollupValue {
  int64_t records = 0, unpriced = 0, input_tokens = 0, output_tokens = 0, e6 = 0, e15 = 0, e24 = 0;
};

const char* dim_column(GroupKey::Kind k) {
  switch (k) {
    case GroupKey::Kind::kProvider:
      return "provider";
    case GroupKey::Kind::kModel:
      return "model";
    case GroupKey::Kind::kOrganization:
      return "organization";
    case GroupKey::Kind::kProject:
      return "project";
    case GroupKey::Kind::kUser:
      return "user";
    default:
      return nullptr;
  }
}

int dim_kind(GroupKey::Kind k) {
  switch (k) {
    case GroupKey::Kind::kProvider:
      return kDimProvider;
    case GroupKey::Kind::kModel:
      return kDimModel;
    case GroupKey::Kind::kOrganization:
      return kDimOrganization;
    case GroupKey::Kind::kProject:
      return kDimProject;
    case GroupKey::Kind::kUser:
      return kDimUser;
    default:
      return -1;
  }
}

bool day_aligned(const std::optional<Timestamp>& t) {
  return !t || t->time_since_epoch().count() % kUsPerDay == 0;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(Db db, std::string url) : db_(std::move(db)), url_(std::move(url)) {}

  Status load_dims() {
    for (auto& m : dim_ids_) m.clear();
    dim_values_.clear();
    auto st = prepare("SELECT id, kind, value FROM dims");
    if (!st) return st.status();
    while (sqlite3_step(st->get()) == SQLITE_ROW) {
      const int64_t id = sqlite3_column_int64(st->get(), 0);
      const int kind = sqlite3_column_int(st->get(), 1);
      std::string v = column_text(st->get(), 2);
      if (kind < 0 || kind >= kDimKinds) continue;
      dim_ids_[kind][v] = id;
      dim_values_[id] = std::move(v);
    }
    return Status::ok();
  }

  std::string url() const override { return url_; }
  int schema_version() const override { return kSchemaVersion; }

  Result<WriteStats> write(std::span<const PricedRecord> records) override {
    if (!insert_) {
      auto a = prepare(
          "INSERT OR IGNORE INTO usage_records (key_hi, key_lo, ts, provider, model, organization, "
          "project, user, "
          "input_tokens, output_tokens, priced, currency, cost_e6, cost_e15, cost_e24, tags, "
          "detail) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      auto b = prepare("INSERT INTO dims (kind, value) VALUES (?, ?)");
      auto c = prepare(
          "INSERT INTO daily_totals VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET "
          "records = records + excluded.records, unpriced = unpriced + excluded.unpriced, "
          "input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + "
          "excluded.output_tokens, "
          "cost_e6 = cost_e6 + excluded.cost_e6, cost_e15 = cost_e15 + excluded.cost_e15, "
          "cost_e24 = cost_e24 + excluded.cost_e24");
      if (!a) return a.status();
      if (!b) return b.status();
      if (!c) return c.status();
      insert_ = std::move(*a);
      insert_dim_ = std::move(*b);
      upsert_rollup_ = std::move(*c);
    }
    COSTOPS_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Status st = write_in_transaction(records);
    if (!st.is_ok()) {
      (void)exec("ROLLBACK");
      (void)load_dims();  // ids created in the rolled-back transaction are gone
      return st;
    }
    COSTOPS_RETURN_IF_ERROR(exec("COMMIT"));
    return last_write_;
  }

  Result<std::vector<AggregateRow>> aggregate(const AggregateQuery& q) override {
    // Group by dimension ids and a UTC hour or day bucket in SQL; label ids and fold days into
    // weeks and months here (exact ISO weeks on any SQLite version).
    bool need_hour = false, need_day = false, rollup = day_aligned(q.from) && day_aligned(q.to);
    for (const auto& k : q.group_by) {
      need_hour |= k.kind == GroupKey::Kind::kHour;
      need_day |= k.kind == GroupKey::Kind::kDay || k.kind == GroupKey::Kind::kWeek ||
                  k.kind == GroupKey::Kind::kMonth;
      rollup &= k.kind != GroupKey::Kind::kHour && k.kind != GroupKey::Kind::kTag &&
                k.kind != GroupKey::Kind::kUser;
    }
    for (const auto& f : q.filters)
      rollup &= f.key.kind != GroupKey::Kind::kTag && f.key.kind != GroupKey::Kind::kUser;
    // A filter value never seen cannot match.
    for (const auto& f : q.filters)
      if (f.key.kind != GroupKey::Kind::kTag && !dim_ids_[dim_kind(f.key.kind)].count(f.value))
        return std::vector<AggregateRow>{};

    std::string select, group;
    std::vector<std::string> text_params;  // tag paths, in order of appearance
    int ncols = 0;
    // GROUP BY refers to result columns by position: an expression with a parameter would need
    // binding twice.
    auto add_col = [&](const std::string& expr) {
      select += expr + ", ";
      group += (group.empty() ? "" : ", ") + std::to_string(++ncols);
    };
    for (const auto& k : q.group_by) {
      if (k.kind == GroupKey::Kind::kTag) {
        add_col("COALESCE(json_extract(tags, ?), '')");
        text_params.push_back("$.\"" + k.tag + "\"");
      } else if (const char* c = dim_column(k.kind)) {
        add_col(c);
      }
    }
    const char* table = rollup ? "daily_totals" : "usage_records";
    if (need_hour) {
      add_col("(ts / " + std::to_string(kUsPerHour) + ")");
    } else if (need_day) {
      add_col(rollup ? std::string("day") : "(ts / " + std::to_string(kUsPerDay) + ")");
    }
    add_col("currency");
    const std::string sums =
        rollup
            ? "SUM(records), SUM(unpriced), SUM(input_tokens), SUM(output_tokens), SUM(cost_e6), "
              "SUM(cost_e15), SUM(cost_e24)"
            : "COUNT(*), SUM(priced = 0), SUM(input_tokens), SUM(output_tokens), SUM(cost_e6), "
              "SUM(cost_e15), SUM(cost_e24)";
    std::string where;
    std::vector<std::string> conds;
    if (q.from) conds.push_back(rollup ? "day >= ?" : "ts >= ?");
    if (q.to) conds.push_back(rollup ? "day < ?" : "ts < ?");
    for (const auto& f : q.filters) {
      if (f.key.kind == GroupKey::Kind::kTag) {
        conds.push_back("COALESCE(json_extract(tags, ?), '') = ?");
      } else {
        conds.push_back(std::string(dim_column(f.key.kind)) + " = ?");
      }
    }
    for (size_t i = 0; i < conds.size(); ++i) where += (i == 0 ? " WHERE " : " AND ") + conds[i];
    auto st = prepare("SELECT " + select + sums + " FROM " + table + where + " GROUP BY " + group);
    if (!st) return st.status();
    sqlite3_stmt* s = st->get();
    int bi = 1;
    for (const auto& p : text_params) sqlite3_bind_text(s, bi++, p.c_str(), -1, SQLITE_TRANSIENT);
    if (q.from)
      sqlite3_bind_int64(s, bi++, q.from->time_since_epoch().count() / (rollup ? kUsPerDay : 1));
    if (q.to)
      sqlite3_bind_int64(s, bi++, q.to->time_since_epoch().count() / (rollup ? kUsPerDay : 1));
    for (const auto& f : q.filters) {
      if (f.key.kind == GroupKey::Kind::kTag) {
        const std::string path = "$.\"" + f.key.tag + "\"";
        sqlite3_bind_text(s, bi++, path.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, bi++, f.value.c_str(), -1, SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_int64(s, bi++, dim_ids_[dim_kind(f.key.kind)].at(f.value));
      }
    }
    std::map<std::vector<std::string>, AggregateRow> rows;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      int c = 0;
      std::vector<std::string> keys;
      std::vector<size_t> bucket_slots;
      for (const auto& k : q.group_by) {
        if (k.kind == GroupKey::Kind::kTag) {
          keys.push_back(column_text(s, c++));
        } else if (dim_column(k.kind) != nullptr) {
          keys.push_back(dim_value(sqlite3_column_int64(s, c++)));
        } else {
          bucket_slots.push_back(keys.size());
          keys.emplace_back();
        }
      }
      if (need_hour || need_day) {
        const int64_t b = sqlite3_column_int64(s, c++);
        const Timestamp start{std::chrono::microseconds{b * (need_hour ? kUsPerHour : kUsPerDay)}};
        size_t bs = 0;
        for (const auto& k : q.group_by)
          if (k.kind >= GroupKey::Kind::kHour)
            keys[bucket_slots[bs++]] = bucket_label(k.kind, start);
      }
      const std::string currency = dim_value(sqlite3_column_int64(s, c++));
      AggregateRow& row = rows[keys];
      row.keys = keys;
      row.records += static_cast<uint64_t>(sqlite3_column_int64(s, c++));
      row.unpriced += static_cast<uint64_t>(sqlite3_column_int64(s, c++));
      row.input_tokens += sqlite3_column_int64(s, c++);
      row.output_tokens += sqlite3_column_int64(s, c++);
      if (!currency.empty()) {
        const Decimal sum_part =
            join_money(sqlite3_column_int64(s, c), sqlite3_column_int64(s, c + 1),
                       sqlite3_column_int64(s, c + 2));
        Decimal& sum = row.cost[currency];
        if (!Decimal::add_checked(sum, sum_part, &sum))
          return out_of_range("aggregate cost overflows");
      }
    }
    if (rc != SQLITE_DONE) return io_error(sqlite_error(db_.get(), "aggregate"));
    std::vector<AggregateRow> out;
    out.reserve(rows.size());
    for (auto& [k, row] : rows) out.push_back(std::move(row));
    return out;
  }

  Status scan(const AggregateQuery& q,
              const std::function<Status(const PricedRecord&)>& fn) override {
    std::vector<std::string> conds;
    if (q.from) conds.push_back("ts >= ?");
    if (q.to) conds.push_back("ts < ?");
    for (const auto& f : q.filters) {
      if (f.key.kind == GroupKey::Kind::kTag) {
        conds.push_back("COALESCE(json_extract(tags, ?), '') = ?");
      } else {
        if (!dim_ids_[dim_kind(f.key.kind)].count(f.value)) return Status::ok();
        conds.push_back(std::string(dim_column(f.key.kind)) + " = ?");
      }
    }
    std::string where;
    for (size_t i = 0; i < conds.size(); ++i) where += (i == 0 ? " WHERE " : " AND ") + conds[i];
    auto st = prepare(
        "SELECT ts, provider, model, organization, project, user, priced, currency, cost_e6, "
        "cost_e15, cost_e24, tags, "
        "detail FROM usage_records" +
        where + " ORDER BY ts, key_hi, key_lo");
    if (!st) return st.status();
    sqlite3_stmt* s = st->get();
    int bi = 1;
    if (q.from) sqlite3_bind_int64(s, bi++, q.from->time_since_epoch().count());
    if (q.to) sqlite3_bind_int64(s, bi++, q.to->time_since_epoch().count());
    for (const auto& f : q.filters) {
      if (f.key.kind == GroupKey::Kind::kTag) {
        const std::string path = "$.\"" + f.key.tag + "\"";
        sqlite3_bind_text(s, bi++, path.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, bi++, f.value.c_str(), -1, SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_int64(s, bi++, dim_ids_[dim_kind(f.key.kind)].at(f.value));
      }
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      PricedRecord pr;
      COSTOPS_RETURN_IF_ERROR(read_row(s, &pr));
      COSTOPS_RETURN_IF_ERROR(fn(pr));
    }
    if (rc != SQLITE_DONE) return io_error(sqlite_error(db_.get(), "scan"));
    return Status::ok();
  }

 private:
  Status write_in_transaction(std::span<const PricedRecord> records) {
    WriteStats stats;
    std::map<RollupKey, RollupValue> rollup;
    std::string key, tags, detail;
    for (const auto& pr : records) {
      const UsageRecord& r = pr.usage;
      int64_t ids[kDimKinds];
      const std::string* values[] = {&r.provider, &r.model, &r.organization_id, &r.project_id,
                                     &r.user_id};
      for (int k = 0; k < kDimProvider + 5; ++k) {
        auto id = dim_id(k, *values[k]);
        if (!id) return id.status();
        ids[k] = *id;
      }
      std::string_view currency =
          pr.cost ? pr.cost->total_cost.currency.code() : std::string_view();
      auto cur = dim_id(kDimCurrency, currency);
      if (!cur) return cur.status();
      ids[kDimCurrency] = *cur;
      key = record_key(r);
      const uint64_t hi = fnv1a(key, 0xcbf29ce484222325ULL), lo = fnv1a(key, 0x84222325cbf29ce4ULL);
      tags = tags_json(r);
      detail = detail_json(pr);
      int64_t e6 = 0, e15 = 0, e24 = 0;
      if (pr.cost) split_money(pr.cost->total_cost.amount, &e6, &e15, &e24);
      const int64_t ts = r.timestamp.time_since_epoch().count();
      sqlite3_stmt* s = insert_.get();
      sqlite3_reset(s);
      int i = 1;
      sqlite3_bind_int64(s, i++, static_cast<int64_t>(hi));
      sqlite3_bind_int64(s, i++, static_cast<int64_t>(lo));
      sqlite3_bind_int64(s, i++, ts);
      for (int k = 0; k < kDimKinds - 1; ++k) sqlite3_bind_int64(s, i++, ids[k]);
      sqlite3_bind_int64(s, i++, r.usage.get(units::kInputTokens));
      sqlite3_bind_int64(s, i++, r.usage.get(units::kOutputTokens));
      sqlite3_bind_int(s, i++, pr.cost ? 1 : 0);
      sqlite3_bind_int64(s, i++, ids[kDimCurrency]);
      sqlite3_bind_int64(s, i++, e6);
      sqlite3_bind_int64(s, i++, e15);
      sqlite3_bind_int64(s, i++, e24);
      sqlite3_bind_text(s, i++, tags.data(), static_cast<int>(tags.size()), SQLITE_STATIC);
      sqlite3_bind_text(s, i++, detail.data(), static_cast<int>(detail.size()), SQLITE_STATIC);
      if (sqlite3_step(s) != SQLITE_DONE)
        return io_error(sqlite_error(db_.get(), url_ + ": insert"));
      if (sqlite3_changes(db_.get()) != 1) {
        ++stats.duplicates;
        continue;
      }
      ++stats.stored;
      stats.unpriced += pr.cost ? 0 : 1;
      const int64_t day = ts >= 0 ? ts / kUsPerDay : (ts - kUsPerDay + 1) / kUsPerDay;
      RollupValue& v = rollup[{day, ids[kDimProvider], ids[kDimModel], ids[kDimOrganization],
                               ids[kDimProject], ids[kDimCurrency]}];
      ++v.records;
      v.unpriced += pr.cost ? 0 : 1;
      v.input_tokens += r.usage.get(units::kInputTokens);
      v.output_tokens += r.usage.get(units::kOutputTokens);
      v.e6 += e6;
      v.e15 += e15;
      v.e24 += e24;
    }
    for (const auto& [k, v] : rollup) {
      sqlite3_stmt* s = upsert_rollup_.get();
      sqlite3_reset(s);
      const int64_t vals[] = {k.day,      k.provider, k.model,    k.organization, k.project,
                              k.currency, v.records,  v.unpriced, v.input_tokens, v.output_tokens,
                              v.e6,       v.e15,      v.e24};
      for (int i = 0; i < 13; ++i) sqlite3_bind_int64(s, i + 1, vals[i]);
      if (sqlite3_step(s) != SQLITE_DONE)
        return io_error(sqlite_error(db_.get(), url_ + ": daily totals"));
    }
    last_write_ = stats;
    return Status::ok();
  }

  Result<int64_t> dim_id(int kind, std::string_view value) {
    auto& m = dim_ids_[kind];
    auto it = m.find(std::string(value));
    if (it != m.end()) return it->second;
    sqlite3_stmt* s = insert_dim_.get();
    sqlite3_reset(s);
    sqlite3_bind_int(s, 1, kind);
    // An empty string_view may have a null data(), which SQLite binds as NULL.
    sqlite3_bind_text(s, 2, value.empty() ? "" : value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE)
      return io_error(sqlite_error(db_.get(), url_ + ": dimension"));
    const int64_t id = sqlite3_last_insert_rowid(db_.get());
    m.emplace(std::string(value), id);
    dim_values_[id] = std::string(value);
    return id;
  }

  std::string dim_value(int64_t id) const {
    auto it = dim_values_.find(id);
    return it == dim_values_.end() ? std::string() : it->second;
  }

  Status read_row(sqlite3_stmt* s, PricedRecord* pr) {
    UsageRecord& r = pr->usage;
    r.timestamp = Timestamp{std::chrono::microseconds{sqlite3_column_int64(s, 0)}};
    r.has_timestamp = true;
    r.provider = dim_value(sqlite3_column_int64(s, 1));
    r.model = dim_value(sqlite3_column_int64(s, 2));
    r.organization_id = dim_value(sqlite3_column_int64(s, 3));
    r.project_id = dim_value(sqlite3_column_int64(s, 4));
    r.user_id = dim_value(sqlite3_column_int64(s, 5));
    const bool priced = sqlite3_column_int(s, 6) != 0;
    const std::string currency = dim_value(sqlite3_column_int64(s, 7));
    const auto tags = json::parse(column_text(s, 11), nullptr, false);
    const auto d = json::parse(column_text(s, 12), nullptr, false);
    if (!tags.is_object() || !d.is_object()) return io_error(url_ + ": corrupt stored record");
    for (const auto& [k, v] : tags.items())
      r.tags.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    r.id = d.value("id", "");
    r.api_flavor = d.value("api_flavor", "");
    r.service_tier = d.value("service_tier", "");
    r.batch = d.value("batch", false);
    if (d.contains("metadata")) r.metadata_json = d["metadata"].dump();
    r.source = d.value("source", "");
    const json usage =
        d.value("usage", json::object());  // a named copy: items() must not outlive it
    for (const auto& [k, v] : usage.items()) {
      const auto u = unit_by_usage_key(k);
      if (!u || !v.is_number_integer())
        return io_error(url_ + ": corrupt stored usage of record " + r.id);
      r.usage.set(*u, v.get<int64_t>());
    }
    if (!priced) {
      pr->unpriced_reason = d.value("unpriced_reason", "");
      return Status::ok();
    }
    auto cur = Currency::parse(currency);
    if (!cur) return cur.status();
    CostRecord c;
    c.usage_id = r.id;
    c.provider = r.provider;
    c.model = d.value("model_id", "");
    for (auto [name, money] : {std::pair{"input_cost", &c.input_cost},
                               {"output_cost", &c.output_cost},
                               {"total_cost", &c.total_cost}}) {
      auto v = Decimal::parse(d.value(name, ""));
      if (!v) return v.status().with_context(url_ + ": stored record " + r.id);
      *money = Money{*v, *cur};
    }
    c.price_version = d.value("price_version", "");
    c.catalog_entry = d.value("catalog_entry", "");
    const json warnings = d.value("warnings", json::array());
    for (const auto& w : warnings) c.warnings.push_back(w.get<std::string>());
    c.timestamp = r.timestamp;
    pr->cost = std::move(c);
    return Status::ok();
  }

  Result<Stmt> prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      return io_error(sqlite_error(db_.get(), url_ + ": prepare"));
    return Stmt(s);
  }

  Status exec(const char* sql) { return exec_on(db_.get(), sql, url_); }

  Db db_;
  std::string url_;
  Stmt insert_, insert_dim_, upsert_rollup_;
  std::unordered_map<std::string, int64_t> dim_ids_[kDimKinds];
  std::unordered_map<int64_t, std::string> dim_values_;
  WriteStats last_write_;
};

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK)
    return io_error(path +
                    ": cannot open database: " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  sqlite3_busy_timeout(db.get(), 10000);
  COSTOPS_RETURN_IF_ERROR(
      exec_on(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", path));
  int version = 0;
  {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db.get(), "PRAGMA user_version", -1, &s, nullptr) != SQLITE_OK)
      return io_error(path + ": not a cost-ops database (" + sqlite3_errmsg(db.get()) + ")");
    Stmt guard(s);
    if (sqlite3_step(s) == SQLITE_ROW) version = sqlite3_column_int(s, 0);
  }
  if (version > kSchemaVersion)
    return Status(StatusCode::kUnsupported,
                  path + ": database schema version " + std::to_string(version) +
                      " is newer than this cost-ops (up to " + std::to_string(kSchemaVersion) +
                      "); upgrade cost-ops");
  for (int v = version; v < kSchemaVersion; ++v) {
    const std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[v] +
                            "PRAGMA user_version = " + std::to_string(v + 1) + "; COMMIT;";
    if (Status st = exec_on(db.get(), sql, path + ": migration to schema " + std::to_string(v + 1));
        !st.is_ok()) {
      (void)exec_on(db.get(), "ROLLBACK", path);
      return st;
    }
  }
  auto store = std::make_unique<SqliteStore>(std::move(db), path);
  COSTOPS_RETURN_IF_ERROR(store->load_dims());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

std::string record_key(const UsageRecord& r) {
  if (!r.id.empty()) return "id:" + r.id;
  std::string c;
  c.reserve(256);
  append_timestamp(c, r.timestamp);
  for (const std::string* f : {&r.provider, &r.model, &r.api_flavor, &r.service_tier,
                               &r.organization_id, &r.project_id, &r.user_id, &r.metadata_json}) {
    c += '\x1f';
    c += *f;
  }
  c += r.batch ? "\x1f"
                 "1"
               : "\x1f"
                 "0";
  c += '\x1f';
  c += tags_json(r);
  c += '\x1f';
  append_usage_json(c, r.usage);
  char buf[40];
  std::snprintf(buf, sizeof buf, "hash:%016llx%016llx",
                static_cast<unsigned long long>(fnv1a(c, 0xcbf29ce484222325ULL)),
                static_cast<unsigned long long>(fnv1a(c, 0x84222325cbf29ce4ULL)));
  return buf;
}

std::string Store::default_url() {
  if (const char* e = std::getenv("COSTOPS_DB"); e != nullptr && *e != '\0') return e;
  std::string base;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x != nullptr && *x != '\0') {
    base = x;
  } else if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    base = std::string(h) + "/.local/share";
  } else {
    base = ".";
  }
  return base + "/cost-ops/costops.db";
}

Result<std::unique_ptr<Store>> Store::open(std::string_view url) {
  std::string u(url);
  if (u.starts_with("sqlite://")) return open_sqlite(u.substr(9));
  if (u.starts_with("sqlite:")) return open_sqlite(u.substr(7));
  if (u.find("://") != std::string::npos)
    return invalid_argument("database URL \"" + u +
                            "\": unknown scheme; use a file path or sqlite:PATH");
  return open_sqlite(u);
}

}  // namespace costops::storage
