#include "common.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>

namespace costops::cli {

void setup_logging(bool verbose) {
  const bool color = isatty(STDERR_FILENO) && std::getenv("NO_COLOR") == nullptr;
  std::shared_ptr<spdlog::logger> logger;
  if (color) {
    logger = spdlog::stderr_color_st("cost-ops");
  } else {
    logger = std::make_shared<spdlog::logger>("cost-ops",
                                              std::make_shared<spdlog::sinks::stderr_sink_st>());
  }
  logger->set_pattern(color ? "%^%l%$: %v" : "%l: %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void report(const Status& st) { spdlog::error("{}", st.message()); }

void CatalogOptions::add_to(CLI::App& app) {
  app.add_option(
      "--catalog", catalog_file,
      "Pricing catalog file replacing the built-in one: genai-prices data.json, LiteLLM's "
      "model_prices_and_context_window.json, or a cost-ops catalog");
  app.add_option("--catalog-format", format,
                 "Catalog format: auto (detect), genai-prices, litellm, cost-ops")
      ->check(CLI::IsMember({"auto", "genai-prices", "litellm", "cost-ops"}));
  app.add_option(
      "--prices", custom_prices,
      "Custom prices (a cost-ops catalog file) that add or override models on top of the catalog");
}

Result<const pricing::Catalog*> CatalogOptions::load() {
  const pricing::Catalog* base = &pricing::Catalog::builtin();
  if (!catalog_file.empty()) {
    auto f = pricing::parse_catalog_format(format);
    if (!f) return f.status();
    auto c = pricing::Catalog::load_file(catalog_file, *f);
    if (!c) return c.status();
    owned_ = std::move(*c);
    base = &*owned_;
  }
  if (!custom_prices.empty()) {
    auto c = pricing::Catalog::load_file(custom_prices);
    if (!c) return c.status();
    if (!owned_) {  // the built-in catalog is shared: overlay a private copy of it
      auto b = pricing::Catalog::builtin_copy();
      if (!b) return b.status();
      owned_ = std::move(*b);
    }
    owned_->overlay(std::move(*c));
    base = &*owned_;
  }
  return base;
}

}  // namespace costops::cli
