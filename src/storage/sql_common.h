// Private: what the SQL stores share. The schema's shape, rows built from records, the JSON
// detail column, and aggregation/scan queries planned once for both SQL dialects.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/budget.h"
#include "costops/domain/records.h"
#include "costops/storage/store.h"

namespace costops::storage::detail {

/// 64-bit FNV-1a, continuing from `h`.
inline uint64_t fnv1a(std::string_view s, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}
/// The two seeds whose FNV-1a hashes make a record key's 128 bits.
inline constexpr uint64_t kKeySeedHi = 0xcbf29ce484222325ULL;
inline constexpr uint64_t kKeySeedLo = 0x84222325cbf29ce4ULL;

enum DimKind {
  kDimProvider = 0,
  kDimModel,
  kDimOrganization,
  kDimProject,
  kDimUser,
  kDimCurrency,
  kDimKinds
};

inline constexpr int64_t kUsPerDay = 86'400'000'000LL;
inline constexpr int64_t kUsPerHour = 3'600'000'000LL;
inline constexpr int64_t kUsPerQuarterHour = 900'000'000LL;  // every UTC offset is a multiple

/// One usage_records row but for its dimension ids (the store resolves those, from dim_values).
struct Row {
  int64_t key_hi, key_lo, ts, day;
  int64_t key_day;  // day of the record's own timestamp; kNoOwnDay when it had none
  int64_t input_tokens, output_tokens, priced, cost_e6, cost_e15, cost_e24;
  int64_t requests;                                                 // Usage::requests
  int64_t cache_read_tokens, cache_write_tokens, reasoning_tokens;  // token_parts
  std::string tags, detail;
};

/// The values of a record's dimensions, in DimKind order (currency "" when unpriced).
void dim_values(const PricedRecord& r, std::string_view out[kDimKinds]);
/// key_day of records that came without a timestamp (they were stored at the ingest time).
inline constexpr int64_t kNoOwnDay = -1;

/// The daily_totals columns, in the order both stores insert them (Dialect::add_to_totals adds a
/// row inserted over an existing one to it).
inline constexpr const char* kTotalsColumns =
    "day, provider, model, organization, project, currency, records, unpriced, input_tokens, "
    "output_tokens, cost_e6, cost_e15, cost_e24, requests, cache_read_tokens, cache_write_tokens, "
    "reasoning_tokens";
/// How many columns kTotalsColumns names.
inline constexpr int kTotalsColumnCount = 17;
/// The 128-bit hash of record_key(r), as the key columns hold it.
void key_hash(const UsageRecord& r, int64_t* hi, int64_t* lo);
/// Encodes a record's row.
void make_row(const PricedRecord& r, Row* row);

void split_money(Decimal d, int64_t* e6, int64_t* e15, int64_t* e24);
Decimal join_money(int64_t e6, int64_t e15, int64_t e24);

/// The SQL flavour of a store.
struct Dialect {
  bool postgres = false;
  std::string param(int n) const;      // "?" or "$n"
  std::string tag_value(int n) const;  // a tag's value from the tags column, '' when absent
  std::string tag_param(const std::string& tag) const;
  std::string tier_value() const;  // tier_of, of the detail column
  /// The ON CONFLICT clause that adds a daily_totals row inserted over an existing one to it (its
  /// counters are deltas: negative ones take records out); a sum that overflows fails.
  std::string add_to_totals() const;
  /// `expr` matched whole by a filter's pattern ('*' any run, case-sensitive) given as
  /// parameter `p` made by glob_param.
  std::string glob(const std::string& expr, const std::string& p) const;
  std::string glob_param(const std::string& pattern) const;
};

/// A query parameter: an integer, or text when is_text.
struct SqlParam {
  SqlParam(int64_t v) : i(v) {}  // NOLINT: implicit, like the value it holds
  SqlParam(std::string v) : is_text(true), s(std::move(v)) {}  // NOLINT
  bool is_text = false;
  int64_t i = 0;
  std::string s;
};
struct SqlQuery {
  std::string sql;
  std::vector<SqlParam> params;
};

/// The SQL that migrates a database from schema `version` to `version + 1`, in a dialect.
/// REQUIRES: 0 <= version < kSchemaVersion.
std::string migration(int version, const Dialect& d);

/// Dictionary lookups a store provides: the ids of the values of a dimension a filter matches
/// (Filter::matches, negated or not; none when no stored value does; ascending), and an id's
/// value.
using DimIds = std::function<std::vector<int64_t>(int kind, const Filter& filter)>;
using DimValue = std::function<std::string(int64_t id)>;

/// A result row, read by column index.
struct ResultRow {
  std::function<int64_t(int)> i64;
  std::function<std::string(int)> text;
};
/// Runs `sql` with `params` on a store's connection, calling on_row for each result row.
using RunSql =
    std::function<Status(const std::string& sql, const std::vector<struct SqlParam>& params,
                         const std::function<void(const ResultRow&)>& on_row)>;

/// Runs `body` (returning Status or Result<T>) in a transaction begun with `begin` ("BEGIN",
/// SQLite's "BEGIN IMMEDIATE") on a store's `exec`: committed when it succeeds; rolled back when
/// it fails, then `after_rollback` (a store reloads its dimension ids, which the rollback took
/// away). The body's error, else the commit's.
template <typename Exec, typename Body>
auto in_transaction(Exec&& exec, const char* begin, Body&& body,
                    const std::function<void()>& after_rollback = {}) -> decltype(body()) {
  COSTOPS_RETURN_IF_ERROR(exec(begin));
  auto r = body();
  bool ok;
  if constexpr (std::is_same_v<decltype(r), Status>) {
    ok = r.is_ok();
  } else {
    ok = r.has_value();
  }
  if (!ok) {
    (void)exec("ROLLBACK");
    if (after_rollback) after_rollback();
    return r;
  }
  COSTOPS_RETURN_IF_ERROR(exec("COMMIT"));
  return r;
}

/// A store's way to get the id of a dimension value it may not have stored yet (inserting it).
using AddDim = std::function<Result<int64_t>(int kind, std::string_view value)>;

/// The in-memory copy of the dims table (dimension value <-> id) both stores keep.
class DimCache {
 public:
  /// Replaces the cache with the table's contents.
  Status load(const RunSql& run);
  /// Loads the table again when it holds values the cache lacks (another connection, another
  /// process sharing the database, added them since): one count of the table's rows. Reads
  /// call it first, so that they neither miss a filter's value nor show a row's as blank.
  Status refresh(const RunSql& run);
  /// The id of `value`, or -1 when it is not in the cache (hot: no allocation).
  int64_t find(int kind, std::string_view value) const {
    const auto it = ids_[kind].find(value);
    return it == ids_[kind].end() ? -1 : it->second;
  }
  /// The ids of a record's dimensions (DimKind order) into `ids`: from the cache, and from `add`
  /// (which inserts and caches) for values not in it.
  Status ids_of(const PricedRecord& r, int64_t ids[kDimKinds], const AddDim& add) const;
  /// The id of `value`, inserting it with `insert` (which returns the new id) when new.
  Result<int64_t> id(int kind, std::string_view value,
                     const std::function<Result<int64_t>()>& insert);
  /// The records' dimension values the cache does not have, each once, as (kind, value), for a
  /// store that inserts them together.
  std::vector<std::pair<int, std::string>> missing(std::span<const PricedRecord> records) const;
  /// Caches a value's id, which the store has just read from the table.
  void put(int kind, std::string value, int64_t id);
  DimIds lookup() const;
  DimValue names() const;

