// SQLite store. Schema built for speed at scale:
// - usage_records is narrow: integer dimension ids (dims), token counts, the cost as integer parts
//   that SQL sums exactly (10^-6, 10^-15, 10^-24), tags, and the rest of the record as one JSON
//   `detail` column. Records are keyed by a 128-bit hash of their key (unique index).
// - daily_totals holds per-day totals by provider, model, organization, project and currency,
//   updated in the same transaction as the records; aggregations that only need those answer from
//   it (summary over millions of records reads thousands of rows).
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "costops/storage/store.h"
#include "storage/sql_common.h"
#include "util/text.h"

namespace costops::storage {
namespace {

using namespace detail;

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

std::string sqlite_error(sqlite3* db, std::string_view what) {
  // A daily total whose sum overflowed is NULL (Dialect::add_to_totals), which NOT NULL refuses.
  if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_NOTNULL &&
      std::string_view(sqlite3_errmsg(db)).find("daily_totals.") != std::string_view::npos)
    return std::string(what) + ": a day's counts overflow its daily totals";
  return std::string(what) + ": " + sqlite3_errmsg(db);
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

struct RollupKey {
  int64_t day, provider, model, organization, project, currency;
  auto operator<=>(const RollupKey&) const = default;
};
struct RollupValue {
  int64_t records = 0, unpriced = 0, input_tokens = 0, output_tokens = 0, e6 = 0, e15 = 0, e24 = 0,
          requests = 0, cache_read_tokens = 0, cache_write_tokens = 0, reasoning_tokens = 0;
};

ResultRow row_reader(sqlite3_stmt* s) {
  return {[s](int i) { return static_cast<int64_t>(sqlite3_column_int64(s, i)); },
          [s](int i) { return column_text(s, i); }};
}

class SqliteStore final : public Store {
 public:
  SqliteStore(Db db, std::string url) : db_(std::move(db)), url_(std::move(url)) {}

  Status load_dims() { return dims_.load(runner()); }

  std::string url() const override { return url_; }
  int schema_version() const override { return kSchemaVersion; }

  using Store::write;
  Result<WriteStats> write(const EncodedRecords& records) override {
    if (!insert_) {
      const std::string insert =
          "INTO usage_records (key_hi, key_lo, ts, provider, model, organization, project, "
          "user_id, input_tokens, output_tokens, priced, currency, cost_e6, cost_e15, cost_e24, "
          "tags, detail, key_day, requests, cache_read_tokens, cache_write_tokens, "
          "reasoning_tokens) VALUES ";
      const std::string values = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
      std::string many = "INSERT " + insert;
      for (int j = 0; j < kRowsPerInsert; ++j) many += (j ? "," : "") + values;
      auto a = prepare("INSERT OR IGNORE " + insert + values);
      auto m = prepare(many);
      if (!m) return m.status();
      insert_many_ = std::move(*m);
      std::string params;
      for (int i = 0; i < kTotalsColumnCount; ++i) params += i ? ",?" : "?";
      auto c = prepare(std::string("INSERT INTO daily_totals (") + kTotalsColumns + ") VALUES (" +
                       params + ")" + Dialect{}.add_to_totals());
      if (!a) return a.status();
      if (!c) return c.status();
      insert_ = std::move(*a);
      upsert_rollup_ = std::move(*c);
    }
    COSTOPS_RETURN_IF_ERROR(transaction([&] { return write_in_transaction(records); }, true));
    return last_write_;
  }

