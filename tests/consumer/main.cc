// Prices one usage, then one provider response body, with the installed library and prints each
// total.
#include <cstdio>

#include "costops/engine/cost_calculator.h"
#include "costops/engine/normalizer.h"
#include "costops/ingest/record_json.h"
#include "costops/pricing/catalog.h"

int main() {
  const costops::pricing::Catalog& catalog = costops::pricing::Catalog::builtin();
  costops::UsageRecord r;
  r.provider = "openai";
  r.model = "gpt-4o";
  r.usage.set(costops::units::kInputTokens, 1000);
  r.usage.set(costops::units::kOutputTokens, 100);
  auto c = costops::engine::CostCalculator::price_record(catalog, r, costops::Timestamp{});
  if (!c) {
    std::fprintf(stderr, "%s\n", c.status().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", c->total_cost.to_string().c_str());

  // A response body as Anthropic returned it, read as `cost-ops price` reads a record line.
  costops::engine::Normalizer normalizer(catalog);  // one per thread: it caches lookups
  costops::ingest::RecordParser parser(normalizer);
  const char* body = R"({"id":"msg_1","type":"message","model":"claude-sonnet-4-5","usage":)"
                     R"({"input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":50}})";
  auto record = parser.parse(std::string(R"({"provider":"anthropic","body":)") + body + "}");
  if (!record) {
    std::fprintf(stderr, "%s\n", record.status().to_string().c_str());
    return 1;
  }
  auto b = costops::engine::CostCalculator::price_record(catalog, *record, costops::Timestamp{});
  if (!b) {
    std::fprintf(stderr, "%s\n", b.status().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", b->total_cost.to_string().c_str());
  return 0;
}
