#include "costops/engine/whatif.h"

#include "costops/engine/cost_calculator.h"

namespace costops::engine {

Result<ModelSwap> ModelSwap::parse(std::string_view text) {
  const size_t eq = text.find('=');
  ModelSwap s;
  if (eq != std::string_view::npos) {
    s.from = std::string(text.substr(0, eq));
    s.to = std::string(text.substr(eq + 1));
  }
  if (s.from.empty() || s.to.empty()) {
    return invalid_argument("a swap is FROM=TO, two model names (gpt-4o=gpt-4o-mini), got \"" +
                            std::string(text) + "\"");
  }
  if (s.to.find('*') != std::string::npos) {
    return invalid_argument("the model a swap moves calls to is one name, not a pattern: \"" +
                            s.to + "\"");
  }
  return s;
}

WhatIf::WhatIf(const pricing::Catalog& catalog, AggregateQuery grouping, WhatIfOptions options)
    : catalog_(&catalog), grouping_(std::move(grouping)), options_(std::move(options)) {}

Result<WhatIf> WhatIf::make(const pricing::Catalog& catalog, AggregateQuery grouping,
                            WhatIfOptions options) {
  WhatIf w(catalog, std::move(grouping), std::move(options));
  for (const ModelSwap& s : w.options_.swaps) {
    if (auto to = catalog.resolve("", s.to); !to) {
      return to.status().with_context("swap " + s.from + "=" + s.to);
    }
    std::string from_id, from_provider;
    std::optional<Filter> pattern;
    const size_t slash = s.from.find('/');
    const pricing::Provider* named =
        slash == std::string::npos ? nullptr : catalog.find_provider(s.from.substr(0, slash));
    if (s.from.find('*') != std::string::npos) {
      pattern.emplace();
      pattern->key.kind = GroupKey::Kind::kModel;
      pattern->value = s.from;
    } else if (named != nullptr) {
      // "openai/gpt-4o": that provider's calls of the model (OpenRouter's model of that name
      // matches by its name as stored).
      if (auto from = catalog.resolve(named->id, s.from.substr(slash + 1))) {
        from_id = from->model->id;
        from_provider = named->id;
      }
    } else if (auto from = catalog.resolve("", s.from)) {
      from_id = from->model->id;
    }
    w.from_ids_.push_back(std::move(from_id));
    w.from_providers_.push_back(std::move(from_provider));
    w.patterns_.push_back(std::move(pattern));
    w.swaps_.push_back({s, 0, {}});
  }
  return w;
}

int WhatIf::swap_of(const UsageRecord& r) const {
  for (size_t i = 0; i < options_.swaps.size(); ++i) {
    if (patterns_[i]) {
      if (patterns_[i]->matches(r.model)) return static_cast<int>(i);
      continue;
    }
    if (r.model == options_.swaps[i].from) return static_cast<int>(i);
    if (from_ids_[i].empty()) continue;
    if (auto ref = catalog_->resolve(r.provider, r.model);
        ref && ref->model->id == from_ids_[i] &&
        (from_providers_[i].empty() || ref->provider->id == from_providers_[i]))
      return static_cast<int>(i);
  }
  return -1;
}

Status WhatIf::add(const PricedRecord& stored, std::string* unpriced_reason) {
  if (unpriced_reason) unpriced_reason->clear();
  scratch_ = stored.usage;
  const int swap = swap_of(scratch_);
  if (swap >= 0) {
    const std::string& to = options_.swaps[static_cast<size_t>(swap)].to;
    // The record's own provider's model of that name, else the one the name resolves to.
    if (!catalog_->resolve(scratch_.provider, to)) {
      auto ref = catalog_->resolve("", to);  // resolved in make(), so found (cached)
      if (ref) scratch_.provider = ref->provider->id;
      scratch_.api_flavor.clear();
    }
    scratch_.model = to;
  }
  if (options_.without_cache) {
    for (int u = 0; u < kUnitCount; ++u) {
      if (kUnits[u].dims[static_cast<int>(Dimension::kTokenType)].starts_with("cache_")) {
        scratch_.usage.counts[u] = 0;
        scratch_.usage.present &= ~(uint64_t{1} << u);
      }
    }
  }
  if (options_.standard_tier) {
    scratch_.batch = false;
    scratch_.service_tier.clear();
  }
  if (options_.as_of) {
    // The as-of day's prices at the record's own time of day (UTC), for prices that change with
    // the time of day.
    using std::chrono::days;
    const Timestamp t = scratch_.timestamp;
    scratch_.timestamp =
        std::chrono::floor<days>(*options_.as_of) + (t - std::chrono::floor<days>(t));
    scratch_.has_timestamp = true;
  }
  const Status priced =
      CostCalculator::price_record_into(*catalog_, scratch_, scratch_.timestamp, &priced_);
  if (swap >= 0) {
    SwapCount& sc = swaps_[static_cast<size_t>(swap)];
    ++sc.records;
    if (priced.is_ok()) ++sc.to_models[priced_.provider + "/" + priced_.model];
  }
  if (!priced.is_ok() && unpriced_reason) *unpriced_reason = priced.message();

  std::optional<Money> cost, whatif_cost;
  if (stored.cost) cost = stored.cost->total_cost;
  if (priced.is_ok()) whatif_cost = priced_.total_cost;
  if (options_.currency != nullptr) {
    const auto day = grouping_.time_zone.local_day(stored.usage.timestamp);
    for (std::optional<Money>* m : {&cost, &whatif_cost}) {
      if (!*m) continue;
      auto converted = options_.currency->convert(**m, day);
      if (!converted) return converted.status();
      **m = *converted;
    }
  }

  std::vector<std::string> keys = group_values(stored, grouping_);
  WhatIfRow& row = groups_[keys];
  if (row.keys.empty()) row.keys = std::move(keys);
  bool ok = true;
  for (WhatIfRow* r : {&row, &total_}) {
    ++r->records;
    if (swap >= 0) ++r->swapped;
    if (!stored.cost) ++r->unpriced;
    if (!priced.is_ok()) ++r->unpriced_whatif;
    if (cost) ok &= add_cost(r->cost, *cost);
    if (whatif_cost) ok &= add_cost(r->whatif_cost, *whatif_cost);
    if (cost && whatif_cost && cost->currency == whatif_cost->currency) {
      ++r->compared;
      ok &= add_cost(r->compared_cost, *cost);
      Money diff = *whatif_cost;
      ok &= Decimal::add_checked(diff.amount, -cost->amount, &diff.amount);
      ok &= add_cost(r->change, diff);
    }
  }
  if (!ok) return out_of_range("the what-if's cost overflows");
  return Status::ok();
}

std::vector<WhatIfRow> WhatIf::rows() const {
  std::vector<WhatIfRow> out;
  out.reserve(groups_.size());
  for (const auto& [k, row] : groups_) out.push_back(row);
  return out;
}

}  // namespace costops::engine