 private:
  struct Hash {  // FNV-1a: names are short; find() takes a string_view, building no string
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return static_cast<size_t>(fnv1a(s)); }
  };
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> ids_[kDimKinds];
  std::unordered_map<int64_t, std::string> values_;
};

struct AggregatePlan {
  SqlQuery query;
  bool impossible = false;  // a filter value never stored: no rows
  bool need_hour = false, need_day = false;
  int64_t bucket_us = 0;  // width of the SQL time bucket (an hour, a day, or 15 minutes in a zone)
  /// The query returns a row per record, for GroupSums to sum (SQLite over usage_records: its
  /// GROUP BY sorts every record, three quarters of such a query's time); else a row per group.
  bool per_record = false;
  int key_columns = 0;  // the leading result columns that make a group (keys, bucket, currency)
};
/// Plans `q`: from daily_totals when its keys, filters and whole-day period allow, else from
/// usage_records. Result columns: the group keys that are not time buckets, then the bucket,
/// then currency, records, unpriced, requests, input_tokens, output_tokens, cost_e6, cost_e15,
/// cost_e24, cache_read_tokens, cache_write_tokens, reasoning_tokens.
AggregatePlan plan_aggregate(const AggregateQuery& q, const Dialect& d, const DimIds& dim_ids);

/// Folds one result row of `plan` into `rows` (keyed by final group keys).
Status fold_row(const AggregateQuery& q, const AggregatePlan& plan, const ResultRow& r,
                const DimValue& dim_value, std::map<std::vector<std::string>, AggregateRow>* rows);

