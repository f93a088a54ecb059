// Pricing catalogs: providers, models, match rules, usage extractors and date-, time- and
// tier-dependent prices. Loads genai-prices v2, LiteLLM and cost-ops' own format.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "costops/domain/decimal.h"
#include "costops/domain/discount.h"
#include "costops/domain/money.h"
#include "costops/domain/status.h"
#include "costops/domain/time.h"
#include "costops/domain/units.h"

namespace costops::pricing {

/// A boolean rule over a name (genai-prices' `match`): equals, starts_with, ends_with, contains,
/// regex (searched anywhere, ECMAScript syntax), or, and. Regular value type.
class MatchRule {
 public:
  enum class Kind : uint8_t { kEquals, kStartsWith, kEndsWith, kContains, kRegex, kOr, kAnd };

  static MatchRule leaf(Kind kind, std::string text);  // REQUIRES: kind is not kRegex/kOr/kAnd
  /// Errors (kInvalidArgument) when `pattern` is not a valid regular expression.
  static Result<MatchRule> regex(std::string pattern);
  static MatchRule any_of(std::vector<MatchRule> rules);
  static MatchRule all_of(std::vector<MatchRule> rules);

  /// Text rules ignore ASCII case (as genai-prices compares) unless `ignore_case` is false; a
  /// regex is matched as written.
  bool matches(std::string_view name, bool ignore_case = true) const;
  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }
  const std::vector<MatchRule>& children() const { return children_; }

 private:
  Kind kind_ = Kind::kEquals;
  std::string text_;
  std::shared_ptr<const std::regex> re_;
  std::vector<MatchRule> children_;
};

/// A price step: applies to ALL units of a request when its total input tokens exceed `start`.
struct Tier {
  int64_t start = 0;
  Decimal price;
};

/// The price of one unit, in the catalog's currency per kUnits[unit].per units.
struct UnitPrice {
  UnitId unit = 0;
  Decimal base;
  std::vector<Tier> tiers;  // ascending by start
};

/// A validated set of unit prices, with the decomposition of overlapping usage compiled.
///
/// Usage counts overlap (cache_read_tokens is part of input_tokens). Each priced unit is billed
/// for its leaf count: its own count minus the parts that are priced separately, computed by
/// Moebius inversion on the containment order of the priced units. A part whose unit is not
/// priced stays in its nearest priced ancestor and is billed at that rate.
class PriceSet {
 public:
  /// One priced unit's leaf: sum of coef * usage[unit] over its terms.
  struct Term {
    UnitId unit;
    int8_t coef;
  };
  /// A rate ready for the hot path: `per_unit` is exact when `exact`; otherwise the calculator
  /// multiplies by `per_block` and divides by the unit's `per`.
  struct Rate {
    int64_t above = -1;  // tier threshold; -1 for the base rate
    Decimal per_block;
    Decimal per_unit;
    bool exact = true;
    int64_t max_quantity = 0;  // largest count whose cost cannot overflow (precomputed check)
  };
  struct Leaf {
    UnitId unit;
    uint8_t direction;  // 0 none, 1 input, 2 output
    uint8_t term_begin, term_end;
    uint8_t rate_begin, rate_end;  // rates_[rate_begin] is the base, then tiers ascending
    int64_t per;
    uint64_t term_mask;  // units of the terms: a usage with none of them present costs nothing here
  };

  PriceSet() = default;
  /// Validates (no duplicate unit, tiers ascending, prices non-negative) and compiles.
  static Result<PriceSet> make(std::vector<UnitPrice> prices);

  const std::vector<UnitPrice>& prices() const { return prices_; }
  const UnitPrice* find(UnitId unit) const;
  const std::vector<Leaf>& leaves() const { return leaves_; }
  const std::vector<Term>& terms() const { return terms_; }
  const std::vector<Rate>& rates() const { return rates_; }
  /// Bit u set when unit u is priced.
  uint64_t priced_mask() const { return priced_mask_; }
  /// Whether a unit's price has long-context tiers.
  bool has_tiers() const;
  /// Bit u set when unit u or one of its ancestors is priced (usage of u is billed somewhere).
  uint64_t covered_mask() const { return covered_mask_; }

