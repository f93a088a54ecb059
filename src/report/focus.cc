#include "costops/report/focus.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "costops/domain/json_text.h"
#include "costops/report/report.h"

namespace costops::report {
namespace {

// The FOCUS 1.2 columns written (the 21 mandatory ones and those usage-based charges fill),
// then cost-ops' own, prefixed x_ as the specification asks of custom columns.
constexpr const char* kColumns[] = {"BilledCost",
                                    "BillingAccountId",
                                    "BillingAccountName",
                                    "BillingCurrency",
                                    "BillingPeriodEnd",
                                    "BillingPeriodStart",
                                    "ChargeCategory",
                                    "ChargeClass",
                                    "ChargeDescription",
                                    "ChargeFrequency",
                                    "ChargePeriodEnd",
                                    "ChargePeriodStart",
                                    "ConsumedQuantity",
                                    "ConsumedUnit",
                                    "ContractedCost",
                                    "EffectiveCost",
                                    "InvoiceIssuerName",
                                    "ListCost",
                                    "PricingCategory",
                                    "PricingQuantity",
                                    "PricingUnit",
                                    "ProviderName",
                                    "PublisherName",
                                    "ServiceCategory",
                                    "ServiceName",
                                    "ServiceSubcategory",
                                    "SkuId",
                                    "SubAccountId",
                                    "SubAccountName",
                                    "Tags",
                                    "x_Model",
                                    "x_Records",
                                    "x_Requests",
                                    "x_Tier",
                                    "x_User"};

// The first instant of `t`'s calendar month (UTC), and of the month after.
std::pair<Timestamp, Timestamp> month_of(Timestamp t) {
  using namespace std::chrono;
  const year_month_day d{floor<days>(t)};
  const year_month first = d.year() / d.month();
  const year_month next = first + months{1};
  return {Timestamp(sys_days(first / 1)), Timestamp(sys_days(next / 1))};
}

// A record's tags (those of `keys` when given) as a JSON object, by key (one tag set in two
// orders is one group); "" without any: FOCUS's null.
std::string tags_json(const UsageRecord& r, const std::optional<std::vector<std::string>>& keys) {
  auto tags = r.tags;
  if (keys) {
    std::erase_if(tags, [&](const auto& kv) {
      return std::find(keys->begin(), keys->end(), kv.first) == keys->end();
    });
  }
  if (tags.empty()) return {};
  std::sort(tags.begin(), tags.end());
  std::string out;
  append_json_object(out, tags);
  return out;
}

}  // namespace

FocusDataset::FocusDataset(std::function<std::string(const std::string&)> provider_name, Sink sink,
                           FocusOptions options)
    : provider_name_(std::move(provider_name)),
      sink_(std::move(sink)),
      options_(std::move(options)) {}

Status FocusDataset::add(const PricedRecord& pr) {
  if (!pr.cost) {
    ++unpriced_;
    return Status::ok();
  }
  using namespace std::chrono;
  const UsageRecord& r = pr.usage;
  const CostRecord& c = *pr.cost;
  const Timestamp start =
      options_.hourly ? Timestamp(floor<hours>(r.timestamp)) : Timestamp(floor<days>(r.timestamp));
  if (records_ != 0 && start != period_) {
    if (start < period_) {
      return invalid_argument(r.source + ": a record of " + format_timestamp(r.timestamp) +
                              " after those of " + format_timestamp(period_) +
                              ": FOCUS rows are summed from records oldest first");
    }
    COSTOPS_RETURN_IF_ERROR(flush());
  }
  period_ = start;
  // The three parts billed, and priced: the other cost (requests, searches) is what the total has
  // beyond input and output; converted part by part, so that the parts still make the total.
  const Currency priced_in = c.total_cost.currency;
  const Decimal priced[3] = {c.input_cost.amount, c.output_cost.amount,
                             c.total_cost.amount - c.input_cost.amount - c.output_cost.amount};
  Decimal billed[3] = {priced[0], priced[1], priced[2]};
  // At list prices: before a contract discount, where the record had one.
  Decimal list[3] = {priced[0], priced[1], priced[2]};
  if (const auto& d = c.discount) {
    list[0] = d->list_input.amount;
    list[1] = d->list_output.amount;
    list[2] = d->list_total.amount - list[0] - list[1];
  }
  Currency billed_in = priced_in;
  if (options_.convert) {
    const auto day = floor<days>(r.timestamp);
    for (int i = 0; i < 3; ++i) {
      auto m = options_.convert(Money{priced[i], priced_in}, day);
      if (!m) return m.status().with_context(r.source);
      billed[i] = m->amount;
      billed_in = m->currency;
      auto l = options_.convert(Money{list[i], priced_in}, day);
      if (!l) return l.status().with_context(r.source);
      list[i] = l->amount;
    }
  }
  Key key{c.provider,
          c.model,
          r.model,
          r.organization_id,
          r.project_id,
          options_.users ? r.user_id : std::string(),
          tier_of(r),
          tags_json(r, options_.tag_keys),
          std::string(billed_in.code()),
          std::string(priced_in.code())};
  Sums& s = groups_[std::move(key)];
  Sums next = s;
  const bool ok = Decimal::add_checked(next.input_cost, billed[0], &next.input_cost) &&
                  Decimal::add_checked(next.output_cost, billed[1], &next.output_cost) &&
                  Decimal::add_checked(next.other_cost, billed[2], &next.other_cost) &&
                  Decimal::add_checked(next.priced_input, priced[0], &next.priced_input) &&
                  Decimal::add_checked(next.priced_output, priced[1], &next.priced_output) &&
                  Decimal::add_checked(next.priced_other, priced[2], &next.priced_other) &&
                  Decimal::add_checked(next.list_input, list[0], &next.list_input) &&
                  Decimal::add_checked(next.list_output, list[1], &next.list_output) &&
                  Decimal::add_checked(next.list_other, list[2], &next.list_other) &&
                  !__builtin_add_overflow(next.input_tokens, r.usage.get(units::kInputTokens),
                                          &next.input_tokens) &&
                  !__builtin_add_overflow(next.output_tokens, r.usage.get(units::kOutputTokens),
                                          &next.output_tokens);
  if (!ok) {
    return out_of_range(r.source + ": the FOCUS row's sums of " + c.provider + "/" + c.model +
                        " overflow");
  }
  next.requests += static_cast<uint64_t>(std::max<int64_t>(0, r.usage.requests()));
  ++next.records;
  s = next;
  ++records_;
  return Status::ok();
}

std::vector<FocusDataset::Charge> FocusDataset::charges(const Sums& s) {
  std::vector<Charge> out;
  auto add = [&](const char* what, int64_t quantity, const char* unit, const char* sku,
                 Decimal cost, Decimal priced, Decimal list) {
    if (quantity != 0 || !cost.is_zero())
      out.push_back({what, quantity, unit, sku, cost, priced, list});
  };
  add("input tokens (cache reads and writes included)", s.input_tokens, "Tokens", "input",
      s.input_cost, s.priced_input, s.list_input);
  add("output tokens (reasoning included)", s.output_tokens, "Tokens", "output", s.output_cost,
      s.priced_output, s.list_output);
  if (!s.list_other.is_zero()) {
    add("requests and tools (per-request fees and searches)", static_cast<int64_t>(s.requests),
        "Requests", "other", s.other_cost, s.priced_other, s.list_other);
  }
  return out;
}

Status FocusDataset::finish() { return flush(); }

Status FocusDataset::flush() {
  std::string out;
  // Billed in another currency: PricingCurrency and PricingCurrencyEffectiveCost after
  // PricingCategory, in the columns' order.
  const bool converted = static_cast<bool>(options_.convert);
  constexpr size_t kPricingAt = 19;  // after PricingCategory
  static_assert(std::string_view(kColumns[kPricingAt - 1]) == "PricingCategory");
  if (!header_written_) {
    for (size_t i = 0; i < std::size(kColumns); ++i) {
      if (converted && i == kPricingAt) out += ",PricingCurrency,PricingCurrencyEffectiveCost";
      if (i != 0) out += ',';
      out += kColumns[i];
    }
    out += '\n';
    header_written_ = true;
  }
  const Timestamp start = period_;
  const Timestamp end =
      options_.hourly ? start + std::chrono::hours(1) : start + std::chrono::days(1);
  const auto [period_start, period_end] = month_of(start);
  for (const auto& [key, s] : groups_) {
    const auto& [provider, model, stored_model, organization, project, user, tier, tags, currency,
                 pricing_currency] = key;
    std::string name = provider_name_ ? provider_name_(provider) : std::string();
    if (name.empty()) name = provider;
    const std::string& account = organization.empty() ? provider : organization;
    for (const Charge& ch : charges(s)) {
      const std::string cost = ch.cost.to_string();
      const std::string quantity = std::to_string(ch.quantity);
      const std::string fields[] = {cost,
                                    account,
                                    account,
                                    currency,
                                    format_timestamp(period_end),
                                    format_timestamp(period_start),
                                    "Usage",
                                    "",  // ChargeClass: not a correction
                                    model + " " + ch.what,
                                    "Usage-Based",
                                    format_timestamp(end),
                                    format_timestamp(start),
                                    quantity,
                                    ch.unit,
                                    cost,
                                    cost,
                                    name,
                                    ch.list.to_string(),
                                    "Standard",
                                    quantity,
                                    ch.unit,
                                    name,
                                    name,
                                    "AI and Machine Learning",
                                    model,
                                    "Generative AI",
                                    provider + "/" + model + "/" + ch.sku,
                                    project,
                                    project,
                                    tags,
                                    stored_model,
                                    std::to_string(s.records),
                                    std::to_string(s.requests),
                                    tier,
                                    user};
      static_assert(std::size(fields) == std::size(kColumns));
      for (size_t i = 0; i < std::size(fields); ++i) {
        if (converted && i == kPricingAt) {
          out += ',' + csv_field(pricing_currency) + ',' + ch.priced.to_string();
        }
        if (i != 0) out += ',';
        out += csv_field(fields[i]);
      }
      out += '\n';
      ++rows_;
    }
  }
  groups_.clear();
  return sink_(out);
}

}  // namespace costops::report
