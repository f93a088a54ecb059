// Catalog loaders: genai-prices v2 data.json, LiteLLM's model_prices_and_context_window.json, and
// cost-ops' own format (genai-prices' provider schema plus currency and price variants).
#include <algorithm>
#include <charconv>
#include <map>
#include <type_traits>

#include "costops/pricing/catalog.h"
#include "util/encoding.h"
#include "util/json_exact.h"
#include "util/text.h"

extern "C" {
extern const char costops_builtin_catalog[];
extern const char costops_builtin_catalog_end[];
}

namespace costops::pricing {

using json = nlohmann::json;

struct CatalogBuilder {
  static Catalog make(std::vector<Provider> providers, CatalogFormat f, std::string source,
                      Currency c) {
    Catalog cat;
    cat.providers_ = std::move(providers);
    cat.format_ = f;
    cat.source_ = std::move(source);
    cat.currency_ = c;
    return cat;
  }
};

namespace {

Status field_error(const std::string& where, const Status& st) { return st.with_context(where); }

// Optional member `k` of `j` (a string or a bool): `def` when `j` has none or it is null; an error
// naming `where.k` when it is of another type.
template <typename T>
Result<T> optional_member(const json& j, const char* k, T def, const std::string& where) {
  const auto it = j.find(k);  // end() when j is not an object
  if (it == j.end() || it->is_null()) return def;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return invalid_argument(where + "." + k + ": expected true or false");
  } else {
    if (!it->is_string()) return invalid_argument(where + "." + k + ": expected a string");
  }
  return it->template get<T>();
}

// Member `k` of `j` as a list: its elements, none when `j` has none (or null), an error naming
// `where.k` when it is not a list.
Result<const json*> optional_list(const json& j, const char* k, const std::string& where) {
  static const json kEmpty = json::array();
  const auto it = j.find(k);
  if (it == j.end() || it->is_null()) return &kEmpty;
  if (!it->is_array()) return invalid_argument(where + "." + k + ": expected a list");
  return &*it;
}

Result<MatchRule> parse_match(const json& j, const std::string& where) {
  if (!j.is_object() || j.size() != 1)
    return invalid_argument(where +
                            ": a match rule is an object with one key (equals, starts_with, ...)");
  const std::string k = j.begin().key();
  const json& v = j.begin().value();
  auto text = [&]() -> Result<std::string> {
    if (!v.is_string()) return invalid_argument(where + "." + k + ": expected a string");
    return v.get<std::string>();
  };
  if (k == "or" || k == "and") {
    if (!v.is_array()) return invalid_argument(where + "." + k + ": expected a list of rules");
    std::vector<MatchRule> rules;
    for (size_t i = 0; i < v.size(); ++i) {
      auto r = parse_match(v[i], where + "." + k + "[" + std::to_string(i) + "]");
      if (!r) return r.status();
      rules.push_back(std::move(*r));
    }
    return k == "or" ? MatchRule::any_of(std::move(rules)) : MatchRule::all_of(std::move(rules));
  }
  auto t = text();
  if (!t) return t.status();
  if (k == "equals") return MatchRule::leaf(MatchRule::Kind::kEquals, *t);
  if (k == "starts_with") return MatchRule::leaf(MatchRule::Kind::kStartsWith, *t);
  if (k == "ends_with") return MatchRule::leaf(MatchRule::Kind::kEndsWith, *t);
  if (k == "contains") return MatchRule::leaf(MatchRule::Kind::kContains, *t);
  if (k == "regex") {
    auto r = MatchRule::regex(*t);
    if (!r) return field_error(where, r.status());
    return r;
  }
  return invalid_argument(where + ": unknown match rule \"" + k + "\"");
}

Result<Path> parse_path(const json& j, const std::string& where) {
  Path path;
  auto add = [&](const json& s, const std::string& w) -> Status {
    PathStep step;
    if (s.is_string()) {
      step.key = s.get<std::string>();
    } else if (s.is_object() && s.contains("type") && s["type"] == "array-match") {
      step.array_match = true;
      if (!s.contains("field") || !s["field"].is_string())
        return invalid_argument(w + ": array-match needs a field");
      step.field = s["field"].get<std::string>();
      if (!s.contains("match")) return invalid_argument(w + ": array-match needs a match rule");
      auto m = parse_match(s["match"], w + ".match");
      if (!m) return m.status();
      step.match = std::move(*m);
    } else {
      return invalid_argument(w + ": a path step is a key or an array-match");
    }
    path.push_back(std::move(step));
    return Status::ok();
  };
  if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i)
      COSTOPS_RETURN_IF_ERROR(add(j[i], where + "[" + std::to_string(i) + "]"));
  } else {
    COSTOPS_RETURN_IF_ERROR(add(j, where));
  }
  if (path.empty() || path.back().array_match)
    return invalid_argument(where + ": a path must end with a key");
  return path;
}