 private:
  std::vector<UnitPrice> prices_;
  std::vector<Leaf> leaves_;
  std::vector<Term> terms_;
  std::vector<Rate> rates_;
  uint64_t priced_mask_ = 0;
  uint64_t covered_mask_ = 0;
};

/// When a conditional price applies.
struct PriceConstraint {
  enum class Kind : uint8_t { kNone, kStartDate, kTimeOfDay };
  Kind kind = Kind::kNone;
  std::chrono::sys_days start_date{};
  int start_second = 0;  // time of day, UTC, [start, end); wraps past midnight when end < start
  int end_second = 0;

  bool active(Timestamp at) const;
  /// "always", "from 2026-03-13", "daily 00:30:00-16:30:00 UTC".
  std::string describe() const;
  /// start_date as YYYY-MM-DD, and a time of day (seconds into it) as HH:MM:SS, as describe()
  /// and the cost-ops catalog format write them.
  std::string start_date_text() const;
  static std::string clock_text(int seconds);
};

struct ConditionalPrice {
  PriceConstraint constraint;
  PriceSet prices;
};

/// Prices for a service tier ("flex", "priority") or for batch calls.
struct PriceVariant {
  std::string service_tier;  // empty: any tier
  bool batch = false;
  /// Set when these prices are derived from the standard ones: the provider's price factor
  /// that derived them.
  std::optional<Decimal> derived_factor;
  std::vector<ConditionalPrice> prices;
};

struct Model {
  std::string id;
  std::string name;
  MatchRule match;
  /// Later entries take precedence; the last whose constraint is active applies, else the first.
  std::vector<ConditionalPrice> prices;
  std::vector<PriceVariant> variants;
  int64_t context_window = 0;
  bool deprecated = false;
};

/// A step of an extraction path: an object key, or the first array element whose `field`
/// matches `match` (genai-prices' array-match).
struct PathStep {
  std::string key;
  bool array_match = false;
  std::string field;
  std::optional<MatchRule> match;
};
using Path = std::vector<PathStep>;

struct ExtractorMapping {
  Path path;
  UnitId dest = 0;
  bool required = false;
  /// Read only where the mappings to the same dest that are not fallbacks found no value:
  /// another API's name for a count they read (see loaders.cc).
  bool fallback = false;

  /// The key the path begins with at the top of the usage object ("" when it begins with an
  /// array match, or is empty).
  std::string_view top_key() const {
    return path.empty() || path.front().array_match ? std::string_view() : path.front().key;
  }
};

/// How to read usage out of one API flavor's response body (data-driven, from the catalog).
struct Extractor {
  std::string api_flavor;
  Path root;                               // where the usage object sits, usually ["usage"]
  Path model_path;                         // where the model name sits, usually ["model"]
  std::vector<ExtractorMapping> mappings;  // values with the same dest are summed (but fallbacks)
};

struct Provider {
  std::string id;
  std::string name;
  std::string api_pattern;
  std::optional<MatchRule> provider_match;
  std::optional<MatchRule> model_match;
  std::vector<Extractor> extractors;
  std::vector<Model> models;
  std::vector<std::string> fallback_model_providers;
  /// Variants' token prices as a fraction of the standard ones, for the provider's models
  /// without such prices of their own: "batch" (0.5: its batch API halves them) or a service
  /// tier ("flex"). Other units (requests, searches) keep their price.
  struct PriceFactor {
    std::string variant;  // "batch" or a service tier
    Decimal factor;
  };
  std::vector<PriceFactor> price_factors;

  /// Gives each model the variants price_factors derive, where it has none of its own (replacing
  /// variants derived before).
  void derive_variant_prices();

  /// The extractor for `flavor`; with an empty flavor, the only extractor if there is one.
  /// Errors (kNotFound) list the flavors there are.
  Result<const Extractor*> extractor(std::string_view flavor) const;
};

enum class CatalogFormat { kCostOps, kGenaiPrices, kLiteLLM };
std::string_view catalog_format_name(CatalogFormat f);
/// Parses "auto" (nullopt), "cost-ops", "genai-prices", "litellm".
Result<std::optional<CatalogFormat>> parse_catalog_format(std::string_view name);

