// PostgreSQL store (libpq), for teams that outgrow one machine. The same schema as SQLite in
// PostgreSQL types; batches arrive by COPY into a session staging table and move in one statement
// that inserts new records, skips duplicates and updates daily totals.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>
#include <unordered_map>

#include "costops/storage/store.h"
#include "storage/sql_common.h"

namespace costops::storage {
namespace {

using namespace detail;

struct ConnClose {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnClose>;
using Res = std::unique_ptr<PGresult, ResultClear>;

// Appends `s` escaped for COPY's text format.
void copy_text(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

int64_t to_i64(const char* s) {
  return s == nullptr || *s == '\0' ? 0 : std::strtoll(s, nullptr, 10);
}

class PostgresStore final : public Store {
 public:
  PostgresStore(Conn conn, std::string url) : conn_(std::move(conn)), url_(std::move(url)) {}

  std::string url() const override { return redacted(url_); }
  int schema_version() const override { return kSchemaVersion; }

  Status migrate(OpenMode mode) {
    if (mode == OpenMode::kExisting) COSTOPS_RETURN_IF_ERROR(check_existing());
    COSTOPS_RETURN_IF_ERROR(exec("BEGIN"));
    Status st = [&]() -> Status {
      // One migrator at a time across connections.
      COSTOPS_RETURN_IF_ERROR(exec("SELECT pg_advisory_xact_lock(7261637374)"));
      COSTOPS_RETURN_IF_ERROR(create_schema());
      COSTOPS_RETURN_IF_ERROR(
          exec("CREATE TABLE IF NOT EXISTS costops_schema (version INTEGER NOT NULL)"));
      auto r = query("SELECT version FROM costops_schema", {});
      if (!r) return r.status();
      int version =
          PQntuples(r->get()) > 0 ? static_cast<int>(to_i64(PQgetvalue(r->get(), 0, 0))) : 0;
      if (version == 0) COSTOPS_RETURN_IF_ERROR(check_names_free());
      if (version > kSchemaVersion)
        return Status(StatusCode::kUnsupported,
                      redacted(url_) + ": database schema version " + std::to_string(version) +
                          " is newer than this cost-ops (up to " + std::to_string(kSchemaVersion) +
                          "); upgrade cost-ops");
      for (int v = version; v < kSchemaVersion; ++v)
        COSTOPS_RETURN_IF_ERROR(exec(migration(v, Dialect{true})));
      COSTOPS_RETURN_IF_ERROR(exec("DELETE FROM costops_schema"));
      return exec("INSERT INTO costops_schema VALUES (" +
                  std::to_string(kSchemaVersion > version ? kSchemaVersion : version) + ")");
    }();
    if (!st.is_ok()) {
      (void)exec("ROLLBACK");
      return st;
    }
    COSTOPS_RETURN_IF_ERROR(exec("COMMIT"));
    COSTOPS_RETURN_IF_ERROR(
        exec("CREATE TEMP TABLE IF NOT EXISTS stage (key_hi BIGINT, key_lo BIGINT, ts BIGINT, day "
             "BIGINT, provider BIGINT, "
             "model BIGINT, organization BIGINT, project BIGINT, user_id BIGINT, input_tokens "
             "BIGINT, output_tokens BIGINT, "
             "priced INTEGER, currency BIGINT, cost_e6 BIGINT, cost_e15 BIGINT, cost_e24 BIGINT, "
             "tags TEXT, detail TEXT, key_day BIGINT, requests BIGINT, cache_read_tokens BIGINT, "
             "cache_write_tokens BIGINT, reasoning_tokens BIGINT, seq BIGINT) "
             "ON COMMIT DELETE ROWS"));
    return load_dims();
  }

  using Store::write;
  // Writers on other connections take the same row locks (dimension values, daily totals, the
  // unique index on duplicates), each batch in sorted order so that they queue rather than
  // deadlock; should the server still pick this transaction as a deadlock's (or a serialization
  // failure's) victim, the batch is written again, a few times, after a short random wait.
  Result<WriteStats> write(const EncodedRecords& records) override {
    constexpr int kAttempts = 6;
    for (int attempt = 1;; ++attempt) {
      last_sqlstate_.clear();
      auto r = transaction([&] { return write_in_transaction(records); }, true);
      if (r || attempt == kAttempts || !retryable(last_sqlstate_)) return r;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(10 * attempt + std::rand() % (50 * attempt)));
    }
  }

  Result<std::vector<AggregateRow>> aggregate(const AggregateQuery& q) override {
    COSTOPS_RETURN_IF_ERROR(dims_.refresh(runner()));
    const AggregatePlan plan = plan_aggregate(q, Dialect{true}, dims_.lookup());
    std::map<std::vector<std::string>, AggregateRow> rows;
    if (!plan.impossible) {
      auto res = query(plan.query.sql, plan.query.params);
      if (!res) return res.status();
      PGresult* r = res->get();
      for (int i = 0; i < PQntuples(r); ++i) {
        const ResultRow reader{[r, i](int c) { return to_i64(PQgetvalue(r, i, c)); },
                               [r, i](int c) { return std::string(PQgetvalue(r, i, c)); }};
        COSTOPS_RETURN_IF_ERROR(fold_row(q, plan, reader, dims_.names(), &rows));
      }
    }
    std::vector<AggregateRow> out;
    out.reserve(rows.size());
    for (auto& [k, row] : rows) out.push_back(std::move(row));
    return out;
  }

  Status scan(const AggregateQuery& q,
              const std::function<Status(const PricedRecord&)>& fn) override {
    COSTOPS_RETURN_IF_ERROR(dims_.refresh(runner()));
    const auto plan = plan_scan(q, Dialect{true}, dims_.lookup());
    if (!plan) return Status::ok();
    // A cursor keeps memory bounded on large tables.
    COSTOPS_RETURN_IF_ERROR(exec("BEGIN"));
    Status st = [&]() -> Status {
      auto declared = query("DECLARE scan_cursor NO SCROLL CURSOR FOR " + plan->sql, plan->params);
      if (!declared) return declared.status();
      while (true) {
        auto res = query("FETCH 10000 FROM scan_cursor", {});
        if (!res) return res.status();
        PGresult* r = res->get();
        if (PQntuples(r) == 0) return Status::ok();
        for (int i = 0; i < PQntuples(r); ++i) {
          const ResultRow reader{[r, i](int c) { return to_i64(PQgetvalue(r, i, c)); },
                                 [r, i](int c) { return std::string(PQgetvalue(r, i, c)); }};
          PricedRecord pr;
          COSTOPS_RETURN_IF_ERROR(
              read_scanned(reader, dims_.names(), &pr).with_context(redacted(url_)));
          COSTOPS_RETURN_IF_ERROR(fn(pr));
        }
      }
    }();
    (void)exec(st.is_ok() ? "COMMIT" : "ROLLBACK");
    return st;
  }

  Result<uint64_t> update_costs(std::span<const PricedRecord> records) override {
    const SqlRunner sql_runner{runner(), add_dim()};
    return transaction([&] { return detail::update_costs(Dialect{true}, sql_runner, records); },
                       true);
  }

  Result<uint64_t> delete_records(const AggregateQuery& q) override {
    COSTOPS_RETURN_IF_ERROR(dims_.refresh(runner()));
    return transaction(
        [&] { return detail::delete_records(q, Dialect{true}, dims_.lookup(), runner()); });
  }

  Status put_custom_prices(std::span<const CustomPrice> prices) override {
    return transaction([&] { return upsert_custom_prices(Dialect{true}, runner(), prices); });
  }

  Result<std::vector<PricedRecord>> records_at(std::span<const Timestamp> times,
                                               std::string_view id_prefix) override {
    COSTOPS_RETURN_IF_ERROR(dims_.refresh(runner()));
    return detail::records_at(Dialect{true}, runner(), dims_.names(), times, id_prefix);
  }

  Result<uint64_t> delete_stored(std::span<const PricedRecord> records) override {
    return transaction([&] { return detail::delete_stored(Dialect{true}, runner(), records); });
  }

  Result<std::vector<CustomPrice>> custom_prices() override {
    return list_custom_prices(Dialect{true}, runner());
  }

  Result<bool> remove_custom_price(const std::string& provider,
                                   const std::string& model_id) override {
    auto res =
        query(custom_price_sql(Dialect{true}).remove, {SqlParam(provider), SqlParam(model_id)});
    if (!res) return res.status();
    return to_i64(PQcmdTuples(res->get())) > 0;
  }

  Status put_budget(const Budget& budget) override {
    COSTOPS_RETURN_IF_ERROR(check_budget_name(budget.name));
    return run(budget_sql(Dialect{true}).upsert, budget_params(budget), [](const ResultRow&) {});
  }

  Result<std::vector<Budget>> budgets() override {
    auto list = list_budgets(Dialect{true}, runner());
    if (!list) return list.status().with_context(url());
    return list;
  }

  Result<bool> remove_budget(const std::string& name) override {
    auto res = query(budget_sql(Dialect{true}).remove, {SqlParam(name)});
    if (!res) return res.status();
    return to_i64(PQcmdTuples(res->get())) > 0;
  }

  Status put_discount(const Discount& discount) override {
    return upsert_discount(Dialect{true}, runner(), discount);
  }

  Result<std::vector<Discount>> discounts() override {
    auto list = list_discounts(runner());
    if (!list) return list.status().with_context(url());
    return list;
  }

  Result<bool> remove_discount(const std::string& name) override {
    auto res = query(remove_discount_sql(Dialect{true}), {SqlParam(name)});
    if (!res) return res.status();
    return to_i64(PQcmdTuples(res->get())) > 0;
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
    auto res = query(sql, params);
    if (!res) return res.status();
    PGresult* r = res->get();
    for (int i = 0; i < PQntuples(r); ++i)
      on_row(ResultRow{[r, i](int c) { return to_i64(PQgetvalue(r, i, c)); },
                       [r, i](int c) { return std::string(PQgetvalue(r, i, c)); }});
    return Status::ok();
  }

  // The URL without a password, for messages.
  static std::string redacted(const std::string& url) {
    const auto at = url.find('@');
    const auto scheme = url.find("://");
    if (at == std::string::npos || scheme == std::string::npos) return url;
    const auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return url;
    return url.substr(0, colon) + ":***" + url.substr(at);
  }

  // The batch is copied into the stage with each row's place in it (seq), and inserted in the
  // unique index's order: of rows with one key, the first is stored, and the daily totals add
  // that one (they had added one of them at random, and the insert kept one at random).
  Result<WriteStats> write_in_transaction(const EncodedRecords& batch) {
    const auto rows = batch.rows();
    std::string data;
    data.reserve(rows.size() * 400);
    COSTOPS_RETURN_IF_ERROR(add_new_dims(batch.records()));
    const AddDim add = add_dim();
    for (size_t r = 0; r < rows.size(); ++r) {
      const Row& row = rows[r];
      int64_t dims[kDimKinds];  // the ids of the row's dimensions in this database
      COSTOPS_RETURN_IF_ERROR(dims_.ids_of(batch.records()[r], dims, add));
      for (int64_t v : {row.key_hi, row.key_lo, row.ts, row.day, dims[kDimProvider],
                        dims[kDimModel], dims[kDimOrganization], dims[kDimProject], dims[kDimUser],
                        row.input_tokens, row.output_tokens, row.priced, dims[kDimCurrency],
                        row.cost_e6, row.cost_e15, row.cost_e24}) {
        data += std::to_string(v);
        data += '\t';
      }
      copy_text(data, row.tags);
      data += '\t';
      copy_text(data, row.detail);
      data += '\t';
      for (int64_t v : {row.key_day, row.requests, row.cache_read_tokens, row.cache_write_tokens}) {
        data += std::to_string(v);
        data += '\t';
      }
      data += std::to_string(row.reasoning_tokens);
      data += '\t';
      data += std::to_string(r);  // seq: the row's place in the batch
      data += '\n';
    }
    {
      Res r(PQexec(conn_.get(), "COPY stage FROM STDIN"));
      if (PQresultStatus(r.get()) != PGRES_COPY_IN)
        return io_error(redacted(url_) + ": COPY: " + PQerrorMessage(conn_.get()));
    }
    if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(conn_.get(), nullptr) != 1)
      return io_error(redacted(url_) + ": COPY: " + PQerrorMessage(conn_.get()));
    for (Res r(PQgetResult(conn_.get())); r; r.reset(PQgetResult(conn_.get())))
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
        return io_error(redacted(url_) + ": COPY: " + failure(r));
    auto res = query(R"sql(
WITH ins AS (
  INSERT INTO usage_records (key_hi, key_lo, ts, provider, model, organization, project, user_id, input_tokens,
                             output_tokens, priced, currency, cost_e6, cost_e15, cost_e24, tags, detail, key_day,
                             requests, cache_read_tokens, cache_write_tokens, reasoning_tokens)
  SELECT key_hi, key_lo, ts, provider, model, organization, project, user_id, input_tokens, output_tokens, priced,
         currency, cost_e6, cost_e15, cost_e24, tags::jsonb, detail, key_day, requests, cache_read_tokens,
         cache_write_tokens, reasoning_tokens
  FROM stage
  ORDER BY ts, key_hi, key_lo, seq
  ON CONFLICT DO NOTHING
  RETURNING ts, key_hi, key_lo),
fresh AS (
  SELECT DISTINCT ON (ts, key_hi, key_lo) s.* FROM stage s JOIN ins USING (ts, key_hi, key_lo)
  ORDER BY ts, key_hi, key_lo, seq),
roll AS (
  INSERT INTO daily_totals ()sql" +
                         std::string(kTotalsColumns) + R"sql()
  SELECT day, provider, model, organization, project, currency, COUNT(*), SUM(1 - priced), SUM(input_tokens),
         SUM(output_tokens), SUM(cost_e6), SUM(cost_e15), SUM(cost_e24), SUM(requests),
         SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens)
  FROM fresh
  GROUP BY day, provider, model, organization, project, currency
  ORDER BY day, provider, model, organization, project, currency
 )sql" + Dialect{true}.add_to_totals() +
                         R"sql()
SELECT COUNT(*), COALESCE(SUM(1 - priced), 0) FROM fresh)sql",
                     {});
    if (!res) return res.status();
    WriteStats stats;
    stats.stored = static_cast<uint64_t>(to_i64(PQgetvalue(res->get(), 0, 0)));
    stats.unpriced = static_cast<uint64_t>(to_i64(PQgetvalue(res->get(), 0, 1)));
    stats.duplicates = rows.size() - stats.stored;
    return stats;
  }

