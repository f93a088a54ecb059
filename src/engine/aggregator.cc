#include "costops/engine/aggregator.h"

namespace costops::engine {

Aggregator::Aggregator(AggregateQuery query, AggregateExtras extras)
    : query_(std::move(query)), extras_(extras) {}

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
  const CostRecord& c = *r.cost;
  if (!add_cost(row.cost, c.total_cost)) return out_of_range("aggregate cost overflows");
  if (extras_.split) {
    // What has neither direction is the rest of the total (CostRecord::total_cost).
    const Money other{c.total_cost.amount - c.input_cost.amount - c.output_cost.amount,
                      c.total_cost.currency};
    const Money off{c.list_cost().amount - c.total_cost.amount, c.total_cost.currency};
    if (!add_cost(row.input_cost, c.input_cost) || !add_cost(row.output_cost, c.output_cost) ||
        !add_cost(row.other_cost, other) || !add_cost(row.discount, off)) {
      return out_of_range("aggregate cost overflows");
    }
  }
  // A logged cost is a gateway's, at list prices: compared with the cost before discounts.
  if (extras_.logged && r.usage.logged_cost &&
      !row.logged.add(*r.usage.logged_cost, c.list_cost().amount, c.total_cost.currency)) {
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
