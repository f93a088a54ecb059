// Prices one usage with the installed library and prints the total.
#include <cstdio>

#include "costops/engine/cost_calculator.h"
#include "costops/pricing/catalog.h"

int main() {
  costops::UsageRecord r;
  r.provider = "openai";
  r.model = "gpt-4o";
  r.usage.set(costops::units::kInputTokens, 1000);
  r.usage.set(costops::units::kOutputTokens, 100);
  auto c = costops::engine::CostCalculator::price_record(costops::pricing::Catalog::builtin(), r,
                                                         costops::Timestamp{});
  if (!c) {
    std::fprintf(stderr, "%s\n", c.status().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", c->total_cost.to_string().c_str());
  return 0;
}