  Result<std::vector<AggregateRow>> aggregate(const AggregateQuery& q) override {
    COSTOPS_RETURN_IF_ERROR(dims_.refresh(runner()));
    const AggregatePlan plan = plan_aggregate(q, Dialect{}, dims_.lookup());
    std::map<std::vector<std::string>, AggregateRow> rows;
    if (!plan.impossible) {
      auto st = prepare(plan.query.sql);
      if (!st) return st.status();
      bind(st->get(), plan.query.params);
      int rc;
      const ResultRow reader = row_reader(st->get());
      std::optional<GroupSums> sums;
      if (plan.per_record) sums.emplace(q, plan);
      while ((rc = sqlite3_step(st->get())) == SQLITE_ROW)
        COSTOPS_RETURN_IF_ERROR(sums ? sums->add(reader)
                                     : fold_row(q, plan, reader, dims_.names(), &rows));
      if (rc != SQLITE_DONE) return io_error(sqlite_error(db_.get(), url_ + ": aggregate"));
      if (sums) COSTOPS_RETURN_IF_ERROR(sums->fold(q, plan, dims_.names(), &rows));
    }
    std::vector<AggregateRow> out;
    out.reserve(rows.size());
    for (auto& [k, row] : rows) out.push_back(std::move(row));
    return out;
  }

  Status scan(const AggregateQuery& q,
              const std::function<Status(const PricedRecord&)>& fn) override {
    COSTOPS_RETURN_IF_ERROR(dims_.refresh(runner()));
    const auto query = plan_scan(q, Dialect{}, dims_.lookup());
    if (!query) return Status::ok();
    auto st = prepare(query->sql);
    if (!st) return st.status();
    bind(st->get(), query->params);
    const ResultRow reader = row_reader(st->get());
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      PricedRecord pr;
      COSTOPS_RETURN_IF_ERROR(read_scanned(reader, dims_.names(), &pr).with_context(url_));
      COSTOPS_RETURN_IF_ERROR(fn(pr));
    }
    if (rc != SQLITE_DONE) return io_error(sqlite_error(db_.get(), url_ + ": scan"));
    return Status::ok();
  }

  Result<uint64_t> delete_records(const AggregateQuery& q) override {
    COSTOPS_RETURN_IF_ERROR(dims_.refresh(runner()));
    // The statement journal on file, as migrations keep it: in memory it would hold a copy of
    // every page the delete changes (285 MB for 900,000 records).
    COSTOPS_RETURN_IF_ERROR(exec("PRAGMA temp_store=FILE"));
    auto n =
        transaction([&] { return detail::delete_records(q, Dialect{}, dims_.lookup(), runner()); });
    COSTOPS_RETURN_IF_ERROR(exec("PRAGMA temp_store=MEMORY"));
    return n;
  }

  Status put_custom_prices(std::span<const CustomPrice> prices) override {
    return transaction([&] { return upsert_custom_prices(Dialect{}, runner(), prices); });
  }

  Result<std::vector<PricedRecord>> records_at(std::span<const Timestamp> times,
                                               std::string_view id_prefix) override {
    COSTOPS_RETURN_IF_ERROR(dims_.refresh(runner()));
    return detail::records_at(Dialect{}, runner(), dims_.names(), times, id_prefix);
  }

  Result<uint64_t> delete_stored(std::span<const PricedRecord> records) override {
    return transaction([&] { return detail::delete_stored(Dialect{}, runner(), records); });
  }

  Result<std::vector<CustomPrice>> custom_prices() override {
    return list_custom_prices(Dialect{}, runner());
  }

  Result<bool> remove_custom_price(const std::string& provider,
                                   const std::string& model_id) override {
    COSTOPS_RETURN_IF_ERROR(run(custom_price_sql(Dialect{}).remove,
                                {SqlParam(provider), SqlParam(model_id)}, [](const ResultRow&) {}));
    return sqlite3_changes(db_.get()) > 0;
  }

  Result<uint64_t> update_costs(std::span<const PricedRecord> records) override {
    const SqlRunner sql_runner{runner(), add_dim()};
    return transaction([&] { return detail::update_costs(Dialect{}, sql_runner, records); }, true);
  }

  Status put_budget(const Budget& budget) override {
    COSTOPS_RETURN_IF_ERROR(check_budget_name(budget.name));
    return run(budget_sql(Dialect{}).upsert, budget_params(budget), [](const ResultRow&) {});
  }

