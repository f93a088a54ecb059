// cost-ops catalog: inspect a pricing catalog (built-in or a file), or write it (or a provider or
// model of it) in the cost-ops catalog format.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "costops/domain/units.h"
#include "costops/pricing/catalog.h"
#include "costops/pricing/diff.h"
#include "costops/report/report.h"

namespace costops::cli {
namespace {

struct CatalogCmdOptions {
  CatalogOptions catalog;
  std::string first, second;  // [PROVIDER] [MODEL], or MODEL
  std::string provider;
  std::string model;
  std::string as_of;
  std::string search;
  std::string format = "table";
  std::string diff;  // --diff FILE: the catalog compared with this one
};

// The models table's price columns: the token prices most models have, per 1M tokens.
constexpr struct {
  const char* title;
  UnitId unit;
} kColumns[] = {{"input", units::kInputTokens},
                {"output", units::kOutputTokens},
                {"cache read", units::kCacheReadTokens},
                {"cache write", units::kCacheWriteTokens}};

// A model's standard prices in effect at a time, as the model lists show them.
struct PriceRow {
  const pricing::UnitPrice* columns[std::size(kColumns)] = {};  // nullptr: not priced
  std::vector<const pricing::UnitPrice*> other;                 // the rest, registry order
  std::string version;  // when these prices apply: "always", "from 2026-03-13", "daily ..."
  std::string hours;    // when the model's time-of-day prices apply, if it has any and these
                        // are not they: "daily 16:30:00-00:30:00 UTC"
};

PriceRow price_row(const pricing::Model& m, Timestamp at) {
  const pricing::SelectedPrice selected = pricing::Catalog::select(m, at, "", false);
  const pricing::PriceSet& ps = *selected.prices;
  PriceRow row;
  row.version = selected.constraint ? selected.constraint->describe() : "always";
  for (const auto& cp : m.prices)
    if (cp.constraint.kind == pricing::PriceConstraint::Kind::kTimeOfDay &&
        &cp.constraint != selected.constraint)
      row.hours = cp.constraint.describe();
  for (size_t i = 0; i < std::size(kColumns); ++i) row.columns[i] = ps.find(kColumns[i].unit);
  for (const auto& up : ps.prices())
    if (std::none_of(std::begin(kColumns), std::end(kColumns),
                     [&](const auto& c) { return c.unit == up.unit; }))
      row.other.push_back(&up);
  std::sort(row.other.begin(), row.other.end(), [](auto* a, auto* b) { return a->unit < b->unit; });
  return row;
}

std::string price_key(const pricing::UnitPrice& up) {
  return std::string(kUnits[up.unit].price_key);
}

// Models with the standard prices in effect at `at`: a column per common token price ("*":
// higher above a long-context threshold), the context window, and the model's other prices;
// with `provider_column`, each model's provider first.
void print_models(const std::vector<pricing::ModelRef>& models, bool provider_column, Timestamp at,
                  std::string_view currency) {
  size_t pw = 8, mw = 5;
  for (const auto& r : models) {
    pw = std::max(pw, r.provider->id.size());
    mw = std::max(mw, r.model->id.size());
  }
  std::printf(
      "prices in %s per 1M tokens in effect at %s, standard tier (* higher above a "
      "long-context threshold)\n",
      std::string(currency).c_str(),
      format_timestamp(std::chrono::floor<std::chrono::seconds>(at)).c_str());
  if (provider_column) std::printf("%-*s ", static_cast<int>(pw), "provider");
  std::printf("%-*s", static_cast<int>(mw), "model");
  for (const auto& c : kColumns) std::printf(" %12s", c.title);
  std::printf(" %9s  other\n", "context");
  auto text = [](const pricing::UnitPrice& up) {
    return up.base.to_string() + (up.tiers.empty() ? "" : "*");
  };
  for (const auto& [provider, model] : models) {
    const pricing::Model& m = *model;
    const PriceRow row = price_row(m, at);
    if (provider_column) std::printf("%-*s ", static_cast<int>(pw), provider->id.c_str());
    std::printf("%-*s", static_cast<int>(mw), m.id.c_str());
    for (const pricing::UnitPrice* up : row.columns)
      std::printf(" %12s", up ? text(*up).c_str() : "-");
    std::printf(" %9s", m.context_window > 0 ? std::to_string(m.context_window).c_str() : "-");
    std::string other;
    for (const pricing::UnitPrice* up : row.other) other += " " + price_key(*up) + "=" + text(*up);
    // Prices that hold at some hours only say so: these, or the others.
    if (row.version.starts_with("daily")) other += " (" + row.version + ")";
    if (!row.hours.empty()) other += " (other prices " + row.hours + ")";
    std::printf("%s%s\n", other.empty() ? "" : (" " + other).c_str(),
                m.deprecated ? "  (deprecated)" : "");
  }
}

// The same as CSV, a row per model: exact prices under their registry keys (empty: not priced),
// the long-context tiers as KEY>TOKENS=PRICE and the other prices as KEY=PRICE, ;-separated,
// and when these prices apply (always, from a date, at some hours).
void print_models_csv(const std::vector<pricing::ModelRef>& models, Timestamp at) {
  std::printf("provider,model,name");
  for (const auto& c : kColumns) std::printf(",%s", std::string(kUnits[c.unit].price_key).c_str());
  std::printf(",context_window,tiers,other,prices_apply,deprecated\n");
  for (const auto& [provider, model] : models) {
    const pricing::Model& m = *model;
    const PriceRow row = price_row(m, at);
    std::string line = report::csv_field(provider->id) + "," + report::csv_field(m.id) + "," +
                       report::csv_field(m.name);
    std::string tiers, other;
    auto add_tiers = [&](const pricing::UnitPrice& up) {
      for (const auto& t : up.tiers)
        tiers += (tiers.empty() ? "" : ";") + price_key(up) + ">" + std::to_string(t.start) + "=" +
                 t.price.to_string();
    };
    for (const pricing::UnitPrice* up : row.columns) {
      line += "," + (up ? up->base.to_string() : "");
      if (up) add_tiers(*up);
    }
    for (const pricing::UnitPrice* up : row.other) {
      other += (other.empty() ? "" : ";") + price_key(*up) + "=" + up->base.to_string();
      add_tiers(*up);
    }
    line += "," + (m.context_window > 0 ? std::to_string(m.context_window) : "") + "," +
            report::csv_field(tiers) + "," + report::csv_field(other) + "," +
            report::csv_field(row.hours.empty() ? row.version : "outside " + row.hours) + "," +
            (m.deprecated ? "true" : "false");
    std::printf("%s\n", line.c_str());
  }
}

// The rest of a provider's line: `before` and its API flavors when it has usage extractors.
void print_flavors(const pricing::Provider& p, const char* before) {
  if (!p.extractors.empty()) {
    std::printf("%sflavors:", before);
    for (const auto& e : p.extractors) std::printf(" %s", e.api_flavor.c_str());
  }
  std::printf("\n");
}

// The catalog's contract discounts (those of the files given), of `only` when given.
void print_discounts(const pricing::Catalog& c, const pricing::Provider* only) {
  for (const Discount& d : c.discounts())
    if (only == nullptr || c.find_provider(d.provider) == only) print_discount(d);
}

void print_model(const pricing::Catalog& c, const pricing::ModelRef& ref) {
  const auto& m = *ref.model;
  std::printf("provider: %s\nmodel: %s (%s)%s\n", ref.provider->id.c_str(), m.id.c_str(),
              m.name.c_str(), m.deprecated ? " (deprecated)" : "");
  if (m.context_window > 0)
    std::printf("context window: %lld tokens\n", static_cast<long long>(m.context_window));
  std::printf(
      "currency: %s (prices per 1M tokens, 1K requests/searches, per unit of the registry)\n",
      std::string(c.currency().code()).c_str());
  for (const auto& cp : m.prices)
    std::printf("  %s: %s\n", cp.constraint.describe().c_str(), price_text(cp.prices).c_str());
  for (const auto& v : m.variants) {
    std::string name = v.batch ? "batch" : v.service_tier;
    if (v.derived_factor)
      name += ": " + v.derived_factor->to_string() + " x the standard token prices";
    for (const auto& cp : v.prices)
      std::printf("  [%s] %s: %s\n", name.c_str(), cp.constraint.describe().c_str(),
                  price_text(cp.prices).c_str());
  }
  for (const Discount* d : c.discounts_of(ref)) print_discount(*d);
}

// "-20.00%": the change from `from` to `to` in percent; "new" or "dropped" without one of them,
// "" from a price of 0.
std::string change_text(const std::optional<Decimal>& from, const std::optional<Decimal>& to) {
  if (!from) return "new";
  if (!to) return "dropped";
  const auto pct = report::percent_text(*to - *from, *from, 2, true);
  return pct ? *pct + "%" : "";
}

const char* kind_name(pricing::PriceDifference::Kind k) {
  switch (k) {
    case pricing::PriceDifference::Kind::kChanged:
      return "changed";
    case pricing::PriceDifference::Kind::kRemoved:
      return "removed";
    case pricing::PriceDifference::Kind::kAdded:
      return "added";
  }
  return "";
}

// --diff: the catalog's models against another catalog's, as `format` (table, csv or json).
int run_diff(const pricing::Catalog& c, const CatalogCmdOptions& o, Timestamp at,
             const pricing::Provider* only) {
  auto other = pricing::Catalog::load_file(o.diff);
  if (!other) {
    report(other.status().with_context("--diff"));
    return kExitFailure;
  }
  if (other->currency() != c.currency()) {
    report(invalid_argument("--diff: " + o.diff + " prices in " +
                            std::string(other->currency().code()) + ", catalog " + c.source() +
                            " in " + std::string(c.currency().code()) + ": not compared"));
    return kExitFailure;
  }
  const pricing::CatalogDifferences d = pricing::diff_catalogs(c, *other, at, only);
  const std::string when = format_timestamp(std::chrono::floor<std::chrono::seconds>(at));
  auto text = [](const std::optional<Decimal>& v) { return v ? v->to_string() : std::string(); };
  using Kind = pricing::PriceDifference::Kind;
  if (o.format == "json") {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : d.rows) {
      nlohmann::json j = {
          {"change", kind_name(r.kind)}, {"provider", r.provider}, {"model", r.model}};
      if (r.kind == Kind::kChanged) {
        if (!r.to_model.empty()) j["to_model"] = r.to_model;
        j["price"] = r.price;
        j["from"] = report::decimal_json(r.from_price);
        j["to"] = report::decimal_json(r.to_price);
      }
      rows.push_back(std::move(j));
    }
    const nlohmann::json out = {
        {"from", c.source()},
        {"to", other->source()},
        {"as_of", when},
        {"currency", std::string(c.currency().code())},
        {"provider", only ? nlohmann::json(only->id) : nlohmann::json(nullptr)},
        {"compared", d.compared},
        {"same", d.same},
        {"changed", d.changed},
        {"removed", d.removed},
        {"added", d.added},
        {"rows", rows}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (o.format == "csv") {
    std::printf("change,provider,model,to_model,price,from,to\n");
    for (const auto& r : d.rows) {
      std::printf("%s,%s,%s,%s,%s,%s,%s\n", kind_name(r.kind),
                  report::csv_field(r.provider).c_str(), report::csv_field(r.model).c_str(),
                  report::csv_field(r.to_model).c_str(), r.price.c_str(),
                  text(r.from_price).c_str(), text(r.to_price).c_str());
    }
    return kExitOk;
  }
  std::printf("%s against %s: prices in %s in effect at %s, per 1M tokens (1K requests)\n",
              c.source().c_str(), other->source().c_str(), std::string(c.currency().code()).c_str(),
              when.c_str());
  size_t pw = 8, mw = 5, kw = 5;
  for (const auto& r : d.rows) {
    pw = std::max(pw, r.provider.size());
    mw = std::max(mw, r.model.size() + (r.to_model.empty() ? 0 : r.to_model.size() + 4));
    kw = std::max(kw, r.price.size());
  }
  if (!d.rows.empty()) {
    std::printf("%-*s %-*s %-*s %14s %14s  change\n", static_cast<int>(pw), "provider",
                static_cast<int>(mw), "model", static_cast<int>(kw), "price", "from", "to");
  }
  for (const auto& r : d.rows) {
    const std::string model = r.to_model.empty() ? r.model : r.model + " -> " + r.to_model;
    if (r.kind == Kind::kChanged) {
      std::printf("%-*s %-*s %-*s %14s %14s  %s\n", static_cast<int>(pw), r.provider.c_str(),
                  static_cast<int>(mw), model.c_str(), static_cast<int>(kw), r.price.c_str(),
                  r.from_price ? text(r.from_price).c_str() : "-",
                  r.to_price ? text(r.to_price).c_str() : "-",
                  change_text(r.from_price, r.to_price).c_str());
    } else {
      std::printf("%-*s %-*s %s\n", static_cast<int>(pw), r.provider.c_str(), static_cast<int>(mw),
                  model.c_str(),
                  r.kind == Kind::kAdded ? "(model added)" : "(model removed: not resolved)");
    }
  }
  std::printf("compared %zu models: %zu the same, %zu changed, %zu removed; %zu added\n",
              d.compared, d.same, d.changed, d.removed, d.added);
  return kExitOk;
}

int run_catalog(CatalogCmdOptions& o) {
  std::vector<std::string> names;
  for (auto* n : {&o.first, &o.second})
    if (!n->empty()) names.push_back(*n);
  if (names.size() + !o.provider.empty() + !o.model.empty() > 2 ||
      (names.size() == 2 && !o.provider.empty())) {
    report(
        invalid_argument("give the provider and model as PROVIDER [MODEL] or MODEL, or with "
                         "--provider and --model"));
    return kExitUsage;
  }
  auto at = time_or_now(o.as_of, "--as-of");
  if (!at) {
    report(at.status());
    return kExitUsage;
  }
  auto cat = o.catalog.load();
  if (!cat) {
    report(cat.status());
    return kExitFailure;
  }
  const pricing::Catalog& c = **cat;
  // Names fill what the options leave: PROVIDER MODEL; one name beside --provider or --model is
  // the other, else the provider when the catalog has one by that name, else a model.
  if (names.size() == 2) {
    o.provider = names[0];
    o.model = names[1];
  } else if (names.size() == 1) {
    const bool provider = o.provider.empty() && (!o.model.empty() || c.find_provider(names[0]));
    (provider ? o.provider : o.model) = names[0];
  }
  const bool json = o.format == "json";
  if (!o.diff.empty() && (!o.model.empty() || !o.search.empty())) {
    report(invalid_argument("--diff compares the whole catalog, or a PROVIDER's models"));
    return kExitUsage;
  }
  if (!o.model.empty() && !o.search.empty()) {
    report(invalid_argument("--search lists models; give a provider to search in, not a model"));
    return kExitUsage;
  }
  if (!o.model.empty()) {
    auto ref = c.resolve(o.provider, o.model);
    if (!ref) {
      // With the closest names the catalog has; a lone name close to no model's but to a
      // provider's is that provider's misspelt.
      const bool provider_typo = names.size() == 1 && o.provider.empty() &&
                                 c.suggest_model("", o.model).empty() &&
                                 !c.suggest_provider(o.model).empty();
      report(provider_typo ? c.unknown_provider(o.model) : ref.status());
      if (!provider_typo)
        std::fprintf(stderr,
                     "note: cost-ops catalog %s--search '%s' lists the models whose id or name "
                     "has it\n",
                     o.provider.empty() ? "" : (o.provider + " ").c_str(), o.model.c_str());
      return kExitFailure;
    }
    if (o.format == "csv") {
      print_models_csv({*ref}, *at);
    } else if (json) {
      // The model alone under its provider's id, name and price factors: prices to edit into a
      // --prices file (the provider's extractors and rules are the catalog's).
      pricing::Provider p;
      p.id = ref->provider->id;
      p.name = ref->provider->name;
      p.price_factors = ref->provider->price_factors;
      p.models = {*ref->model};
      std::printf("%s\n", pricing::write_cost_ops_catalog({&p, 1}, c.currency()).c_str());
    } else {
      print_model(c, *ref);
    }
    return kExitOk;
  }
  const pricing::Provider* only = nullptr;
  if (!o.provider.empty()) {
    only = c.find_provider(o.provider);
    if (only == nullptr) {
      report(c.unknown_provider(o.provider));
      return kExitFailure;
    }
  }
  if (!o.diff.empty()) return run_diff(c, o, *at, only);
  // The models selected: those --search finds, else the provider's, else every one.
  const std::vector<pricing::ModelRef> models = c.search(o.search, only);
  if (o.format == "csv") {
    print_models_csv(models, *at);
  } else if (json && !o.search.empty()) {
    // The models found, under copies of their providers.
    std::vector<pricing::Provider> selected;
    for (const auto& [provider, model] : models) {
      if (selected.empty() || selected.back().id != provider->id) {
        selected.push_back(*provider);
        selected.back().models.clear();
      }
      selected.back().models.push_back(*model);
    }
    std::printf("%s\n", pricing::write_cost_ops_catalog(selected, c.currency()).c_str());
  } else if (json) {
    std::printf("%s\n", (only ? pricing::write_cost_ops_catalog({only, 1}, c.currency())
                              : pricing::write_cost_ops_catalog(c.providers(), c.currency(), 2,
                                                                c.discounts()))
                            .c_str());
  } else if (!o.search.empty() && models.empty()) {
    std::printf("no model of %s has \"%s\" in its id or name\n",
                only ? ("provider " + only->id).c_str() : ("catalog " + c.source()).c_str(),
                o.search.c_str());
  } else if (!o.search.empty()) {
    print_models(models, only == nullptr, *at, c.currency().code());
  } else if (only != nullptr) {
    std::printf("provider: %s (%s), %zu models", only->id.c_str(), only->name.c_str(),
                only->models.size());
    print_flavors(*only, ", ");
    print_models(models, false, *at, c.currency().code());
    print_discounts(c, only);
  } else {
    std::printf("catalog: %s (%s), %zu providers, %zu models, currency %s\n", c.source().c_str(),
                std::string(catalog_format_name(c.format())).c_str(), c.providers().size(),
                c.model_count(), std::string(c.currency().code()).c_str());
    for (const auto& p : c.providers()) {
      std::printf("%-28s %5zu models", p.id.c_str(), p.models.size());
      print_flavors(p, "  ");
    }
    print_discounts(c, nullptr);
  }
  return kExitOk;
}

}  // namespace

void add_catalog_command(CLI::App& app, int& rc) {
  auto opts = std::make_shared<CatalogCmdOptions>();
  CLI::App* cmd = app.add_subcommand("catalog",
                                     "Show a pricing catalog: its providers, a provider's models, "
                                     "a model's prices; or convert it");
  cmd->footer(R"(
PROVIDER lists the provider's models with the prices in effect now (--as-of another time), and
--search those of every provider (or of PROVIDER) that it finds;
MODEL (with or without its PROVIDER) shows every price of the model: its price changes over time,
long-context tiers, batch and service-tier prices, and the contract discounts of a --catalog or
--prices file that cover it. --format json writes the selection (the whole catalog with those
discounts, a provider or a model) as a cost-ops catalog file, which --catalog, --prices and
`pricing import` read: a catalog in another format converted, or a model's prices to edit into
contract prices. --format csv writes a row per model selected (every model of the catalog
without a selection) with the standard prices in effect, exact, per 1M tokens: a price sheet.
--diff FILE compares the catalog (or PROVIDER's models) with another catalog file, of any
format: each model is looked up in FILE as usage of it would be, and each price in effect
(--as-of) that differs is a row (batch and service-tier prices as batch:input_mtok,
priority:output_mtok), with the models FILE does not resolve (removed) and those no model
resolves to (added).

Examples:
  cost-ops catalog                                  # providers and their model counts
  cost-ops catalog anthropic                        # its models and their prices
  cost-ops catalog gpt-4o                           # one model's prices (openai gpt-4o the same)
  cost-ops catalog --search 'sonnet 4.5'            # the models named so, of every provider
  cost-ops catalog openai gpt-4o --format json > contract.json   # edit, then --prices contract.json
  cost-ops catalog --format csv > prices.csv         # every model's prices in effect now
  cost-ops catalog --catalog model_prices_and_context_window.json gemini
  cost-ops catalog --catalog model_prices_and_context_window.json --format json > litellm.json
  cost-ops catalog --diff data.json                 # what a new genai-prices release changes
  cost-ops catalog openai --diff model_prices_and_context_window.json --format csv)");
  opts->catalog.add_to(*cmd);
  cmd->add_option("PROVIDER", opts->first,
                  "A provider's id, or a model's name (one that is no provider)")
      ->check(complete_from("catalog"));
  cmd->add_option("MODEL", opts->second, "A model's name")->check(complete_from("catalog"));
  cmd->add_option("--provider", opts->provider,
                  "Provider id (or a name its provider_match accepts)")
      ->check(complete_from("providers"));
  cmd->add_option("--model", opts->model, "Model name to resolve and show prices for")
      ->check(complete_from("models"));
  cmd->add_option("--search", opts->search,
                  "List the models (of PROVIDER, else of every provider) whose id or name has "
                  "each of these words, ignoring case");
  cmd->add_option("--as-of", opts->as_of,
                  "The time whose prices a provider's model list shows (RFC 3339 or YYYY-MM-DD, "
                  "UTC; default now)");
  cmd->add_option("--diff", opts->diff,
                  "Another catalog file (any format) to compare the catalog's prices "
                  "with: the prices that differ, the models removed and added")
      ->type_name("FILE");
  cmd->add_option("--format", opts->format,
                  "table; json: the selection as a cost-ops catalog file; csv: a row per model "
                  "selected (every model without a selection) with its prices in effect; with "
                  "--diff, the differences")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->callback([opts, &rc] { rc = run_catalog(*opts); });
}

}  // namespace costops::cli
