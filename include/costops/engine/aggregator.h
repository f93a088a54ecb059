// Aggregator: group-by totals over records in memory (the stores push the same down to SQL).
#pragma once

#include <map>
#include <span>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/records.h"

namespace costops::engine {

/// What an Aggregator's rows sum beside their counts and cost, which the stores' aggregates leave
/// out.
struct AggregateExtras {
  bool logged = false;  // the priced records' logged costs (AggregateRow::logged)
  bool split = false;   // the cost's parts (AggregateRow::input_cost, ...)
};

/// Accumulates priced records into groups. Money per currency, exact; unpriced records counted,
/// never as $0. Not thread-safe.
class Aggregator {
 public:
  explicit Aggregator(AggregateQuery query, AggregateExtras extras = {});
  /// Adds a record if it passes the query's filters and period. Errors on a money overflow.
  Status add(const PricedRecord& record);
  /// Rows sorted by their keys.
  std::vector<AggregateRow> rows() const;

  /// Convenience: aggregate `records` with `query`.
  static Result<std::vector<AggregateRow>> run(const AggregateQuery& query,
                                               std::span<const PricedRecord> records);

 private:
  AggregateQuery query_;
  AggregateExtras extras_;
  std::map<std::vector<std::string>, AggregateRow> groups_;
};

}  // namespace costops::engine