  Result<std::vector<Budget>> budgets() override {
    auto list = list_budgets(Dialect{}, runner());
    if (!list) return list.status().with_context(url_);
    return list;
  }

  Result<bool> remove_budget(const std::string& name) override {
    COSTOPS_RETURN_IF_ERROR(
        run(budget_sql(Dialect{}).remove, {SqlParam(name)}, [](const ResultRow&) {}));
    return sqlite3_changes(db_.get()) > 0;
  }

  Status put_discount(const Discount& discount) override {
    return upsert_discount(Dialect{}, runner(), discount);
  }

  Result<std::vector<Discount>> discounts() override {
    auto list = list_discounts(runner());
    if (!list) return list.status().with_context(url_);
    return list;
  }

  Result<bool> remove_discount(const std::string& name) override {
    COSTOPS_RETURN_IF_ERROR(
        run(remove_discount_sql(Dialect{}), {SqlParam(name)}, [](const ResultRow&) {}));
    return sqlite3_changes(db_.get()) > 0;
  }

 private:
  // run() as a RunSql, for the code both stores share.
  RunSql runner() {
    return [this](const std::string& sql, const std::vector<SqlParam>& params,
                  const std::function<void(const ResultRow&)>& on_row) {
      return run(sql, params, on_row);
    };
  }

  // Runs one statement, calling on_row for each result row.
  Status run(const std::string& sql, const std::vector<SqlParam>& params,
             const std::function<void(const ResultRow&)>& on_row) {
    auto st = prepare(sql);
    if (!st) return st.status();
    bind(st->get(), params);
    const ResultRow reader = row_reader(st->get());
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) on_row(reader);
    if (rc != SQLITE_DONE) return io_error(sqlite_error(db_.get(), url_));
    return Status::ok();
  }

