// Normalizer: provider-native usage objects and response bodies -> canonical Usage.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "costops/domain/usage.h"
#include "costops/pricing/catalog.h"

namespace costops::engine {

/// A model name and usage read from a response body.
struct Extracted {
  std::string model;
  Usage usage;
};

/// Reads usage in the forms users have it:
/// - canonical keys (`input_tokens` total including cache, `cache_read_tokens`, ... and every
///   unit of the registry), plus the OpenAI-style names `prompt_tokens`, `completion_tokens`,
///   `cached_tokens`, `reasoning_tokens` (mapped) and `total_tokens` (checked, not stored);
/// - a provider's native usage object (any key outside the canonical set), read with the
///   provider's extractor for the API flavor (inferred from the keys when not given);
/// - a whole response body, read with the extractor's root and model path.
/// Extractors come from the catalog; for providers without them (LiteLLM catalogs) the
/// built-in catalog's extractors of the same provider are used (bedrock -> aws, gemini and
/// vertex_ai -> google, xai -> x-ai, azure_ai -> azure, ...).
/// Not thread-safe (it caches lookups): use one per thread. The catalog must outlive it.
class Normalizer {
 public:
  explicit Normalizer(const pricing::Catalog& catalog);
  ~Normalizer();
  Normalizer(Normalizer&&) noexcept;

  /// Parses a usage object's JSON text. Errors name the offending field.
  Result<Usage> usage(std::string_view usage_json, std::string_view provider = {},
                      std::string_view api_flavor = {});
  /// Parses a response body's JSON text.
  Result<Extracted> body(std::string_view body_json, std::string_view provider,
                         std::string_view api_flavor = {});
  /// The extractor used for `provider` and `api_flavor` (empty: the provider's only one).
  Result<const pricing::Extractor*> extractor(std::string_view provider,
                                              std::string_view api_flavor);

  const pricing::Catalog& catalog() const { return catalog_; }

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  const pricing::Catalog& catalog_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace costops::engine