// Whether a mapping of `e` reads `key` at the top of the usage object.
bool reads_top_key(const Extractor& e, std::string_view key) {
  return std::any_of(e.mappings.begin(), e.mappings.end(),
                     [&](const ExtractorMapping& m) { return m.top_key() == key; });
}

// Gemini's Live API reports a turn's output as responseTokenCount and responseTokensDetails,
// where generateContent reports candidatesTokenCount and candidatesTokensDetails; genai-prices'
// extractors read the latter alone, so a Live API turn's output (audio at $12/M on
// gemini-live-2.5-flash) would be read as none. Each mapping from a candidates field gets a twin
// from the response field (a usage object has one or the other), unless one reads it already.
void add_live_api_twins(Extractor* e) {
  if (reads_top_key(*e, "responseTokenCount") || reads_top_key(*e, "responseTokensDetails")) return;
  std::vector<ExtractorMapping> twins;
  for (const ExtractorMapping& m : e->mappings) {
    const std::string_view key = m.top_key();
    if (key != "candidatesTokenCount" && key != "candidatesTokensDetails") continue;
    ExtractorMapping twin = m;
    twin.path[0].key =
        key == "candidatesTokenCount" ? "responseTokenCount" : "responseTokensDetails";
    twin.required = false;
    twins.push_back(std::move(twin));
  }
  e->mappings.insert(e->mappings.end(), twins.begin(), twins.end());
}

// Some OpenAI-compatible APIs report the input their context cache served at the top of their
// usage, not as OpenAI's prompt_tokens_details.cached_tokens, which genai-prices' chat extractors
// read alone, so that a cache hit would be priced as a miss (a tenth of its price, or a sixth):
// DeepSeek's as prompt_cache_hit_tokens (of prompt_tokens, beside prompt_cache_miss_tokens),
// Moonshot's (Kimi's) as cached_tokens. An extractor that reads the nested count gets a fallback
// from `key` (unless it reads `key` already), so that a usage object with both (a gateway's,
// which adds OpenAI's shape) counts its cache reads once.
void add_cache_hit_fallback(Extractor* e, std::string_view key) {
  const auto cached = std::find_if(e->mappings.begin(), e->mappings.end(), [](const auto& m) {
    return m.path.size() == 2 && !m.path[0].array_match && !m.path[1].array_match &&
           m.path[0].key == "prompt_tokens_details" && m.path[1].key == "cached_tokens";
  });
  if (cached == e->mappings.end() || reads_top_key(*e, key)) return;
  ExtractorMapping twin;
  twin.path.emplace_back().key = key;
  twin.dest = cached->dest;
  twin.fallback = true;
  e->mappings.push_back(std::move(twin));
}

Result<Extractor> parse_extractor(const json& j, const std::string& where) {
  if (!j.is_object()) return invalid_argument(where + ": an extractor is an object");
  Extractor e;
  auto flavor = optional_member<std::string>(j, "api_flavor", "default", where);
  if (!flavor) return flavor.status();
  e.api_flavor = std::move(*flavor);
  auto root = parse_path(j.contains("root") ? j["root"] : json("usage"), where + ".root");
  if (!root) return root.status();
  e.root = std::move(*root);
  auto mp =
      parse_path(j.contains("model_path") ? j["model_path"] : json("model"), where + ".model_path");
  if (!mp) return mp.status();
  e.model_path = std::move(*mp);
  if (!j.contains("mappings") || !j["mappings"].is_array())
    return invalid_argument(where + ": mappings missing");
  for (size_t i = 0; i < j["mappings"].size(); ++i) {
    const auto& m = j["mappings"][i];
    const std::string w = where + ".mappings[" + std::to_string(i) + "]";
    ExtractorMapping em;
    auto p = parse_path(m.contains("path") ? m["path"] : json(), w + ".path");
    if (!p) return p.status();
    em.path = std::move(*p);
    auto dest = optional_member<std::string>(m, "dest", "", w);
    if (!dest) return dest.status();
    auto u = unit_by_usage_key(*dest);
    if (!u) return invalid_argument(w + ".dest: unknown usage key \"" + *dest + "\"");
    em.dest = *u;
    auto required = optional_member(m, "required", true, w);
    if (!required) return required.status();
    em.required = *required;
    auto fallback = optional_member(m, "fallback", false, w);
    if (!fallback) return fallback.status();
    em.fallback = *fallback;
    e.mappings.push_back(std::move(em));
  }
  add_live_api_twins(&e);
  add_cache_hit_fallback(&e, "prompt_cache_hit_tokens");  // no other API names a count so
  return e;
}