  static void bind(sqlite3_stmt* s, const std::vector<SqlParam>& params) {
    int i = 1;
    for (const auto& p : params) {
      if (p.is_text) {
        sqlite3_bind_text(s, i++, p.s.c_str(), static_cast<int>(p.s.size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_int64(s, i++, p.i);
      }
    }
  }

  // Binds one row's 22 columns from parameter `first` on.
  static void bind_row(sqlite3_stmt* s, int first, const Row& row, const int64_t* dims) {
    int i = first;
    for (int64_t v : {row.key_hi, row.key_lo, row.ts, dims[kDimProvider], dims[kDimModel],
                      dims[kDimOrganization], dims[kDimProject], dims[kDimUser], row.input_tokens,
                      row.output_tokens, row.priced, dims[kDimCurrency], row.cost_e6, row.cost_e15,
                      row.cost_e24})
      sqlite3_bind_int64(s, i++, v);
    sqlite3_bind_text(s, i++, row.tags.data(), static_cast<int>(row.tags.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, i++, row.detail.data(), static_cast<int>(row.detail.size()),
                      SQLITE_STATIC);
    for (int64_t v : {row.key_day, row.requests, row.cache_read_tokens, row.cache_write_tokens,
                      row.reasoning_tokens})
      sqlite3_bind_int64(s, i++, v);
  }

  // True when no row of the batch can be a duplicate: all have their own timestamps, no two share
  // a key, and nothing is stored yet in the batch's time range (as when new logs are appended).
  // Such a batch is inserted kRowsPerInsert rows a statement, without asking row by row.
  Result<bool> can_append(std::span<const Row> rows) {
    keys_.clear();
    for (const Row& r : rows) {
      if (r.key_day == kNoOwnDay) return false;
      keys_.push_back({r.ts, r.key_hi, r.key_lo});
    }
    std::sort(keys_.begin(), keys_.end());
    if (std::adjacent_find(keys_.begin(), keys_.end()) != keys_.end()) return false;
    bool stored = false;
    COSTOPS_RETURN_IF_ERROR(
        run("SELECT 1 FROM usage_records WHERE ts >= ? AND ts <= ? LIMIT 1",
            {SqlParam(std::get<0>(keys_.front())), SqlParam(std::get<0>(keys_.back()))},
            [&](const ResultRow&) { stored = true; }));
    return !stored;
  }

  Status write_in_transaction(const EncodedRecords& batch) {
    WriteStats stats;
    const auto rows = batch.rows();
    if (rows.empty()) {
      last_write_ = stats;
      return Status::ok();
    }
    // The ids of each row's dimensions in this database.
    dims_of_.resize(rows.size());
    const AddDim add = add_dim();
    for (size_t r = 0; r < rows.size(); ++r)
      COSTOPS_RETURN_IF_ERROR(dims_.ids_of(batch.records()[r], dims_of_[r].data(), add));
    auto append = can_append(rows);
    if (!append) return append.status();
    if (!*append && !random_writes_) {
      COSTOPS_RETURN_IF_ERROR(exec(kRandomWritePragmas));
      random_writes_ = true;
    }
    stored_.assign(rows.size(), 0);
    size_t r = 0;
    if (*append) {
      for (; r + kRowsPerInsert <= rows.size(); r += kRowsPerInsert) {
        sqlite3_stmt* s = insert_many_.get();
        sqlite3_reset(s);
        for (int j = 0; j < kRowsPerInsert; ++j)
          bind_row(s, 1 + j * kColumns, rows[r + j], dims_of_[r + j].data());
        if (sqlite3_step(s) != SQLITE_DONE)
          return io_error(sqlite_error(db_.get(), url_ + ": insert"));
        std::fill_n(stored_.begin() + static_cast<std::ptrdiff_t>(r), kRowsPerInsert, 1);
      }
    }
    // The rest one at a time, in the unique index's order: each goes next to the one before in
    // it rather than to a page at random. Stable, so of two rows with one key the first is kept.
    order_.resize(rows.size() - r);
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = r + i;
    std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
      return std::tie(rows[a].ts, rows[a].key_hi, rows[a].key_lo) <
             std::tie(rows[b].ts, rows[b].key_hi, rows[b].key_lo);
    });
    for (const size_t i : order_) {
      sqlite3_stmt* s = insert_.get();
      sqlite3_reset(s);
      bind_row(s, 1, rows[i], dims_of_[i].data());
      if (sqlite3_step(s) != SQLITE_DONE)
        return io_error(sqlite_error(db_.get(), url_ + ": insert"));
      stored_[i] = sqlite3_changes(db_.get()) == 1;
    }
    std::map<RollupKey, RollupValue> rollup;
    for (r = 0; r < rows.size(); ++r) {
      if (!stored_[r]) {
        ++stats.duplicates;
        continue;
      }
      const Row& row = rows[r];
      const int64_t* dims = dims_of_[r].data();
      ++stats.stored;
      stats.unpriced += row.priced ? 0 : 1;
      RollupValue& v = rollup[{row.day, dims[kDimProvider], dims[kDimModel], dims[kDimOrganization],
                               dims[kDimProject], dims[kDimCurrency]}];
      ++v.records;
      v.unpriced += row.priced ? 0 : 1;
      // Counts are at most 10^15 each (token_count): only a flood of the largest overflows.
      // And costs at most ~1.7e14 each (Decimal): a flood of absurd ones.
      if (__builtin_add_overflow(v.input_tokens, row.input_tokens, &v.input_tokens) ||
          __builtin_add_overflow(v.output_tokens, row.output_tokens, &v.output_tokens) ||
          __builtin_add_overflow(v.requests, row.requests, &v.requests) ||
          __builtin_add_overflow(v.cache_read_tokens, row.cache_read_tokens,
                                 &v.cache_read_tokens) ||
          __builtin_add_overflow(v.cache_write_tokens, row.cache_write_tokens,
                                 &v.cache_write_tokens) ||
          __builtin_add_overflow(v.reasoning_tokens, row.reasoning_tokens, &v.reasoning_tokens) ||
          __builtin_add_overflow(v.e6, row.cost_e6, &v.e6) ||
          __builtin_add_overflow(v.e15, row.cost_e15, &v.e15) ||
          __builtin_add_overflow(v.e24, row.cost_e24, &v.e24))
        return out_of_range(url_ + ": a day's counts overflow its daily totals");
    }
    for (const auto& [k, v] : rollup) {
      sqlite3_stmt* s = upsert_rollup_.get();
      sqlite3_reset(s);
      const int64_t vals[] = {k.day,
                              k.provider,
                              k.model,
                              k.organization,
                              k.project,
                              k.currency,
                              v.records,
                              v.unpriced,
                              v.input_tokens,
                              v.output_tokens,
                              v.e6,
                              v.e15,
                              v.e24,
                              v.requests,
                              v.cache_read_tokens,
                              v.cache_write_tokens,
                              v.reasoning_tokens};
      static_assert(std::size(vals) == kTotalsColumnCount);
      for (int i = 0; i < kTotalsColumnCount; ++i) sqlite3_bind_int64(s, i + 1, vals[i]);
      if (sqlite3_step(s) != SQLITE_DONE)
        return io_error(sqlite_error(db_.get(), url_ + ": daily totals"));
    }
    last_write_ = stats;
    return Status::ok();
  }

  // dim_id as an AddDim, for the code both stores share.
  AddDim add_dim() {
    return [this](int kind, std::string_view v) { return dim_id(kind, v); };
  }

  Result<int64_t> dim_id(int kind, std::string_view value) {
    return dims_.id(kind, value, [&]() -> Result<int64_t> {
      // DO UPDATE (a no-op) so that RETURNING yields the id when another process sharing the
      // file added the value since this one read the table.
      int64_t id = -1;
      COSTOPS_RETURN_IF_ERROR(
          run("INSERT INTO dims (kind, value) VALUES (?, ?) ON CONFLICT (kind, value) DO UPDATE "
              "SET value = excluded.value RETURNING id",
              {SqlParam(static_cast<int64_t>(kind)), SqlParam(std::string(value))},
              [&](const ResultRow& r) { id = r.i64(0); }));
      if (id < 0) return io_error(url_ + ": no id for a new dimension value");
      return id;
    });
  }

  Result<Stmt> prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      return io_error(sqlite_error(db_.get(), url_ + ": prepare"));
    return Stmt(s);
  }

