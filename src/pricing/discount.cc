// Contract discounts: a percentage off a provider's list prices, resolved to the models it covers.
#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "costops/pricing/catalog.h"
#include "util/text.h"

namespace costops::pricing {
namespace {

// Whether the days of `a` and `b` share one.
bool overlap(const Discount& a, const Discount& b) {
  const bool a_ends_before_b = a.to && b.from && *a.to < *b.from;
  const bool b_ends_before_a = b.to && a.from && *b.to < *a.from;
  return !a_ends_before_b && !b_ends_before_a;
}

}  // namespace

Status Catalog::set_discounts(std::vector<Discount> discounts) {
  discounts_.clear();
  discounted_.clear();
  std::map<std::pair<const Provider*, const Model*>, std::vector<size_t>> covered;
  for (size_t i = 0; i < discounts.size(); ++i) {
    const Discount& d = discounts[i];
    COSTOPS_RETURN_IF_ERROR(d.check());
    auto fail = [&](const std::string& what) {
      return invalid_argument("discount \"" + d.name + "\": " + what);
    };
    const Provider* p = find_provider(d.provider);
    if (p == nullptr)
      return unknown_provider(d.provider).with_context("discount \"" + d.name + "\"");
    if (d.models.empty()) covered[{p, nullptr}].push_back(i);
    for (const std::string& name : d.models) {
      if (name.find('*') == std::string::npos) {
        auto ref = resolve(p->id, name);
        if (!ref) return ref.status().with_context("discount \"" + d.name + "\"");
        covered[{p, ref->model}].push_back(i);
        continue;
      }
      // A pattern: the ids of the models the provider bills, its own and those it falls back on.
      std::vector<const Provider*> billing = {p};
      for (const auto& id : p->fallback_model_providers)
        if (const Provider* f = find_provider(id)) billing.push_back(f);
      size_t matched = 0;
      for (const Provider* q : billing)
        for (const Model& m : q->models)
          if (util::star_match(name, m.id)) {
            auto& list = covered[{p, &m}];
            if (std::find(list.begin(), list.end(), i) == list.end()) list.push_back(i);
            ++matched;
          }
      if (matched == 0) return fail("\"" + name + "\" matches no model id of " + p->id);
    }
  }
  for (const auto& [key, list] : covered)
    for (size_t a = 0; a < list.size(); ++a)
      for (size_t b = a + 1; b < list.size(); ++b)
        if (overlap(discounts[list[a]], discounts[list[b]])) {
          const std::string what = key.second == nullptr ? "all models of " + key.first->id
                                                         : key.first->id + " " + key.second->id;
          return invalid_argument("discounts \"" + discounts[list[a]].name + "\" and \"" +
                                  discounts[list[b]].name + "\" both cover " + what +
                                  " on a day they share: give them days apart");
        }
  discounts_ = std::move(discounts);
  discounted_ = std::move(covered);
  return Status::ok();
}

std::vector<const Discount*> Catalog::discounts_of(const ModelRef& ref) const {
  std::vector<const Discount*> out;
  for (const Model* m : {ref.model, static_cast<const Model*>(nullptr)})
    if (const auto it = discounted_.find({ref.provider, m}); it != discounted_.end())
      for (const size_t i : it->second) out.push_back(&discounts_[i]);
  return out;
}

const Discount* Catalog::find_discount(const ModelRef& ref, Timestamp at) const {
  // The model's own discounts first, then the provider's for all its models.
  for (const Model* m : {ref.model, static_cast<const Model*>(nullptr)}) {
    const auto it = discounted_.find({ref.provider, m});
    if (it == discounted_.end()) continue;
    for (const size_t i : it->second)
      if (discounts_[i].active(at)) return &discounts_[i];
  }
  return nullptr;
}

}  // namespace costops::pricing
