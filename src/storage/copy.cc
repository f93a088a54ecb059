// Copying stored records, budgets and custom prices from one store into another (a SQLite file
// into a team's PostgreSQL database, or several into one).
#include <algorithm>
#include <map>

#include "costops/storage/store.h"

namespace costops::storage {
namespace {

// A budget as one comparable text: every field that defines it.
std::string budget_text(const Budget& b) {
  std::string text =
      b.period + "|" + b.amount.to_string() + "|" + b.currency + "|" + filters_text(b.scope) + "|";
  for (double t : b.thresholds) text += std::to_string(t) + ",";
  return text;
}

}  // namespace

Status copy_records(Store& from, Store& to, const AggregateQuery& query, CopyStats* stats,
                    size_t batch_size, const std::function<void(const CopyStats&)>& on_batch) {
  std::vector<PricedRecord> batch;
  batch.reserve(std::min<size_t>(batch_size, 10'000));
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::ok();
    auto w = to.write(std::span<const PricedRecord>(batch));
    if (!w) return w.status();
    stats->written.stored += w->stored;
    stats->written.duplicates += w->duplicates;
    stats->written.unpriced += w->unpriced;
    batch.clear();
    if (on_batch) on_batch(*stats);
    return Status::ok();
  };
  COSTOPS_RETURN_IF_ERROR(from.scan(query, [&](const PricedRecord& r) {
    ++stats->selected;
    batch.push_back(r);
    return batch.size() >= batch_size ? flush() : Status::ok();
  }));
  return flush();
}

Status copy_settings(Store& from, Store& to, const std::vector<Filter>& selection,
                     CopyStats* stats) {
  // A custom price is within the selection when its provider and model pass the selection's
  // filters of those two keys.
  std::vector<Filter> of_models;
  for (const Filter& f : selection) {
    if (f.key.kind == GroupKey::Kind::kProvider || f.key.kind == GroupKey::Kind::kModel)
      of_models.push_back(f);
  }
  auto budgets = from.budgets();
  if (!budgets) return budgets.status();
  auto there = to.budgets();
  if (!there) return there.status();
  std::map<std::string, std::string> held;  // name -> budget_text
  for (const Budget& b : *there) held.emplace(b.name, budget_text(b));
  for (const Budget& b : *budgets) {
    if (!scope_within(b.scope, selection)) {
      stats->budgets_outside.push_back(b.name);
      continue;
    }
    const auto it = held.find(b.name);
    if (it == held.end()) {
      COSTOPS_RETURN_IF_ERROR(to.put_budget(b));
      ++stats->budgets;
    } else if (it->second == budget_text(b)) {
      ++stats->budgets_present;
    } else {
      stats->budgets_kept.push_back(b.name);
    }
  }
  auto prices = from.custom_prices();
  if (!prices) return prices.status();
  auto held_prices = to.custom_prices();
  if (!held_prices) return held_prices.status();
  std::map<std::pair<std::string, std::string>, std::string> by_model;
  for (const CustomPrice& p : *held_prices)
    by_model.emplace(std::pair{p.provider, p.model_id}, p.entry_json);
  std::vector<CustomPrice> added;
  for (const CustomPrice& p : *prices) {
    Filter provider, model;
    provider.key.kind = GroupKey::Kind::kProvider;
    provider.value = p.provider;
    model.key.kind = GroupKey::Kind::kModel;
    model.value = p.model_id;
    if (!scope_within({provider, model}, of_models)) {
      stats->prices_outside.push_back(p.provider + "/" + p.model_id);
      continue;
    }
    const auto it = by_model.find({p.provider, p.model_id});
    if (it == by_model.end()) {
      added.push_back(p);
    } else if (it->second == p.entry_json) {
      ++stats->prices_present;
    } else {
      stats->prices_kept.push_back(p.provider + "/" + p.model_id);
    }
  }
  if (!added.empty()) COSTOPS_RETURN_IF_ERROR(to.put_custom_prices(added));
  stats->prices += added.size();
  // Discounts: by name, within the selection when their provider passes its provider filters.
  std::vector<Filter> of_providers;
  for (const Filter& f : of_models)
    if (f.key.kind == GroupKey::Kind::kProvider) of_providers.push_back(f);
  auto discounts = from.discounts();
  if (!discounts) return discounts.status();
  auto held_discounts = to.discounts();
  if (!held_discounts) return held_discounts.status();
  for (const Discount& d : *discounts) {
    Filter provider;
    provider.key.kind = GroupKey::Kind::kProvider;
    provider.value = d.provider;
    if (!scope_within({provider}, of_providers)) {
      stats->discounts_outside.push_back(d.name);
      continue;
    }
    const auto it = std::find_if(held_discounts->begin(), held_discounts->end(),
                                 [&](const Discount& h) { return h.name == d.name; });
    if (it == held_discounts->end()) {
      COSTOPS_RETURN_IF_ERROR(to.put_discount(d));
      ++stats->discounts;
    } else if (*it == d) {
      ++stats->discounts_present;
    } else {
      stats->discounts_kept.push_back(d.name);
    }
  }
  return Status::ok();
}

}  // namespace costops::storage
