#include "costops/pricing/catalog.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <limits>
#include <shared_mutex>

#include "util/text.h"

namespace costops::pricing {

// ---------------------------------------------------------------------------------------------
// MatchRule

MatchRule MatchRule::leaf(Kind kind, std::string text) {
  assert(kind != Kind::kRegex && kind != Kind::kOr && kind != Kind::kAnd);
  MatchRule r;
  r.kind_ = kind;
  r.text_ = std::move(text);
  return r;
}

Result<MatchRule> MatchRule::regex(std::string pattern) {
  MatchRule r;
  r.kind_ = Kind::kRegex;
  try {
    r.re_ =
        std::make_shared<const std::regex>(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return invalid_argument("invalid regex \"" + pattern + "\": " + e.what());
  }
  r.text_ = std::move(pattern);
  return r;
}

MatchRule MatchRule::any_of(std::vector<MatchRule> rules) {
  MatchRule r;
  r.kind_ = Kind::kOr;
  r.children_ = std::move(rules);
  return r;
}

MatchRule MatchRule::all_of(std::vector<MatchRule> rules) {
  MatchRule r;
  r.kind_ = Kind::kAnd;
  r.children_ = std::move(rules);
  return r;
}

namespace {

// Whether `s` at `at` holds `t`, ignoring ASCII case or not.
bool text_at(std::string_view s, size_t at, std::string_view t, bool ignore_case) {
  if (!ignore_case) return s.substr(at, t.size()) == t;
  for (size_t i = 0; i < t.size(); ++i)
    if (util::ascii_lower(s[at + i]) != util::ascii_lower(t[i])) return false;
  return true;
}

// Whether `a` and `b` are the same text but for ASCII case.
bool same_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && text_at(a, 0, b, true);
}

}  // namespace

bool MatchRule::matches(std::string_view s, bool ignore_case) const {
  // Text rules ignore case on both sides, as genai-prices compares them: "META-LLAMA-3.1-8B" is
  // the model whose rule says "Meta-Llama-3.1-8B". A regex is as written.
  const std::string_view t = text_;
  switch (kind_) {
    case Kind::kEquals:
      return s.size() == t.size() && text_at(s, 0, t, ignore_case);
    case Kind::kStartsWith:
      return s.size() >= t.size() && text_at(s, 0, t, ignore_case);
    case Kind::kEndsWith:
      return s.size() >= t.size() && text_at(s, s.size() - t.size(), t, ignore_case);
    case Kind::kContains:
      for (size_t at = 0; at + t.size() <= s.size(); ++at)
        if (text_at(s, at, t, ignore_case)) return true;
      return false;
    case Kind::kRegex:
      return std::regex_search(s.begin(), s.end(), *re_);
    case Kind::kOr:
      return std::any_of(children_.begin(), children_.end(),
                         [&](const MatchRule& c) { return c.matches(s, ignore_case); });
    case Kind::kAnd:
      return std::all_of(children_.begin(), children_.end(),
                         [&](const MatchRule& c) { return c.matches(s, ignore_case); });
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// PriceSet

bool PriceSet::has_tiers() const {
  return std::any_of(prices_.begin(), prices_.end(),
                     [](const UnitPrice& p) { return !p.tiers.empty(); });
}

const UnitPrice* PriceSet::find(UnitId unit) const {
  for (const auto& p : prices_)
    if (p.unit == unit) return &p;
  return nullptr;
}

Result<PriceSet> PriceSet::make(std::vector<UnitPrice> prices) {
  PriceSet ps;
  for (auto& p : prices) {
    const uint64_t bit = uint64_t{1} << p.unit;
    if (ps.priced_mask_ & bit)
      return invalid_argument("unit " + std::string(kUnits[p.unit].price_key) + " is priced twice");
    ps.priced_mask_ |= bit;
    if (p.base.is_negative())
      return invalid_argument(std::string(kUnits[p.unit].price_key) + ": negative price " +
                              p.base.to_string());
    std::sort(p.tiers.begin(), p.tiers.end(),
              [](const Tier& a, const Tier& b) { return a.start < b.start; });
    for (size_t i = 0; i < p.tiers.size(); ++i) {
      if (p.tiers[i].price.is_negative() || p.tiers[i].start < 0)
        return invalid_argument(std::string(kUnits[p.unit].price_key) + ": negative tier");
      if (i > 0 && p.tiers[i].start == p.tiers[i - 1].start)
        return invalid_argument(std::string(kUnits[p.unit].price_key) + ": two tiers start at " +
                                std::to_string(p.tiers[i].start));
    }
  }
  if (prices.size() > 255) return invalid_argument("too many priced units");
  ps.prices_ = std::move(prices);

  // Moebius function of the priced units ordered by containment, from each unit U down to its
  // priced descendants D: mu(U,U) = 1, mu(U,D) = -sum of mu(U,E) over priced E with U <= E < D.
  // For a product of chains this is (-1)^(depth difference); where a dimension only exists
  // under another (cache_ttl needs token_type=cache_write) it correctly gives 0.
  for (const auto& p : ps.prices_) {
    std::vector<UnitId> desc;
    for (const auto& q : ps.prices_)
      if (is_descendant_or_self(p.unit, q.unit)) desc.push_back(q.unit);
    std::sort(desc.begin(), desc.end(),
              [](UnitId a, UnitId b) { return kUnits[a].depth() < kUnits[b].depth(); });
    std::vector<int> mu(desc.size(), 0);
    Leaf leaf{};
    leaf.unit = p.unit;
    leaf.term_begin = static_cast<uint8_t>(ps.terms_.size());
    for (size_t i = 0; i < desc.size(); ++i) {
      if (i == 0) {
        mu[i] = 1;
      } else {
        int s = 0;
        for (size_t j = 0; j < i; ++j)
          if (desc[j] != desc[i] && is_descendant_or_self(desc[j], desc[i])) s += mu[j];
        mu[i] = -s;
      }
      if (mu[i] != 0) {
        ps.terms_.push_back({desc[i], static_cast<int8_t>(mu[i])});
        leaf.term_mask |= uint64_t{1} << desc[i];
      }
    }
    leaf.term_end = static_cast<uint8_t>(ps.terms_.size());
    const std::string_view dir = kUnits[p.unit].direction();
    leaf.direction = dir == "input" ? 1 : dir == "output" ? 2 : 0;
    leaf.per = kUnits[p.unit].per;
    leaf.rate_begin = static_cast<uint8_t>(ps.rates_.size());
    auto add_rate = [&](int64_t above, Decimal price) {
      Rate r;
      r.above = above;
      r.per_block = price;
      r.exact = price.raw() % leaf.per == 0;
      r.per_unit = Decimal::from_raw(price.raw() / leaf.per);
      // The cost is quantity * per_unit (or per_block / per): bound quantity once here so the hot
      // path needs one compare instead of a checked 128-bit multiply.
      const int128 biggest = r.exact ? r.per_unit.raw() : price.raw();
      const int128 limit = biggest == 0 ? INT64_MAX : std::numeric_limits<int128>::max() / biggest;
      r.max_quantity = limit > INT64_MAX ? INT64_MAX : static_cast<int64_t>(limit);
      ps.rates_.push_back(r);
    };
    add_rate(-1, p.base);
    for (const auto& t : p.tiers) add_rate(t.start, t.price);
    leaf.rate_end = static_cast<uint8_t>(ps.rates_.size());
    ps.leaves_.push_back(leaf);
  }
  for (int u = 0; u < kUnitCount; ++u)
    for (const auto& p : ps.prices_)
      if (is_descendant_or_self(p.unit, static_cast<UnitId>(u)))
        ps.covered_mask_ |= uint64_t{1} << u;
  return ps;
}

// ---------------------------------------------------------------------------------------------
// Constraints and selection

bool PriceConstraint::active(Timestamp at) const {
  switch (kind) {
    case Kind::kNone:
      return true;
    case Kind::kStartDate:
      return std::chrono::floor<std::chrono::days>(at) >= start_date;
    case Kind::kTimeOfDay: {
      const int s = seconds_of_day(at);
      if (end_second < start_second) return s >= start_second || s < end_second;
      return s >= start_second && s < end_second;
    }
  }
  return false;
}

std::string PriceConstraint::describe() const {
  switch (kind) {
    case Kind::kNone:
      return "always";
    case Kind::kStartDate:
      return "from " + start_date_text();
    case Kind::kTimeOfDay:
      return "daily " + clock_text(start_second) + "-" + clock_text(end_second) + " UTC";
  }
  return "";
}

std::string PriceConstraint::start_date_text() const {
  const std::chrono::year_month_day ymd{start_date};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string PriceConstraint::clock_text(int seconds) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  return buf;
}

SelectedPrice Catalog::select(const Model& model, Timestamp at, std::string_view service_tier,
                              bool batch) {
  const std::vector<ConditionalPrice>* list = &model.prices;
  std::string_view variant;
  const bool tiered = !service_tier.empty() && service_tier != "standard" &&
                      service_tier != "default" && service_tier != "auto";
  for (const auto& v : model.variants) {
    if (batch && v.batch && (v.service_tier.empty() || v.service_tier == service_tier)) {
      list = &v.prices;
      variant = "batch";
      break;
    }
    if (!batch && !v.batch && tiered && v.service_tier == service_tier) {
      list = &v.prices;
      variant = v.service_tier;
      break;
    }
  }
  SelectedPrice out;
  out.variant = variant;
  if (list->empty()) return out;
  for (auto it = list->rbegin(); it != list->rend(); ++it) {
    if (it->constraint.active(at)) {
      out.prices = &it->prices;
      out.constraint = &it->constraint;
      return out;
    }
  }
  out.prices = &list->front().prices;
  out.constraint = &list->front().constraint;
  return out;
}

void Provider::derive_variant_prices() {
  for (auto& m : models) {
    std::erase_if(m.variants, [](const PriceVariant& v) { return v.derived_factor.has_value(); });
    for (const PriceFactor& pf : price_factors) {
      const std::string& variant = pf.variant;  // plain references: lambdas capture them
      const Decimal& factor = pf.factor;
      const bool batch = variant == "batch";
      const bool own = std::any_of(m.variants.begin(), m.variants.end(), [&](const auto& v) {
        return batch ? v.batch : !v.batch && v.service_tier == variant;
      });
      if (own || m.prices.empty()) continue;
      PriceVariant derived;
      derived.batch = batch;
      if (!batch) derived.service_tier = variant;
      derived.derived_factor = factor;
      bool ok = true;
      auto scale = [&](Decimal& price) {
        auto r = price.mul(factor);
        if (r) price = *r;
        ok = ok && r.has_value();
      };
      for (const auto& cp : m.prices) {
        std::vector<UnitPrice> scaled = cp.prices.prices();
        for (auto& up : scaled) {
          if (kUnits[up.unit].family() != "tokens") continue;
          scale(up.base);
          for (auto& t : up.tiers) scale(t.price);
        }
        auto ps = PriceSet::make(std::move(scaled));
        if (!ok || !ps) break;  // a factor that leaves a price out of range: no such variant
        derived.prices.push_back({cp.constraint, std::move(*ps)});
      }
      if (derived.prices.size() == m.prices.size()) m.variants.push_back(std::move(derived));
    }
  }
}

Result<const Extractor*> Provider::extractor(std::string_view flavor) const {
  if (extractors.empty()) return not_found("provider \"" + id + "\" has no usage extractors");
  if (flavor.empty()) {
    if (extractors.size() == 1) return &extractors.front();
    std::string fl;
    for (const auto& e : extractors) fl += (fl.empty() ? "" : ", ") + e.api_flavor;
    return invalid_argument("provider \"" + id +
                            "\" has several API flavors; give api_flavor, one of: " + fl);
  }
  for (const auto& e : extractors)
    if (e.api_flavor == flavor) return &e;
  std::string fl;
  for (const auto& e : extractors) fl += (fl.empty() ? "" : ", ") + e.api_flavor;
  return not_found("provider \"" + id + "\" has no api_flavor \"" + std::string(flavor) +
                   "\"; allowed: " + fl);
}

std::string_view catalog_format_name(CatalogFormat f) {
  switch (f) {
    case CatalogFormat::kCostOps:
      return "cost-ops";
    case CatalogFormat::kGenaiPrices:
      return "genai-prices";
    case CatalogFormat::kLiteLLM:
      return "litellm";
  }
  return "";
}

Result<std::optional<CatalogFormat>> parse_catalog_format(std::string_view name) {
  if (name.empty() || name == "auto") return std::optional<CatalogFormat>();
  if (name == "cost-ops") return std::optional<CatalogFormat>(CatalogFormat::kCostOps);
  if (name == "genai-prices") return std::optional<CatalogFormat>(CatalogFormat::kGenaiPrices);
  if (name == "litellm") return std::optional<CatalogFormat>(CatalogFormat::kLiteLLM);
  return invalid_argument("unknown catalog format \"" + std::string(name) +
                          "\"; use auto, cost-ops, genai-prices or litellm");
}

// ---------------------------------------------------------------------------------------------
// Catalog lookups

namespace {

struct SvHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// `s` without the spaces and tabs around it.
std::string_view trim_blanks(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") + 1 - b);
}

bool has_upper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// `name` with each compact date written out ("-20240806" before a '-', a ':' or the end becomes
// "-2024-08-06"; only real dates of this century), as genai-prices does for a name it finds no
// model for: "gpt-4o-20240806" is the catalog's "gpt-4o-2024-08-06". `name` when it has none.
std::string expand_compact_dates(std::string_view name) {
  auto digit = [&](size_t i) { return name[i] >= '0' && name[i] <= '9'; };
  auto num = [&](size_t i, size_t n) {
    int v = 0;
    for (size_t k = i; k < i + n; ++k) v = v * 10 + (name[k] - '0');
    return v;
  };
  std::string out;
  size_t i = 0;
  while (i < name.size()) {
    const size_t end = i + 9;  // '-' and eight digits
    bool date = name[i] == '-' && end <= name.size() && name[i + 1] == '2' && name[i + 2] == '0' &&
                (end == name.size() || name[end] == '-' || name[end] == ':');
    for (size_t k = i + 1; date && k < end; ++k) date = digit(k);
    if (date) {
      using namespace std::chrono;
      date = year_month_day(year(num(i + 1, 4)), month(static_cast<unsigned>(num(i + 5, 2))),
                            day(static_cast<unsigned>(num(i + 7, 2))))
                 .ok();
    }
    if (!date) {
      out += name[i++];
      continue;
    }
    out.append(name.substr(i, 5)).append(1, '-').append(name.substr(i + 5, 2));
    out.append(1, '-').append(name.substr(i + 7, 2));
    i = end;
  }
  return out;
}

// "gemini/gemini-2.5-pro" as {"gemini", "gemini-2.5-pro"}; {"", name} without a '/'.
std::pair<std::string_view, std::string_view> split_provider_prefix(std::string_view name) {
  const size_t slash = name.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == name.size()) return {};
  return {name.substr(0, slash), name.substr(slash + 1)};
}

// The first model of `p` whose rule accepts `ref`; with `exact_case`, only as written.
const Model* match_model(const Provider& p, std::string_view ref, bool exact_case = false) {
  for (const auto& m : p.models)
    if (m.match.matches(ref, !exact_case)) return &m;
  if (!exact_case && has_upper(ref)) {  // a regex is tried on the name lowered too
    const std::string l = util::ascii_lower(ref);
    for (const auto& m : p.models)
      if (m.match.matches(l)) return &m;
  }
  return nullptr;
}

}  // namespace

struct Catalog::Cache {
  mutable std::shared_mutex mu;
  // Names that resolve, with their model. Bounded too: a match rule can take names without end
  // (a prefix and any suffix, a fine-tune's id), and a service resolves for as long as it runs.
  std::unordered_map<std::string, ModelRef, SvHash, std::equal_to<>> map;
  static constexpr size_t kMaxResolved = 65536;
  // Names that resolve to no model, with their error: a log's unknown model fails on every line,
  // and its "did you mean" takes a search of the catalog. Bounded, whatever names the input has.
  std::unordered_map<std::string, Status, SvHash, std::equal_to<>> failures;
  static constexpr size_t kMaxFailures = 4096;
};

Catalog::Catalog() : cache_(std::make_unique<Cache>()) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

void Catalog::clear_cache() const {
  std::unique_lock lock(cache_->mu);
  cache_->map.clear();
  cache_->failures.clear();
}

size_t Catalog::model_count() const {
  size_t n = 0;
  for (const auto& p : providers_) n += p.models.size();
  return n;
}

const Provider* Catalog::find_provider(std::string_view ref) const {
  const std::string n = util::ascii_lower(trim_blanks(ref));
  for (const auto& p : providers_)
    if (same_ignoring_case(p.id, n)) return &p;  // (a custom provider's id may have capitals)
  for (const auto& p : providers_)
    if (p.provider_match && p.provider_match->matches(n)) return &p;
  // LiteLLM's names (a spend log's custom_llm_provider, a LiteLLM catalog's providers) beside
  // genai-prices' ids, for providers the two name otherwise: either name finds the provider the
  // catalog names the other way (in a LiteLLM catalog, "google" finds gemini and "aws" bedrock,
  // the first listed that it has).
  static constexpr std::pair<std::string_view, std::string_view> kLiteLLMNames[] = {
      {"gemini", "google"},
      {"vertex_ai-language-models", "google"},
      {"vertex_ai", "google"},
      {"bedrock", "aws"},
      {"bedrock_converse", "aws"},
      {"xai", "x-ai"},
      {"voyage", "voyageai"},
      {"fireworks_ai", "fireworks"},
      {"fireworks_ai-embedding-models", "fireworks"},
      {"azure_ai", "azure"},
      {"codestral", "mistral"},
      {"text-completion-codestral", "mistral"},
      {"cohere_chat", "cohere"},
      {"together_ai", "together"},
      {"moonshot", "moonshotai"},
      {"text-completion-openai", "openai"}};
  for (const auto& [litellm, id] : kLiteLLMNames) {
    if (n != litellm && n != id) continue;
    const std::string_view other = n == litellm ? id : litellm;
    for (const auto& p : providers_)
      if (p.id == other) return &p;
  }
  return nullptr;
}

const Provider* Catalog::find_provider_for_model(std::string_view model) const {
  for (const auto& p : providers_)
    if (p.model_match && p.model_match->matches(model)) return &p;
  return nullptr;
}

Result<ModelRef> Catalog::resolve(std::string_view provider, std::string_view model) const {
  // The cache key is built in a thread-local buffer so repeat lookups do not allocate.
  thread_local std::string key;
  key.assign(provider);
  key.push_back('\x1f');
  key.append(model);
  {
    std::shared_lock lock(cache_->mu);
    auto it = cache_->map.find(std::string_view(key));
    if (it != cache_->map.end() && it->second.model != nullptr) return it->second;
    if (auto f = cache_->failures.find(std::string_view(key)); f != cache_->failures.end())
      return f->second;
  }
  if (model.empty()) return invalid_argument("no model given");
  auto ref = resolve_uncached(provider, model);
  std::unique_lock lock(cache_->mu);
  if (ref) {
    if (cache_->map.size() >= Cache::kMaxResolved) cache_->map.clear();
    cache_->map.emplace(key, *ref);
  } else {
    if (cache_->failures.size() >= Cache::kMaxFailures) cache_->failures.clear();
    cache_->failures.emplace(key, ref.status());
  }
  return ref;
}

Result<ModelRef> Catalog::resolve_uncached(std::string_view provider,
                                           std::string_view model) const {
  auto ref = resolve_name(provider, model);
  if (ref || ref.status().code() != StatusCode::kNotFound) return ref;
  // The name without surrounding blanks, then with its compact dates written out, as
  // genai-prices reads names; the error is the name's as given.
  const std::string_view trimmed = trim_blanks(model);
  if (trimmed.size() != model.size() && !trimmed.empty())
    if (auto again = resolve_name(provider, trimmed)) return again;
  const std::string expanded = expand_compact_dates(trimmed);
  if (expanded != trimmed)
    if (auto again = resolve_name(provider, expanded)) return again;
  // A Google resource name: the Gemini API's "models/gemini-2.5-flash", Vertex AI's
  // "publishers/google/models/gemini-2.5-pro" or "projects/P/locations/L/publishers/google/
  // models/gemini-2.5-pro" (as its SDKs and batch jobs name models): the model's id after the
  // last "models/" segment.
  if (const size_t at = trimmed.rfind("models/");
      at != std::string_view::npos && (at == 0 || trimmed[at - 1] == '/')) {
    const std::string_view id = trimmed.substr(at + 7);
    if (!id.empty() && id.find('/') == std::string_view::npos)
      if (auto again = resolve_uncached(provider, id)) return again;
  }
  return ref;
}

const Model* Catalog::match_with_fallbacks(const Provider& p, std::string_view model) const {
  if (const Model* m = match_model(p, model)) return m;
  for (const auto& id : p.fallback_model_providers)
    for (const auto& fp : providers_)
      if (fp.id == id) {
        if (const Model* m = match_model(fp, model)) return m;
        break;
      }
  return nullptr;
}

namespace {

// " (did you mean a, b or c?)" (`what` before the names), or "" without names.
std::string did_you_mean(const std::vector<std::string>& names, std::string_view what) {
  if (names.empty()) return std::string();
  std::string out = " (did you mean " + std::string(what);
  for (size_t i = 0; i < names.size(); ++i) {
    out += i == 0 ? "" : i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out + "?)";
}

}  // namespace

std::vector<ModelRef> Catalog::search(std::string_view words, const Provider* only) const {
  std::vector<std::string> wanted;
  for (size_t i = 0; i < words.size();) {
    const size_t end = std::min(words.find_first_of(" \t", i), words.size());
    if (end > i) wanted.push_back(util::ascii_lower(words.substr(i, end - i)));
    i = end + 1;
  }
  std::vector<ModelRef> found;
  for (const auto& p : providers_) {
    if (only != nullptr && &p != only) continue;
    for (const auto& m : p.models) {
      const std::string text = util::ascii_lower(m.id) + ' ' + util::ascii_lower(m.name);
      if (std::all_of(wanted.begin(), wanted.end(),
                      [&](const std::string& w) { return text.find(w) != std::string::npos; }))
        found.push_back({&p, &m});
    }
  }
  return found;
}

Status Catalog::unknown_provider(std::string_view provider) const {
  return not_found("unknown provider \"" + std::string(provider) + "\" in catalog " + source_ +
                   did_you_mean(suggest_provider(provider), "provider "));
}

Result<ModelRef> Catalog::resolve_name(std::string_view provider, std::string_view model) const {
  ModelRef ref;
  if (!provider.empty()) {
    ref.provider = find_provider(provider);
    // As genai-prices does, provider "litellm" means LiteLLM's names: "gemini/gemini-2.5-pro".
    if (ref.provider == nullptr && util::ascii_lower(provider) == "litellm")
      return resolve_name("", model);
    if (ref.provider == nullptr) return unknown_provider(provider);
    ref.model = match_with_fallbacks(*ref.provider, model);
    // A name prefixed with its provider ("openai/gpt-4o" for openai): the rest of it.
    if (const auto [prefix, rest] = split_provider_prefix(model);
        ref.model == nullptr && !prefix.empty() && find_provider(prefix) == ref.provider)
      ref.model = match_with_fallbacks(*ref.provider, rest);
    if (ref.model == nullptr)
      return not_found("unknown model \"" + std::string(model) + "\" for provider \"" +
                       ref.provider->id + "\" in catalog " + source_ +
                       did_you_mean(suggest_model(provider, model), ""));
  } else {
    ref.provider = find_provider_for_model(model);
    if (ref.provider != nullptr) ref.model = match_model(*ref.provider, model);
    // A model whose id is the name itself comes before one another provider's match rule finds:
    // in LiteLLM's catalog "gpt-4o" is OpenAI's, and Azure's "azure/gpt-4o" answers to it too.
    for (size_t i = 0; ref.model == nullptr && i < providers_.size(); ++i) {
      for (const auto& m : providers_[i].models) {
        if (m.id == model) {
          ref.model = &m;
          ref.provider = &providers_[i];
          break;
        }
      }
    }
    // Then LiteLLM's "provider/model" names ("gemini/gemini-2.5-flash", "azure/gpt-4o",
    // "anthropic/claude-sonnet-4-5"): the model of the provider the prefix names.
    if (const auto [prefix, rest] = split_provider_prefix(model);
        ref.model == nullptr && !prefix.empty()) {
      if (const Provider* p = find_provider(prefix)) {
        if (const Model* m = match_with_fallbacks(*p, rest)) ref = {p, m};
      }
    }
    // Else the first provider whose rule finds it, unless a later one is named in the model's
    // name: in LiteLLM's catalog "mistral-large-latest" is Mistral's, though Azure's
    // "azure/mistral-large-latest" (earlier in the file) answers to it too. A rule that finds it
    // as written comes before one that finds it ignoring case: in LiteLLM's catalog
    // "meta-llama/llama-4-scout-17b-16e-instruct" is Groq's, not DeepInfra's
    // "meta-llama/Llama-4-Scout-17B-16E-Instruct" (earlier in the file).
    const std::string lowered = ref.model == nullptr ? util::ascii_lower(model) : std::string();
    for (int pass = 0; pass < 2 && ref.model == nullptr; ++pass) {
      const bool exact_case = pass == 0;
      for (size_t i = 0; i < providers_.size() && ref.model == nullptr; ++i) {
        const Model* m = match_model(providers_[i], model, exact_case);
        if (m == nullptr) continue;
        ref = {&providers_[i], m};
        if (lowered.find(providers_[i].id) != std::string::npos) break;
        for (size_t j = i + 1; j < providers_.size(); ++j) {
          if (lowered.find(providers_[j].id) == std::string::npos) continue;
          if (const Model* named = match_model(providers_[j], model, exact_case)) {
            ref = {&providers_[j], named};
            break;
          }
        }
      }
    }
    if (ref.model == nullptr)
      return not_found("unknown model \"" + std::string(model) +
                       "\" (no provider given) in catalog " + source_ +
                       did_you_mean(suggest_model(provider, model), ""));
  }
  return ref;
}

namespace {

// The names `each` offers closest to `name` (up to three at the same distance), none when none
// is within a third of its length (at least 1).
template <typename Each>
std::vector<std::string> closest(std::string_view name, const Each& each) {
  constexpr size_t kMost = 3;
  std::vector<std::string> best;
  size_t best_d = std::max<size_t>(1, name.size() / 3);
  each([&](const std::string& candidate) {
    const size_t d = util::edit_distance(name, candidate, best_d);
    if (d > best_d) return;
    if (d < best_d) best.clear();
    best_d = d;
    if (best.size() < kMost && std::find(best.begin(), best.end(), candidate) == best.end()) {
      best.push_back(candidate);
    }
  });
  return best;
}

}  // namespace

std::vector<std::string> Catalog::suggest_provider(std::string_view provider) const {
  return closest(provider, [&](auto&& visit) {
    for (const auto& p : providers_) visit(p.id);
  });
}

std::vector<std::string> Catalog::suggest_model(std::string_view provider,
                                                std::string_view model) const {
  const Provider* p = provider.empty() ? nullptr : find_provider(provider);
  return closest(model, [&](auto&& visit) {
    for (const auto& q : providers_) {
      const bool fallback = p != nullptr && std::find(p->fallback_model_providers.begin(),
                                                      p->fallback_model_providers.end(),
                                                      q.id) != p->fallback_model_providers.end();
      if (p != nullptr && &q != p && !fallback) continue;
      for (const auto& m : q.models) visit(m.id);
    }
  });
}

Status Catalog::overlay(Catalog custom) {
  for (auto& cp : custom.providers_) {
    // By id, ignoring case as find_provider does ("OpenAI" is openai).
    Provider* target = nullptr;
    for (auto& p : providers_)
      if (same_ignoring_case(p.id, cp.id)) target = &p;
    if (target == nullptr) {
      providers_.push_back(std::move(cp));
      continue;
    }
    // The providers whose model lookups fall back on this one (azure on openai) keep the
    // catalog's models that custom ones replace: custom prices are the named provider's only.
    std::vector<Provider*> falling_back;
    for (auto& q : providers_)
      if (&q != target &&
          std::find(q.fallback_model_providers.begin(), q.fallback_model_providers.end(),
                    target->id) != q.fallback_model_providers.end())
        falling_back.push_back(&q);
    auto keep_for_fallbacks = [&](const Model& replaced) {
      for (Provider* q : falling_back)
        if (std::none_of(q->models.begin(), q->models.end(),
                         [&](const Model& x) { return x.id == replaced.id; }))
          q->models.push_back(replaced);
    };
    // Custom models with match rules of their own are tried first; one that names only its id
    // (as one without "match" does) and replaces a catalog model takes that model's place, the
    // names it answers to (gpt-4o's prices are gpt-4o-2024-08-06's too), and its name and
    // context window when it gives none.
    std::vector<Model> merged, in_place;
    for (auto& m : cp.models) {
      const MatchRule own = MatchRule::leaf(MatchRule::Kind::kEquals, m.id);
      const bool names_only_its_id = m.match.kind() == own.kind() && m.match.text() == own.text() &&
                                     m.match.children().empty();
      const bool replaces = std::any_of(target->models.begin(), target->models.end(),
                                        [&](const Model& t) { return t.id == m.id; });
      (names_only_its_id && replaces ? in_place : merged).push_back(std::move(m));
    }
    const size_t own_rules = merged.size();
    for (auto& t : target->models) {
      auto same_id = [&](const Model& x) { return x.id == t.id; };
      if (std::any_of(merged.begin(), merged.begin() + own_rules, same_id)) {
        keep_for_fallbacks(t);
        continue;
      }
      const auto replacing = std::find_if(in_place.begin(), in_place.end(), same_id);
      if (replacing == in_place.end()) {
        merged.push_back(std::move(t));
        continue;
      }
      keep_for_fallbacks(t);
      Model& m = *replacing;
      const MatchRule own = m.match;
      m.match = t.match.matches(m.id) ? t.match : MatchRule::any_of({t.match, own});
      if (m.name == m.id) m.name = t.name;
      if (m.context_window == 0) m.context_window = t.context_window;
      merged.push_back(std::move(m));
    }
    target->models = std::move(merged);
    if (!cp.extractors.empty()) target->extractors = std::move(cp.extractors);
    for (auto& f : cp.price_factors) {
      std::erase_if(target->price_factors, [&](const auto& t) { return t.variant == f.variant; });
      target->price_factors.push_back(std::move(f));
    }
    target->derive_variant_prices();
  }
  // The discounts point into the providers, which may have moved: resolved again, with
  // `custom`'s, one of its replacing this catalog's of its name.
  std::vector<Discount> discounts = std::move(discounts_);
  for (Discount& d : custom.discounts_) Discount::put_by_name(discounts, std::move(d));
  discounts_.clear();
  discounted_.clear();
  clear_cache();
  if (discounts.empty()) return Status::ok();
  return set_discounts(std::move(discounts)).with_context(custom.source_);
}

}  // namespace costops::pricing
