// SQLite store: WAL, one transaction per batch, prepared statements, money as exact text plus
// three integer parts (10^-6, 10^-15, 10^-24) that SQL can sum without rounding.
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "costops/domain/json_text.h"
#include "costops/storage/store.h"

namespace costops::storage {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

constexpr const char* kMigrations[] = {
    // 1: records (usage and cost in one row), custom prices, budgets.
    R"sql(
CREATE TABLE usage_records (
  key TEXT PRIMARY KEY,
  id TEXT,
  ts INTEGER NOT NULL,               -- microseconds since 1970-01-01 UTC
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  api_flavor TEXT NOT NULL DEFAULT '',
  service_tier TEXT NOT NULL DEFAULT '',
  batch INTEGER NOT NULL DEFAULT 0,
  organization_id TEXT NOT NULL DEFAULT '',
  project_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '{}',   -- JSON object
  metadata TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  usage TEXT NOT NULL,               -- canonical usage JSON
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  priced INTEGER NOT NULL,           -- 0: unpriced (see unpriced_reason), never $0
  unpriced_reason TEXT NOT NULL DEFAULT '',
  model_id TEXT NOT NULL DEFAULT '', -- matched catalog model
  currency TEXT NOT NULL DEFAULT '',
  input_cost TEXT NOT NULL DEFAULT '',
  output_cost TEXT NOT NULL DEFAULT '',
  total_cost TEXT NOT NULL DEFAULT '',
  total_e6 INTEGER NOT NULL DEFAULT 0,   -- total_cost = e6*10^-6 + e15*10^-15 + e24*10^-24
  total_e15 INTEGER NOT NULL DEFAULT 0,
  total_e24 INTEGER NOT NULL DEFAULT 0,
  price_version TEXT NOT NULL DEFAULT '',
  catalog_entry TEXT NOT NULL DEFAULT '',
  warnings TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX usage_records_ts ON usage_records(ts);
CREATE INDEX usage_records_model_ts ON usage_records(provider, model, ts);
CREATE INDEX usage_records_project_ts ON usage_records(project_id, ts);
CREATE INDEX usage_records_unpriced ON usage_records(priced) WHERE priced = 0;
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

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : "";
}

class SqliteStore final : public Store {
 public:
  SqliteStore(Db db, std::string url, int version)
      : db_(std::move(db)), url_(std::move(url)), version_(version) {}

  std::string url() const override { return url_; }
  int schema_version() const override { return version_; }

  Result<WriteStats> write(std::span<const PricedRecord> records) override {
    if (!insert_) {
      auto st = prepare(
          R"sql(INSERT OR IGNORE INTO usage_records (key, id, ts, provider, model, api_flavor,
        service_tier, batch, organization_id, project_id, user_id, tags, metadata, source, usage, input_tokens,
        output_tokens, priced, unpriced_reason, model_id, currency, input_cost, output_cost, total_cost, total_e6,
        total_e15, total_e24, price_version, catalog_entry, warnings)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?))sql");
      if (!st) return st.status();
      insert_ = std::move(*st);
    }
    COSTOPS_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    WriteStats stats;
    std::string usage_json, key, tags;
    for (const auto& pr : records) {
      const UsageRecord& r = pr.usage;
      sqlite3_stmt* s = insert_.get();
      sqlite3_reset(s);
      key = record_key(r);
      usage_json.clear();
      append_usage_json(usage_json, r.usage);
      tags = tags_json(r);
      int i = 1;
      auto text = [&](std::string_view v) {
        sqlite3_bind_text(s, i++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      };
      auto integer = [&](int64_t v) { sqlite3_bind_int64(s, i++, v); };
      text(key);
      text(r.id);
      integer(r.timestamp.time_since_epoch().count());
      text(r.provider);
      text(r.model);
      text(r.api_flavor);
      text(r.service_tier);
      integer(r.batch ? 1 : 0);
      text(r.organization_id);
      text(r.project_id);
      text(r.user_id);
      text(tags);
      text(r.metadata_json);
      text(r.source);
      text(usage_json);
      integer(r.usage.get(units::kInputTokens));
      integer(r.usage.get(units::kOutputTokens));
      if (pr.cost) {
        const CostRecord& c = *pr.cost;
        int64_t e6, e15, e24;
        split_money(c.total_cost.amount, &e6, &e15, &e24);
        std::string warnings;
        for (const auto& w : c.warnings) warnings += (warnings.empty() ? "" : "\n") + w;
        integer(1);
        text("");
        text(c.model);
        text(c.total_cost.currency.code());
        text(c.input_cost.amount.to_string());
        text(c.output_cost.amount.to_string());
        text(c.total_cost.amount.to_string());
        integer(e6);
        integer(e15);
        integer(e24);
        text(c.price_version);
        text(c.catalog_entry);
        text(warnings);
      } else {
        integer(0);
        text(pr.unpriced_reason);
        for (int k = 0; k < 5; ++k) text("");
        for (int k = 0; k < 3; ++k) integer(0);
        for (int k = 0; k < 3; ++k) text("");
      }
      if (sqlite3_step(s) != SQLITE_DONE) {
        Status err = io_error(sqlite_error(db_.get(), "insert"));
        (void)exec("ROLLBACK");
        return err;
      }
      if (sqlite3_changes(db_.get()) == 1) {
        ++stats.stored;
        stats.unpriced += pr.cost ? 0 : 1;
      } else {
        ++stats.duplicates;
      }
    }
    COSTOPS_RETURN_IF_ERROR(exec("COMMIT"));
    return stats;
  }

  Result<std::vector<AggregateRow>> aggregate(const AggregateQuery& q) override {
    // Dimensions and tags group in SQL; time buckets group by UTC hour or day in SQL and fold into
    // weeks and months here, which keeps ISO weeks exact on any SQLite version.
    bool need_hour = false, need_day = false;
    for (const auto& k : q.group_by) {
      need_hour |= k.kind == GroupKey::Kind::kHour;
      need_day |= k.kind == GroupKey::Kind::kDay || k.kind == GroupKey::Kind::kWeek ||
                  k.kind == GroupKey::Kind::kMonth;
    }
    std::string select, group;
    std::vector<std::string> params;
    // GROUP BY refers to result columns by position: an expression with a parameter would need it
    // bound twice.
    int ncols = 0;
    auto add_col = [&](const std::string& expr) {
      select += expr + ", ";
      group += (group.empty() ? "" : ", ") + std::to_string(++ncols);
    };
    for (const auto& k : q.group_by) {
      if (k.kind >= GroupKey::Kind::kHour) continue;
      if (k.kind == GroupKey::Kind::kTag) {
        add_col("COALESCE(json_extract(tags, ?), '')");
        params.push_back("$.\"" + k.tag + "\"");
      } else {
        add_col(column(k.kind));
      }
    }
    const std::string bucket = need_hour ? "(ts / 3600000000)" : "(ts / 86400000000)";
    if (need_hour || need_day) add_col(bucket);
    std::string where;
    std::vector<std::string> where_params;
    COSTOPS_RETURN_IF_ERROR(where_clause(q, &where, &where_params));
    const std::string sql = "SELECT " + select +
                            "currency, COUNT(*), SUM(priced = 0), SUM(input_tokens), "
                            "SUM(output_tokens), SUM(total_e6), "
                            "SUM(total_e15), SUM(total_e24) FROM usage_records" +
                            where + " GROUP BY " + (group.empty() ? std::string() : group + ", ") +
                            std::to_string(ncols + 1);
    auto st = prepare(sql);
    if (!st) return st.status();
    sqlite3_stmt* s = st->get();
    int bi = 1;
    for (const auto& p : params) sqlite3_bind_text(s, bi++, p.c_str(), -1, SQLITE_TRANSIENT);
    COSTOPS_RETURN_IF_ERROR(bind_where(s, &bi, q, where_params));
    std::map<std::vector<std::string>, AggregateRow> rows;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      int c = 0;
      std::vector<std::string> sql_keys;
      for (const auto& k : q.group_by)
        if (k.kind < GroupKey::Kind::kHour) sql_keys.push_back(column_text(s, c++));
      Timestamp bucket_start{};
      if (need_hour || need_day) {
        const int64_t b = sqlite3_column_int64(s, c++);
        bucket_start =
            Timestamp{std::chrono::microseconds{b * (need_hour ? 3600000000LL : 86400000000LL)}};
      }
      std::vector<std::string> keys;
      size_t si = 0;
      for (const auto& k : q.group_by)
        keys.push_back(k.kind < GroupKey::Kind::kHour ? sql_keys[si++]
                                                      : bucket_label(k.kind, bucket_start));
      const std::string currency = column_text(s, c++);
      AggregateRow& row = rows[keys];
      row.keys = keys;
      row.records += static_cast<uint64_t>(sqlite3_column_int64(s, c++));
      row.unpriced += static_cast<uint64_t>(sqlite3_column_int64(s, c++));
      row.input_tokens += sqlite3_column_int64(s, c++);
      row.output_tokens += sqlite3_column_int64(s, c++);
      if (!currency.empty()) {
        const int128 k9 = 1'000'000'000;
        const int128 raw = static_cast<int128>(sqlite3_column_int64(s, c)) * k9 * k9 +
                           static_cast<int128>(sqlite3_column_int64(s, c + 1)) * k9 +
                           sqlite3_column_int64(s, c + 2);
        Decimal& sum = row.cost[currency];
        if (!Decimal::add_checked(sum, Decimal::from_raw(raw), &sum))
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
    std::string where;
    std::vector<std::string> where_params;
    COSTOPS_RETURN_IF_ERROR(where_clause(q, &where, &where_params));
    auto st = prepare(
        "SELECT id, ts, provider, model, api_flavor, service_tier, batch, organization_id, "
        "project_id, "
        "user_id, tags, metadata, source, usage, priced, unpriced_reason, model_id, currency, "
        "input_cost, "
        "output_cost, total_cost, price_version, catalog_entry FROM usage_records" +
        where + " ORDER BY ts, key");
    if (!st) return st.status();
    sqlite3_stmt* s = st->get();
    int bi = 1;
    COSTOPS_RETURN_IF_ERROR(bind_where(s, &bi, q, where_params));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      PricedRecord pr;
      UsageRecord& r = pr.usage;
      r.id = column_text(s, 0);
      r.timestamp = Timestamp{std::chrono::microseconds{sqlite3_column_int64(s, 1)}};
      r.has_timestamp = true;
      r.provider = column_text(s, 2);
      r.model = column_text(s, 3);
      r.api_flavor = column_text(s, 4);
      r.service_tier = column_text(s, 5);
      r.batch = sqlite3_column_int(s, 6) != 0;
      r.organization_id = column_text(s, 7);
      r.project_id = column_text(s, 8);
      r.user_id = column_text(s, 9);
      r.metadata_json = column_text(s, 11);
      r.source = column_text(s, 12);
      // Tags and usage were written by this store as flat JSON objects.
      const auto tags = nlohmann::json::parse(column_text(s, 10), nullptr, false);
      const auto usage = nlohmann::json::parse(column_text(s, 13), nullptr, false);
      if (!tags.is_object() || !usage.is_object())
        return io_error(url_ + ": corrupt stored record " + r.id);
      for (const auto& [k, v] : tags.items())
        r.tags.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
      for (const auto& [k, v] : usage.items()) {
        const auto u = unit_by_usage_key(k);
        if (!u || !v.is_number_integer())
          return io_error(url_ + ": corrupt stored usage of record " + r.id);
        r.usage.set(*u, v.get<int64_t>());
      }
      if (sqlite3_column_int(s, 14) != 0) {
        CostRecord c;
        c.usage_id = r.id;
        c.provider = r.provider;
        c.model = column_text(s, 16);
        auto cur = Currency::parse(column_text(s, 17));
        if (!cur) return cur.status();
        for (auto [col, money] :
             {std::pair{18, &c.input_cost}, {19, &c.output_cost}, {20, &c.total_cost}}) {
          auto d = Decimal::parse(column_text(s, col));
          if (!d) return d.status().with_context("stored record " + r.id);
          *money = Money{*d, *cur};
        }
        c.price_version = column_text(s, 21);
        c.catalog_entry = column_text(s, 22);
        c.timestamp = r.timestamp;
        pr.cost = std::move(c);
      } else {
        pr.unpriced_reason = column_text(s, 15);
      }
      COSTOPS_RETURN_IF_ERROR(fn(pr));
    }
    if (rc != SQLITE_DONE) return io_error(sqlite_error(db_.get(), "scan"));
    return Status::ok();
  }

 private:
  static std::string column(GroupKey::Kind k) {
    switch (k) {
      case GroupKey::Kind::kProvider:
        return "provider";
      case GroupKey::Kind::kModel:
        return "model";
      case GroupKey::Kind::kOrganization:
        return "organization_id";
      case GroupKey::Kind::kProject:
        return "project_id";
      case GroupKey::Kind::kUser:
        return "user_id";
      default:
        return "''";
    }
  }

  // " WHERE ..." for the query's period and filters; tag paths go to *params in order.
  Status where_clause(const AggregateQuery& q, std::string* out, std::vector<std::string>* params) {
    std::vector<std::string> conds;
    if (q.from) conds.push_back("ts >= ?");
    if (q.to) conds.push_back("ts < ?");
    for (const auto& f : q.filters) {
      if (f.key.kind == GroupKey::Kind::kTag) {
        conds.push_back("COALESCE(json_extract(tags, ?), '') = ?");
        params->push_back("$.\"" + f.key.tag + "\"");
      } else {
        conds.push_back(column(f.key.kind) + " = ?");
      }
    }
    out->clear();
    for (size_t i = 0; i < conds.size(); ++i) *out += (i == 0 ? " WHERE " : " AND ") + conds[i];
    return Status::ok();
  }

  Status bind_where(sqlite3_stmt* s, int* bi, const AggregateQuery& q,
                    const std::vector<std::string>& params) {
    if (q.from) sqlite3_bind_int64(s, (*bi)++, q.from->time_since_epoch().count());
    if (q.to) sqlite3_bind_int64(s, (*bi)++, q.to->time_since_epoch().count());
    size_t pi = 0;
    for (const auto& f : q.filters) {
      if (f.key.kind == GroupKey::Kind::kTag)
        sqlite3_bind_text(s, (*bi)++, params[pi++].c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(s, (*bi)++, f.value.c_str(), -1, SQLITE_TRANSIENT);
    }
    return Status::ok();
  }

  Result<Stmt> prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      return io_error(sqlite_error(db_.get(), "prepare"));
    return Stmt(s);
  }

  Status exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      return io_error(url_ + ": " + m);
    }
    return Status::ok();
  }

  Db db_;
  std::string url_;
  int version_;
  Stmt insert_;
};

Status exec_on(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return io_error(what + ": " + m);
  }
  return Status::ok();
}

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
      exec_on(db.get(),
              "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", path));
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
  return std::unique_ptr<Store>(new SqliteStore(std::move(db), path, kSchemaVersion));
}

// 64-bit FNV-1a; two seeds give a 128-bit content key.
uint64_t fnv1a(std::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
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