  Status exec(const char* sql) { return exec_on(db_.get(), sql, url_); }
  // `body` in a write transaction (detail::in_transaction); `new_dims` when it may create
  // dimension ids, which a rollback takes away.
  template <typename Body>
  auto transaction(Body&& body, bool new_dims = false) -> decltype(body()) {
    return detail::in_transaction([&](const char* sql) { return exec(sql); }, "BEGIN IMMEDIATE",
                                  body,
                                  [&] {
                                    if (new_dims) (void)load_dims();
                                  });
  }

  Db db_;
  std::string url_;
  // Set once a batch cannot be appended (records out of time order, or already stored ones):
  // a 64 MiB page cache, and a checkpoint every 8,192 pages (128 MiB of log) rather than 1,000.
  // Records in time order append to the unique index; others land on its pages at random, so
  // every batch's commit rewrites most of them. With 16 MiB and 1,000 pages, 1,000,000 records
  // in random order (a 37 MiB index) read its pages back from the file and checkpointed after
  // each commit, copying its pages into the database file each time: 11.3 s, 4.6 s of it in the
  // kernel. With these, 7.1-7.7 s; a checkpoint then writes each page once for several commits.
  // Appending keeps the 16 MiB (more would only hold pages it is done with).
  static constexpr const char* kRandomWritePragmas =
      "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=8192;";
  static constexpr int kColumns = 22;        // of an inserted usage_records row
  static constexpr int kRowsPerInsert = 16;  // rows per statement when appending
  Stmt insert_, insert_many_, upsert_rollup_;
  // Scratch of write(), kept for its capacity.
  std::vector<std::array<int64_t, kDimKinds>> dims_of_;
  std::vector<char> stored_;
  std::vector<size_t> order_;
  std::vector<std::tuple<int64_t, int64_t, int64_t>> keys_;
  DimCache dims_;
  WriteStats last_write_;
  bool random_writes_ = false;  // kRandomWritePragmas applied
};