  Status load_dims() { return dims_.load(runner()); }

  // dim_id as an AddDim, for the code both stores share.
  AddDim add_dim() {
    return [this](int kind, std::string_view v) { return dim_id(kind, v); };
  }

  // Inserts the records' dimension values the cache lacks, up to 1,000 a statement, and caches
  // their ids: with one round trip per new value, records each by a new user were ingested 9
  // times slower.
  Status add_new_dims(std::span<const PricedRecord> records) {
    constexpr size_t kPerStatement = 1000;
    auto fresh = dims_.missing(records);
    std::sort(fresh.begin(), fresh.end());  // the lock order every writer takes
    for (size_t at = 0; at < fresh.size(); at += kPerStatement) {
      std::string sql = "INSERT INTO dims (kind, value) VALUES ";
      std::vector<SqlParam> params;
      for (size_t i = at; i < fresh.size() && i < at + kPerStatement; ++i) {
        params.emplace_back(static_cast<int64_t>(fresh[i].first));
        params.emplace_back(fresh[i].second);
        sql += (i == at ? "($" : ", ($") + std::to_string(params.size() - 1) + "::int, $" +
               std::to_string(params.size()) + ")";
      }
      // DO UPDATE (a no-op) so that RETURNING yields the ids that another writer added first.
      sql +=
          " ON CONFLICT (kind, value) DO UPDATE SET value = EXCLUDED.value RETURNING id, kind, "
          "value";
      auto r = query(sql, params);
      if (!r) return r.status();
      for (int i = 0; i < PQntuples(r->get()); ++i) {
        dims_.put(static_cast<int>(to_i64(PQgetvalue(r->get(), i, 1))), PQgetvalue(r->get(), i, 2),
                  to_i64(PQgetvalue(r->get(), i, 0)));
      }
    }
    return Status::ok();
  }

