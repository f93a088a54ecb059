// Writes providers as a cost-ops catalog document: the inverse of loaders.cc's cost-ops reader,
// so that any catalog cost-ops reads (genai-prices', LiteLLM's, its own) can be saved, edited and
// read back with the same prices.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "costops/pricing/catalog.h"

namespace costops::pricing {
namespace {

// Keys in the order a reader expects (id first, prices before variants), not sorted.
using json = nlohmann::ordered_json;

json match_json(const MatchRule& r) {
  switch (r.kind()) {
    case MatchRule::Kind::kEquals:
      return {{"equals", r.text()}};
    case MatchRule::Kind::kStartsWith:
      return {{"starts_with", r.text()}};
    case MatchRule::Kind::kEndsWith:
      return {{"ends_with", r.text()}};
    case MatchRule::Kind::kContains:
      return {{"contains", r.text()}};
    case MatchRule::Kind::kRegex:
      return {{"regex", r.text()}};
    case MatchRule::Kind::kOr:
    case MatchRule::Kind::kAnd: {
      json rules = json::array();
      for (const auto& c : r.children()) rules.push_back(match_json(c));
      return {{r.kind() == MatchRule::Kind::kOr ? "or" : "and", std::move(rules)}};
    }
  }
  return nullptr;
}

json path_json(const Path& path) {
  json steps = json::array();
  for (const auto& s : path) {
    if (!s.array_match) {
      steps.push_back(s.key);
      continue;
    }
    json step = {{"type", "array-match"}, {"field", s.field}};
    if (s.match) step["match"] = match_json(*s.match);
    steps.push_back(std::move(step));
  }
  return steps;
}

json extractor_json(const Extractor& e) {
  json mappings = json::array();
  for (const auto& m : e.mappings) {
    json o = {{"path", path_json(m.path)},
              {"dest", std::string(kUnits[m.dest].usage_key)},
              {"required", m.required}};
    if (m.fallback) o["fallback"] = true;
    mappings.push_back(std::move(o));
  }
  return {{"api_flavor", e.api_flavor},
          {"root", path_json(e.root)},
          {"model_path", path_json(e.model_path)},
          {"mappings", std::move(mappings)}};
}

// Exact decimal strings (a JSON number would be read back exactly too, but a string says so),
// in the unit registry's order whatever order the catalog gave them in.
json price_set_json(const PriceSet& ps) {
  std::vector<const UnitPrice*> prices;
  for (const auto& p : ps.prices()) prices.push_back(&p);
  std::sort(prices.begin(), prices.end(), [](auto* a, auto* b) { return a->unit < b->unit; });
  json out = json::object();
  for (const UnitPrice* up : prices) {
    const UnitPrice& p = *up;
    const std::string key(kUnits[p.unit].price_key);
    if (p.tiers.empty()) {
      out[key] = p.base.to_string();
      continue;
    }
    json tiers = json::array();
    for (const auto& t : p.tiers)
      tiers.push_back({{"start", t.start}, {"price", t.price.to_string()}});
    out[key] = {{"base", p.base.to_string()}, {"tiers", std::move(tiers)}};
  }
  return out;
}

json constraint_json(const PriceConstraint& c) {
  switch (c.kind) {
    case PriceConstraint::Kind::kNone:
      return nullptr;
    case PriceConstraint::Kind::kStartDate:
      return {{"start_date", c.start_date_text()}};
    case PriceConstraint::Kind::kTimeOfDay:
      return {{"start_time", PriceConstraint::clock_text(c.start_second) + "Z"},
              {"end_time", PriceConstraint::clock_text(c.end_second) + "Z"}};
  }
  return nullptr;
}

// One unconditional price set as an object, else the list of conditional ones.
json prices_json(const std::vector<ConditionalPrice>& prices) {
  if (prices.size() == 1 && prices[0].constraint.kind == PriceConstraint::Kind::kNone)
    return price_set_json(prices[0].prices);
  json list = json::array();
  for (const auto& cp : prices) {
    json entry = json::object();
    if (json c = constraint_json(cp.constraint); !c.is_null()) entry["constraint"] = std::move(c);
    entry["prices"] = price_set_json(cp.prices);
    list.push_back(std::move(entry));
  }
  return list;
}

json model_json(const Model& m) {
  json j = {{"id", m.id}};
  if (m.name != m.id) j["name"] = m.name;
  j["match"] = match_json(m.match);
  if (m.context_window > 0) j["context_window"] = m.context_window;
  if (m.deprecated) j["deprecated"] = true;
  j["prices"] = prices_json(m.prices);
  json variants = json::array();
  for (const auto& v : m.variants) {
    if (v.derived_factor) continue;  // the provider's price_factors derive it again
    json vj = json::object();
    if (!v.service_tier.empty()) vj["service_tier"] = v.service_tier;
    if (v.batch) vj["batch"] = true;
    vj["prices"] = prices_json(v.prices);
    variants.push_back(std::move(vj));
  }
  if (!variants.empty()) j["variants"] = std::move(variants);
  return j;
}

json provider_json(const Provider& p) {
  json j = {{"id", p.id}};
  if (p.name != p.id) j["name"] = p.name;
  if (!p.api_pattern.empty()) j["api_pattern"] = p.api_pattern;
  if (p.provider_match) j["provider_match"] = match_json(*p.provider_match);
  if (p.model_match) j["model_match"] = match_json(*p.model_match);
  if (!p.extractors.empty()) {
    json extractors = json::array();
    for (const auto& e : p.extractors) extractors.push_back(extractor_json(e));
    j["extractors"] = std::move(extractors);
  }
  if (!p.fallback_model_providers.empty())
    j["fallback_model_providers"] = p.fallback_model_providers;
  if (!p.price_factors.empty()) {
    json factors = json::object();
    for (const auto& f : p.price_factors) factors[f.variant] = f.factor.to_string();
    j["price_factors"] = std::move(factors);
  }
  json models = json::array();
  for (const auto& m : p.models) models.push_back(model_json(m));
  j["models"] = std::move(models);
  return j;
}

json discount_list_json(std::span<const Discount> discounts) {
  json list = json::array();
  for (const Discount& d : discounts) {
    auto day = [](const std::optional<std::chrono::sys_days>& x) {
      return x ? json(Discount::day_text(x)) : json(nullptr);
    };
    list.push_back({{"name", d.name},
                    {"provider", d.provider},
                    {"models", d.models},
                    {"percent", d.percent.to_string()},
                    {"from", day(d.from)},
                    {"to", day(d.to)}});
  }
  return list;
}

}  // namespace

std::string write_cost_ops_catalog(std::span<const Provider> providers, Currency currency,
                                   int indent, std::span<const Discount> discounts) {
  json list = json::array();
  for (const auto& p : providers) list.push_back(provider_json(p));
  json doc = {{"format", "cost-ops-catalog"},
              {"version", 1},
              {"currency", std::string(currency.code())},
              {"providers", std::move(list)}};
  if (!discounts.empty()) doc["discounts"] = discount_list_json(discounts);
  return doc.dump(indent);
}

std::string write_discounts(std::span<const Discount> discounts, int indent) {
  return discount_list_json(discounts).dump(indent);
}

}  // namespace costops::pricing