/// `providers` (a catalog's, or some of them) as a cost-ops catalog document in `currency`: JSON
/// text (`indent` spaces per level; -1 one line) that Catalog::parse reads back to the same
/// prices, match rules, extractors, price factors and `discounts` (written as "discounts" when
/// there are any). Prices a provider's price factors derive are left to the factors.
std::string write_cost_ops_catalog(std::span<const Provider> providers, Currency currency,
                                   int indent = 2, std::span<const Discount> discounts = {});
/// `discounts` as a cost-ops catalog's "discounts" list: [{"name", "provider", "models",
/// "percent" (a decimal string), "from", "to" (YYYY-MM-DD or null)}].
std::string write_discounts(std::span<const Discount> discounts, int indent = 2);

/// A matched provider and model. Pointers stay valid while the Catalog lives and is not changed.
struct ModelRef {
  const Provider* provider = nullptr;
  const Model* model = nullptr;
};

/// The outcome of choosing a model's prices for one request.
struct SelectedPrice {
  const PriceSet* prices = nullptr;
  std::string_view variant;  // "", "flex", "priority", "batch"
  const PriceConstraint* constraint = nullptr;
};

/// A pricing catalog. Loading is the expensive part; lookups are cached.
/// Thread-safety: const methods may be called concurrently; loading and overlay may not.
class Catalog {
 public:
  Catalog();
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  /// What a cost-ops catalog's "discounts" are to the catalog parsed: set on it (kWhole: each
  /// must resolve against its own providers, as set_discounts resolves them), or kept as given
  /// for the catalog it will be laid over (kOverlay: each is checked alone, as Discount::check
  /// does, and overlay() resolves it), as --prices files are.
  enum class Role { kWhole, kOverlay };
  /// Parses catalog text: UTF-8, or UTF-16 with its byte order mark. `format` nullopt detects
  /// it. `source` names it in errors.
  static Result<Catalog> parse(std::string_view text, std::string source,
                               std::optional<CatalogFormat> format = std::nullopt,
                               Role role = Role::kWhole);
  /// Reads and parses a file. Errors name the file and what is wrong in it.
  static Result<Catalog> load_file(const std::filesystem::path& path,
                                   std::optional<CatalogFormat> format = std::nullopt,
                                   Role role = Role::kWhole);
  /// A catalog file's text as load_file reads it: UTF-8 (decoded when the file is UTF-16).
  /// Errors name the file.
  static Result<std::string> read_file_text(const std::filesystem::path& path);
  /// The built-in default (genai-prices data shipped with cost-ops), parsed on first use.
  static const Catalog& builtin();
  /// A fresh, modifiable copy of the built-in catalog (for overlays).
  static Result<Catalog> builtin_copy();

  /// Adds or replaces models from `custom` (matched by provider id, ignoring case, and model id);
  /// custom models are tried before the catalog's own, but for one whose match rule names only
  /// its id (as one without "match" does) that replaces a catalog model: it takes that model's
  /// place and the names it answers to, and its name and context window when it gives none.
  /// Providers whose lookups fall back on a provider (azure on openai) keep the catalog models
  /// its custom ones replace. New providers are added. The discounts are this catalog's and
  /// `custom`'s (one of `custom` replacing this catalog's of its name), resolved again against
  /// the providers overlaid; an error of theirs (as set_discounts', in the context of `custom`'s
  /// source) leaves the models overlaid and no discount set.
  Status overlay(Catalog custom);