// Whether the open SQLite file `path` holds a cost-ops database (a schema version set by its
// migrations): kInvalidArgument naming the tables of another program's database; an empty one
// is a new database for kCreate, kNotFound for kExisting. A file that is no SQLite database at
// all is left to the caller's first statement, which says so.
Status check_costops_database(sqlite3* db, const std::string& path, OpenMode mode) {
  auto ask = [&](const char* sql, const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return false;
    Stmt s(raw);
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) row(raw);
    return rc == SQLITE_DONE;
  };
  // Both read in one transaction: another process creating this database commits its tables
  // and its version together.
  if (!exec_on(db, "BEGIN", path).is_ok()) return Status::ok();
  int version = 0;
  std::vector<std::string> tables;
  const bool both =
      ask("PRAGMA user_version", [&](sqlite3_stmt* s) { version = sqlite3_column_int(s, 0); }) &&
      ask("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
          "ORDER BY name",
          [&](sqlite3_stmt* s) { tables.push_back(column_text(s, 0)); });
  (void)exec_on(db, "COMMIT", path);
  if (!both || version > 0) return Status::ok();
  if (tables.empty() && mode == OpenMode::kCreate) return Status::ok();
  if (tables.empty())
    return not_found(path +
                     ": no cost-ops database here (an empty database; cost-ops ingest or "
                     "cost-ops init makes it one; --db or $COSTOPS_DB names another)");
  std::string names;
  for (size_t i = 0; i < tables.size() && i < 5; ++i) names += (i ? ", " : "") + tables[i];
  if (tables.size() > 5) names += ", ... (" + std::to_string(tables.size()) + " in all)";
  return invalid_argument(path + ": not a cost-ops database (another program's: its tables are " +
                          names + "); --db or $COSTOPS_DB names another");
}

