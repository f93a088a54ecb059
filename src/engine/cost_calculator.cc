#include "costops/engine/cost_calculator.h"

#include <bit>

namespace costops::engine {
namespace {

using pricing::PriceSet;

[[gnu::noinline]] Status inconsistent(const PriceSet& ps, const PriceSet::Leaf& leaf,
                                      const Usage& usage, int64_t value) {
  std::string m = "usage parts exceed their whole: ";
  bool first = true;
  for (int t = leaf.term_begin; t < leaf.term_end; ++t) {
    const UnitId u = ps.terms()[t].unit;
    if (!first) m += ", ";
    first = false;
    m += kUnits[u].usage_key;
    m += '=';
    m += std::to_string(usage.get(u));
  }
  m += " leaves " + std::to_string(value) + " " + std::string(kUnits[leaf.unit].usage_key);
  return {StatusCode::kInconsistentUsage, std::move(m)};
}

// A part with no price of its own is billed inside its priced ancestors; one the usage does not
// give counts 0, so the part exceeds it: cache reads with no input would otherwise cost nothing.
// (Priced parts are checked by their leaves; a part exceeding a whole that is given is a warning,
// see record_warnings, as genai-prices prices it.)
[[gnu::noinline]] Status check_unpriced_parts(const PriceSet& ps, const Usage& usage,
                                              uint64_t parts) {
  const uint64_t missing = ps.priced_mask() & ~usage.present;
  for (; parts != 0; parts &= parts - 1) {
    const int u = std::countr_zero(parts);
    const uint64_t wholes = kAncestorMasks[u] & missing;
    if (usage.counts[u] <= 0 || wholes == 0) continue;
    const std::string_view whole = kUnits[std::countr_zero(wholes)].usage_key;
    return {StatusCode::kInconsistentUsage,
            "usage parts exceed their whole: " + std::string(whole) + "=0 (not given), " +
                std::string(kUnits[u].usage_key) + '=' + std::to_string(usage.counts[u]) +
                " leaves -" + std::to_string(usage.counts[u]) + ' ' + std::string(whole)};
  }
  return Status::ok();
}

}  // namespace

Status CostCalculator::price(const PriceSet& ps, const Usage& usage, int64_t tier_input_tokens,
                             PriceResult* out) {
  out->n_lines = 0;
  int128 sums[3] = {0, 0, 0};  // by direction: none, input, output
  int128 total = 0;
  bool overflow = false;
  int64_t tier_input = tier_input_tokens;
  if (tier_input < 0) {
    tier_input = usage.get(units::kInputTokens);
    if (const int64_t n = usage.requests(); n > 1) tier_input /= n;
  }
  if (const uint64_t unpriced =
          usage.present & ~ps.priced_mask() & ~(uint64_t{1} << units::kRequests);
      unpriced != 0 && (ps.priced_mask() & ~usage.present) != 0)
    COSTOPS_RETURN_IF_ERROR(check_unpriced_parts(ps, usage, unpriced));
  const auto& terms = ps.terms();
  const auto& rates = ps.rates();
  for (const auto& leaf : ps.leaves()) {
    if ((usage.present & leaf.term_mask) == 0 && leaf.unit != units::kRequests) continue;
    int64_t q = 0;
    for (int t = leaf.term_begin; t < leaf.term_end; ++t)
      q += terms[t].coef * usage.counts[terms[t].unit];
    if (leaf.unit == units::kRequests) q = usage.requests();  // absent: one call
    if (q < 0) return inconsistent(ps, leaf, usage, q);
    int r = leaf.rate_begin;
    for (int k = leaf.rate_begin + 1; k < leaf.rate_end; ++k)
      if (tier_input > rates[k].above) r = k;
    const auto& rate = rates[r];
    if (q > rate.max_quantity) [[unlikely]]
      return out_of_range("cost of " + std::string(kUnits[leaf.unit].usage_key) + " overflows");
    int128 c;
    if (rate.exact) [[likely]] {
      c = rate.per_unit.raw() * q;
    } else {
      c = div_round(rate.per_block.raw() * q, leaf.per, RoundingMode::kHalfEven);
    }
    const Decimal cost = Decimal::from_raw(c);
    overflow |= __builtin_add_overflow(sums[leaf.direction], c, &sums[leaf.direction]);
    overflow |= __builtin_add_overflow(total, c, &total);
    if (q != 0 && out->n_lines < PriceResult::kMaxLines)
      out->lines[out->n_lines++] = {leaf.unit, q, rate.per_block, cost};
  }
  if (overflow) [[unlikely]]
    return out_of_range("total cost overflows (more than 1.7e14)");
  out->input = Decimal::from_raw(sums[1]);
  out->output = Decimal::from_raw(sums[2]);
  out->total = Decimal::from_raw(total);
  return Status::ok();
}

std::vector<std::string> record_warnings(const pricing::SelectedPrice& sel, const UsageRecord& rec,
                                         std::string_view model) {
  std::vector<std::string> w;
  const PriceSet& ps = *sel.prices;
  const Usage& usage = rec.usage;
  const std::string_view tier = rec.service_tier;
  if (!tier.empty() && sel.variant.empty() && tier != "standard" && tier != "default" &&
      tier != "auto")
    w.push_back("no " + std::string(tier) + " prices for " + std::string(model) +
                "; standard prices used");
  if (rec.batch && sel.variant != "batch")
    w.push_back("no batch prices for " + std::string(model) + "; standard prices used");
  if (!rec.unread_counts.empty())
    w.push_back(rec.unread_counts +
                " not read: no usage key (input_tokens, cache_read_tokens, cache_write_tokens, "
                "output_reasoning_tokens, ...; prompt_tokens, completion_tokens); its tokens are "
                "not priced");
  if (!rec.unread_logged_cost.empty())
    w.push_back("the logged cost " + rec.unread_logged_cost +
                " not read: not a decimal number; not compared with the price");
  // A count of requests is what the usage sums, not something to bill, when no fee is priced.
  uint64_t rest = usage.present & ~ps.priced_mask() & ~(uint64_t{1} << units::kRequests);
  while (rest != 0) {
    const int u = std::countr_zero(rest);
    rest &= rest - 1;
    if (usage.counts[u] == 0) continue;
    const UnitDef& def = kUnits[u];
    // A part larger than a whole the usage gives (reasoning tokens beyond the output tokens):
    // the whole is billed, as genai-prices does, but the figures do not add up.
    uint64_t short_wholes = 0;
    for (uint64_t a = kAncestorMasks[u] & usage.present; a != 0; a &= a - 1)
      if (usage.counts[std::countr_zero(a)] < usage.counts[u]) short_wholes |= a & -a;
    if (short_wholes != 0) {
      const std::string_view whole = kUnits[std::countr_zero(short_wholes)].usage_key;
      w.push_back(std::string(def.usage_key) + "=" + std::to_string(usage.counts[u]) + " exceeds " +
                  std::string(whole) + "=" +
                  std::to_string(usage.counts[std::countr_zero(short_wholes)]) +
                  ", which includes it; " + std::string(whole) + " billed as given");
      continue;
    }
    if (!((ps.covered_mask() >> u) & 1u)) {
      w.push_back(std::string(def.usage_key) + "=" + std::to_string(usage.counts[u]) +
                  " not billed: " + std::string(model) + " has no price for it");
      continue;
    }
    // Classes a provider usually prices differently; billing them at the parent rate is a choice
    // worth telling (LiteLLM would bill them at $0).
    const std::string_view tt = def.dims[static_cast<int>(Dimension::kTokenType)];
    const std::string_view mod = def.dims[static_cast<int>(Dimension::kModality)];
    if (tt == "cache_read" || tt == "cache_write" || mod == "audio" || mod == "image" ||
        mod == "video") {
      // nearest priced ancestor: the deepest priced unit containing u
      int best = -1;
      for (const auto& p : ps.prices())
        if (is_descendant_or_self(p.unit, static_cast<UnitId>(u)) &&
            (best < 0 || kUnits[p.unit].depth() > kUnits[best].depth()))
          best = p.unit;
      // Text billed at the rate of the same class without a modality (cache_text_read_tokens at
      // cache_read_tokens') is billed at its own: a unit without a modality prices text.
      const int modality = static_cast<int>(Dimension::kModality);
      bool text_at_own_rate = mod == "text" && kUnits[best].dims[modality].empty();
      for (int i = 0; i < kDimensionCount && text_at_own_rate; ++i)
        text_at_own_rate = i == modality || kUnits[best].dims[i] == def.dims[i];
      if (text_at_own_rate) continue;
      w.push_back(std::string(def.usage_key) + " has no price of its own for " +
                  std::string(model) + "; billed at the " + std::string(kUnits[best].usage_key) +
                  " rate");
    }
  }
  return w;
}

Status CostCalculator::apply_discount(const Discount& d, Currency currency, PriceResult* pr,
                                      std::optional<AppliedDiscount>* applied) {
  const Decimal hundred = Decimal::from_int(100);
  auto factor = (hundred - d.percent).div(hundred, Decimal::kScaleDigits);
  if (!factor) return factor.status();
  Decimal parts[3] = {pr->input, pr->output, pr->total - pr->input - pr->output};
  for (Decimal& part : parts) {
    auto net = part.mul(*factor);
    if (!net) return net.status();
    part = *net;
  }
  for (int i = 0; i < pr->n_lines; ++i) {
    auto& line = pr->lines[i];
    auto cost = line.cost.mul(*factor);
    auto rate = line.rate.mul(*factor);
    if (!cost || !rate) return (cost ? rate.status() : cost.status());
    line.cost = *cost;
    line.rate = *rate;
  }
  if (!*applied) applied->emplace();
  AppliedDiscount& a = **applied;
  a.name.assign(d.name);
  a.percent = d.percent;
  a.list_input = {pr->input, currency};
  a.list_output = {pr->output, currency};
  a.list_total = {pr->total, currency};
  pr->input = parts[0];
  pr->output = parts[1];
  pr->total = parts[0] + parts[1] + parts[2];
  return Status::ok();
}

Status CostCalculator::price_record_into(const pricing::Catalog& catalog, const UsageRecord& rec,
                                         Timestamp default_time, CostRecord* out) {
  auto ref = catalog.resolve(rec.provider, rec.model);
  if (!ref) return ref.status();
  const Timestamp at = rec.has_timestamp ? rec.timestamp : default_time;
  const auto sel = pricing::Catalog::select(*ref->model, at, rec.service_tier, rec.batch);
  if (sel.prices == nullptr) return not_found("model \"" + ref->model->id + "\" has no prices");
  PriceResult pr;
  COSTOPS_RETURN_IF_ERROR(price(*sel.prices, rec.usage, rec.tier_input_tokens, &pr));
  CostRecord& c = *out;
  if (const Discount* d = catalog.discount(*ref, at)) {
    COSTOPS_RETURN_IF_ERROR(apply_discount(*d, catalog.currency(), &pr, &c.discount));
  } else {
    c.discount.reset();
  }
  c.usage_id = rec.id;
  c.provider = ref->provider->id;
  c.model = ref->model->id;
  const Currency cur = catalog.currency();
  c.input_cost = {pr.input, cur};
  c.output_cost = {pr.output, cur};
  c.total_cost = {pr.total, cur};
  c.breakdown.clear();
  for (int i = 0; i < pr.n_lines; ++i)
    c.breakdown.push_back(
        {pr.lines[i].unit, pr.lines[i].quantity, pr.lines[i].rate, pr.lines[i].cost});
  c.catalog_entry.assign(catalog.source())
      .append(1, '#')
      .append(c.provider)
      .append(1, '/')
      .append(c.model);
  if (sel.constraint != nullptr) {
    c.price_version = sel.constraint->describe();
  } else {
    c.price_version.assign("always");
  }
  if (!sel.variant.empty()) c.price_version.insert(0, std::string(sel.variant) + ", ");
  c.timestamp = at;
  c.warnings = record_warnings(sel, rec, c.model);
  return Status::ok();
}

Result<CostRecord> CostCalculator::price_record(const pricing::Catalog& catalog,
                                                const UsageRecord& rec, Timestamp default_time) {
  CostRecord c;
  COSTOPS_RETURN_IF_ERROR(price_record_into(catalog, rec, default_time, &c));
  return c;
}

}  // namespace costops::engine