  Result<int64_t> dim_id(int kind, std::string_view value) {
    return dims_.id(kind, value, [&]() -> Result<int64_t> {
      // DO UPDATE (a no-op) so that RETURNING yields the id when another writer added it first.
      auto r = query(
          "INSERT INTO dims (kind, value) VALUES ($1, $2) ON CONFLICT (kind, value) DO UPDATE SET "
          "value = EXCLUDED.value RETURNING id",
          {SqlParam(static_cast<int64_t>(kind)), SqlParam(std::string(value))});
      if (!r) return r.status();
      return to_i64(PQgetvalue(r->get(), 0, 0));
    });
  }

  // For a command that only reads: a database (a schema) without cost-ops' tables is not read as
  // no spend, nor given them; where another schema of the database has them, it is named.
  Status check_existing() {
    auto here = query("SELECT to_regclass('costops_schema') IS NOT NULL, current_schema()", {});
    if (!here) return here.status();
    if (std::string_view(PQgetvalue(here->get(), 0, 0)) == "t") return Status::ok();
    const std::string schema = PQgetisnull(here->get(), 0, 1) ? "" : PQgetvalue(here->get(), 0, 1);
    auto elsewhere = query(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'costops_schema' "
        "ORDER BY table_schema",
        {});
    if (!elsewhere) return elsewhere.status();
    std::string others;
    for (int i = 0; i < PQntuples(elsewhere->get()); ++i)
      others += (i ? ", " : "") + std::string(PQgetvalue(elsewhere->get(), i, 0));
    std::string m = redacted(url_) + ": no cost-ops database here (no cost-ops tables in " +
                    (schema.empty() ? "its search_path" : "schema " + schema) + ")";
    if (!others.empty()) {
      const std::string first = others.substr(0, others.find(','));
      m += "; cost-ops' tables are in schema " + others + ": add ?options=-csearch_path%3D" +
           first + " to the URL";
    } else {
      m += "; cost-ops ingest or cost-ops init makes it one; --db or $COSTOPS_DB names another";
    }
    return not_found(m);
  }