/// Sums a per_record plan's rows in memory by their key columns (a hash table, in one pass),
/// then folds each group's sums as fold_row folds a grouped plan's row. A sum that overflows 64
/// bits is an error, as SQL's SUM is.
class GroupSums {
 public:
  GroupSums(const AggregateQuery& q, const AggregatePlan& plan);
  Status add(const ResultRow& r);
  Status fold(const AggregateQuery& q, const AggregatePlan& plan, const DimValue& dim_value,
              std::map<std::vector<std::string>, AggregateRow>* rows) const;

 private:
  static constexpr int kSums = 11;  // records ... reasoning_tokens
  std::vector<bool> text_;          // per key column: text (a tag or the tier), else an integer
  std::unordered_map<std::string, std::array<int64_t, kSums>> groups_;  // by encoded key
  std::string key_;                                                     // add()'s, reused
};

/// Plans a scan of usage_records for `q` (nullopt when a filter value was never stored).
/// Columns: ts, provider, model, organization, project, user, priced, currency, tags, detail,
/// key_day, cost_e6, cost_e15, cost_e24, input_tokens, output_tokens, requests.
std::optional<SqlQuery> plan_scan(const AggregateQuery& q, const Dialect& d, const DimIds& dim_ids);
/// Statements that reprice one record, in a dialect: select its old row by key, update it, and
/// add a (possibly negative) delta to a daily_totals row.
struct RepriceSql {
  std::string
      select_old;  // params: ts, key_hi, key_lo -> ts, provider, model, organization, project,
                   //   priced, currency, input_tokens, output_tokens, cost_e6, cost_e15,
                   //   cost_e24, requests, cache_read_tokens, cache_write_tokens,
                   //   reasoning_tokens
  std::string
      update;  // params: priced, currency, cost_e6, cost_e15, cost_e24, detail, provider, ts,
               //   key_hi, key_lo
  std::string add_to_total;  // params: the daily_totals columns (deltas for the counters)
};
RepriceSql reprice_sql(const Dialect& d);

/// How the shared repricing runs statements on a store's connection.
struct SqlRunner {
  RunSql run;
  AddDim dim_id;
};
/// Custom-price statements (identical in both dialects except for the parameter markers).
struct CustomPriceSql {
  std::string upsert;  // provider, model_id, entry, added_at
  std::string list;    // -> provider, model_id, entry, added_at
  std::string remove;  // provider, model_id
};
CustomPriceSql custom_price_sql(const Dialect& d);

/// Budget statements (identical in both dialects except for the parameter markers).
struct BudgetSql {
  std::string upsert;  // budget_params()
  std::string list;    // -> budget_from_row()
  std::string remove;  // name
};
BudgetSql budget_sql(const Dialect& d);
/// The upsert's parameters for `b`.
std::vector<SqlParam> budget_params(const Budget& b);
/// All budgets, by name, read with a store's `run`. Errors name a budget whose row is corrupt.
Result<std::vector<Budget>> list_budgets(const Dialect& d, const RunSql& run);
/// Adds or replaces (by name) a discount with a store's `run`, after Discount::check.
Status upsert_discount(const Dialect& d, const RunSql& run, const Discount& discount);
/// All discounts, by name, read with a store's `run`. Errors name a discount whose row is corrupt.
Result<std::vector<Discount>> list_discounts(const RunSql& run);
/// The statement that removes the discount named by its one parameter.
std::string remove_discount_sql(const Dialect& d);
/// Adds or replaces `prices` with a store's `run`. REQUIRES: inside the store's transaction.
Status upsert_custom_prices(const Dialect& d, const RunSql& run,
                            std::span<const CustomPrice> prices);
/// All custom prices, by provider and model, read with a store's `run`.
Result<std::vector<CustomPrice>> list_custom_prices(const Dialect& d, const RunSql& run);

/// The body of Store::delete_records (the store wraps it in a transaction), with a store's
/// dimension lookup and `run`.
Result<uint64_t> delete_records(const AggregateQuery& q, const Dialect& d, const DimIds& dim_ids,
                                const RunSql& run);

/// Store::records_at, with a store's `run` and dimension names.
Result<std::vector<PricedRecord>> records_at(const Dialect& d, const RunSql& run,
                                             const DimValue& dim_value,
                                             std::span<const Timestamp> times,
                                             std::string_view id_prefix);
/// The body of Store::delete_stored (the store wraps it in a transaction).
Result<uint64_t> delete_stored(const Dialect& d, const RunSql& run,
                               std::span<const PricedRecord> records);

/// The body of Store::update_costs (the store wraps it in a transaction).
Result<uint64_t> update_costs(const Dialect& d, const SqlRunner& db,
                              std::span<const PricedRecord> records);

/// Rebuilds a record from a scanned row.
Status read_scanned(const ResultRow& r, const DimValue& dim_value, PricedRecord* out);

}  // namespace costops::storage::detail
