// Aggregator: group-by totals over records in memory (the stores push the same down to SQL).
#pragma once

#include <map>
#include <span>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/records.h"

namespace costops::engine {

/// Accumulates priced records into groups. Money per currency, exact; unpriced records counted,
/// never as $0. Not thread-safe.
class Aggregator {
 public:
  /// With `logged`, each row also sums its priced records' logged costs (AggregateRow::logged).
  explicit Aggregator(AggregateQuery query, bool logged = false);
  /// Adds a record if it passes the query's filters and period. Errors on a money overflow.
  Status add(const PricedRecord& record);
  /// Rows sorted by their keys.
  std::vector<AggregateRow> rows() const;

  /// Convenience: aggregate `records` with `query`.
  static Result<std::vector<AggregateRow>> run(const AggregateQuery& query,
                                               std::span<const PricedRecord> records);

 private:
  AggregateQuery query_;
  bool logged_ = false;
  std::map<std::vector<std::string>, AggregateRow> groups_;
};

}  // namespace costops::engine
