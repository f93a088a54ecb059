// cost-ops pricing: custom model prices stored in the database, layered over the catalog.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>
#include <vector>

#include "commands.h"
#include "common.h"
#include "costops/domain/decimal.h"
#include "costops/storage/store.h"

namespace costops::cli {
namespace {

using json = nlohmann::json;

struct PricingCmd {
  std::string provider, model, match_prefix, file, at, format = "table";
  std::vector<std::string> prices;  // KEY=VALUE
  std::string input, output, cache_read, cache_write;
  // pricing discount
  std::string name, percent, from, to;
  std::vector<std::string> models;
  CatalogOptions catalog;
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// A provider id as stored: lower case, as the catalogs' ids are ("OpenAI" is openai's).
std::string provider_key(std::string id) {
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return id;
}

// Validates entries by loading them as a catalog, then stores them (provider ids lowered).
Status store_entries(storage::Store& store, std::vector<storage::CustomPrice> entries) {
  for (auto& e : entries) {
    e.provider = provider_key(e.provider);
    json doc = {
        {"format", "cost-ops-catalog"},
        {"providers", json::array({{{"id", e.provider},
                                    {"models", json::array({json::parse(e.entry_json)})}}})}};
    auto c = pricing::Catalog::parse(doc.dump(), "price for " + e.provider + "/" + e.model_id);
    if (!c) return c.status();
  }
  return store.put_custom_prices(entries);
}

int run_add(PricingCmd& o) {
  if (o.provider.empty() || o.model.empty()) {
    report(invalid_argument("pricing add needs --provider and --model"));
    return kExitUsage;
  }
  // Each price once, an exact decimal of at least 0, stored as its plain text ("1e-3" as 0.001).
  json prices = json::object();
  std::map<std::string, std::string> given_by;  // price key -> the option that gave it
  auto put = [&](const std::string& key, const std::string& text, const std::string& option) {
    if (auto [it, fresh] = given_by.emplace(key, option); !fresh) {
      return invalid_argument(key + " is given twice, by " +
                              (it->second == option ? option : it->second + " and " + option));
    }
    auto d = Decimal::parse(text);
    if (!d) return d.status().with_context(option);
    if (d->is_negative()) return invalid_argument(option + ": a price is at least 0, got " + text);
    prices[key] = d->to_string();
    return Status::ok();
  };
  std::vector<std::tuple<std::string, std::string, std::string>> given;  // key, text, option
  for (auto [value, key, option] : {std::tuple{&o.input, "input_mtok", "--input"},
                                    {&o.output, "output_mtok", "--output"},
                                    {&o.cache_read, "cache_read_mtok", "--cache-read"},
                                    {&o.cache_write, "cache_write_mtok", "--cache-write"}}) {
    if (!value->empty()) given.emplace_back(key, *value, option);
  }
  for (const auto& kv : o.prices) {
    const auto eq = kv.find('=');
    // (A key the unit registry lacks is reported as the entry is checked, with the closest.)
    if (eq == std::string::npos || eq == 0) {
      report(invalid_argument("--price \"" + kv +
                              "\": expected PRICE_KEY=DECIMAL with a key of the unit registry "
                              "(input_mtok, cache_read_mtok, requests_kcount, ...)"));
      return kExitUsage;
    }
    given.emplace_back(kv.substr(0, eq), kv.substr(eq + 1), "--price " + kv.substr(0, eq));
  }
  for (const auto& [key, text, option] : given) {
    if (Status st = put(key, text, option); !st.is_ok()) {
      report(st);
      return kExitUsage;
    }
  }
  if (prices.empty()) {
    report(
        invalid_argument("pricing add needs at least one price (--input, --output, --cache-read, "
                         "--cache-write, --price KEY=VALUE)"));
    return kExitUsage;
  }
  json entry = {{"id", o.model}, {"prices", prices}};
  entry["match"] =
      o.match_prefix.empty() ? json{{"equals", o.model}} : json{{"starts_with", o.match_prefix}};
  auto store = open_db(*o.db, storage::OpenMode::kCreate);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  if (Status st = store_entries(**store, {{o.provider, o.model, entry.dump(), now()}});
      !st.is_ok()) {
    report(st);  // a price the options give wrong, or the database's failure
    return st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::printf("added %s/%s: %s\n", provider_key(o.provider).c_str(), o.model.c_str(),
              prices.dump().c_str());
  return kExitOk;
}

int run_import(PricingCmd& o) {
  auto text = pricing::Catalog::read_file_text(o.file);  // read once, parsed below
  if (!text) {
    report(text.status());
    return kExitFailure;
  }
  // A whole catalog of another format is no list of contract prices: said, with the way to pick
  // its models out.
  if (auto any = pricing::Catalog::parse(*text, o.file);
      any && any->format() != pricing::CatalogFormat::kCostOps) {
    report(invalid_argument(
        o.file + ": a " + std::string(pricing::catalog_format_name(any->format())) +
        " catalog; pricing import reads cost-ops catalog files of the models to price anew. "
        "Write one from it with `cost-ops catalog --catalog " +
        o.file + " PROVIDER MODEL --format json`, or use it whole with --catalog"));
    return kExitUsage;
  }
  auto check = pricing::Catalog::parse(*text, o.file, pricing::CatalogFormat::kCostOps,
                                       pricing::Catalog::Role::kOverlay);
  if (!check) {
    report(check.status());
    return kExitFailure;
  }
  // `check` read it as a cost-ops catalog: an object whose "providers" (if any) list their
  // "models", and its "discounts".
  const json doc = json::parse(*text);
  std::vector<storage::CustomPrice> entries;
  for (const auto& p : doc.value("providers", json::array()))
    for (const auto& m : p["models"])
      entries.push_back({p["id"].get<std::string>(), m["id"].get<std::string>(), m.dump(), now()});
  std::vector<Discount> discounts = check->discounts();
  for (Discount& d : discounts) d.provider = provider_key(d.provider);
  auto store = open_db(*o.db, storage::OpenMode::kCreate);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  // The discounts are checked before anything is stored, as the commands that price will apply
  // them: over the catalog, the stored prices and the file's, with the other stored discounts.
  if (!discounts.empty()) {
    o.catalog.custom_prices = o.file;
    if (auto cat = o.catalog.load(store->get(), discounts); !cat) {
      report(cat.status());
      return kExitFailure;
    }
  }
  if (Status st = store_entries(**store, entries); !st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  for (const Discount& d : discounts) {
    if (Status st = (*store)->put_discount(d); !st.is_ok()) {
      report(st);
      return kExitFailure;
    }
  }
  std::printf("imported %zu model price%s%s from %s\n", entries.size(),
              entries.size() == 1 ? "" : "s",
              discounts.empty() ? ""
                                : (" and " + std::to_string(discounts.size()) + " discount" +
                                   (discounts.size() == 1 ? "" : "s"))
                                      .c_str(),
              o.file.c_str());
  if (!discounts.empty())
    std::printf(
        "note: records priced from now on (ingest) have the discounts; the stored ones keep "
        "their price until cost-ops reprice --all prices them again\n");
  return kExitOk;
}

int run_list(PricingCmd& o) {
  auto store = open_db(*o.db, storage::OpenMode::kExisting);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  auto prices = (*store)->custom_prices();
  if (!prices) {
    report(prices.status());
    return kExitFailure;
  }
  if (o.format == "json") {
    json arr = json::array();
    for (const auto& p : *prices)
      arr.push_back({{"provider", p.provider},
                     {"model", p.model_id},
                     {"entry", json::parse(p.entry_json)},
                     {"added_at", format_timestamp(p.added_at)}});
    std::printf("%s\n", arr.dump(2).c_str());
    return kExitOk;
  }
  if (prices->empty()) std::printf("no custom prices in %s\n", (*store)->url().c_str());
  for (const auto& p : *prices)
    std::printf("%-16s %-32s %s\n", p.provider.c_str(), p.model_id.c_str(),
                json::parse(p.entry_json).value("prices", json::object()).dump().c_str());
  return kExitOk;
}

int run_get(PricingCmd& o) {
  std::unique_ptr<storage::Store> store;
  const pricing::Catalog* cat = nullptr;
  if (!open_store_and_catalog(*o.db, storage::OpenMode::kExisting, o.catalog, &store, &cat))
    return kExitFailure;
  auto ref = cat->resolve(o.provider, o.model);
  if (!ref) {
    report(ref.status());
    return kExitFailure;
  }
  auto custom = store->custom_prices();
  bool is_custom = false;
  if (custom)
    for (const auto& c : *custom)
      is_custom |= provider_key(c.provider) == provider_key(ref->provider->id) &&
                   c.model_id == ref->model->id;
  auto at = time_or_now(o.at, "--at");
  if (!at) {
    report(at.status());
    return kExitUsage;
  }
  const auto sel = pricing::Catalog::select(*ref->model, *at, "", false);
  std::printf("%s/%s (%s): %s [%s]\n", ref->provider->id.c_str(), ref->model->id.c_str(),
              is_custom ? "custom price from the database" : "catalog",
              price_text(*sel.prices).c_str(), sel.constraint->describe().c_str());
  if (const Discount* d = cat->discount(*ref, *at)) print_discount(*d);
  return kExitOk;
}

int run_remove(PricingCmd& o) {
  auto store = open_db(*o.db, storage::OpenMode::kExisting);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  auto removed = (*store)->remove_custom_price(o.provider, o.model);
  if (!removed) {
    report(removed.status());
    return kExitFailure;
  }
  if (!*removed) {
    report(not_found("no custom price for " + o.provider + "/" + o.model));
    return kExitFailure;
  }
  std::printf("removed %s/%s\n", o.provider.c_str(), o.model.c_str());
  return kExitOk;
}

int run_discount_add(PricingCmd& o) {
  Discount d;
  d.name = o.name;
  d.provider = provider_key(o.provider);
  d.models = o.models;
  std::string_view percent_text = o.percent;  // "12" or "12%"
  if (percent_text.ends_with('%')) percent_text.remove_suffix(1);
  auto percent = Decimal::parse(percent_text);
  auto day = [](const std::string& text,
                const char* option) -> Result<std::optional<std::chrono::sys_days>> {
    auto parsed = Discount::parse_day(text);
    if (!parsed)
      return invalid_argument(std::string(option) + " takes a day, YYYY-MM-DD, not \"" + text +
                              "\"");
    return parsed;
  };
  auto from = day(o.from, "--from");
  auto to = day(o.to, "--to");
  for (const Status& st :
       {percent.status_or_ok().with_context("--percent"), from.status_or_ok(), to.status_or_ok()}) {
    if (!st.is_ok()) {
      report(st);
      return kExitUsage;
    }
  }
  d.percent = *percent;
  d.from = *from;
  d.to = *to;
  if (Status st = d.check(); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  auto store = open_db(*o.db, storage::OpenMode::kCreate);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  // Checked as the commands that price will apply it: with the catalog, the stored custom prices
  // and the other stored discounts (two of one reach must not share a day).
  if (auto cat = o.catalog.load(store->get(), {&d, 1}); !cat) {
    report(cat.status());
    return kExitFailure;
  }
  if (Status st = (*store)->put_discount(d); !st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  std::printf("discount %s: %s\n", d.name.c_str(), d.describe().c_str());
  std::printf(
      "note: records priced from now on (ingest) have it; to price the stored ones with it: "
      "cost-ops reprice --all --filter provider=%s%s%s\n",
      d.provider.c_str(), o.from.empty() ? "" : " --from ", o.from.c_str());
  return kExitOk;
}

int run_discount_list(PricingCmd& o) {
  auto store = open_db(*o.db, storage::OpenMode::kExisting);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  auto discounts = (*store)->discounts();
  if (!discounts) {
    report(discounts.status());
    return kExitFailure;
  }
  if (o.format == "json") {
    std::printf("%s\n", pricing::write_discounts(*discounts).c_str());
    return kExitOk;
  }
  if (discounts->empty()) std::printf("no discounts in %s\n", (*store)->url().c_str());
  size_t width = 4;  // the names' column, as wide as the longest
  for (const auto& d : *discounts) width = std::max(width, d.name.size());
  for (const auto& d : *discounts)
    std::printf("%s  %s\n", pad_right(d.name, width).c_str(), d.describe().c_str());
  return kExitOk;
}

int run_discount_remove(PricingCmd& o) {
  auto store = open_db(*o.db, storage::OpenMode::kExisting);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  auto removed = (*store)->remove_discount(o.name);
  if (!removed) {
    report(removed.status());
    return kExitFailure;
  }
  if (!*removed) {
    report(not_found("no discount named \"" + o.name + "\" in " + (*store)->url()));
    return kExitFailure;
  }
  std::printf("removed discount %s\n", o.name.c_str());
  return kExitOk;
}

}  // namespace

void add_pricing_command(CLI::App& app, int& rc) {
  auto o = std::make_shared<PricingCmd>();
  CLI::App* cmd = app.add_subcommand(
      "pricing", "Custom model prices stored in the database, layered over the catalog");
  cmd->require_subcommand(1);
  cmd->footer(R"(
Custom prices apply to every command that prices with that database (ingest, reprice) on top of
the catalog; --prices FILE goes on top of both. Prices are per the unit registry: *_mtok per
million tokens, *_kcount per thousand. import stores a cost-ops catalog file's models and its
"discounts". Contract discounts (a percentage off a provider's list prices): pricing discount
--help.
Examples:
  cost-ops pricing add --provider openai --model gpt-4o --input 2.0 --output 8 --cache-read 1.0
  cost-ops pricing add --provider acme --model acme-large --match-prefix acme-large --price input_mtok=0.9 --price requests_kcount=1
  cost-ops pricing import our-contract-prices.json
  cost-ops pricing list
  cost-ops pricing get --provider openai --model gpt-4o-2024-08-06)");
  auto common = [&](CLI::App* sub) { add_db_to(*sub, o->db); };
  CLI::App* add = cmd->add_subcommand("add", "Add or replace a model's prices");
  add->add_option("--provider", o->provider, "Provider id")->required();
  add->add_option("--model", o->model, "Model id")->required();
  add->add_option("--match-prefix", o->match_prefix,
                  "Match every model name starting with this (default: the id exactly)");
  add->add_option("--input", o->input, "Input price per million tokens");
  add->add_option("--output", o->output, "Output price per million tokens");
  add->add_option("--cache-read", o->cache_read, "Cache-read price per million tokens");
  add->add_option("--cache-write", o->cache_write, "Cache-write price per million tokens");
  add->add_option("--price", o->prices,
                  "Any price key of the unit registry: KEY=DECIMAL (repeatable)");
  common(add);
  add->callback([o, &rc] { rc = run_add(*o); });
  CLI::App* imp = cmd->add_subcommand(
      "import", "Import the models and contract discounts of a cost-ops catalog file");
  imp->add_option("file", o->file, "A cost-ops catalog file")->required();
  o->catalog.add_to(*imp, false);
  common(imp);
  imp->callback([o, &rc] { rc = run_import(*o); });
  CLI::App* list = cmd->add_subcommand("list", "List the custom prices");
  list->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  common(list);
  list->callback([o, &rc] { rc = run_list(*o); });
  CLI::App* get =
      cmd->add_subcommand("get", "Show the prices that apply to a provider and model name");
  get->add_option("--provider", o->provider, "Provider id or name")->required();
  get->add_option("--model", o->model, "Model name")->required();
  get->add_option("--at", o->at, "At this time (default: now)");
  o->catalog.add_to(*get);
  common(get);
  get->callback([o, &rc] { rc = run_get(*o); });
  CLI::App* rm = cmd->add_subcommand("remove", "Remove a custom price");
  rm->add_option("--provider", o->provider, "Provider id")->required();
  rm->add_option("--model", o->model, "Model id")->required();
  common(rm);
  rm->callback([o, &rc] { rc = run_remove(*o); });

  CLI::App* disc = cmd->add_subcommand(
      "discount", "Contract discounts: a percentage off a provider's list prices, for some days");
  disc->require_subcommand(1);
  disc->footer(R"(
A discount takes its percentage off the list price of every call it covers: all the provider's
models, or those --model names (a name the catalog resolves, or an id pattern with '*'), from
--from to --to (UTC days, inclusive; open where not given). Input, output, cache, reasoning and
per-request costs alike, exactly. A model's own discount comes before its provider's for all
models; two discounts of the same reach may not share a day. Discounts apply where the database's
custom prices do (ingest, reprice, whatif). A record keeps its list cost beside the net one: the
FOCUS dataset (report --format focus) gives both, as ListCost and the billed costs. Records
stored before a discount was added keep their price until `cost-ops reprice --all` prices them
again. A cost-ops catalog file's "discounts" (the fields of add, as list --format json writes
them) apply with --prices FILE, in place of stored ones of their names (whatif --prices deal.json:
what a deal would have saved); pricing import FILE stores them.
Examples:
  cost-ops pricing discount add azure-ea --provider azure --percent 12 --from 2026-01-01
  cost-ops pricing discount add opus-deal --provider anthropic --model 'claude-opus-*' --percent 20 --from 2026-07-01 --to 2027-06-30
  cost-ops reprice --all --filter provider=azure --from 2026-01-01
  cost-ops pricing discount list
  cost-ops pricing discount remove azure-ea)");
  CLI::App* dadd = disc->add_subcommand("add", "Add or replace (by name) a discount");
  dadd->add_option("name", o->name, "The discount's name")->required();
  dadd->add_option("--provider", o->provider, "Provider id")->required();
  dadd->add_option("--model", o->models,
                   "A model it covers (repeatable): a name, or an id pattern ('claude-*'); "
                   "default: all the provider's")
      ->check(complete_from("models"));
  dadd->add_option("--percent", o->percent,
                   "The percentage off the list prices: (0, 100], as 12 or 12%")
      ->required();
  dadd->add_option("--from", o->from, "First day (YYYY-MM-DD, UTC) it applies (default: open)");
  dadd->add_option("--to", o->to, "Last day (YYYY-MM-DD, UTC, inclusive; default: open)");
  o->catalog.add_to(*dadd);
  common(dadd);
  dadd->callback([o, &rc] { rc = run_discount_add(*o); });
  CLI::App* dlist = disc->add_subcommand("list", "List the discounts");
  dlist->add_option("--format", o->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  common(dlist);
  dlist->callback([o, &rc] { rc = run_discount_list(*o); });
  CLI::App* drm = disc->add_subcommand("remove", "Remove a discount");
  drm->add_option("name", o->name, "The discount's name")
      ->required()
      ->check(complete_from("discounts"));
  common(drm);
  drm->callback([o, &rc] { rc = run_discount_remove(*o); });
}

}  // namespace costops::cli
