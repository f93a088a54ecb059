#include "costops/pricing/diff.h"

#include <map>
#include <set>
#include <utility>

#include "costops/domain/units.h"

namespace costops::pricing {
namespace {

// A model's standard prices in effect at `at`, by unit and then tier threshold (-1: the base
// price), in registry order.
using FlatPrices = std::map<std::pair<UnitId, int64_t>, Decimal>;

FlatPrices flat(const PriceSet* ps) {
  FlatPrices out;
  if (ps == nullptr) return out;
  for (const auto& up : ps->prices()) {
    out.emplace(std::pair{up.unit, int64_t{-1}}, up.base);
    for (const auto& t : up.tiers) out.emplace(std::pair{up.unit, t.start}, t.price);
  }
  return out;
}

// A model's prices in effect at `at`: the standard ones (""), and those of each of its variants
// ("batch", "flex", "priority"; its own or derived by its provider's price factors) by name.
struct VariantPrices {
  FlatPrices prices;
  bool derived = false;  // by a price factor of the provider's
};
std::map<std::string, VariantPrices> model_prices(const Model& m, Timestamp at) {
  std::map<std::string, VariantPrices> out;
  out[""] = {flat(Catalog::select(m, at, "", false).prices), false};
  for (const PriceVariant& v : m.variants) {
    const std::string name = v.batch ? "batch" : v.service_tier;
    const SelectedPrice sel = Catalog::select(m, at, v.batch ? "" : v.service_tier, v.batch);
    if (name.empty() || sel.variant != name || out.count(name)) continue;
    out[name] = {flat(sel.prices), v.derived_factor.has_value()};
  }
  return out;
}

std::string price_name(const std::string& variant, const std::pair<UnitId, int64_t>& key) {
  std::string name = variant.empty() ? "" : variant + ":";
  name += kUnits[key.first].price_key;
  if (key.second >= 0) name += ">" + std::to_string(key.second);
  return name;
}

std::optional<Decimal> find(const FlatPrices& prices, const std::pair<UnitId, int64_t>& key) {
  auto it = prices.find(key);
  return it == prices.end() ? std::nullopt : std::optional<Decimal>(it->second);
}

// The model of `to` with `m`'s provider and id: a release of the same catalog
// keeps its ids, and a model's match rule need not accept its own id (genai-prices' "ft:gpt-4o"
// matches fine-tuned models' names, which start so).
Result<ModelRef> same_model(const Catalog& to, const Provider& p, const Model& m) {
  const Provider* q = to.find_provider(p.id);
  if (q != nullptr) {
    for (const Model& n : q->models) {
      if (n.id == m.id) return ModelRef{q, &n};
    }
  }
  return not_found(m.id);
}

// A row of a whole model: removed or added.
PriceDifference model_row(PriceDifference::Kind kind, const Provider& p, const Model& m) {
  PriceDifference d;
  d.kind = kind;
  d.provider = p.id;
  d.model = m.id;
  return d;
}

}  // namespace

CatalogDifferences diff_catalogs(const Catalog& from, const Catalog& to, Timestamp at,
                                 const Provider* only) {
  using Kind = PriceDifference::Kind;
  CatalogDifferences d;
  std::set<const Model*> reached;  // models of `to` some model of `from` resolves to
  for (const Provider& p : from.providers()) {
    if (only != nullptr && &p != only) continue;
    for (const Model& m : p.models) {
      ++d.compared;
      auto ref = same_model(to, p, m);
      if (!ref) ref = to.resolve(p.id, m.id);
      if (!ref) {
        ++d.removed;
        d.rows.push_back(model_row(Kind::kRemoved, p, m));
        continue;
      }
      reached.insert(ref->model);
      const auto a = model_prices(m, at), b = model_prices(*ref->model, at);
      std::set<std::string> variants;
      for (const auto& [name, prices] : a) variants.insert(name);
      for (const auto& [name, prices] : b) variants.insert(name);
      bool differs = false;
      for (const std::string& variant : variants) {  // the standard prices ("") first
        static const VariantPrices kNone;
        const auto ia = a.find(variant), ib = b.find(variant);
        // A variant one catalog derives for all of a provider's models (a price factor) and the
        // other has not is not compared: most of those models offer no such tier at all.
        if ((ia == a.end() && ib->second.derived) || (ib == b.end() && ia->second.derived))
          continue;
        const FlatPrices& pa = (ia == a.end() ? kNone : ia->second).prices;
        const FlatPrices& pb = (ib == b.end() ? kNone : ib->second).prices;
        std::set<std::pair<UnitId, int64_t>> keys;
        for (const auto& [k, v] : pa) keys.insert(k);
        for (const auto& [k, v] : pb) keys.insert(k);
        for (const auto& k : keys) {
          std::optional<Decimal> x = find(pa, k), y = find(pb, k);
          if (x == y) continue;
          differs = true;
          d.rows.push_back({.kind = Kind::kChanged,
                            .provider = p.id,
                            .model = m.id,
                            .to_model = ref->model->id == m.id ? "" : ref->model->id,
                            .price = price_name(variant, k),
                            .from_price = x,
                            .to_price = y});
        }
      }
      ++(differs ? d.changed : d.same);
    }
  }
  const Provider* to_only = only != nullptr ? to.find_provider(only->id) : nullptr;
  for (const Provider& p : to.providers()) {
    if (only != nullptr && &p != to_only) continue;
    for (const Model& m : p.models) {
      if (reached.count(&m)) continue;
      ++d.added;
      d.rows.push_back(model_row(Kind::kAdded, p, m));
    }
  }
  return d;
}

}  // namespace costops::pricing