  // The schema cost-ops' tables go in is the first of the connection's search_path (the URL's
  // options=-csearch_path=NAME). Where none of its schemas exists yet, the first is created, as a
  // database of cost-ops' own is by its first ingest.
  Status create_schema() {
    auto cur = query("SELECT current_schema(), current_setting('search_path'), session_user", {});
    if (!cur) return cur.status();
    if (!PQgetisnull(cur->get(), 0, 0)) return Status::ok();
    // search_path as SHOW gives it: names separated by commas, quoted where they must be.
    const std::string path = PQgetvalue(cur->get(), 0, 1);
    std::string name;
    size_t i = path.find_first_not_of(' ');
    if (i != std::string::npos && path[i] == '"') {
      for (++i; i < path.size(); ++i) {
        if (path[i] == '"' && (i + 1 >= path.size() || path[i + 1] != '"')) break;
        if (path[i] == '"') ++i;  // a doubled quote
        name += path[i];
      }
    } else if (i != std::string::npos) {
      for (; i < path.size() && path[i] != ',' && path[i] != ' '; ++i)
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(path[i])));
    }
    if (name == "$user") name = PQgetvalue(cur->get(), 0, 2);
    if (name.empty())
      return invalid_argument(redacted(url_) +
                              ": no schema to keep cost-ops' tables in (the search_path is "
                              "empty; options=-csearch_path%3Dcostops in the URL names one)");
    char* quoted = PQescapeIdentifier(conn_.get(), name.data(), name.size());
    if (quoted == nullptr) return io_error(redacted(url_) + ": " + PQerrorMessage(conn_.get()));
    const std::string sql = std::string("CREATE SCHEMA IF NOT EXISTS ") + quoted;
    PQfreemem(quoted);
    return exec(sql);
  }

  // Before the first migration: no table of another program's in the schema has a name
  // cost-ops' migrations create (a shared database's "budgets").
  Status check_names_free() {
    std::vector<std::string> ours;
    for (int v = 0; v < kSchemaVersion; ++v) {
      const std::string sql = migration(v, Dialect{true});
      for (size_t at = sql.find("CREATE TABLE "); at != std::string::npos;
           at = sql.find("CREATE TABLE ", at + 1)) {
        size_t b = at + 13, e = b;
        while (e < sql.size() &&
               (std::isalnum(static_cast<unsigned char>(sql[e])) || sql[e] == '_'))
          ++e;
        if (e > b) ours.push_back(sql.substr(b, e - b));
      }
    }
    std::string list;
    for (const auto& t : ours) list += (list.empty() ? "" : ",") + t;
    auto taken = query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name = ANY(string_to_array($1, ',')) ORDER BY table_name",
        {SqlParam(list)});
    if (!taken) return taken.status();
    if (PQntuples(taken->get()) == 0) return Status::ok();
    std::string names;
    for (int i = 0; i < PQntuples(taken->get()); ++i)
      names += (i ? ", " : "") + std::string(PQgetvalue(taken->get(), i, 0));
    auto schema = query("SELECT current_schema()", {});
    if (!schema) return schema.status();
    return invalid_argument(
        redacted(url_) + ": not a cost-ops database: schema " + PQgetvalue(schema->get(), 0, 0) +
        " holds another program's tables named as cost-ops' (" + names +
        "); give cost-ops a database of its own, or a schema of its own in this one: add "
        "?options=-csearch_path%3Dcostops to the URL (cost-ops creates the schema)");
  }

  // Runs a statement with text parameters; errors carry the server's message.
  Result<Res> query(const std::string& sql, const std::vector<SqlParam>& params) {
    std::vector<std::string> text;
    text.reserve(params.size());
    for (const auto& p : params) text.push_back(p.is_text ? p.s : std::to_string(p.i));
    std::vector<const char*> values;
    for (const auto& t : text) values.push_back(t.c_str());
    Res r(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                       values.data(), nullptr, nullptr, 0));
    const auto s = PQresultStatus(r.get());
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
      return io_error(redacted(url_) + ": " + failure(r));
    return r;
  }

  // Whether a transaction that failed with this SQLSTATE may succeed when run again: it was a
  // deadlock's victim (40P01) or failed to serialize (40001).
  static bool retryable(const std::string& sqlstate) {
    return sqlstate == "40P01" || sqlstate == "40001";
  }

  // `body` in a transaction (detail::in_transaction); `new_dims` when it may create dimension
  // ids, which a rollback takes away.
  template <typename Body>
  auto transaction(Body&& body, bool new_dims = false) -> decltype(body()) {
    return detail::in_transaction([&](const char* sql) { return exec(sql); }, "BEGIN", body,
                                  [&] {
                                    if (new_dims) (void)load_dims();
                                  });
  }

  Status exec(const std::string& sql) {
    Res r(PQexec(conn_.get(), sql.c_str()));
    const auto s = PQresultStatus(r.get());
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
      return io_error(redacted(url_) + ": " + failure(r));
    return Status::ok();
  }

  // A failed statement's message: the server's, or libpq's own when it made no result (it
  // refuses, for one, more than 65,535 parameters).
  std::string failure(const Res& r) {
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    last_sqlstate_ = state != nullptr ? state : "";
    const char* m = r ? PQresultErrorMessage(r.get()) : "";
    return *m != '\0' ? m : PQerrorMessage(conn_.get());
  }

  Conn conn_;
  std::string url_;
  DimCache dims_;
  std::string last_sqlstate_;  // of the last statement that failed (failure())
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres(const std::string& url, OpenMode mode) {
  Conn conn(PQconnectdb(url.c_str()));
  if (conn == nullptr) return io_error("PostgreSQL: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string m = PQerrorMessage(conn.get());
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return io_error("cannot connect to PostgreSQL: " + m);
  }
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);  // NOTICEs are not ours to print
  auto store = std::make_unique<PostgresStore>(std::move(conn), url);
  COSTOPS_RETURN_IF_ERROR(store->migrate(mode));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace costops::storage