  /// Sets the contract discounts (replacing those set before), each resolved to the provider's
  /// models it covers: a named model (as resolve finds it: "gpt-4o-2024-08-06" is gpt-4o) or the
  /// ids of the provider's models (and those it falls back on: Azure's gpt-4o is OpenAI's) that a
  /// pattern matches, '*' matching any run. Errors (kInvalidArgument, kNotFound), naming the
  /// discount: an unknown provider or model (with the closest names), a pattern that matches no
  /// model, a percentage outside (0, 100], a first day after the last, and two discounts of the
  /// same reach (both for all models, or both for one) on a day they share; none is set then.
  Status set_discounts(std::vector<Discount> discounts);
  /// The discounts set; a Role::kOverlay catalog's as its file gave them, not resolved.
  const std::vector<Discount>& discounts() const { return discounts_; }
  /// The discount that applies to a call of `ref`'s model through `ref`'s provider at `at`;
  /// nullptr when none (at once when the catalog has none).
  const Discount* discount(const ModelRef& ref, Timestamp at) const {
    return discounted_.empty() ? nullptr : find_discount(ref, at);
  }
  /// The discounts that cover `ref`'s model through `ref`'s provider on some day: the model's
  /// own, then its provider's for all models (the order they apply in on a day they share).
  std::vector<const Discount*> discounts_of(const ModelRef& ref) const;

  /// Provider by id (case-insensitive), then by provider_match rules, then by the other name of a
  /// provider LiteLLM and genai-prices name differently (fireworks_ai for fireworks, google for
  /// gemini: either finds the other). nullptr when none.
  const Provider* find_provider(std::string_view ref) const;
  /// Provider whose model_match accepts `model`. nullptr when none.
  const Provider* find_provider_for_model(std::string_view model) const;
  /// Resolves provider and model names (cached). An empty provider is inferred from the model.
  /// A name that finds no model is tried without blanks around it, then with its compact dates
  /// written out.
  /// Errors (kNotFound, cached too) name what was looked up, and the closest names the catalog
  /// has (suggest_provider, suggest_model): "... (did you mean gpt-4 or gpt-4o?)".
  Result<ModelRef> resolve(std::string_view provider, std::string_view model) const;
  /// Chooses the prices of `model` for a request at `at` with a service tier and batch flag.
  static SelectedPrice select(const Model& model, Timestamp at, std::string_view service_tier,
                              bool batch);

  /// For "did you mean" hints (not for hot paths: it compares with every candidate): the ids of
  /// the providers closest to `provider`, or of the models closest to `model` among `provider`'s
  /// (and its fallbacks'; every provider's when `provider` is empty or unknown), by edit distance
  /// ignoring case: up to three at the same distance, none when none is within a third of the
  /// name's length.
  std::vector<std::string> suggest_provider(std::string_view provider) const;
  /// The error resolve gives for a provider the catalog does not have (kNotFound): "unknown
  /// provider "opnai" in catalog built-in (did you mean provider openai?)".
  Status unknown_provider(std::string_view provider) const;
  std::vector<std::string> suggest_model(std::string_view provider, std::string_view model) const;

  /// The models whose id or name holds every blank-separated word of `words`, ignoring case
  /// ("sonnet 4.5"), in catalog order: of every provider, or of `only` when given. Every model
  /// when `words` has none.
  std::vector<ModelRef> search(std::string_view words, const Provider* only = nullptr) const;

  const std::vector<Provider>& providers() const { return providers_; }
  CatalogFormat format() const { return format_; }
  const std::string& source() const { return source_; }
  Currency currency() const { return currency_; }
  size_t model_count() const;

 private:
  friend struct CatalogBuilder;
  void clear_cache() const;
  /// resolve_name, then again without blanks around the name and with its compact dates
  /// written out ("-20240806" as "-2024-08-06") when that finds no model, as genai-prices does.
  Result<ModelRef> resolve_uncached(std::string_view provider, std::string_view model) const;
  Result<ModelRef> resolve_name(std::string_view provider, std::string_view model) const;
  /// The model of `p` that `model` names, else of its fallback providers'. nullptr when none.
  const Model* match_with_fallbacks(const Provider& p, std::string_view model) const;

  const Discount* find_discount(const ModelRef& ref, Timestamp at) const;

  std::vector<Provider> providers_;
  std::vector<Discount> discounts_;
  // The discounts of each provider and model they cover (indexes into discounts_); a model of
  // nullptr for those of all its models.
  std::map<std::pair<const Provider*, const Model*>, std::vector<size_t>> discounted_;
  CatalogFormat format_ = CatalogFormat::kCostOps;
  std::string source_;
  Currency currency_;
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

}  // namespace costops::pricing
