// Fuzz target: any bytes as a pricing catalog file (--catalog, --prices, `pricing import`), in
// the format the first byte picks (detected, cost-ops, genai-prices, LiteLLM). A catalog that
// loads then resolves and prices a usage of each of its first models, and is written out as a
// cost-ops catalog that must load again, and compared with itself and with that (`catalog
// --diff`). Checks: no crash, no sanitizer report.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "costops/ingest/price_stream.h"
#include "costops/pricing/catalog.h"
#include "costops/pricing/diff.h"
#include "fuzz_util.h"

using namespace costops;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::optional<pricing::CatalogFormat> kFormats[] = {
      std::nullopt, pricing::CatalogFormat::kCostOps, pricing::CatalogFormat::kGenaiPrices,
      pricing::CatalogFormat::kLiteLLM};
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto catalog = pricing::Catalog::parse(text, "fuzz.json", kFormats[data[0] % 4]);
  if (!catalog) return 0;

  // Each of the first models priced (by id, through its provider), as `cost-ops price` would.
  std::string lines;
  size_t n = 0;
  for (const auto& p : catalog->providers()) {
    for (const auto& m : p.models) {
      if (++n > 8) break;
      lines += nlohmann::json({{"provider", p.id},
                               {"model", m.id},
                               {"timestamp", "2026-08-21T12:00:00Z"},
                               {"usage",
                                {{"input_tokens", 300000},
                                 {"cache_read_tokens", 1000},
                                 {"output_tokens", 2000},
                                 {"output_reasoning_tokens", 500}}}})
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
               "\n";
    }
  }
  auto in = fuzz::reading(lines);
  auto out = fuzz::discarding();
  ingest::PriceStreamOptions o;
  o.catalog = &*catalog;
  o.threads = 1;
  auto stats = ingest::price_jsonl(in.get(), out.get(), o);
  if (!stats) std::abort();

  // Written out as a cost-ops catalog, it loads again, with the same contract discounts.
  const std::string written = pricing::write_cost_ops_catalog(
      catalog->providers(), catalog->currency(), 2, catalog->discounts());
  auto again = pricing::Catalog::parse(written, "written.json", pricing::CatalogFormat::kCostOps);
  if (!again || again->discounts() != catalog->discounts()) std::abort();

  // Compared with itself and with what it was written as (`catalog --diff`), the counts add up.
  const auto at = *parse_timestamp("2026-08-21T12:00:00Z");
  for (const pricing::Catalog* other : {&*catalog, &*again}) {
    const auto d = pricing::diff_catalogs(*catalog, *other, at);
    if (d.same + d.changed + d.removed != d.compared) std::abort();
  }
  return 0;
}