Result<UnitPrice> parse_unit_price(UnitId unit, const json& v, const std::string& where) {
  UnitPrice up;
  up.unit = unit;
  if (v.is_object()) {
    if (!v.contains("base")) return invalid_argument(where + ": tiered price needs \"base\"");
    auto b = detail::json_decimal(v["base"]);
    if (!b) return field_error(where + ".base", b.status());
    up.base = *b;
    auto tier_list = optional_list(v, "tiers", where);
    if (!tier_list) return tier_list.status();
    const json& tiers = **tier_list;
    for (size_t i = 0; i < tiers.size(); ++i) {
      const std::string w = where + ".tiers[" + std::to_string(i) + "]";
      if (!tiers[i].contains("start") || !tiers[i]["start"].is_number_integer())
        return invalid_argument(w + ".start: expected an integer token count");
      auto p = detail::json_decimal(tiers[i].value("price", json()));
      if (!p) return field_error(w + ".price", p.status());
      up.tiers.push_back({tiers[i]["start"].get<int64_t>(), *p});
    }
    return up;
  }
  auto b = detail::json_decimal(v);
  if (!b) return field_error(where, b.status());
  up.base = *b;
  return up;
}

Result<PriceSet> parse_price_set(const json& j, const std::string& where) {
  if (!j.is_object()) return invalid_argument(where + ": expected an object of prices");
  std::vector<UnitPrice> prices;
  for (const auto& [k, v] : j.items()) {
    auto u = unit_by_price_key(k);
    if (!u) {
      // The registry's key it is most likely a typo of (within a third of its length).
      const std::string_view near =
          util::nearest_name(k, std::max<size_t>(1, k.size() / 3), [](auto&& visit) {
            for (const auto& unit : kUnits) visit(unit.price_key);
          });
      return invalid_argument(where + ": unknown price key \"" + k +
                              "\" (not in the unit registry of this cost-ops version" +
                              (near.empty() ? "" : "; did you mean " + std::string(near) + "?") +
                              ")");
    }
    auto up = parse_unit_price(*u, v, where + "." + k);
    if (!up) return up.status();
    prices.push_back(std::move(*up));
  }
  auto ps = PriceSet::make(std::move(prices));
  if (!ps) return field_error(where, ps.status());
  return ps;
}

Result<int> parse_time_of_day(const json& v, const std::string& where) {
  if (!v.is_string()) return invalid_argument(where + ": expected HH:MM:SS");
  const std::string s = v.get<std::string>();
  int h = 0, m = 0, sec = 0;
  if (std::sscanf(s.c_str(), "%d:%d:%d", &h, &m, &sec) < 2 || h < 0 || h > 24 || m < 0 || m > 59 ||
      sec < 0 || sec > 59)
    return invalid_argument(where + ": expected HH:MM:SS, got \"" + s + "\"");
  return h * 3600 + m * 60 + sec;
}

Result<std::vector<ConditionalPrice>> parse_prices(const json& j, const std::string& where) {
  std::vector<ConditionalPrice> out;
  if (j.is_object()) {
    auto ps = parse_price_set(j, where);
    if (!ps) return ps.status();
    out.push_back({PriceConstraint{}, std::move(*ps)});
    return out;
  }
  if (!j.is_array() || j.empty())
    return invalid_argument(where + ": expected prices or a list of conditional prices");
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string w = where + "[" + std::to_string(i) + "]";
    const json& c = j[i];
    if (!c.is_object()) return invalid_argument(w + ": expected an object with prices");
    ConditionalPrice cp;
    if (c.contains("constraint") && !c["constraint"].is_null()) {
      const json& k = c["constraint"];
      if (k.contains("start_date")) {
        auto t =
            parse_timestamp(k["start_date"].is_string() ? k["start_date"].get<std::string>() : "");
        if (!t) return field_error(w + ".constraint.start_date", t.status());
        cp.constraint.kind = PriceConstraint::Kind::kStartDate;
        cp.constraint.start_date = std::chrono::floor<std::chrono::days>(*t);
      } else if (k.contains("start_time") && k.contains("end_time")) {
        auto a = parse_time_of_day(k["start_time"], w + ".constraint.start_time");
        if (!a) return a.status();
        auto b = parse_time_of_day(k["end_time"], w + ".constraint.end_time");
        if (!b) return b.status();
        cp.constraint.kind = PriceConstraint::Kind::kTimeOfDay;
        cp.constraint.start_second = *a;
        cp.constraint.end_second = *b;
      } else {
        return invalid_argument(w + ".constraint: expected start_date, or start_time and end_time");
      }
    }
    auto ps = parse_price_set(c.value("prices", json()), w + ".prices");
    if (!ps) return ps.status();
    cp.prices = std::move(*ps);
    out.push_back(std::move(cp));
  }
  return out;
}