// A database a command only reads, on a read-only file system or in a directory this user cannot
// write (a snapshot, a mounted volume), where write-ahead logging cannot make its files: opened
// read-only, as it is, unchanging (its -wal file, if one was left, read too). Null when it cannot
// be opened so.
Db open_read_only(const std::string& path) {
  std::error_code ec;
  const bool wal_left = std::filesystem::file_size(path + "-wal", ec) > 0 && !ec;
  std::string uri = util::sqlite_file_uri(path);
  if (!wal_left) uri += "?immutable=1";
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) db.reset();
  return db;
}

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, OpenMode mode) {
  // SQLite's memory statistics take a global mutex on every allocation; SQLite recommends turning
  // them off. Only possible before SQLite is initialized: a program that already uses SQLite keeps
  // its settings (the call then fails, harmlessly).
  static const bool memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)memstatus_off;
  std::error_code ec;
  if (mode == OpenMode::kExisting && path != ":memory:" && !path.starts_with("file:") &&
      !std::filesystem::exists(path, ec)) {
    return not_found(path +
                     ": no cost-ops database here (cost-ops ingest or cost-ops init "
                     "creates one; --db or $COSTOPS_DB names another)");
  }
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
  constexpr std::chrono::milliseconds kBusyTimeout{10000};
  sqlite3_busy_timeout(db.get(), static_cast<int>(kBusyTimeout.count()));
  if (path != ":memory:" && !path.starts_with("file:")) {
    // Another program's database is refused before anything is written to it: cost-ops' tables
    // (and write-ahead logging) stay out of someone else's file. So is an empty one, by a command
    // that reads, which would read it as no spend.
    COSTOPS_RETURN_IF_ERROR(check_costops_database(db.get(), path, mode));
  }
  // Turning a new file's write-ahead log on takes the file whole, and SQLite says "database is
  // locked" at once, without waiting, while another process does it too: retried for as long
  // as the busy timeout. (Four ingests creating one database at once: one run in five failed.)
  Status setup;
  for (std::chrono::milliseconds waited{0};; waited += std::chrono::milliseconds(20)) {
    setup = exec_on(db.get(),
                    "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA cache_size=-16384;",
                    path);
    if (setup.is_ok() || sqlite3_errcode(db.get()) != SQLITE_BUSY || waited >= kBusyTimeout) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool read_only = false;
  if (!setup.is_ok() && mode == OpenMode::kExisting && path != ":memory:" &&
      !path.starts_with("file:")) {
    if (Db ro = open_read_only(path)) {
      db = std::move(ro);
      setup = exec_on(db.get(), "PRAGMA cache_size=-16384;", path);
      read_only = true;
    }
  }
  COSTOPS_RETURN_IF_ERROR(setup);
  auto user_version = [&]() -> Result<int> {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db.get(), "PRAGMA user_version", -1, &s, nullptr) != SQLITE_OK)
      return io_error(path + ": not a cost-ops database (" + sqlite3_errmsg(db.get()) + ")");
    Stmt guard(s);
    return sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
  };
  auto newer = [&](int version) {
    return Status(StatusCode::kUnsupported,
                  path + ": database schema version " + std::to_string(version) +
                      " is newer than this cost-ops (up to " + std::to_string(kSchemaVersion) +
                      "); upgrade cost-ops");
  };
  auto version = user_version();
  if (!version) return version.status();
  if (*version > kSchemaVersion) return newer(*version);
  if (read_only && *version < kSchemaVersion)
    return Status(StatusCode::kUnsupported,
                  path + ": this database (schema version " + std::to_string(*version) +
                      ") needs a migration to version " + std::to_string(kSchemaVersion) +
                      ", and it is read-only here; open it once where it can be written");
  // Each migration in a write transaction that reads the version again: another process opening
  // the same file may have created or migrated it since (two ingests into one new database at
  // once: the second failed with "table dims already exists").
  while (*version < kSchemaVersion) {
    COSTOPS_RETURN_IF_ERROR(exec_on(db.get(), "BEGIN IMMEDIATE", path));
    version = user_version();
    if (!version || *version >= kSchemaVersion) {
      (void)exec_on(db.get(), "ROLLBACK", path);
      if (!version) return version.status();
      if (*version > kSchemaVersion) return newer(*version);
      break;
    }
    const std::string sql = migration(*version, Dialect{}) +
                            "PRAGMA user_version = " + std::to_string(*version + 1) + "; COMMIT;";
    if (Status st =
            exec_on(db.get(), sql, path + ": migration to schema " + std::to_string(*version + 1));
        !st.is_ok()) {
      (void)exec_on(db.get(), "ROLLBACK", path);
      return st;
    }
    ++*version;
  }
  // Statement journals in memory from here: a migration's UPDATE of every stored record keeps
  // its own in a file (in memory it held a copy of each page it changed: 330 MB for 1M records).
  COSTOPS_RETURN_IF_ERROR(exec_on(db.get(), "PRAGMA temp_store=MEMORY;", path));
  auto store = std::make_unique<SqliteStore>(std::move(db), path);
  COSTOPS_RETURN_IF_ERROR(store->load_dims());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

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

Result<std::unique_ptr<Store>> open_postgres(const std::string& url,
                                             OpenMode mode);  // postgres_store.cc

Result<std::unique_ptr<Store>> Store::open(std::string_view url, OpenMode mode) {
  std::string u(url);
  if (u.starts_with("postgresql://") || u.starts_with("postgres://")) return open_postgres(u, mode);
  if (u.starts_with("sqlite://")) return open_sqlite(u.substr(9), mode);
  if (u.starts_with("sqlite:")) return open_sqlite(u.substr(7), mode);
  if (u.find("://") != std::string::npos)
    return invalid_argument("database URL \"" + u +
                            "\": unknown scheme; use a file path, sqlite:PATH or postgresql://...");
  return open_sqlite(u, mode);
}

}  // namespace costops::storage
