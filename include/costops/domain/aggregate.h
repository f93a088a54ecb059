// Aggregation requests and results, shared by the in-memory Aggregator and the stores' SQL.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "costops/domain/decimal.h"
#include "costops/domain/money.h"
#include "costops/domain/records.h"
#include "costops/domain/status.h"
#include "costops/domain/time.h"

namespace costops {

/// What to group by: a record dimension, a tag value, or a UTC time bucket.
struct GroupKey {
  enum class Kind : uint8_t {
    kProvider,
    kModel,
    kOrganization,
    kProject,
    kUser,
    kTag,
    kTier,  // how the call was billed: "batch", a service tier ("flex", "priority"), "standard"
    kHour,
    kDay,
    kWeek,
    kMonth
  };
  Kind kind = Kind::kProvider;
  std::string tag;  // for kTag

  /// Parses "provider", "model", "organization", "project", "user", "tag:KEY", "tier" (see
  /// tier_of), "hour", "day", "week" (ISO, Monday), "month". Errors name the valid keys.
  static Result<GroupKey> parse(std::string_view text);
  std::string name() const;
  bool operator==(const GroupKey&) const = default;
};

/// A filter on a dimension or a tag: equality ("provider=openai", "tag:team=search"), or a
/// pattern in which each '*' matches any run of characters ("model=claude-*", "model=*mini*");
/// with "!=" the records it does not match ("provider!=openai").
struct Filter {
  GroupKey key;  // REQUIRES: not a time bucket
  std::string value;
  bool negated = false;
  /// Parses "KEY=VALUE" or "KEY!=VALUE". Errors on time-bucket keys and missing '='.
  static Result<Filter> parse(std::string_view text);
  /// "KEY=VALUE" or "KEY!=VALUE", as parse reads it.
  std::string text() const { return key.name() + (negated ? "!=" : "=") + value; }
  /// Whether the value is a pattern (holds a '*').
  bool is_pattern() const { return value.find('*') != std::string::npos; }
  /// Whether `v` is the value, or is matched whole by the pattern (case-sensitive, like
  /// equality), whether or not the filter is negated.
  bool matches(std::string_view v) const;
  /// Whether a record whose value of the key is `v` passes the filter.
  bool accepts(std::string_view v) const { return matches(v) != negated; }
};

/// The filters as parse reads them, by key (FilterGroup), a key's KEY=VALUE ones joined with
/// " or " and the rest with ", " ("provider=openai or provider=anthropic, model!=gpt-4o"; ""
/// when none).
std::string filters_text(const std::vector<Filter>& filters);

/// Filters combine by key, as docker's --filter does: a record passes when, for every key
/// filtered, its value matches one of the key's KEY=VALUE filters (when it has any) and none of
/// its KEY!=VALUE filters; different keys must all hold. So "provider=openai" with
/// "provider=anthropic" keeps the records of both, and "model=claude-*" with "model!=*haiku*"
/// Claude's but Haiku's.
struct FilterGroup {
  GroupKey key;
  std::vector<Filter> any_of;   // KEY=VALUE: one of them must match (none: no condition)
  std::vector<Filter> none_of;  // KEY!=VALUE: none of them may match
};

/// `filters` grouped by key, in the order each key first appears.
std::vector<FilterGroup> group_filters(const std::vector<Filter>& filters);

/// Whether every record `scope` accepts is one `selection` accepts too, as far as the filters
/// alone tell (a budget's scope within a report's --filter): for each key `selection` filters,
/// `scope` keeps only some of its values, each of which (or an identical pattern) passes
/// `selection`'s filters of the key; or `selection` only leaves out values of the key that `scope`
/// leaves out as well. A pattern of `scope` is within the identical pattern only.
bool scope_within(const std::vector<Filter>& scope, const std::vector<Filter>& selection);

struct AggregateQuery {
  std::vector<GroupKey> group_by;
  std::vector<Filter> filters;    // combined by key (FilterGroup)
  std::optional<Timestamp> from;  // inclusive
  std::optional<Timestamp> to;    // exclusive
  bool unpriced_only = false;     // only records stored without a price
  std::string source;  // only records read from this input (source "<input>:<line>"); "": any
  TimeZone time_zone;  // for hour/day/week/month labels (UTC by default)
};

/// One group. `keys` follow the query's group_by (time buckets as "2026-11-02", "2026-11-02T10",
/// "2026-W45", "2026-11"; a missing dimension as "").
struct AggregateRow {
  std::vector<std::string> keys;
  uint64_t records = 0;
  uint64_t unpriced = 0;
  int64_t requests = 0;  // the requests the records count (Usage::requests)
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  /// Parts of input_tokens and output_tokens (token_parts).
  int64_t cache_read_tokens = 0, cache_write_tokens = 0, reasoning_tokens = 0;
  std::map<std::string, Decimal> cost;  // currency code -> exact total; never mixed
  /// Shared cost spread_shared moved onto this row (positive) or off it (negative), per currency;
  /// empty unless it ran. The row's allocated cost is cost + shared.
  std::map<std::string, Decimal> shared;
  /// The costs the priced records logged themselves (UsageRecord::logged_cost, a gateway's)
  /// against their exact prices: summed by an engine::Aggregator made to (`query --logged`);
  /// the stores' aggregates leave it empty.
  LoggedCosts logged;
  /// The cost's parts, per currency: input (cache reads and writes included), output (reasoning
  /// included) and other (what has neither direction: per-request fees, web searches), which
  /// sum to cost. Summed by an engine::Aggregator made to (`query --cost-split`); the stores'
  /// aggregates leave them empty.
  std::map<std::string, Decimal> input_cost, output_cost, other_cost;
  /// Beside them, what contract discounts took off the list cost (CostRecord::discount): the
  /// cost at list prices is cost plus discount. Summed with them.
  std::map<std::string, Decimal> discount;