Result<Model> parse_model(const json& j, const std::string& where) {
  Model m;
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string())
    return invalid_argument(where + ": model needs an id");
  m.id = j["id"].get<std::string>();
  const std::string w = where + " (" + m.id + ")";
  auto name = optional_member(j, "name", m.id, w);
  if (!name) return name.status();
  m.name = std::move(*name);
  if (j.contains("match")) {
    auto r = parse_match(j["match"], w + ".match");
    if (!r) return r.status();
    m.match = std::move(*r);
  } else {
    m.match = MatchRule::leaf(MatchRule::Kind::kEquals, m.id);
  }
  if (j.contains("context_window") && j["context_window"].is_number_integer())
    m.context_window = j["context_window"].get<int64_t>();
  auto deprecated = optional_member(j, "deprecated", false, w);
  if (!deprecated) return deprecated.status();
  m.deprecated = *deprecated;
  auto p = parse_prices(j.contains("prices") ? j["prices"] : json(), w + ".prices");
  if (!p) return p.status();
  m.prices = std::move(*p);
  auto variants = optional_list(j, "variants", w);
  if (!variants) return variants.status();
  for (size_t i = 0; i < (*variants)->size(); ++i) {
    const json& v = (**variants)[i];
    const std::string vw = w + ".variants[" + std::to_string(i) + "]";
    PriceVariant pv;
    auto tier = optional_member<std::string>(v, "service_tier", "", vw);
    if (!tier) return tier.status();
    pv.service_tier = std::move(*tier);
    auto batch = optional_member(v, "batch", false, vw);
    if (!batch) return batch.status();
    pv.batch = *batch;
    if (pv.service_tier.empty() && !pv.batch)
      return invalid_argument(vw + ": give service_tier or batch");
    auto vp = parse_prices(v.contains("prices") ? v["prices"] : json(), vw + ".prices");
    if (!vp) return vp.status();
    pv.prices = std::move(*vp);
    m.variants.push_back(std::move(pv));
  }
  return m;
}

Result<Provider> parse_provider(const json& j, const std::string& where) {
  Provider p;
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string())
    return invalid_argument(where + ": provider needs an id");
  p.id = j["id"].get<std::string>();
  const std::string w = where + " (" + p.id + ")";
  auto name = optional_member(j, "name", p.id, w);
  if (!name) return name.status();
  p.name = std::move(*name);
  auto pattern = optional_member<std::string>(j, "api_pattern", "", w);
  if (!pattern) return pattern.status();
  p.api_pattern = std::move(*pattern);
  for (const char* key : {"provider_match", "model_match"}) {
    if (j.contains(key) && !j[key].is_null()) {
      auto r = parse_match(j[key], w + "." + key);
      if (!r) return r.status();
      (std::string_view(key) == "provider_match" ? p.provider_match : p.model_match) =
          std::move(*r);
    }
  }
  if (j.contains("extractors") && j["extractors"].is_array()) {
    for (size_t i = 0; i < j["extractors"].size(); ++i) {
      auto e = parse_extractor(j["extractors"][i], w + ".extractors[" + std::to_string(i) + "]");
      if (!e) return e.status();
      // A top-level cached_tokens is Moonshot's cache hits; elsewhere it may be another count
      // (Hugging Face's router reports one that genai-prices does not price).
      if (p.id == "moonshotai") add_cache_hit_fallback(&*e, "cached_tokens");
      p.extractors.push_back(std::move(*e));
    }
  }
  if (j.contains("fallback_model_providers"))
    for (const auto& f : j["fallback_model_providers"])
      if (f.is_string()) p.fallback_model_providers.push_back(f.get<std::string>());
  if (j.contains("price_factors") && !j["price_factors"].is_null()) {
    const json& factors = j["price_factors"];
    if (!factors.is_object())
      return invalid_argument(w + ".price_factors: expected an object of variant: factor, got " +
                              factors.dump());
    for (const auto& [variant, value] : factors.items()) {
      const std::string fw = w + ".price_factors." + variant;
      auto d = detail::json_decimal(value);
      if (!d) return field_error(fw, d.status());
      if (*d <= Decimal() || *d > Decimal::from_int(10))
        return invalid_argument(fw + ": " + d->to_string() +
                                " is not a factor of the standard prices (0 < factor <= 10)");
      p.price_factors.push_back({variant, *d});
    }
  }
  if (!j.contains("models") || !j["models"].is_array())
    return invalid_argument(w + ": models missing");
  for (size_t i = 0; i < j["models"].size(); ++i) {
    auto m = parse_model(j["models"][i], w + ".models[" + std::to_string(i) + "]");
    if (!m) return m.status();
    p.models.push_back(std::move(*m));
  }
  return p;
}

Result<std::vector<Provider>> parse_providers(const json& arr, const std::string& where) {
  std::vector<Provider> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    auto p = parse_provider(arr[i], where + "[" + std::to_string(i) + "]");
    if (!p) return p.status();
    out.push_back(std::move(*p));
  }
  return out;
}

