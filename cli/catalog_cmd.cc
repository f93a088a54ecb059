// cost-ops catalog: inspect a pricing catalog (built-in or a file).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "common.h"
#include "costops/domain/units.h"
#include "costops/pricing/catalog.h"

namespace costops::cli {
namespace {

struct CatalogCmdOptions {
  CatalogOptions catalog;
  std::string provider;
  std::string model;
  std::string at;
};

int run_catalog(CatalogCmdOptions& o) {
  auto cat = o.catalog.load();
  if (!cat) {
    report(cat.status());
    return kExitFailure;
  }
  const pricing::Catalog& c = **cat;
  if (!o.model.empty()) {
    auto ref = c.resolve(o.provider, o.model);
    if (!ref) {
      report(ref.status());  // with the closest names the catalog has
      return kExitFailure;
    }
    const auto& m = *ref->model;
    std::printf("provider: %s\nmodel: %s (%s)\n", ref->provider->id.c_str(), m.id.c_str(),
                m.name.c_str());
    if (m.context_window > 0)
      std::printf("context window: %lld tokens\n", static_cast<long long>(m.context_window));
    std::printf(
        "currency: %s (prices per 1M tokens, 1K requests/searches, per unit of the registry)\n",
        std::string(c.currency().code()).c_str());
    for (const auto& cp : m.prices)
      std::printf("  %s: %s\n", cp.constraint.describe().c_str(), price_text(cp.prices).c_str());
    for (const auto& v : m.variants) {
      std::string name = v.batch ? "batch" : v.service_tier;
      if (v.derived_factor)
        name += ": " + v.derived_factor->to_string() + " x the standard token prices";
      for (const auto& cp : v.prices)
        std::printf("  [%s] %s: %s\n", name.c_str(), cp.constraint.describe().c_str(),
                    price_text(cp.prices).c_str());
    }
    return kExitOk;
  }
  std::printf("catalog: %s (%s), %zu providers, %zu models, currency %s\n", c.source().c_str(),
              std::string(catalog_format_name(c.format())).c_str(), c.providers().size(),
              c.model_count(), std::string(c.currency().code()).c_str());
  for (const auto& p : c.providers()) {
    if (!o.provider.empty() && c.find_provider(o.provider) != &p) continue;
    std::printf("%-28s %5zu models", p.id.c_str(), p.models.size());
    if (!p.extractors.empty()) {
      std::printf("  flavors:");
      for (const auto& e : p.extractors) std::printf(" %s", e.api_flavor.c_str());
    }
    std::printf("\n");
    if (!o.provider.empty())
      for (const auto& m : p.models) std::printf("  %s\n", m.id.c_str());
  }
  return kExitOk;
}

}  // namespace

void add_catalog_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<CatalogCmdOptions>();
  CLI::App* cmd =
      app.add_subcommand("catalog", "Show a pricing catalog: providers, models, a model's prices");
  cmd->footer(
      "\nExamples:\n  cost-ops catalog                                  # built-in catalog "
      "summary\n"
      "  cost-ops catalog --provider anthropic             # its models\n"
      "  cost-ops catalog --provider openai --model gpt-4o # one model's prices\n"
      "  cost-ops catalog --catalog model_prices_and_context_window.json --provider gemini");
  opts->catalog.add_to(*cmd);
  cmd->add_option("--provider", opts->provider,
                  "Provider id (or a name its provider_match accepts)");
  cmd->add_option("--model", opts->model, "Model name to resolve and show prices for");
  cmd->callback([opts, &rc] { rc = run_catalog(*opts); });
}

}  // namespace costops::cli
