#include "costops/engine/aggregator.h"

namespace costops::engine {

Aggregator::Aggregator(AggregateQuery query, bool logged)
    : query_(std::move(query)), logged_(logged) {}

Status Aggregator::add(const PricedRecord& r) {
  if (!matches(r, query_) || (query_.unpriced_only && r.cost)) return Status::ok();
  std::vector<std::string> keys = group_values(r, query_);
  AggregateRow& row = groups_[keys];
  if (row.keys.empty() && !keys.empty()) row.keys = keys;
  ++row.records;
  row.requests += r.usage.usage.requests();
  row.input_tokens += r.usage.usage.get(units::kInputTokens);
  row.output_tokens += r.usage.usage.get(units::kOutputTokens);
  const TokenParts parts = token_parts(r.usage.usage);
  row.cache_read_tokens += parts.cache_read;
  row.cache_write_tokens += parts.cache_write;
  row.reasoning_tokens += parts.reasoning;
  if (!r.cost) {
    ++row.unpriced;
    return Status::ok();
  }
  if (!add_cost(row.cost, r.cost->total_cost)) return out_of_range("aggregate cost overflows");
  if (logged_ && r.usage.logged_cost &&
      !row.logged.add(*r.usage.logged_cost, r.cost->total_cost.amount,
                      r.cost->total_cost.currency)) {
    return out_of_range("aggregate logged cost overflows");
  }
  return Status::ok();
}

std::vector<AggregateRow> Aggregator::rows() const {
  std::vector<AggregateRow> out;
  out.reserve(groups_.size());
  for (const auto& [k, row] : groups_) out.push_back(row);
  return out;
}

Result<std::vector<AggregateRow>> Aggregator::run(const AggregateQuery& q,
                                                  std::span<const PricedRecord> records) {
  Aggregator a(q);
  for (const auto& r : records) COSTOPS_RETURN_IF_ERROR(a.add(r));
  return a.rows();
}

}  // namespace costops::engine