// A cost-ops catalog's contract discount: the fields of `pricing discount add` (as `pricing
// discount list --format json` writes them), checked as the stores check one. A field of another
// name is an error: a misspelt "models" would otherwise widen the discount to every model.
Result<Discount> parse_discount(const json& j, const std::string& where) {
  static constexpr std::string_view kFields[] = {"name",    "provider", "models",
                                                 "percent", "from",     "to"};
  if (!j.is_object())
    return invalid_argument(where +
                            ": expected an object {\"name\", \"provider\", \"percent\"...}");
  for (const auto& [key, value] : j.items())
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      return invalid_argument(where + "." + key +
                              ": a discount has name, provider, models, percent, from and to");
  Discount d;
  for (auto [field, out] : {std::pair{"name", &d.name}, {"provider", &d.provider}}) {
    auto text = optional_member<std::string>(j, field, "", where);
    if (!text) return text.status();
    if (text->empty()) return invalid_argument(where + ": a discount needs a " + field);
    *out = std::move(*text);
  }
  auto models = optional_list(j, "models", where);
  if (!models) return models.status();
  for (const json& m : **models) {
    if (!m.is_string() || m.get<std::string>().empty())
      return invalid_argument(where + ".models: expected model names or id patterns, got " +
                              m.dump());
    d.models.push_back(m.get<std::string>());
  }
  if (!j.contains("percent") || j["percent"].is_null())
    return invalid_argument(where + ": a discount needs a percent (off the list prices)");
  json percent = j["percent"];  // 12, "12" or "12%"
  if (percent.is_string() && percent.get<std::string>().ends_with('%'))
    percent = percent.get<std::string>().substr(0, percent.get<std::string>().size() - 1);
  auto p = detail::json_decimal(percent);
  if (!p)
    return invalid_argument(where +
                            ".percent: expected a percentage (12, \"12\" or \"12%\"), got " +
                            j["percent"].dump());
  d.percent = *p;
  for (auto [field, out] : {std::pair{"from", &d.from}, {"to", &d.to}}) {
    auto text = optional_member<std::string>(j, field, "", where);
    if (!text) return text.status();
    auto day = Discount::parse_day(*text);
    if (!day) return field_error(where + "." + field, day.status());
    *out = *day;
  }
  COSTOPS_RETURN_IF_ERROR(field_error(where, d.check()));
  return d;
}