  bool operator==(const AggregateRow&) const = default;
};

/// The cost split of AggregateRow (input_cost, output_cost, other_cost, then discount) with the
/// names `query --cost-split` and the report give them, in their columns' order.
inline constexpr std::pair<const char*, std::map<std::string, Decimal> AggregateRow::*>
    kCostSplit[] = {{"input_cost", &AggregateRow::input_cost},
                    {"output_cost", &AggregateRow::output_cost},
                    {"other_cost", &AggregateRow::other_cost},
                    {"discount", &AggregateRow::discount}};

/// Where aggregate rows come from: a Store's aggregate(), engine::Aggregator::run over records
/// in memory, or either converted into one currency (engine::CurrencyConverter::wrap).
using AggregateFn = std::function<Result<std::vector<AggregateRow>>(const AggregateQuery&)>;

/// How to order aggregate rows: by their keys (as stores return them), or by a measure, largest
/// first (ties by keys). Cost compares the rows' cost in one currency (a row without it: 0), its
/// allocated cost where spread_shared gave it a share; the unit costs (unit_costs) compare rows
/// whose unit costs are in that currency, the rows without one last.
enum class RowOrder : uint8_t { kKeys, kCost, kRecords, kRequests, kTokens, kPerRequest, kPerMtok };
/// "keys", "cost", "records", "requests", "tokens" (input plus output), "per-request" or
/// "per-mtok".
Result<RowOrder> parse_row_order(std::string_view text);
/// The currency `rows` spend the most in ("USD" when they spend nothing): the one cost orders by.
std::string main_currency(const std::vector<AggregateRow>& rows);
/// A row's unit costs: its cost per request and per million tokens (input plus output, the
/// blended rate), each rounded half-even to kUnitCostPlaces fractional digits. Unset where the row
/// has no one cost to divide (no currency, several, or an unpriced record, whose cost is
/// unknown) or nothing to divide it by (no request, no token).
struct UnitCosts {
  std::string currency;  // of both; empty when neither is set
  std::optional<Decimal> per_request, per_mtok;
};
inline constexpr int kUnitCostPlaces = 9;
UnitCosts unit_costs(const AggregateRow& row);

/// How spread_shared splits a shared cost among the rows that take it: in proportion to each
/// one's own cost in that currency (evenly when none has any), or evenly.
enum class SpreadBy : uint8_t { kCost, kEven };
/// "cost" or "even".
Result<SpreadBy> parse_spread_by(std::string_view text);
/// The name parse_spread_by reads for `by`.
std::string_view spread_by_name(SpreadBy by);
/// Spreads shared costs (the showback of spend that names no team, say): the cost of each row
/// whose key `key` (an index into its keys) is empty goes to the rows with a value that agree
/// with it on every other key (the same month, say), in each currency, as `by` says, into their
/// `shared` (and off the empty row's, as a negative share). A row with no such row to take its
/// cost keeps it. Exact: the shares of a cost add up to it, each within a few 10^-24 of its
/// exact proportion (Decimal's last places), the remainder to the largest. Counts and tokens
/// stay where they are. Errors (kOutOfRange) when an amount leaves Decimal's range.
Status spread_shared(std::vector<AggregateRow>& rows, size_t key, SpreadBy by);
/// A row's allocated cost per currency: its cost plus its shared cost.
std::map<std::string, Decimal> allocated_cost(const AggregateRow& row);
/// What spread_shared did with the rows whose key `key` is empty: per currency, the cost it
/// spread off them, and the cost of those it left as they were (no row with a value agrees with
/// them on the other keys); how many rows with a value took a share, and how many rows without
/// one were left as they were.
struct SpreadTotals {
  std::map<std::string, Decimal> spread, unallocated;
  size_t takers = 0, unallocated_rows = 0;
};
SpreadTotals spread_totals(const std::vector<AggregateRow>& rows, size_t key);

/// A cost map's amount in `currency` (0 when it has none).
Decimal cost_in(const std::map<std::string, Decimal>& cost, const std::string& currency);
/// Adds `m` to `cost`'s amount in its currency. False when the sum leaves Decimal's range.
[[nodiscard]] bool add_cost(std::map<std::string, Decimal>& cost, const Money& m);
/// Adds `row`'s counts, tokens and costs to `sum`'s (not its keys). False when a cost leaves
/// Decimal's range.
[[nodiscard]] bool add_row(AggregateRow& sum, const AggregateRow& row);
/// The logged costs of `rows` summed (AggregateRow::logged); a sum that would leave Decimal's
/// range stops it, the counts so far kept.
LoggedCosts logged_sum(const std::vector<AggregateRow>& rows);
/// Orders `rows` (stably) by `order`; cost in `currency`.
void order_rows(std::vector<AggregateRow>& rows, RowOrder order, const std::string& currency);

/// The label of time `t` in a time-bucket key, in `tz` (UTC by default).
std::string bucket_label(GroupKey::Kind kind, Timestamp t, const TimeZone& tz = TimeZone());

struct PricedRecord;
/// The value of `key` for a record: its dimension (the provider as provider_of says), tag value
/// or time-bucket label in `tz` ("" if absent).
std::string group_value(const PricedRecord& r, const GroupKey& key,
                        const TimeZone& tz = TimeZone());
/// A record's group_value for each of `q`'s group keys, in its time zone: the keys of its row.
std::vector<std::string> group_values(const PricedRecord& r, const AggregateQuery& q);
/// Whether the record passes the filters (combined by key, as FilterGroup says) and the period.
bool matches(const PricedRecord& r, const AggregateQuery& q);

}  // namespace costops
