// Exchange rates, and stored spend converted into one currency at each day's rate (a report in
// euros of spend priced in dollars, a budget in pounds).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/decimal.h"
#include "costops/domain/money.h"
#include "costops/domain/status.h"

namespace costops::engine {

/// Rates between currencies. A rate given for a day holds from that day until the pair's next
/// one (a weekend or holiday without a rate takes the last before it); one given without a day
/// holds on every day. Regular value type.
class ExchangeRates {
 public:
  /// Reads a CSV table of rates; `source` names it in errors ("rates.csv:4: field \"rate\": ...").
  /// Either
  ///  - a rate a row, in columns `from`, `to` and `rate` (also `base`, `quote`), and optionally
  ///    `date`: 1 `from` is `rate` `to`, from that day on (every day without a date column); or
  ///  - the European Central Bank's euro reference rates as it publishes them (eurofxref-hist.csv,
  ///    eurofxref.csv): a `Date` column, then a column per currency code, each cell the units of
  ///    that currency one euro buys; `N/A` and empty cells are no rate.
  /// Dates are YYYY-MM-DD (or "4 December 2026", as the ECB's file of one day writes them). A
  /// rate is a positive decimal. A header, separators and quoting as series files have them.
  static Result<ExchangeRates> parse_csv(std::string_view text, std::string_view source);
  /// Reads the European Central Bank's euro reference rates in the XML it publishes
  /// (eurofxref-daily.xml, eurofxref-hist-90d.xml, eurofxref-hist.xml): a
  /// <Cube time='YYYY-MM-DD'> per day, in it a <Cube currency='USD' rate='1.0543'/> per currency,
  /// the units of that currency one euro buys. Errors name the line and attribute.
  static Result<ExchangeRates> parse_ecb_xml(std::string_view text, std::string_view source);
  /// parse_ecb_xml when the text begins with '<' (after a byte order mark and blanks), else
  /// parse_csv.
  static Result<ExchangeRates> parse(std::string_view text, std::string_view source);
  /// parse() of the file at `path` (UTF-8, or UTF-16 with a byte order mark).
  static Result<ExchangeRates> load_file(const std::string& path);

  /// Adds a rate: 1 `from` is `rate` `to`, from `day` on (on every day without one). Errors
  /// (kInvalidArgument) on a rate that is not positive, a currency against itself, and a
  /// second rate of the pair (either way round) for the same day.
  Status add(Currency from, Currency to, Decimal rate,
             std::optional<std::chrono::sys_days> day = std::nullopt);

  /// What convert did: the amount in the target currency; the day of the oldest rate it used
  /// (the day itself for rates without a day, or no rate at all); and whether that rate is
  /// stale: its pair's last, and older than the day by more than the longest its table goes
  /// between two rates of the pair (a week at least, for a table of working days), so that
  /// the table ends before the spend does.
  struct Converted {
    Decimal amount;
    std::chrono::sys_days rate_day;
    bool stale = false;
  };
  static constexpr int kStaleDays = 7;
  /// `amount` of `from` in `to` on `day`: times the pair's rate, or divided by the rate of the
  /// pair the other way round, or through a currency both have a rate with (as the ECB's euro
  /// rates convert dollars into pounds), rounded half-even to Decimal's 24 places at each step
  /// where the exact result has more. Errors (kNotFound) when no rate of the pair holds on the
  /// day, naming the pair, the day and the rates the table has of it; kOutOfRange on overflow.
  Result<Converted> convert(Decimal amount, Currency from, Currency to,
                            std::chrono::sys_days day) const;

  /// The name of the table, as given to parse_csv ("" for rates added one by one).
  const std::string& source() const { return source_; }
  /// Whether it holds no rate.
  bool empty() const { return pairs_.empty(); }

 private:
  using Pair = std::pair<Currency, Currency>;
  struct Dated {
    std::chrono::sys_days day;  // sys_days::min() for a rate of every day
    Decimal rate;
  };
  struct Rates {
    std::vector<Dated> by_day;  // ascending
    int longest_gap = 0;        // days between two dated rates one after the other
  };
  // The rate of `p` (either way round) holding on `day`: 1 p.first is `rate` p.second, or
  // (`inverse`) 1 p.second is `rate` p.first.
  struct Found {
    Decimal rate;
    bool inverse = false;
    std::chrono::sys_days day;
    bool stale = false;
  };
  std::optional<Found> find(Currency from, Currency to, std::chrono::sys_days day) const;
  // A file's rates by pair as read (a table newest first, as the ECB's, would insert each at the
  // front), each with its line, to be sorted once by from_staged.
  struct Staged {
    Dated dated;
    size_t line;
  };
  using StagedRates = std::map<Pair, std::vector<Staged>>;
  // The rates of a file, `source`, from what it staged: errors on none, and on two rates of a
  // pair for one day (naming the second's line).
  static Result<ExchangeRates> from_staged(StagedRates staged, const std::string& source);
  static int longest_gap(const std::vector<Dated>& by_day);
  Status missing(Currency from, Currency to, std::chrono::sys_days day) const;

  std::string source_;
  std::map<Pair, Rates> pairs_;
};

/// Converts aggregate rows' costs into one currency, each day's at that day's rates. A day is a
/// calendar day in the query's time zone. Thread-compatible.
class CurrencyConverter {
 public:
  CurrencyConverter(std::shared_ptr<const ExchangeRates> rates, Currency target);

  Currency target() const { return target_; }
  const ExchangeRates& rates() const { return *rates_; }

  /// `m` in the target currency at `day`'s rates (ExchangeRates::convert), its stale rate
  /// noted (stale()).
  Result<Money> convert(const Money& m, std::chrono::sys_days day) const;
  /// Each cost of `row` (cost, shared, and the parts input_cost, output_cost and other_cost, and
  /// discount) in the target currency, at `day`'s rates; a currency without a rate is an error
  /// naming it (the row is then left as it was).
  Status convert(AggregateRow& row, std::chrono::sys_days day) const;
  /// `source`'s rows for `query` with their costs in the target currency: queried by day as
  /// well (unless the query has a day or hour key already), each day's costs converted at its
  /// rates, then summed back into the query's rows (in their order). Counts and tokens are as
  /// `source` gives them.
  Result<std::vector<AggregateRow>> aggregate(const AggregateFn& source,
                                              const AggregateQuery& query) const;
  /// `source` with every aggregation converted, as aggregate() does. REQUIRES: this outlives it.
  AggregateFn wrap(AggregateFn source) const;

  /// A currency converted at a stale rate (ExchangeRates::Converted): the latest such day and
  /// the rate's day.
  struct Stale {
    Currency from;
    std::chrono::sys_days day, rate_day;
  };
  /// The currencies converted at stale rates so far, in code order.
  std::vector<Stale> stale() const;

 private:
  std::shared_ptr<const ExchangeRates> rates_;
  Currency target_;
  mutable std::map<Currency, Stale> stale_;
};

}  // namespace costops::engine