// A cost-ops catalog's "discounts": each as parse_discount reads it, their names unique.
Result<std::vector<Discount>> parse_discounts(const json& doc, const std::string& source) {
  auto list = optional_list(doc, "discounts", source);
  if (!list) return list.status();
  std::vector<Discount> out;
  for (size_t i = 0; i < (*list)->size(); ++i) {
    const std::string where = source + ": discounts[" + std::to_string(i) + "]";
    auto d = parse_discount((**list)[i], where);
    if (!d) return d.status();
    if (std::any_of(out.begin(), out.end(), [&](const Discount& x) { return x.name == d->name; }))
      return invalid_argument(where + ": the name \"" + d->name + "\" is given twice");
    out.push_back(std::move(*d));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// LiteLLM

struct LiteKey {
  UnitId unit;
  int64_t scale;  // LiteLLM prices per token (or request/character); ours per `per` units
};

std::optional<LiteKey> litellm_base_key(std::string_view k) {
  static const std::map<std::string_view, std::string_view> kMap = {
      {"input_cost_per_token", "input_tokens"},
      {"output_cost_per_token", "output_tokens"},
      {"cache_read_input_token_cost", "cache_read_tokens"},
      {"input_cost_per_token_cache_hit", "cache_read_tokens"},
      {"cache_creation_input_token_cost", "cache_write_tokens"},
      {"cache_creation_input_token_cost_above_1hr", "cache_write_1h_tokens"},
      {"input_cost_per_audio_token", "input_audio_tokens"},
      {"output_cost_per_audio_token", "output_audio_tokens"},
      {"cache_read_input_audio_token_cost", "cache_audio_read_tokens"},
      {"cache_creation_input_audio_token_cost", "cache_audio_write_tokens"},
      {"output_cost_per_reasoning_token", "output_reasoning_tokens"},
      {"input_cost_per_image_token", "input_image_tokens"},
      {"output_cost_per_image_token", "output_image_tokens"},
      {"input_cost_per_video_token", "input_video_tokens"},
      {"output_cost_per_video_token", "output_video_tokens"},
      {"citation_cost_per_token", "output_citation_tokens"},
      {"input_cost_per_character", "input_characters"},
      {"input_cost_per_request", "requests"},
  };
  auto it = kMap.find(k);
  if (it == kMap.end()) return std::nullopt;
  const UnitId u = *unit_by_usage_key(it->second);
  return LiteKey{u, kUnits[u].per};
}

// Splits "<base>[_above_<N>k_tokens][_priority|_flex|_batches]".
struct LiteParsed {
  LiteKey key;
  int64_t above = -1;
  std::string_view variant;  // "", "priority", "flex", "batch"
};

std::optional<LiteParsed> parse_litellm_key(std::string_view k) {
  LiteParsed r{};
  for (auto [suffix, name] :
       {std::pair<std::string_view, std::string_view>{"_priority", "priority"},
        {"_flex", "flex"},
        {"_batches", "batch"}}) {
    if (k.ends_with(suffix)) {
      r.variant = name;
      k.remove_suffix(suffix.size());
      break;
    }
  }
  if (k.ends_with("k_tokens")) {
    const auto pos = k.rfind("_above_");
    if (pos != std::string_view::npos) {
      std::string_view num = k.substr(pos + 7, k.size() - pos - 7 - 8);
      int64_t n = 0;
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
      if (ec == std::errc() && p == num.data() + num.size()) {
        // A tier above 10^15 tokens (a usage count's most) never applies: the key is skipped.
        if (n > 1'000'000'000'000) return std::nullopt;
        r.above = n * 1000;
        k = k.substr(0, pos);
      }
    }
  }
  auto base = litellm_base_key(k);
  if (!base) return std::nullopt;
  r.key = *base;
  return r;
}

Result<Decimal> litellm_price(const json& v, int64_t scale, const std::string& where) {
  auto d = detail::json_decimal(v);
  if (!d) return field_error(where, d.status());
  auto s = d->mul_int(scale);
  if (!s) return field_error(where, s.status());
  return *s;
}

Result<Model> parse_litellm_model(const std::string& key, const std::string& provider,
                                  const json& v, const std::string& where) {
  Model m;
  m.id = key;
  m.name = key;
  std::vector<MatchRule> names{MatchRule::leaf(MatchRule::Kind::kEquals, key)};
  const std::string prefix = provider + "/";
  if (key.starts_with(prefix) && key.size() > prefix.size())
    names.push_back(MatchRule::leaf(MatchRule::Kind::kEquals, key.substr(prefix.size())));
  m.match = names.size() == 1 ? std::move(names[0]) : MatchRule::any_of(std::move(names));
  if (v.contains("max_input_tokens") && v["max_input_tokens"].is_number_integer())
    m.context_window = v["max_input_tokens"].get<int64_t>();

  // variant name -> unit -> price
  std::map<std::string_view, std::map<UnitId, UnitPrice>> sets;
  // A price of `unit` in `variant`: its base price, or that of its tier from `tier_start` tokens.
  auto put = [&](std::string_view variant, UnitId unit, std::optional<int64_t> tier_start,
                 const Decimal& price) {
    UnitPrice& up = sets[variant][unit];
    up.unit = unit;
    if (tier_start) {
      up.tiers.push_back({*tier_start, price});
    } else {
      up.base = price;
    }
  };
  bool cache_read_explicit = false;
  for (const auto& [k, val] : v.items()) {
    if (val.is_null() || val.is_boolean() || val.is_object() || val.is_array()) continue;
    auto parsed = parse_litellm_key(k);
    if (!parsed) continue;
    if (k.starts_with("cache_read_input_token_cost")) cache_read_explicit = true;
    if (k.starts_with("input_cost_per_token_cache_hit") && cache_read_explicit) continue;
    auto price = litellm_price(val, parsed->key.scale, where + "." + k);
    if (!price) return price.status();
    put(parsed->variant, parsed->key.unit,
        parsed->above < 0 ? std::nullopt : std::optional(parsed->above), *price);
  }
  // A transcription model priced by the second of audio (whisper-1, Deepgram's, AssemblyAI's):
  // the audio is its input, priced per hour as the unit registry prices durations. LiteLLM bills
  // a transcription's duration at output_cost_per_second when the model has one, though it is
  // 0 where the providers price the audio in (Deepgram's, Groq's whisper-large-v3): input's, else
  // output's.
  if (const auto mode = v.find("mode"); mode != v.end() && *mode == "audio_transcription") {
    for (const char* k : {"input_cost_per_second", "output_cost_per_second"}) {
      const auto it = v.find(k);
      if (it == v.end() || it->is_null()) continue;
      auto price = litellm_price(*it, kUnits[units::kInputAudioSeconds].per, where + "." + k);
      if (!price) return price.status();
      put("", units::kInputAudioSeconds, std::nullopt, *price);
      break;
    }
  }
  // tiered_pricing: [{input_cost_per_token, output_cost_per_token, ..., range: [lo, hi]}]; the
  // range containing the request's total input tokens prices all of them (lo < n <= hi).
  if (v.contains("tiered_pricing") && v["tiered_pricing"].is_array()) {
    const json& tp = v["tiered_pricing"];
    for (size_t i = 0; i < tp.size(); ++i) {
      const std::string w = where + ".tiered_pricing[" + std::to_string(i) + "]";
      const json& t = tp[i];
      if (!t.contains("range"))
        continue;  // e.g. search APIs tiered by max_results_range: not tokens
      if (!t["range"].is_array() || t["range"].empty())
        return invalid_argument(w + ".range: expected [start, end]");
      auto lo = detail::json_decimal(t["range"][0]);
      if (!lo) return field_error(w + ".range[0]", lo.status());
      const int64_t start = static_cast<int64_t>(lo->raw() / Decimal::kScale);
      for (const auto& [k, val] : t.items()) {
        auto parsed = parse_litellm_key(k);
        if (!parsed || parsed->above >= 0) continue;
        auto price = litellm_price(val, parsed->key.scale, w + "." + k);
        if (!price) return price.status();
        put(parsed->variant, parsed->key.unit, start == 0 ? std::nullopt : std::optional(start),
            *price);
      }
    }
  }
  auto& standard = sets[""];
  if (standard.empty()) return not_found(where + ": no token prices");
  auto build = [&](const std::map<UnitId, UnitPrice>& overrides) -> Result<PriceSet> {
    std::map<UnitId, UnitPrice> merged = standard;
    for (const auto& [u, p] : overrides) merged[u] = p;
    std::vector<UnitPrice> list;
    for (auto& [u, p] : merged) list.push_back(p);
    auto ps = PriceSet::make(std::move(list));
    if (!ps) return field_error(where, ps.status());
    return ps;
  };
  auto base = build({});
  if (!base) return base.status();
  m.prices.push_back({PriceConstraint{}, std::move(*base)});
  for (auto& [name, overrides] : sets) {
    if (name.empty()) continue;
    auto ps = build(overrides);
    if (!ps) return ps.status();
    PriceVariant pv;
    pv.batch = name == "batch";
    if (!pv.batch) pv.service_tier = std::string(name);
    pv.prices.push_back({PriceConstraint{}, std::move(*ps)});
    m.variants.push_back(std::move(pv));
  }
  return m;
}

Result<std::vector<Provider>> parse_litellm(const json& j, const std::string& source) {
  std::vector<Provider> providers;
  std::map<std::string, size_t> index;
  for (const auto& [key, v] : j.items()) {
    if (!v.is_object() || key == "sample_spec") continue;
    if (!v.contains("litellm_provider") || !v["litellm_provider"].is_string()) continue;
    const std::string provider = v["litellm_provider"].get<std::string>();
    auto m = parse_litellm_model(key, provider, v, source + ": \"" + key + "\"");
    if (!m) {
      if (m.status().code() == StatusCode::kNotFound)
        continue;  // no token prices: not a token model
      return m.status();
    }
    auto [it, inserted] = index.emplace(provider, providers.size());
    if (inserted) {
      Provider p;
      p.id = provider;
      p.name = provider;
      providers.push_back(std::move(p));
    }
    providers[it->second].models.push_back(std::move(*m));
  }
  // LiteLLM files one provider's models under several names (Bedrock's under bedrock and
  // bedrock_converse, Vertex AI's under vertex_ai and vertex_ai-*_models), and looks a model up
  // by its name whichever it is under; so a provider of such a family falls back on the others.
  // Gemini's API falls back on Vertex AI's Gemini models (keyed by the bare name there).
  auto family = [](std::string_view id) -> std::string_view {
    if (id.starts_with("bedrock")) return "bedrock_";
    if (id.starts_with("vertex_ai")) return "vertex_ai_";
    return id;
  };
  for (auto& p : providers) {
    const std::string_view f = family(p.id);
    for (const auto& q : providers)
      if (f != p.id && &q != &p && family(q.id) == f) p.fallback_model_providers.push_back(q.id);
    if (p.id == "gemini") p.fallback_model_providers.push_back("vertex_ai-language-models");
  }
  return providers;
}

Result<CatalogFormat> detect_format(const json& j, const std::string& source) {
  if (j.is_array()) return CatalogFormat::kGenaiPrices;
  if (j.is_object()) {
    if (j.contains("format")) {
      if (j["format"] == "cost-ops-catalog") return CatalogFormat::kCostOps;
      return invalid_argument(source + ": unknown catalog format " + j["format"].dump());
    }
    if (j.contains("sample_spec")) return CatalogFormat::kLiteLLM;
    for (const auto& [k, v] : j.items())
      if (v.is_object() && (v.contains("litellm_provider") || v.contains("input_cost_per_token")))
        return CatalogFormat::kLiteLLM;
  }
  return invalid_argument(
      source +
      ": not a pricing catalog (expected a genai-prices provider list, a LiteLLM "
      "model map, or {\"format\": \"cost-ops-catalog\", ...})");
}

// Batch APIs' and service tiers' documented discounts on token prices, for models of catalogs
// in genai-prices' format (which prices neither) or LiteLLM's without such prices of their own:
//   openai     platform.openai.com/docs/guides/batch: "a 50% cost discount"; flex processing
//              (platform.openai.com/docs/guides/flex-processing) is "priced at Batch API rates"
//   azure      Azure OpenAI global batch: "50% less cost than global standard"
//   anthropic  docs.anthropic.com .../batch-processing: "50% of standard API prices"
//   google     Gemini API batch mode and Vertex AI batch prediction: "50% of the standard cost"
//   aws        Bedrock batch inference: "a 50% discount compared to on-demand"
//   mistral    Mistral's batch API: "a 50% discount"
struct DocumentedFactor {
  std::string_view provider, variant, factor;
};
constexpr DocumentedFactor kDocumentedPriceFactors[] = {
    {"openai", "batch", "0.5"},    {"openai", "flex", "0.5"},  {"azure", "batch", "0.5"},
    {"anthropic", "batch", "0.5"}, {"google", "batch", "0.5"}, {"aws", "batch", "0.5"},
    {"mistral", "batch", "0.5"}};

}  // namespace

Result<Catalog> Catalog::parse(std::string_view text, std::string source,
                               std::optional<CatalogFormat> format, Role role) {
  std::string decoded;  // UTF-16 text, as UTF-8
  COSTOPS_RETURN_IF_ERROR(util::utf16_to_utf8(text, decoded, source));
  auto j = detail::parse_json_exact(text, source);
  if (!j) return j.status();
  CatalogFormat f;
  if (format) {
    f = *format;
  } else {
    auto d = detect_format(*j, source);
    if (!d) return d.status();
    f = *d;
  }
  Currency currency;
  Result<std::vector<Provider>> providers = std::vector<Provider>{};
  std::vector<Discount> discounts;  // a cost-ops catalog's
  switch (f) {
    case CatalogFormat::kGenaiPrices:
      if (!j->is_array())
        return invalid_argument(source + ": a genai-prices catalog is a list of providers");
      providers = parse_providers(*j, source + ": providers");
      break;
    case CatalogFormat::kLiteLLM:
      if (!j->is_object())
        return invalid_argument(source + ": a LiteLLM catalog is an object of models");
      providers = parse_litellm(*j, source);
      break;
    case CatalogFormat::kCostOps: {
      // Its providers, or contract discounts alone (for the providers of a catalog below).
      const bool discounts_only =
          j->is_object() && !j->contains("providers") && j->contains("discounts");
      if (!j->is_object() ||
          (!discounts_only && (!j->contains("providers") || !(*j)["providers"].is_array())))
        return invalid_argument(source + ": a cost-ops catalog needs \"providers\": [...]");
      if (j->contains("version") && (*j)["version"] != 1)
        return invalid_argument(source + ": unsupported cost-ops catalog version " +
                                (*j)["version"].dump());
      if (j->contains("currency")) {
        const json& code = (*j)["currency"];
        auto c = Currency::parse(code.is_string() ? code.get<std::string>() : code.dump());
        if (!c) return c.status().with_context(source + ": currency");
        currency = *c;
      }
      if (!discounts_only) providers = parse_providers((*j)["providers"], source + ": providers");
      auto d = parse_discounts(*j, source);
      if (!d) return d.status();
      discounts = std::move(*d);
      break;
    }
  }
  if (!providers) return providers.status();
  if (f != CatalogFormat::kCostOps) {
    // genai-prices prices no batch calls nor service tiers, LiteLLM only some models' batch
    // calls; these are documented as factors (a LiteLLM provider by its name there: gemini and
    // vertex_ai-* are Google's, bedrock* AWS's). LiteLLM's flex prices say which models have
    // that tier, so none is derived there.
    for (auto& p : *providers) {
      std::string_view id = p.id;
      if (f == CatalogFormat::kLiteLLM && (id == "gemini" || id.starts_with("vertex_ai")))
        id = "google";
      if (f == CatalogFormat::kLiteLLM && id.starts_with("bedrock")) id = "aws";
      for (const auto& [provider, variant, factor] : kDocumentedPriceFactors)
        if (id == provider && (f != CatalogFormat::kLiteLLM || variant == "batch"))
          p.price_factors.push_back({std::string(variant), *Decimal::parse(factor)});
    }
  }
  for (auto& p : *providers) p.derive_variant_prices();
  Catalog cat = CatalogBuilder::make(std::move(*providers), f, std::move(source), currency);
  if (role == Role::kOverlay) {
    cat.discounts_ = std::move(discounts);
  } else if (!discounts.empty()) {
    COSTOPS_RETURN_IF_ERROR(cat.set_discounts(std::move(discounts)).with_context(cat.source_));
  }
  return cat;
}

Result<std::string> Catalog::read_file_text(const std::filesystem::path& path) {
  auto read = util::read_whole_file(path.string(), "a catalog file", "catalog file");
  if (!read) return read.status();
  std::string raw = std::move(*read), decoded;
  std::string_view text = raw;
  COSTOPS_RETURN_IF_ERROR(util::utf16_to_utf8(text, decoded, path.string()));
  return text.data() == raw.data() ? std::move(raw) : std::move(decoded);
}

Result<Catalog> Catalog::load_file(const std::filesystem::path& path,
                                   std::optional<CatalogFormat> format, Role role) {
  auto text = read_file_text(path);
  if (!text) return text.status();
  return parse(*text, path.string(), format, role);
}

Result<Catalog> Catalog::builtin_copy() {
  const std::string_view text(
      costops_builtin_catalog,
      static_cast<size_t>(costops_builtin_catalog_end - costops_builtin_catalog));
  return parse(text, "built-in", CatalogFormat::kGenaiPrices);
}

const Catalog& Catalog::builtin() {
  static const Catalog cat = [] {
    auto c = builtin_copy();
    assert(c.has_value() && "the built-in catalog must load");
    return c ? std::move(*c) : Catalog();
  }();
  return cat;
}

}  // namespace costops::pricing
