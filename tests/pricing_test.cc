#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "costops/engine/cost_calculator.h"
#include "costops/pricing/catalog.h"
#include "costops/pricing/diff.h"
#include "test_util.h"
#include "util/text.h"

namespace costops::pricing {
namespace {

Timestamp T(const char* s) { return *parse_timestamp(s); }

Catalog own(const std::string& providers_json) {
  auto c = Catalog::parse(
      R"({"format": "cost-ops-catalog", "version": 1, "providers": )" + providers_json + "}",
      "test");
  EXPECT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  return c ? std::move(*c) : Catalog();
}

// The built-in catalog with `custom` over it.
Catalog builtin_copy_with(Catalog custom) {
  auto c = Catalog::builtin_copy();
  EXPECT_TRUE(c.has_value());
  if (!c) return Catalog();
  EXPECT_TRUE(c->overlay(std::move(custom)).is_ok());
  return std::move(*c);
}

Usage usage(std::initializer_list<std::pair<UnitId, int64_t>> counts) {
  Usage u;
  for (auto [id, n] : counts) u.set(id, n);
  return u;
}

// Prices `u` with the model's prices at `at` and returns "input/output/total".
std::string price(const Catalog& c, const char* provider, const char* model, const Usage& u,
                  const char* at = "2026-08-21T12:00:00Z", const char* tier = "",
                  bool batch = false) {
  auto ref = c.resolve(provider, model);
  if (!ref) return ref.status().to_string();
  auto sel = Catalog::select(*ref->model, T(at), tier, batch);
  engine::PriceResult pr;
  Status st = engine::CostCalculator::price(*sel.prices, u, &pr);
  if (!st.is_ok()) return st.to_string();
  return pr.input.to_string() + "/" + pr.output.to_string() + "/" + pr.total.to_string();
}

TEST(MatchRuleTest, EachRuleKind) {
  using K = MatchRule::Kind;
  struct Case {
    const char* name;
    MatchRule rule;
    const char* text;
    bool want;
  } cases[] = {
      {"equals hit", MatchRule::leaf(K::kEquals, "gpt-4o"), "gpt-4o", true},
      {"equals miss", MatchRule::leaf(K::kEquals, "gpt-4o"), "gpt-4o-mini", false},
      {"starts_with", MatchRule::leaf(K::kStartsWith, "claude-3"), "claude-3-opus", true},
      {"starts_with miss", MatchRule::leaf(K::kStartsWith, "claude-3"), "my-claude-3", false},
      {"ends_with", MatchRule::leaf(K::kEndsWith, "-latest"), "mistral-large-latest", true},
      {"contains", MatchRule::leaf(K::kContains, "sonnet"), "claude-3-5-sonnet", true},
      {"contains miss", MatchRule::leaf(K::kContains, "opus"), "claude-3-5-sonnet", false},
      // Text rules ignore case on both sides, as genai-prices compares.
      {"equals any case", MatchRule::leaf(K::kEquals, "Meta-Llama-3.1-8B"), "META-LLAMA-3.1-8b",
       true},
      {"starts_with any case", MatchRule::leaf(K::kStartsWith, "Qwen/"), "qwen/qwen3", true},
      {"ends_with any case", MatchRule::leaf(K::kEndsWith, "-FP8"), "x-fp8", true},
      {"contains any case", MatchRule::leaf(K::kContains, "Sonnet"), "CLAUDE-3-5-sonnet", true},
      {"contains longer", MatchRule::leaf(K::kContains, "sonnet-4-5"), "sonnet", false},
      {"regex searched", *MatchRule::regex(R"((?:mi|code)stral)"), "codestral-2501", true},
      {"regex anchored", *MatchRule::regex(R"(^o[134])"), "gpt-o1", false},
      {"regex digits", *MatchRule::regex(R"(^gemini-3\.5-flash-\d)"), "gemini-3.5-flash-2", true},
      {"or",
       MatchRule::any_of({MatchRule::leaf(K::kEquals, "a"), MatchRule::leaf(K::kEquals, "b")}), "b",
       true},
      {"or miss", MatchRule::any_of({MatchRule::leaf(K::kEquals, "a")}), "c", false},
      {"and",
       MatchRule::all_of(
           {MatchRule::leaf(K::kContains, "hugging"), MatchRule::leaf(K::kContains, "groq")}),
       "huggingface_groq", true},
      {"and miss",
       MatchRule::all_of(
           {MatchRule::leaf(K::kContains, "hugging"), MatchRule::leaf(K::kContains, "groq")}),
       "huggingface_novita", false},
  };
  for (const auto& c : cases) EXPECT_EQ(c.rule.matches(c.text), c.want) << c.name;
  EXPECT_FALSE(MatchRule::regex("(unclosed").has_value());
}

TEST(CatalogTest, BuiltinLoadsWithItsProvidersAndExtractors) {
  const Catalog& c = Catalog::builtin();
  EXPECT_EQ(c.format(), CatalogFormat::kGenaiPrices);
  EXPECT_EQ(c.providers().size(), 36u);
  EXPECT_EQ(c.model_count(), 1466u);
  ASSERT_NE(c.find_provider("OpenAI"), nullptr);
  EXPECT_EQ(c.find_provider("bedrock")->id, "aws");       // provider_match
  EXPECT_EQ(c.find_provider("vertex_ai")->id, "google");  // provider_match
  EXPECT_EQ(c.find_provider("nobody"), nullptr);
  auto ref = c.resolve("", "claude-3-5-sonnet-20241022");  // provider from model_match
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->provider->id, "anthropic");
  EXPECT_EQ(ref->model->id, "claude-3-5-sonnet");
  auto azure = c.resolve("azure", "claude-sonnet-4-5");  // fallback_model_providers
  ASSERT_TRUE(azure.has_value());
  EXPECT_EQ(azure->provider->id, "azure");
  EXPECT_EQ(azure->model->id, "claude-sonnet-4-5");
}

TEST(CatalogTest, UnknownProviderOrModelIsAnErrorNamingWhatWasLookedUp) {
  const Catalog& c = Catalog::builtin();
  auto p = c.resolve("acme", "gpt-4o");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("unknown provider \"acme\""), std::string::npos);
  auto m = c.resolve("openai", "gpt-99");
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.status().message().find("unknown model \"gpt-99\" for provider \"openai\""),
            std::string::npos);
}

TEST(CatalogTest, BlanksAndCompactDatesInANameAreReadAsGenaiPricesDoes) {
  // As genai-prices does: "gpt-4o-20240806" finds the catalog's "gpt-4o-2024-08-06".
  const Catalog& c = Catalog::builtin();
  auto m = c.resolve("openai", "gpt-4o-20240806");
  ASSERT_TRUE(m.has_value()) << m.status().to_string();
  EXPECT_EQ(m->model->id, "gpt-4o");
  auto inferred = c.resolve("", "gpt-4o-mini-20240718");
  ASSERT_TRUE(inferred.has_value()) << inferred.status().to_string();
  EXPECT_EQ(inferred->model->id, "gpt-4o-mini");
  // Not a date (February 31st), or not at the end of a part: the name's own error.
  auto bad = c.resolve("openai", "gpt-4o-20240231");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("unknown model \"gpt-4o-20240231\""), std::string::npos);
  EXPECT_FALSE(c.resolve("openai", "gpt-4o-20240806x").has_value());
  // Blanks around a name are not part of it.
  auto blank = c.resolve("openai", " gpt-4o-20240806\t");
  ASSERT_TRUE(blank.has_value()) << blank.status().to_string();
  EXPECT_EQ(blank->model->id, "gpt-4o");
}

// Google's resource names, as the Gemini API's and Vertex AI's SDKs and batch jobs name models:
// the model's id after the last "models/" segment, with or without a provider.
// Contract discounts: a percentage off the list cost of the calls they cover, exactly, part by
// part, and only on their days; a model's own before its provider's; refused when ambiguous.
TEST(DiscountTest, TakeTheirPercentageOffTheCallsTheyCoverOnTheirDays) {
  auto day = [](const char* d) { return std::chrono::floor<std::chrono::days>(T(d)); };
  Catalog c = own(R"([{"id": "acme", "models": [
      {"id": "big-1", "prices": {"input_mtok": 2, "output_mtok": 8, "cache_read_mtok": "0.5",
                                 "requests_kcount": 10}},
      {"id": "big-2", "prices": {"input_mtok": 3, "output_mtok": 9}},
      {"id": "small", "match": {"starts_with": "small"}, "prices": {"input_mtok": "0.1"}}]},
    {"id": "acme-cloud", "fallback_model_providers": ["acme"], "models": []}])");
  Discount all{"contract", "acme", {}, *Decimal::parse("12.5"), day("2026-01-01"), std::nullopt};
  Discount big{"big-deal",   "acme",           {"big-*"}, *Decimal::parse("20"),
               std::nullopt, day("2026-03-31")};
  Discount cloud{"cloud",      "acme-cloud", {"small-2026-01"}, *Decimal::parse("100"),
                 std::nullopt, std::nullopt};
  ASSERT_TRUE(c.set_discounts({all, big, cloud}).is_ok());
  auto priced = [&](const char* provider, const char* model, const char* at) {
    UsageRecord r;
    r.provider = provider;
    r.model = model;
    r.timestamp = T(at);
    r.has_timestamp = true;
    r.usage = usage({{units::kInputTokens, 1'000'000},
                     {units::kCacheReadTokens, 200'000},
                     {units::kOutputTokens, 100'000}});
    auto cr = engine::CostCalculator::price_record(c, r, Timestamp{});
    EXPECT_TRUE(cr.has_value()) << cr.status_or_ok().to_string();
    return cr ? *cr : CostRecord{};
  };
  // big-1 on 2026-02-03: its own 20% (not the provider's 12.5%). List: input 1.6 + 0.1 cache,
  // output 0.8, a request 0.01: 2.51.
  CostRecord r = priced("acme", "big-1", "2026-02-03T10:00:00Z");
  ASSERT_TRUE(r.discount.has_value());
  EXPECT_EQ(r.discount->name, "big-deal");
  EXPECT_EQ(r.discount->list_total.amount.to_string(), "2.51");
  EXPECT_EQ(r.discount->list_input.amount.to_string(), "1.7");
  EXPECT_EQ(r.discount->list_output.amount.to_string(), "0.8");
  EXPECT_EQ(r.input_cost.amount.to_string(), "1.36");
  EXPECT_EQ(r.output_cost.amount.to_string(), "0.64");
  EXPECT_EQ(r.total_cost.amount.to_string(), "2.008");  // the request's 0.01 is 0.008 now
  Decimal lines;
  for (const UnitCost& u : r.breakdown) lines += u.cost;
  EXPECT_EQ(lines.to_string(), "2.008");
  // After big-deal's last day, the provider's 12.5%: 2.51 * 0.875.
  r = priced("acme", "big-1", "2026-04-01T00:00:00Z");
  EXPECT_EQ(r.discount->name, "contract");
  EXPECT_EQ(r.total_cost.amount.to_string(), "2.19625");
  // Before the provider's first day, and big-deal's open start: big-2 has big-deal only.
  r = priced("acme", "small", "2025-12-31T23:59:59Z");
  EXPECT_FALSE(r.discount.has_value());
  EXPECT_EQ(r.total_cost.amount.to_string(), "0.1");
  EXPECT_EQ(priced("acme", "big-2", "2025-06-01T00:00:00Z").discount->name, "big-deal");
  // A provider's discount is its calls' only: acme-cloud's small (acme's model) is free through
  // acme-cloud, whatever name resolves to it, and acme's discount does not reach acme-cloud.
  r = priced("acme-cloud", "small-2026-05", "2026-02-03T10:00:00Z");
  EXPECT_EQ(r.discount->name, "cloud");
  EXPECT_EQ(r.total_cost.amount.to_string(), "0");
  EXPECT_EQ(r.discount->list_total.amount.to_string(), "0.1");
  EXPECT_FALSE(priced("acme-cloud", "big-1", "2026-02-03T10:00:00Z").discount.has_value());

  // Refusals, each naming the discount.
  auto refused = [&](std::vector<Discount> ds, const std::string& want) {
    Status st = c.set_discounts(std::move(ds));
    EXPECT_NE(st.message().find(want), std::string::npos) << st.to_string();
  };
  Discount again = all;
  again.name = "again";
  again.from = day("2026-06-01");
  refused({all, again}, "discounts \"contract\" and \"again\" both cover all models of acme");
  again.from = std::nullopt;
  again.to = day("2025-12-31");  // the day before: no shared day
  EXPECT_TRUE(c.set_discounts({all, again}).is_ok());
  Discount overlap = big;
  overlap.name = "overlap";
  overlap.models = {"big-1"};
  refused({big, overlap}, "both cover acme big-1");
  refused({{"x", "acme", {"huge-*"}, Decimal::from_int(5), {}, {}}},
          "discount \"x\": \"huge-*\" matches no model id of acme");
  refused({{"x", "acme", {"bigg-1"}, Decimal::from_int(5), {}, {}}},
          "discount \"x\": unknown model \"bigg-1\" for provider \"acme\"");
  refused({{"x", "acmee", {}, Decimal::from_int(5), {}, {}}}, "discount \"x\": unknown provider");
  refused({{"x", "acme", {}, Decimal::from_int(0), {}, {}}}, "more than 0 and at most 100, not 0");
  refused({{"x", "acme", {}, Decimal::from_int(5), day("2026-02-01"), day("2026-01-31")}},
          "its first day 2026-02-01 is after its last 2026-01-31");
  EXPECT_TRUE(c.discounts().empty());  // a refused set leaves none
  // Overlays keep them, resolved again over the providers they move (big-1 replaced in place).
  ASSERT_TRUE(c.set_discounts({all}).is_ok());
  ASSERT_TRUE(
      c.overlay(own(R"([{"id": "other", "models": [{"id": "m", "prices": {"input_mtok": 1}}]},
                                {"id": "acme", "models": [{"id": "big-1", "prices": {"input_mtok": 4}}]}])"))
          .is_ok());
  ASSERT_EQ(c.discounts().size(), 1u);
  r = priced("acme", "big-1", "2026-02-03T10:00:00Z");
  EXPECT_EQ(r.discount->name, "contract");
  EXPECT_EQ(r.total_cost.amount.to_string(), "3.5");  // 4 * 1,000,000 / 1M, less 12.5%
}

// A cost-ops catalog file's "discounts": set on the catalog it is (Role::kWhole), or kept as
// given and resolved by overlay() over the catalog below (Role::kOverlay, as --prices files
// are), one of its replacing the catalog's of the same name; written back by
// write_cost_ops_catalog; each field checked, naming the file and the field.
TEST(DiscountTest, CatalogFilesCarryThemToTheCatalogTheyMakeOrLieOver) {
  const std::string acme =
      R"("providers": [{"id": "acme", "models": [{"id": "big-1", "prices": {"input_mtok": 2}},
                                                  {"id": "big-2", "prices": {"input_mtok": 3}}]}])";
  auto whole = Catalog::parse(R"({"format": "cost-ops-catalog", )" + acme + R"(, "discounts": [
      {"name": "contract", "provider": "acme", "percent": "12.5%", "from": "2026-01-01"},
      {"name": "big-2-deal", "provider": "acme", "models": ["big-2"], "percent": 40, "to": null}]})",
                              "whole.json");
  ASSERT_TRUE(whole.has_value()) << whole.status_or_ok().to_string();
  ASSERT_EQ(whole->discounts().size(), 2u);
  UsageRecord r;
  r.provider = "acme";
  r.model = "big-1";
  r.timestamp = T("2026-02-03T10:00:00Z");
  r.has_timestamp = true;
  r.usage = usage({{units::kInputTokens, 1'000'000}});
  auto cost = [&](const Catalog& c, const char* model) {
    r.model = model;
    auto cr = engine::CostCalculator::price_record(c, r, Timestamp{});
    EXPECT_TRUE(cr.has_value()) << cr.status_or_ok().to_string();
    return cr ? cr->total_cost.amount.to_string() + (cr->discount ? " " + cr->discount->name : "")
              : "";
  };
  EXPECT_EQ(cost(*whole, "big-1"), "1.75 contract");
  EXPECT_EQ(cost(*whole, "big-2"), "1.8 big-2-deal");
  // Written back with its discounts, and read back to the same.
  const std::string written =
      write_cost_ops_catalog(whole->providers(), whole->currency(), -1, whole->discounts());
  EXPECT_NE(
      written.find(
          R"("discounts":[{"name":"contract","provider":"acme","models":[],"percent":"12.5","from":"2026-01-01","to":null})"),
      std::string::npos)
      << written;
  auto back = Catalog::parse(written, "written");
  ASSERT_TRUE(back.has_value()) << back.status_or_ok().to_string();
  EXPECT_EQ(back->discounts(), whole->discounts());

  // Discounts alone, for a catalog below: kept as given until overlay() resolves them there.
  const std::string deal = R"({"format": "cost-ops-catalog", "discounts": [
      {"name": "contract", "provider": "acme", "percent": 10},
      {"name": "big-1-deal", "provider": "acme", "models": ["big-*"], "percent": 25, "from": "2026-02-01"}]})";
  auto layer = Catalog::parse(deal, "deal.json", std::nullopt, Catalog::Role::kOverlay);
  ASSERT_TRUE(layer.has_value()) << layer.status_or_ok().to_string();
  EXPECT_EQ(layer->discounts().size(), 2u);
  // Over the whole catalog, the file's big-1-deal (big-*) shares days with the catalog's
  // big-2-deal on big-2: refused, naming the file, and no discount is set.
  Catalog below = std::move(*whole);
  const Status st = below.overlay(std::move(*layer));
  EXPECT_EQ(st.message(),
            "deal.json: discounts \"big-2-deal\" and \"big-1-deal\" both cover acme big-2 on a "
            "day they share: give them days apart");
  EXPECT_TRUE(below.discounts().empty());
  // Over the same catalog without discounts: the file's apply, a model's own first.
  auto again = Catalog::parse(R"({"format": "cost-ops-catalog", )" + acme + "}", "acme.json");
  ASSERT_TRUE(again.has_value());
  layer = Catalog::parse(deal, "deal.json", std::nullopt, Catalog::Role::kOverlay);
  ASSERT_TRUE(layer.has_value());
  ASSERT_TRUE(again->overlay(std::move(*layer)).is_ok());
  EXPECT_EQ(cost(*again, "big-1"), "1.5 big-1-deal");
  r.timestamp = T("2026-01-31T23:00:00Z");
  EXPECT_EQ(cost(*again, "big-1"), "1.8 contract");
  // As a whole catalog, the file's discounts must resolve against it.
  auto alone = Catalog::parse(deal, "deal.json");
  ASSERT_FALSE(alone.has_value());
  EXPECT_EQ(alone.status().message().substr(0, 48),
            "deal.json: discount \"contract\": unknown provider");

  // Each field checked, naming the file, the discount and the field.
  auto refused = [&](const std::string& discounts, const std::string& want) {
    auto c = Catalog::parse(R"({"format": "cost-ops-catalog", "discounts": [)" + discounts + "]}",
                            "f.json", std::nullopt, Catalog::Role::kOverlay);
    ASSERT_FALSE(c.has_value()) << discounts;
    EXPECT_EQ(c.status().message(), want);
  };
  refused(R"({"name": "x", "provider": "acme", "model": ["big-1"], "percent": 5})",
          "f.json: discounts[0].model: a discount has name, provider, models, percent, from and "
          "to");
  refused(R"({"provider": "acme", "percent": 5})", "f.json: discounts[0]: a discount needs a name");
  refused(R"({"name": "x", "provider": "acme"})",
          "f.json: discounts[0]: a discount needs a percent (off the list prices)");
  refused(R"({"name": "x", "provider": "acme", "percent": 0})",
          "f.json: discounts[0]: discount \"x\": the percentage off must be more than 0 and at "
          "most 100, not 0");
  refused(R"({"name": "x", "provider": "acme", "percent": 5, "from": "2026-13-01"})",
          "f.json: discounts[0].from: a day is YYYY-MM-DD, not \"2026-13-01\"");
  refused(R"({"name": "x", "provider": "acme", "percent": 5, "models": "big-1"})",
          "f.json: discounts[0].models: expected a list");
  refused(R"({"name": "x", "provider": "acme", "percent": 5},
             {"name": "x", "provider": "acme", "percent": 6})",
          "f.json: discounts[1]: the name \"x\" is given twice");
  refused(R"({"name": "x", "provider": "acme", "percent": "5 %"})",
          "f.json: discounts[0].percent: expected a percentage (12, \"12\" or \"12%\"), got "
          "\"5 %\"");
}

TEST(CatalogTest, GoogleResourceNamesAreTheirModels) {
  const Catalog& c = Catalog::builtin();
  for (const auto& [provider, name] : std::initializer_list<std::pair<const char*, const char*>>{
           {"", "models/gemini-2.5-flash"},
           {"google", "models/gemini-2.5-flash"},
           {"", "publishers/google/models/gemini-2.5-flash"},
           {"google",
            "projects/my-project/locations/us-central1/publishers/google/models/"
            "gemini-2.5-flash"},
           {"google", " models/gemini-2.5-flash\t"}}) {
    auto m = c.resolve(provider, name);
    ASSERT_TRUE(m.has_value()) << name << ": " << m.status().to_string();
    EXPECT_EQ(m->provider->id, "google") << name;
    EXPECT_EQ(m->model->id, "gemini-2.5-flash") << name;
  }
  // An unknown id is the name's own error; "models/" must begin a segment.
  auto bad = c.resolve("", "models/gemini-9");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("unknown model \"models/gemini-9\""), std::string::npos);
  EXPECT_FALSE(c.resolve("google", "othermodels/gemini-2.5-flash").has_value());
}

TEST(CatalogTest, ProviderPrefixedNamesAreTheirProvidersModels) {
  // LiteLLM's (and many gateways') "provider/model" names: a name no model has as its id, whose
  // prefix names a provider, is that provider's model.
  const Catalog& c = Catalog::builtin();
  const std::pair<const char*, const char*> cases[] = {
      {"gemini/gemini-2.5-flash", "google/gemini-2.5-flash"},
      {"vertex_ai/gemini-2.5-pro", "google/gemini-2.5-pro"},
      {"anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5"},  // not google's Claude
      {"azure/gpt-4o", "azure/gpt-4o"},
      {"groq/llama-3.3-70b-versatile", "groq/llama-3.3-70b-versatile"},
      // OpenRouter's ids come first: they are the name itself.
      {"openai/gpt-4o", "openrouter/openai/gpt-4o"}};
  for (const auto& [name, want] : cases) {
    auto ref = c.resolve("", name);
    ASSERT_TRUE(ref.has_value()) << name << ": " << ref.status().to_string();
    EXPECT_EQ(ref->provider->id + "/" + ref->model->id, want) << name;
  }
  // With the provider given, its own prefix is read past; provider "litellm" means such names,
  // as genai-prices reads it.
  auto own = c.resolve("openai", "openai/gpt-4o-mini");
  ASSERT_TRUE(own.has_value()) << own.status().to_string();
  EXPECT_EQ(own->model->id, "gpt-4o-mini");
  EXPECT_FALSE(c.resolve("openai", "anthropic/claude-sonnet-4-5").has_value());
  auto litellm = c.resolve("litellm", "gemini/gemini-2.5-flash");
  ASSERT_TRUE(litellm.has_value()) << litellm.status().to_string();
  EXPECT_EQ(litellm->provider->id, "google");
  EXPECT_FALSE(c.resolve("", "nobody/gpt-4o-mini-x").has_value());
  // LiteLLM's provider names (a spend log's custom_llm_provider) for providers named otherwise.
  EXPECT_EQ(c.find_provider("fireworks_ai")->id, "fireworks");
  EXPECT_EQ(c.find_provider("azure_ai")->id, "azure");
  EXPECT_EQ(c.find_provider("codestral")->id, "mistral");
  EXPECT_EQ(c.find_provider("gemini")->id, "google");
  EXPECT_EQ(c.find_provider("bedrock")->id, "aws");
  EXPECT_EQ(c.find_provider("xai")->id, "x-ai");
}

// In a LiteLLM catalog, genai-prices' provider ids (what records priced with the built-in catalog
// are stored under) find LiteLLM's providers, and a provider LiteLLM files under several names
// (Bedrock's, Vertex AI's) finds its models under any of them, as LiteLLM looks them up by name
// (the record stays the provider's, as with genai-prices' fallback providers).
TEST(LiteLLMTest, ProvidersByGenaiPricesIdsAndFamilies) {
  auto c = Catalog::parse(
      R"({"gemini/gemini-x": {"litellm_provider": "gemini", "input_cost_per_token": 3e-7},
          "gemini-y-001": {"litellm_provider": "vertex_ai-language-models", "input_cost_per_token": 1e-7},
          "anthropic.claude-x-v1:0": {"litellm_provider": "bedrock", "input_cost_per_token": 3e-6},
          "amazon.nova-x-v1:0": {"litellm_provider": "bedrock_converse", "input_cost_per_token": 6e-8},
          "xai/grok-x": {"litellm_provider": "xai", "input_cost_per_token": 3e-6},
          "llama-x": {"litellm_provider": "groq", "input_cost_per_token": 1e-6, "mode": null,
                      "input_cost_per_second": 1}})",
      "litellm.json");
  ASSERT_TRUE(c.has_value()) << c.status().to_string();
  const std::pair<const char*, const char*> found[][2] = {
      {{"google", "gemini-x"}, {"gemini", "gemini/gemini-x"}},
      {{"google", "gemini-y-001"}, {"gemini", "gemini-y-001"}},
      {{"aws", "anthropic.claude-x-v1:0"}, {"bedrock", "anthropic.claude-x-v1:0"}},
      {{"aws", "amazon.nova-x-v1:0"}, {"bedrock", "amazon.nova-x-v1:0"}},
      {{"bedrock_converse", "anthropic.claude-x-v1:0"},
       {"bedrock_converse", "anthropic.claude-x-v1:0"}},
      {{"x-ai", "grok-x"}, {"xai", "xai/grok-x"}}};
  for (const auto& [given, want] : found) {
    auto ref = c->resolve(given.first, given.second);
    ASSERT_TRUE(ref.has_value()) << given.first << "/" << given.second << ": "
                                 << ref.status().to_string();
    EXPECT_EQ(ref->provider->id, want.first) << given.first << "/" << given.second;
    EXPECT_EQ(ref->model->id, want.second) << given.first << "/" << given.second;
  }
  // A family does not reach other providers' models.
  EXPECT_FALSE(c->resolve("aws", "llama-x").has_value());
  EXPECT_FALSE(c->resolve("google", "anthropic.claude-x-v1:0").has_value());
}

// "Did you mean" hints: the closest ids by edit distance ignoring case, ties together (up to
// three), none when nothing is within a third of the name's length. Unknown names' errors say them.
TEST(CatalogTest, SuggestsTheClosestProviderAndModelIds) {
  const Catalog& c = Catalog::builtin();
  using V = std::vector<std::string>;
  EXPECT_EQ(c.suggest_provider("opnai"), V{"openai"});
  EXPECT_EQ(c.suggest_provider("Anthropc"), V{"anthropic"});
  EXPECT_EQ(c.suggest_provider("acme"), V{});
  EXPECT_EQ(c.suggest_model("openai", "gpt-4q"), (V{"gpt-4", "gpt-4o"}));
  EXPECT_EQ(c.suggest_model("openai", "GPT-4O-MINI"), V{"gpt-4o-mini"});  // case only: distance 0
  EXPECT_EQ(c.suggest_model("", "claude-sonet-4-5"), V{"claude-sonnet-4-5"});
  EXPECT_EQ(c.suggest_model("openai", "claude-sonet-4-5"), V{});  // not among openai's
  EXPECT_EQ(c.suggest_model("openai", "zzzzzz"), V{});
  // resolve's errors carry them, the second time from its cache of failures.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(c.resolve("openai", "gpt-4q").status().message(),
              "unknown model \"gpt-4q\" for provider \"openai\" in catalog built-in (did you "
              "mean gpt-4 or gpt-4o?)");
    EXPECT_EQ(c.resolve("opnai", "gpt-4o").status().message(),
              "unknown provider \"opnai\" in catalog built-in (did you mean provider openai?)");
    EXPECT_EQ(c.resolve("openai", "zzzzzz").status().message(),
              "unknown model \"zzzzzz\" for provider \"openai\" in catalog built-in");
  }
}

// The distance behind the suggestions: exact within a limit, some value above it beyond (found
// sooner, which keeps a search of every model's name for each unknown one cheap).
TEST(CatalogTest, EditDistanceIsExactWithinItsLimit) {
  using util::edit_distance;
  EXPECT_EQ(edit_distance("gpt-4q", "GPT-4o"), 1u);
  EXPECT_EQ(edit_distance("claude-sonet-4-5", "claude-sonnet-4-5"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 3), 3u);
  EXPECT_GT(edit_distance("kitten", "sitting", 2), 2u);
  EXPECT_GT(edit_distance("a", "abcdef", 4), 4u);  // lengths 5 apart
  EXPECT_EQ(edit_distance("a", "abcdef", 5), 5u);
  const std::string long_a(300, 'a'), long_b = std::string(299, 'a') + "b";  // beyond the stack row
  EXPECT_EQ(edit_distance(long_a, long_b), 1u);
  EXPECT_GT(edit_distance(long_a, std::string(300, 'z'), 10), 10u);
}

// search: every word in the model's id or name, ignoring case; of every provider or one.
TEST(CatalogTest, SearchFindsTheModelsWhoseIdOrNameHoldsEveryWord) {
  const Catalog& c = Catalog::builtin();
  auto ids = [](const std::vector<ModelRef>& refs) {
    std::vector<std::string> out;
    for (const auto& r : refs) out.push_back(r.provider->id + "/" + r.model->id);
    return out;
  };
  const auto sonnet = ids(c.search("  SONNET\t4.5 "));
  EXPECT_NE(std::find(sonnet.begin(), sonnet.end(), "anthropic/claude-sonnet-4-5"), sonnet.end());
  for (const auto& id : sonnet) EXPECT_NE(id.find("sonnet"), std::string::npos) << id;
  EXPECT_EQ(ids(c.search("gpt-4o-mini-tts", c.find_provider("openai"))),
            std::vector<std::string>{"openai/gpt-4o-mini-tts"});
  EXPECT_TRUE(c.search("sonnet", c.find_provider("openai")).empty());
  EXPECT_TRUE(c.search("zzz").empty());
  EXPECT_EQ(c.search("", c.find_provider("anthropic")).size(),
            c.find_provider("anthropic")->models.size());
}

TEST(CatalogTest, DetectsFormatsAndReportsBadFiles) {
  EXPECT_EQ(Catalog::parse("[]", "x")->format(), CatalogFormat::kGenaiPrices);
  EXPECT_EQ(Catalog::parse(R"({"m": {"litellm_provider": "p", "input_cost_per_token": 1e-6}})", "x")
                ->format(),
            CatalogFormat::kLiteLLM);
  auto bad = Catalog::parse("{\n  \"a\": [1, 2,\n}", "bad.json");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("bad.json:line 3"), std::string::npos)
      << bad.status().message();
  auto unknown_key = Catalog::parse(
      R"([{"id": "p", "models": [{"id": "m", "match": {"equals": "m"}, "prices": {"input_mtok": 1, "bogus_mtok": 2}}]}])",
      "k.json");
  ASSERT_FALSE(unknown_key.has_value());
  EXPECT_NE(unknown_key.status().message().find("unknown price key \"bogus_mtok\""),
            std::string::npos);
  auto typo = Catalog::parse(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 1, "output_mtk": 2}}]}])",
      "t.json");
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.status().message().find("unknown price key \"output_mtk\" (not in the unit "
                                         "registry of this cost-ops version; did you mean "
                                         "output_mtok?)"),
            std::string::npos)
      << typo.status().message();
  auto missing = Catalog::load_file("/nonexistent/catalog.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_FALSE(Catalog::parse(R"({"hello": 1})", "x").has_value());
}

// A catalog saved as UTF-16 (Windows PowerShell 5's `>`) loads as its UTF-8 text does; the line
// of a JSON error is its line in the file.
TEST(CatalogTest, Utf16CatalogsLoadAsUtf8) {
  const std::string text =
      R"({"format": "cost-ops-catalog", "providers": [{"id": "acme", "name": "Acm\u00e9 \u20ac",)"
      "\n"
      R"( "models": [{"id": "acme-1", "prices": {"input_mtok": "0.5"}}]}]})";
  for (const bool little : {true, false}) {
    auto cat = Catalog::parse(testing::utf16(text, little), "u.json");
    ASSERT_TRUE(cat.has_value()) << cat.status().to_string();
    EXPECT_EQ(cat->format(), CatalogFormat::kCostOps);
    EXPECT_TRUE(cat->resolve("acme", "acme-1").has_value());
  }
  auto bad = Catalog::parse(testing::utf16("{\n  \"a\": [1, 2,\n}"), "bad.json");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("bad.json:line 3"), std::string::npos)
      << bad.status().message();
  auto broken = Catalog::parse(testing::utf16("{\n") + std::string("\x00\xDC", 2), "b.json");
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.status().message(),
            "b.json: line 2: invalid UTF-16: a low surrogate without its high one");
}

// A field of the wrong type is an error naming it, never an exception out of the JSON library.
TEST(CatalogTest, FieldsOfTheWrongTypeAreErrorsNamingThem) {
  const std::string m = R"("models": [{"id": "m", "prices": {"input_mtok": 1})";
  const std::pair<std::string, std::string> cases[] = {
      {R"([{"id": "p", "name": 5, )" + m + "}]}]", "providers[0] (p).name: expected a string"},
      {R"([{"id": "p", "models": [{"id": "m", "name": [], "prices": {}}]}])",
       "providers[0] (p).models[0] (m).name: expected a string"},
      {R"([{"id": "p", "models": [{"id": "m", "deprecated": "no", "prices": {}}]}])",
       "(m).deprecated: expected true or false"},
      {R"([{"id": "p", "models": [{"id": "m", "prices": [3]}]}])",
       "(m).prices[0]: expected an object with prices"},
      {R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": {"base": 1, "tiers": 2}}}]}])",
       "(m).prices.input_mtok.tiers: expected a list"},
      {R"([{"id": "p", "extractors": [7], )" + m + "}]}]",
       "providers[0] (p).extractors[0]: an extractor is an object"},
      {R"([{"id": "p", "extractors": [{"api_flavor": 1, "mappings": []}], )" + m + "}]}]",
       "extractors[0].api_flavor: expected a string"},
      {R"([{"id": "p", "extractors": [{"mappings": [{"path": "x", "dest": "input_tokens", "required": "yes"}]}], )" +
           m + "}]}]",
       "extractors[0].mappings[0].required: expected true or false"},
      {R"({"format": "cost-ops-catalog", "currency": 5, "providers": []})", "currency"},
      {R"({"format": "cost-ops-catalog", "version": "1", "providers": []})",
       "unsupported cost-ops catalog version \"1\""},
      {R"({"format": "cost-ops-catalog", "providers": [{"id": "p", "models": [{"id": "m", "prices": {}, "variants": {"batch": true}}]}]})",
       "(m).variants: expected a list"},
      {R"({"format": "cost-ops-catalog", "providers": [{"id": "p", "models": [{"id": "m", "prices": {}, "variants": [{"batch": 1}]}]}]})",
       "(m).variants[0].batch: expected true or false"},
  };
  for (const auto& [text, message] : cases) {
    auto c = Catalog::parse(text, "t.json");
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.status().message().find(message), std::string::npos)
        << c.status().message() << "\n  for " << text;
    EXPECT_EQ(c.status().message().rfind("t.json: ", 0), 0u) << c.status().message();
  }
}

TEST(PricingTest, CacheReadsUseTheirOwnRateAndTheRestTheInputRate) {
  Catalog c = own(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 3, "cache_read_mtok": "0.3", "output_mtok": 15}}]}])");
  using namespace units;
  // 1000 input of which 400 cache reads: 600 * 3 + 400 * 0.3 per million.
  EXPECT_EQ(price(c, "p", "m",
                  usage({{kInputTokens, 1000}, {kCacheReadTokens, 400}, {kOutputTokens, 10}})),
            "0.00192/0.00015/0.00207");
}

TEST(PricingTest, NegativeRemainderIsAnErrorNotANegativeCost) {
  Catalog c = own(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 3, "cache_read_mtok": 1, "output_mtok": 15}}]}])");
  using namespace units;
  const std::string got = price(c, "p", "m", usage({{kInputTokens, 100}, {kCacheReadTokens, 300}}));
  EXPECT_EQ(got,
            "inconsistent_usage: usage parts exceed their whole: input_tokens=100, "
            "cache_read_tokens=300 leaves -200 input_tokens");
}

TEST(PricingTest, UnpricedPartsStayInTheirAncestor) {
  // No cache price: cache reads are billed at the input rate.
  Catalog c = own(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 2, "output_mtok": 8}}]}])");
  using namespace units;
  EXPECT_EQ(price(c, "p", "m",
                  usage({{kInputTokens, 1000},
                         {kCacheReadTokens, 400},
                         {kOutputTokens, 100},
                         {kOutputReasoningTokens, 60}})),
            "0.002/0.0008/0.0028");
}

TEST(PricingTest, AnUnpricedPartNeedsTheWholeThatBillsIt) {
  // Cache reads are billed inside the input: with no input given they would cost nothing.
  Catalog c = own(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 2, "output_mtok": 8}}]}])");
  using namespace units;
  EXPECT_EQ(price(c, "p", "m", usage({{kCacheReadTokens, 400}, {kOutputTokens, 10}})),
            "inconsistent_usage: usage parts exceed their whole: input_tokens=0 (not given), "
            "cache_read_tokens=400 leaves -400 input_tokens");
  // A whole that is given is billed as given, even when a part exceeds it (genai-prices does the
  // same); record_warnings says so.
  EXPECT_EQ(price(c, "p", "m", usage({{kOutputTokens, 100}, {kOutputReasoningTokens, 400}})),
            "0/0.0008/0.0008");
  // Units nothing prices (nor their ancestors) need no whole.
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 10}, {kWebSearches, 3}})),
            "0.00002/0/0.00002");
}

TEST(PricingTest, CacheWriteTtlsDecomposeWithoutDoubleCounting) {
  // cache_write_1h is part of cache_write which is part of input: the 1h writes are billed once
  // at their rate, the other writes at the cache-write rate, the rest at the input rate.
  Catalog c = own(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 3, "cache_write_mtok": "3.75", "cache_write_1h_mtok": 6, "cache_read_mtok": "0.3", "output_mtok": 15}}]}])");
  using namespace units;
  // input 10000 = 2000 plain + 3000 reads + 5000 writes (1000 of them 1h)
  // 2000*3 + 3000*0.3 + 4000*3.75 + 1000*6 = 6000 + 900 + 15000 + 6000 = 27900 per million
  EXPECT_EQ(price(c, "p", "m",
                  usage({{kInputTokens, 10000},
                         {kCacheReadTokens, 3000},
                         {kCacheWriteTokens, 5000},
                         {kCacheWrite1hTokens, 1000}})),
            "0.0279/0/0.0279");
}

TEST(PricingTest, AudioCacheReadsDecomposeAcrossTwoParents) {
  Catalog c = own(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 1, "cache_read_mtok": "0.5", "input_audio_mtok": 10, "cache_audio_read_mtok": 2, "output_mtok": 4}}]}])");
  using namespace units;
  // input 1000: audio 300 (100 of it cached), cache reads 500 (100 of them audio)
  // text uncached = 1000 - 500 - 300 + 100 = 300 at 1; text cached 400 at 0.5; audio uncached 200
  // at 10; audio cached 100 at 2: 300 + 200 + 2000 + 200 = 2700 per million
  EXPECT_EQ(price(c, "p", "m",
                  usage({{kInputTokens, 1000},
                         {kCacheReadTokens, 500},
                         {kInputAudioTokens, 300},
                         {kCacheAudioReadTokens, 100}})),
            "0.0027/0/0.0027");
}

TEST(PricingTest, TiersSwitchAllTokensAboveTheThreshold) {
  Catalog c = own(R"([{"id": "p", "models": [{"id": "m", "prices": {
      "input_mtok": {"base": 3, "tiers": [{"start": 200000, "price": 6}]},
      "output_mtok": {"base": 15, "tiers": [{"start": 200000, "price": "22.5"}]}}}]}])");
  using namespace units;
  struct Case {
    int64_t input;
    const char* want;
  } cases[] = {
      {199999, "0.599997/0.0015/0.601497"},   // below: base
      {200000, "0.6/0.0015/0.6015"},          // at the threshold: still base (tiers apply above)
      {200001, "1.200006/0.00225/1.202256"},  // above: every token, output too, at the tier rate
  };
  for (const auto& k : cases)
    EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, k.input}, {kOutputTokens, 100}})), k.want)
        << k.input;
}

TEST(PricingTest, TierIsChosenByTotalInputIncludingCache) {
  Catalog c = own(R"([{"id": "p", "models": [{"id": "m", "prices": {
      "input_mtok": {"base": 1, "tiers": [{"start": 1000, "price": 2}]},
      "cache_read_mtok": {"base": "0.1", "tiers": [{"start": 1000, "price": "0.2"}]}}}]}])");
  using namespace units;
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 1500}, {kCacheReadTokens, 1000}})),
            "0.0012/0/0.0012");
}

// Usage that sums several requests (a usage report's row) takes the tier of its mean request,
// unless the record names the input that chooses it.
TEST(PricingTest, SummedRequestsTakeTheTierOfTheirMeanRequest) {
  Catalog c = own(R"([{"id": "p", "models": [{"id": "m", "prices": {
      "input_mtok": {"base": 3, "tiers": [{"start": 200000, "price": 6}]},
      "requests_kcount": 1}}]}])");
  using namespace units;
  auto with = [&](const Usage& u, int64_t tier_input) {
    auto sel = Catalog::select(*c.resolve("p", "m")->model, T("2026-08-21T12:00:00Z"), "", false);
    engine::PriceResult pr;
    Status st = engine::CostCalculator::price(*sel.prices, u, tier_input, &pr);
    return st.is_ok() ? pr.total.to_string() : st.to_string();
  };
  // 1M input over 10 requests: 100k each, base. The per-request fee counts all ten.
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 1000000}, {kRequests, 10}})), "3/0/3.01");
  // Over 4: 250k each, above the threshold.
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 1000000}, {kRequests, 4}})), "6/0/6.004");
  // One request (or none counted): its whole input.
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 1000000}, {kRequests, 1}})), "6/0/6.001");
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 1000000}})), "6/0/6.001");
  // A given tier input wins either way.
  EXPECT_EQ(with(usage({{kInputTokens, 1000000}}), 0), "3.001");
  EXPECT_EQ(with(usage({{kInputTokens, 1000000}, {kRequests, 10}}), 200001), "6.01");
}

TEST(PricingTest, DateVersionedPricesResolveAtTheRecordTime) {
  Catalog c = own(R"([{"id": "p", "models": [{"id": "m", "prices": [
      {"prices": {"input_mtok": 10}},
      {"constraint": {"start_date": "2026-03-13"}, "prices": {"input_mtok": 5}}]}]}])");
  using namespace units;
  const Usage u = usage({{kInputTokens, 1000000}});
  EXPECT_EQ(price(c, "p", "m", u, "2026-03-12T23:59:59Z"), "10/0/10");
  EXPECT_EQ(price(c, "p", "m", u, "2026-03-13T00:00:00Z"), "5/0/5");
  EXPECT_EQ(price(c, "p", "m", u, "2027-01-01T00:00:00Z"), "5/0/5");
}

// A catalog against another: each model looked up as usage of it would be (its own id first),
// every standard price in effect that differs a row (tiers by threshold), models not resolved
// removed, models nothing resolves to added.
TEST(CatalogDiffTest, PricesThatDifferModelsRemovedAndAdded) {
  const Catalog from = own(R"([{"id": "p", "models": [
      {"id": "same", "prices": {"input_mtok": "2.50", "output_mtok": 10}},
      {"id": "cheaper", "prices": [{"prices": {"input_mtok": 5}},
                                    {"constraint": {"start_date": "2026-03-13"}, "prices": {"input_mtok": 4}}]},
      {"id": "tiered", "prices": {"input_mtok": {"base": 3, "tiers": [{"start": 200000, "price": 6}]}}},
      {"id": "alias", "prices": {"input_mtok": 1}},
      {"id": "gone", "prices": {"input_mtok": 1}}]},
    {"id": "q", "models": [{"id": "x", "prices": {"input_mtok": 1}}]}])");
  const Catalog to = own(R"([{"id": "p", "models": [
      {"id": "same", "prices": {"input_mtok": 2.5, "output_mtok": "10.0"}},
      {"id": "cheaper", "prices": {"input_mtok": 4, "cache_read_mtok": "0.4"}},
      {"id": "tiered", "prices": {"input_mtok": {"base": 3, "tiers": [{"start": 200000, "price": 7}]}}},
      {"id": "alias-2026", "match": {"starts_with": "alias"}, "prices": {"input_mtok": 1}},
      {"id": "new", "prices": {"input_mtok": 9}}]},
    {"id": "q", "models": [{"id": "y", "prices": {"input_mtok": 1}}]}])");
  // "kind provider model[->to_model] price from to", a blank for a price a catalog lacks.
  auto rows = [](const CatalogDifferences& d) {
    std::vector<std::string> out;
    auto text = [](const std::optional<Decimal>& v) { return v ? v->to_string() : "-"; };
    for (const auto& r : d.rows) {
      const char* kind = r.kind == PriceDifference::Kind::kChanged   ? "changed"
                         : r.kind == PriceDifference::Kind::kRemoved ? "removed"
                                                                     : "added";
      std::string line = std::string(kind) + " " + r.provider + " " + r.model;
      if (!r.to_model.empty()) line += "->" + r.to_model;
      if (r.kind == PriceDifference::Kind::kChanged)
        line += " " + r.price + " " + text(r.from_price) + " " + text(r.to_price);
      out.push_back(line);
    }
    return out;
  };
  CatalogDifferences d = diff_catalogs(from, to, T("2026-08-21T12:00:00Z"));
  EXPECT_EQ(rows(d),
            (std::vector<std::string>{"changed p cheaper cache_read_mtok - 0.4",
                                      "changed p tiered input_mtok>200000 6 7", "removed p gone",
                                      "removed q x", "added p new", "added q y"}));
  EXPECT_EQ(d.compared, 6u);
  EXPECT_EQ(d.same, 2u);  // same; alias, which resolves to alias-2026 at the same price
  EXPECT_EQ(d.changed, 2u);
  EXPECT_EQ(d.removed, 2u);
  EXPECT_EQ(d.added, 2u);
  // The prices in effect at the time compared: before March 13th, "cheaper" was 5 in `from`.
  // One provider's models are compared with its models in `to` (q's y is not added).
  d = diff_catalogs(from, to, T("2026-01-01T00:00:00Z"), from.find_provider("p"));
  EXPECT_EQ(rows(d),
            (std::vector<std::string>{
                "changed p cheaper input_mtok 5 4", "changed p cheaper cache_read_mtok - 0.4",
                "changed p tiered input_mtok>200000 6 7", "removed p gone", "added p new"}));
  EXPECT_EQ(d.compared, 5u);
  // A model named otherwise in `to` says which; a price `to` lacks is a row too.
  const Catalog renamed = own(R"([{"id": "p", "models": [
      {"id": "alias-2027", "match": {"starts_with": "alias"}, "prices": {"input_mtok": 2}},
      {"id": "same", "prices": {"input_mtok": 2.5}}]}])");
  d = diff_catalogs(from, renamed, T("2026-08-21T12:00:00Z"), from.find_provider("p"));
  EXPECT_EQ(rows(d), (std::vector<std::string>{
                         "changed p same output_mtok 10 -", "removed p cheaper", "removed p tiered",
                         "changed p alias->alias-2027 input_mtok 1 2", "removed p gone"}));
  // Batch and service-tier prices: a model's own, and those its provider's price factors derive,
  // compared where both have them; one a catalog has of its own and the other lacks is a row; one
  // only derived on one side (for all of the provider's models, most offering no such tier) is
  // not.
  const Catalog tiers = own(R"([{"id": "p", "price_factors": {"batch": "0.5"}, "models": [
      {"id": "a", "prices": {"input_mtok": 2, "cache_read_mtok": 1}},
      {"id": "b", "prices": {"input_mtok": 2},
       "variants": [{"service_tier": "priority", "prices": {"input_mtok": "3.4"}}]}]}])");
  const Catalog other = own(R"([{"id": "p", "price_factors": {"flex": "0.5"}, "models": [
      {"id": "a", "prices": {"input_mtok": 2, "cache_read_mtok": 1},
       "variants": [{"batch": true, "prices": {"input_mtok": 1, "cache_read_mtok": 1}}]},
      {"id": "b", "prices": {"input_mtok": 2}}]}])");
  d = diff_catalogs(tiers, other, T("2026-08-21T12:00:00Z"));
  EXPECT_EQ(rows(d), (std::vector<std::string>{"changed p a batch:cache_read_mtok 0.5 1",
                                               "changed p b priority:input_mtok 3.4 -"}));
  EXPECT_EQ(d.changed, 2u);
  EXPECT_EQ(diff_catalogs(tiers, tiers, T("2026-08-21T12:00:00Z")).same, 2u);
}

TEST(PricingTest, TimeOfDayPricesIncludingWrapPastMidnight) {
  Catalog c = own(R"([{"id": "p", "models": [
      {"id": "day", "prices": [{"prices": {"input_mtok": 1}},
                               {"constraint": {"start_time": "00:30:00Z", "end_time": "16:30:00Z"}, "prices": {"input_mtok": 2}}]},
      {"id": "night", "prices": [{"prices": {"input_mtok": 1}},
                                 {"constraint": {"start_time": "22:00:00Z", "end_time": "06:00:00Z"}, "prices": {"input_mtok": 3}}]}]}])");
  using namespace units;
  const Usage u = usage({{kInputTokens, 1000000}});
  EXPECT_EQ(price(c, "p", "day", u, "2026-05-01T00:29:59Z"), "1/0/1");
  EXPECT_EQ(price(c, "p", "day", u, "2026-05-01T00:30:00Z"), "2/0/2");
  EXPECT_EQ(price(c, "p", "day", u, "2026-05-01T16:30:00Z"), "1/0/1");
  EXPECT_EQ(price(c, "p", "night", u, "2026-05-01T23:00:00Z"), "3/0/3");
  EXPECT_EQ(price(c, "p", "night", u, "2026-05-01T05:59:59Z"), "3/0/3");
  EXPECT_EQ(price(c, "p", "night", u, "2026-05-01T06:00:00Z"), "1/0/1");
}

TEST(PricingTest, PerRequestAndPerThousandUnits) {
  Catalog c = own(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 1, "requests_kcount": 5, "web_searches_kcount": 10}}]}])");
  using namespace units;
  // No requests count: one request. Requests and searches count in total only.
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 1000}})), "0.001/0/0.006");
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 1000}, {kRequests, 3}, {kWebSearches, 2}})),
            "0.001/0/0.036");
}

TEST(PricingTest, GenaiPricesRealEntries) {
  const Catalog& c = Catalog::builtin();
  using namespace units;
  // claude-opus-4-6: tiered before 2026-03-13, flat after.
  const Usage big = usage({{kInputTokens, 300000}, {kOutputTokens, 1000}});
  EXPECT_EQ(price(c, "anthropic", "claude-opus-4-6", big, "2026-03-01T00:00:00Z"),
            "3/0.0375/3.0375");
  EXPECT_EQ(price(c, "anthropic", "claude-opus-4-6", big, "2026-04-01T00:00:00Z"),
            "1.5/0.025/1.525");
  // deepseek-chat: off-peak 16:30-00:30 UTC at half price.
  const Usage u = usage({{kInputTokens, 1000000}, {kOutputTokens, 1000000}});
  EXPECT_EQ(price(c, "deepseek", "deepseek-chat", u, "2026-05-01T12:00:00Z"), "0.27/1.1/1.37");
  EXPECT_EQ(price(c, "deepseek", "deepseek-chat", u, "2026-05-01T20:00:00Z"), "0.135/0.55/0.685");
}

TEST(LiteLLMTest, LoadsRealEntries) {
  COSTOPS_REQUIRE_SHARED_DATA();
  auto c = Catalog::load_file(
      testing::shared_path("data/pricing/litellm/model_prices_and_context_window.json"));
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  EXPECT_EQ(c->format(), CatalogFormat::kLiteLLM);
  using namespace units;
  const Usage u =
      usage({{kInputTokens, 1000000}, {kCacheReadTokens, 200000}, {kOutputTokens, 1000000}});
  // gpt-4o: 2.5e-06 in, 1.25e-06 cached, 1e-05 out; priority and batch variants.
  EXPECT_EQ(price(*c, "openai", "gpt-4o", u), "2.25/10/12.25");
  EXPECT_EQ(price(*c, "openai", "gpt-4o", u, "2026-08-21T12:00:00Z", "priority"),
            "3.825/17/20.825");
  EXPECT_EQ(price(*c, "openai", "gpt-4o", u, "2026-08-21T12:00:00Z", "", true), "1.25/5/6.25");
  // Transcriptions priced by the second of audio: an hour of whisper-1 at 0.0001 a second;
  // Groq's whisper-large-v3 at its input price (LiteLLM's output price of 0 would make it free).
  EXPECT_EQ(price(*c, "openai", "whisper-1", usage({{kInputAudioSeconds, 3600}})), "0.36/0/0.36");
  EXPECT_EQ(price(*c, "groq", "whisper-large-v3", usage({{kInputAudioSeconds, 90}})),
            "0.0027747/0/0.0027747");
  // Keys with a provider prefix resolve by the bare name too.
  auto g = c->resolve("gemini", "gemini-2.5-pro");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->model->id, "gemini/gemini-2.5-pro");
  // With no provider, the model whose key is the name comes first: "gpt-4o" is OpenAI's, not
  // Azure's "azure/gpt-4o" (which answers to the bare name too, and whose provider comes first).
  for (const char* name : {"gpt-4o", "gpt-4o-mini-2024-07-18"}) {
    auto bare = c->resolve("", name);
    ASSERT_TRUE(bare.has_value()) << name;
    EXPECT_EQ(bare->provider->id, "openai") << name;
    EXPECT_EQ(bare->model->id, name);
  }
  // No key is the name: a provider the name names comes before an earlier one whose rule finds
  // it ("azure/mistral-large-latest", "azure_ai/deepseek-v3"); otherwise the first one does.
  for (auto [name, provider, key] :
       {std::tuple{"mistral-large-latest", "mistral", "mistral/mistral-large-latest"},
        {"deepseek-v3", "deepseek", "deepseek/deepseek-v3"},
        {"Llama-3.3-70B-Instruct", "azure_ai", "azure_ai/Llama-3.3-70B-Instruct"}}) {
    auto bare = c->resolve("", name);
    ASSERT_TRUE(bare.has_value()) << name;
    EXPECT_EQ(bare->provider->id, provider) << name;
    EXPECT_EQ(bare->model->id, key) << name;
  }
  // *_above_200k_tokens: whole request switches when total input > 200k.
  EXPECT_EQ(
      price(*c, "gemini", "gemini-2.5-pro", usage({{kInputTokens, 200000}, {kOutputTokens, 1000}})),
      "0.25/0.01/0.26");
  EXPECT_EQ(
      price(*c, "gemini", "gemini-2.5-pro", usage({{kInputTokens, 200001}, {kOutputTokens, 1000}})),
      "0.5000025/0.015/0.5150025");
  // Anthropic 5-minute (3.75e-06) and 1-hour (6e-06) cache writes: 1000*3 + 1000*3.75 + 1000*6.
  EXPECT_EQ(
      price(*c, "anthropic", "claude-sonnet-4-5-20250929",
            usage({{kInputTokens, 3000}, {kCacheWriteTokens, 2000}, {kCacheWrite1hTokens, 1000}})),
      "0.01275/0/0.01275");
  // ... and above 200k input every class switches to its long-context rate (6, 7.5, 12).
  EXPECT_EQ(price(*c, "anthropic", "claude-sonnet-4-5-20250929",
                  usage({{kInputTokens, 3000000},
                         {kCacheWriteTokens, 2000000},
                         {kCacheWrite1hTokens, 1000000}})),
            "25.5/0/25.5");
  // tiered_pricing ranges.
  EXPECT_EQ(price(*c, "dashscope", "qwen-flash", usage({{kInputTokens, 256000}})),
            "0.0128/0/0.0128");
  EXPECT_EQ(price(*c, "dashscope", "qwen-flash", usage({{kInputTokens, 256001}})),
            "0.06400025/0/0.06400025");
}

TEST(CatalogTest, CustomPricesOverrideAndAdd) {
  auto base = Catalog::builtin_copy();
  ASSERT_TRUE(base.has_value());
  ASSERT_TRUE(
      base
          ->overlay(own(
              R"([{"id": "openai", "models": [{"id": "gpt-4o", "match": {"starts_with": "gpt-4o"}, "prices": {"input_mtok": 1, "output_mtok": 2}}]},
                        {"id": "acme", "models": [{"id": "acme-1", "prices": {"input_mtok": "0.5"}}]}])"))
          .is_ok());
  using namespace units;
  const Usage u = usage({{kInputTokens, 1000000}, {kOutputTokens, 1000000}});
  EXPECT_EQ(price(*base, "openai", "gpt-4o-2024-08-06", u), "1/2/3");
  EXPECT_EQ(price(*base, "acme", "acme-1", u), "0.5/0/0.5");
  EXPECT_EQ(price(*base, "openai", "gpt-4.1", u), "2/8/10");  // untouched models keep their prices
}

// Prices for a catalog model without a match rule of their own (as `pricing add` writes them)
// keep the names that model answers to: without, gpt-4o-2024-08-06 had no price at all.
TEST(CatalogTest, CustomPricesWithoutAMatchKeepTheNamesOfTheModelTheyReplace) {
  auto base = Catalog::builtin_copy();
  ASSERT_TRUE(base.has_value());
  ASSERT_TRUE(
      base
          ->overlay(own(
              R"([{"id": "openai", "models": [{"id": "gpt-4o", "prices": {"input_mtok": 1, "output_mtok": 2}},
                                      {"id": "gpt-4.1", "match": {"equals": "our-4.1"}, "prices": {"input_mtok": 5}}]}])"))
          .is_ok());
  using namespace units;
  const Usage u = usage({{kInputTokens, 1000000}, {kOutputTokens, 1000000}});
  EXPECT_EQ(price(*base, "openai", "gpt-4o-2024-08-06", u), "1/2/3");
  EXPECT_EQ(price(*base, "openai", "gpt-4o", u), "1/2/3");
  // Azure's lookups fall back on OpenAI's models: they keep the catalog's prices.
  EXPECT_EQ(price(*base, "azure", "gpt-4o-2024-08-06", u), "2.5/10/12.5");
  auto ref = base->resolve("openai", "gpt-4o");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->model->context_window, 128000);  // the catalog model's
  // A rule of its own is the custom model's only one.
  EXPECT_EQ(price(*base, "openai", "our-4.1", u), "5/0/5");
  EXPECT_FALSE(base->resolve("openai", "gpt-4.1-2025-04-14").has_value());
}

// Prices for every model of the catalog, each naming only its id, find every name as the catalog
// did: the same model for each model's id, its dated and upper-case forms.
TEST(CatalogTest, CustomPricesForEveryModelResolveEveryNameAsTheCatalogDid) {
  const Catalog& builtin = Catalog::builtin();
  nlohmann::json providers = nlohmann::json::array();
  for (const auto& p : builtin.providers()) {
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : p.models)
      models.push_back({{"id", m.id}, {"prices", {{"input_mtok", 1}}}});
    providers.push_back({{"id", p.id}, {"models", models}});
  }
  auto custom = builtin_copy_with(own(providers.dump()));
  size_t names = 0;
  for (const auto& p : builtin.providers()) {
    for (const auto& m : p.models) {
      std::string upper = m.id;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      for (const std::string& name : {m.id, m.id + "-2024-08-06", upper}) {
        auto before = builtin.resolve(p.id, name);
        if (!before) continue;  // (a few models' rules do not take their own ids; these do)
        auto after = custom.resolve(p.id, name);
        ASSERT_TRUE(after.has_value()) << p.id << "/" << name;
        EXPECT_EQ(before->model->id, after->model->id) << p.id << "/" << name;
        ++names;
      }
    }
  }
  EXPECT_GT(names, 2500u);
}

// Provider ids ignore case: a custom provider's capitals, and prices for "OpenAI" are openai's.
TEST(CatalogTest, CustomProvidersIdsIgnoreCase) {
  auto base = Catalog::builtin_copy();
  ASSERT_TRUE(base.has_value());
  ASSERT_TRUE(
      base
          ->overlay(own(
              R"([{"id": "OpenAI", "models": [{"id": "gpt-4o", "prices": {"input_mtok": 1}}]},
          {"id": "Acme", "models": [{"id": "big", "prices": {"input_mtok": 7}}]}])"))
          .is_ok());
  using namespace units;
  const Usage u = usage({{kInputTokens, 1000000}});
  EXPECT_EQ(price(*base, "openai", "gpt-4o", u), "1/0/1");
  EXPECT_EQ(price(*base, "Acme", "big", u), "7/0/7");
  EXPECT_EQ(price(*base, "acme", "big", u), "7/0/7");
  EXPECT_EQ(base->providers().size(), Catalog::builtin().providers().size() + 1);
}

TEST(CatalogTest, OwnFormatCurrencyAndVariants) {
  auto c = Catalog::parse(
      R"({"format": "cost-ops-catalog", "version": 1, "currency": "EUR", "providers": [
      {"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 1},
        "variants": [{"service_tier": "flex", "prices": {"input_mtok": "0.5"}}, {"batch": true, "prices": {"input_mtok": "0.25"}}]}]}]})",
      "own.json");
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  EXPECT_EQ(c->currency().code(), "EUR");
  using namespace units;
  const Usage u = usage({{kInputTokens, 1000000}});
  EXPECT_EQ(price(*c, "p", "m", u), "1/0/1");
  EXPECT_EQ(price(*c, "p", "m", u, "2026-01-01T00:00:00Z", "flex"), "0.5/0/0.5");
  EXPECT_EQ(price(*c, "p", "m", u, "2026-01-01T00:00:00Z", "", true), "0.25/0/0.25");
  EXPECT_EQ(price(*c, "p", "m", u, "2026-01-01T00:00:00Z", "priority"), "1/0/1");
}

// A provider's price factors give its models without batch (or a tier's) prices of their own
// such prices: token prices (tiers too) times the factor, other units as they are.
TEST(CatalogTest, VariantPricesFromTheProvidersPriceFactors) {
  Catalog c = own(
      R"([{"id": "p", "price_factors": {"batch": "0.5", "flex": 0.6}, "models": [
        {"id": "m", "prices": {"input_mtok": {"base": 3, "tiers": [{"start": 200000, "price": 6}]}, "cache_read_mtok": "0.3", "output_mtok": 15, "web_searches_kcount": 10}},
        {"id": "own", "prices": {"input_mtok": 1}, "variants": [{"batch": true, "prices": {"input_mtok": "0.8"}}]}]},
       {"id": "q", "models": [{"id": "m", "prices": {"input_mtok": 3}}]}])");
  using namespace units;
  const Usage u = usage({{kInputTokens, 1000000},
                         {kCacheReadTokens, 100000},
                         {kOutputTokens, 10},
                         {kWebSearches, 1}});
  const char* at = "2026-01-01T00:00:00Z";
  // Standard: 900000 input at 6 (above the tier) + 100000 cache reads at 0.3 per million, 10
  // output at 15, one search at 10 per thousand. Batch: the tokens at half, the search as it is.
  EXPECT_EQ(price(c, "p", "m", u, at), "5.43/0.00015/5.44015");
  EXPECT_EQ(price(c, "p", "m", u, at, "", true), "2.715/0.000075/2.725075");
  // A service tier's factor: its variant is derived the same way.
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, 1000000}}), at, "flex"),
            "3.6/0/3.6");  // above the tier: 6 x 0.6
  // A model's own batch prices come first; a provider without a discount has none.
  EXPECT_EQ(price(c, "p", "own", usage({{kInputTokens, 1000000}}), at, "", true), "0.8/0/0.8");
  auto q = c.resolve("q", "m");
  EXPECT_EQ(Catalog::select(*q->model, T(at), "", true).variant, "");
  // The built-in catalog (genai-prices, which prices no batch calls nor tiers) takes the
  // documented discounts: OpenAI's, Anthropic's, Google's, Azure's, Bedrock's and Mistral's batch
  // APIs halve token prices, and OpenAI's flex tier is priced at its batch rates.
  EXPECT_EQ(price(Catalog::builtin(), "anthropic", "claude-sonnet-4-5",
                  usage({{kInputTokens, 2000}, {kCacheReadTokens, 800}, {kOutputTokens, 150}}),
                  "2026-08-21T12:00:00Z", "", true),
            "0.00192/0.001125/0.003045");
  EXPECT_EQ(price(Catalog::builtin(), "openai", "gpt-4o", usage({{kInputTokens, 1000000}}),
                  "2026-08-21T12:00:00Z", "", true),
            "1.25/0/1.25");
  EXPECT_EQ(price(Catalog::builtin(), "openai", "o3", usage({{kInputTokens, 1000000}}),
                  "2026-08-21T12:00:00Z", "flex"),
            "1/0/1");
  // In a LiteLLM catalog, the models without batch prices of their own get the documented batch
  // discount too (providers by LiteLLM's names); flex is not derived, LiteLLM's *_flex prices
  // saying which models have it.
  auto litellm = Catalog::parse(
      R"({"gpt-x": {"litellm_provider": "openai", "input_cost_per_token": 2e-6},
          "gemini-x": {"litellm_provider": "vertex_ai-language-models", "input_cost_per_token": 1e-6},
          "llama-x": {"litellm_provider": "groq", "input_cost_per_token": 1e-6}})",
      "litellm.json");
  ASSERT_TRUE(litellm.has_value()) << litellm.status().to_string();
  EXPECT_EQ(price(*litellm, "openai", "gpt-x", usage({{kInputTokens, 1000000}}), at, "", true),
            "1/0/1");
  EXPECT_EQ(price(*litellm, "vertex_ai-language-models", "gemini-x",
                  usage({{kInputTokens, 1000000}}), at, "", true),
            "0.5/0/0.5");
  EXPECT_EQ(price(*litellm, "groq", "llama-x", usage({{kInputTokens, 1000000}}), at, "", true),
            "1/0/1");
  EXPECT_EQ(price(*litellm, "openai", "gpt-x", usage({{kInputTokens, 1000000}}), at, "flex"),
            "2/0/2");
  // Overlaid models take the discount of the provider they join; a factor outside (0, 1] is an
  // error naming it.
  auto base = Catalog::builtin_copy();
  ASSERT_TRUE(base.has_value());
  ASSERT_TRUE(
      base->overlay(
              own(R"([{"id": "openai", "models": [{"id": "ours", "prices": {"input_mtok": 4}}]}])"))
          .is_ok());
  EXPECT_EQ(price(*base, "openai", "ours", usage({{kInputTokens, 1000000}}), at, "", true),
            "2/0/2");
  auto bad = Catalog::parse(
      R"({"format": "cost-ops-catalog", "providers": [{"id": "p", "price_factors": {"batch": 0}, "models": []}]})",
      "bad.json");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().message(),
            "bad.json: providers[0] (p).price_factors.batch: 0 is not a factor of the standard "
            "prices (0 < factor <= 10)");
}

}  // namespace
}  // namespace costops::pricing

namespace costops::pricing {
namespace {

TEST(PricingTest, HugeCountsOverflowIntoAnErrorNotAWrappedNumber) {
  Catalog c = own(
      R"([{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 1000, "output_mtok": 1000}}]}])");
  using namespace units;
  const int64_t big = 9'000'000'000'000'000'000;  // 9e18 tokens at $1000/M = $9e15: past the range
  EXPECT_EQ(price(c, "p", "m", usage({{kInputTokens, big}})).substr(0, 13), "out_of_range:");
  EXPECT_EQ(price(c, "p", "m",
                  usage({{kInputTokens, 100'000'000'000'000'000},
                         {kOutputTokens, 100'000'000'000'000'000}})),
            "out_of_range: total cost overflows (more than 1.7e14)");
}

// A model's prices, variants, window and flags as text, independent of how a catalog is written.
std::string describe(const Model& m) {
  auto prices = [](const std::vector<ConditionalPrice>& list) {
    std::string s;
    for (const auto& cp : list) {
      std::vector<std::string> units;
      for (const auto& up : cp.prices.prices()) {
        std::string u = std::string(kUnits[up.unit].price_key) + "=" + up.base.to_string();
        for (const auto& t : up.tiers)
          u += ">" + std::to_string(t.start) + ":" + t.price.to_string();
        units.push_back(u);
      }
      std::sort(units.begin(), units.end());
      s += " [" + cp.constraint.describe();
      for (const auto& u : units) s += " " + u;
      s += "]";
    }
    return s;
  };
  std::string s = m.id + " (" + m.name + ") " + std::to_string(m.context_window) +
                  (m.deprecated ? " deprecated" : "") + prices(m.prices);
  for (const auto& v : m.variants)
    s += " {" + v.service_tier + (v.batch ? "batch" : "") +
         (v.derived_factor ? " x" + v.derived_factor->to_string() : "") + prices(v.prices) + "}";
  return s;
}

// Written in the cost-ops format and read back, a catalog has the same providers, models, prices
// (versions, tiers, variants, price factors), match rules and extractors: it resolves and prices
// as before, and writes the same text again.
void expect_written_catalog_reads_back(const Catalog& c) {
  const std::string text = write_cost_ops_catalog(c.providers(), c.currency());
  auto back = Catalog::parse(text, "written");
  ASSERT_TRUE(back.has_value()) << back.status_or_ok().to_string();
  EXPECT_EQ(back->format(), CatalogFormat::kCostOps);
  EXPECT_EQ(back->currency(), c.currency());
  EXPECT_EQ(write_cost_ops_catalog(back->providers(), back->currency()), text);
  ASSERT_EQ(back->providers().size(), c.providers().size());
  for (size_t i = 0; i < c.providers().size(); ++i) {
    const Provider& a = c.providers()[i];
    const Provider& b = back->providers()[i];
    EXPECT_EQ(b.id, a.id);
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.fallback_model_providers, a.fallback_model_providers);
    ASSERT_EQ(b.extractors.size(), a.extractors.size()) << a.id;
    for (size_t e = 0; e < a.extractors.size(); ++e)
      EXPECT_EQ(b.extractors[e].mappings.size(), a.extractors[e].mappings.size()) << a.id;
    ASSERT_EQ(b.models.size(), a.models.size()) << a.id;
    for (size_t m = 0; m < a.models.size(); ++m) {
      EXPECT_EQ(describe(b.models[m]), describe(a.models[m])) << a.id;
      // The match rule takes in the same names: the model's id resolves to the same model.
      auto ra = c.resolve(a.id, a.models[m].id);
      auto rb = back->resolve(b.id, b.models[m].id);
      ASSERT_EQ(ra.has_value(), rb.has_value()) << a.id << "/" << a.models[m].id;
      if (ra) {
        EXPECT_EQ(rb->model->id, ra->model->id) << a.id << "/" << a.models[m].id;
      }
    }
  }
}

TEST(CatalogTest, WrittenInItsOwnFormatEveryFeatureReadsBack) {
  auto c = Catalog::parse(
      R"({"format": "cost-ops-catalog", "version": 1, "currency": "EUR", "providers": [
      {"id": "p", "name": "P Inc", "api_pattern": "https://p\\.example", "provider_match": {"or": [{"equals": "p"}, {"starts_with": "p-"}]},
       "model_match": {"regex": "^p[0-9]"}, "fallback_model_providers": ["q"], "price_factors": {"batch": "0.5"},
       "extractors": [{"api_flavor": "chat", "root": ["usage"], "model_path": "model", "mappings": [
         {"path": "prompt_tokens", "dest": "input_tokens", "required": true},
         {"path": ["details", {"type": "array-match", "field": "modality", "match": {"equals": "AUDIO"}}, "count"], "dest": "input_audio_tokens", "required": false}]}],
       "models": [
        {"id": "p1", "name": "P One", "match": {"and": [{"starts_with": "p1"}, {"contains": "x"}, {"ends_with": "y"}]}, "context_window": 200000, "deprecated": true,
         "prices": [{"prices": {"input_mtok": {"base": "3", "tiers": [{"start": 200000, "price": "6"}]}, "output_mtok": 15, "requests_kcount": "0.01"}},
                    {"constraint": {"start_date": "2026-03-13"}, "prices": {"input_mtok": "2.5", "output_mtok": "12.123456789012345678901234"}},
                    {"constraint": {"start_time": "22:00:00Z", "end_time": "06:00:00Z"}, "prices": {"input_mtok": "1"}}],
         "variants": [{"service_tier": "flex", "prices": {"input_mtok": "1.5"}}]},
        {"id": "p2", "prices": {"input_mtok": 1}, "variants": [{"batch": true, "prices": [{"prices": {"input_mtok": "0.4"}}, {"constraint": {"start_date": "2026-06-01"}, "prices": {"input_mtok": "0.3"}}]}]}]},
      {"id": "q", "models": [{"id": "q1", "prices": {"cache_read_mtok": "0.1", "input_mtok": "1"}}]}]})",
      "every-feature.json");
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  expect_written_catalog_reads_back(*c);
  auto back = Catalog::parse(write_cost_ops_catalog(c->providers(), c->currency()), "written");
  ASSERT_TRUE(back.has_value());
  using namespace units;
  const Usage u = usage({{kInputTokens, 1000000}, {kOutputTokens, 1000000}});
  for (const Catalog* cat : {&*c, &*back}) {
    // Above the tier, all input tokens at its price; a request at 0.01 per thousand.
    EXPECT_EQ(price(*cat, "p-east", "p1-x-y", u, "2026-01-01T12:00:00Z"), "6/15/21.00001");
    EXPECT_EQ(price(*cat, "p", "p1-x-y", u, "2026-04-01T12:00:00Z"),
              "2.5/12.123456789012345678901234/14.623456789012345678901234");
    EXPECT_EQ(price(*cat, "p", "p1-x-y", u, "2026-04-01T23:00:00Z"), "1/0/1");
    EXPECT_EQ(price(*cat, "p", "p1-x-y", u, "2026-01-01T12:00:00Z", "flex"), "1.5/0/1.5");
    EXPECT_EQ(price(*cat, "p", "p1-x-y", u, "2026-01-01T12:00:00Z", "", true), "3/7.5/10.50001");
    EXPECT_EQ(price(*cat, "p", "p2", u, "2026-07-01T12:00:00Z", "", true), "0.3/0/0.3");
    EXPECT_EQ(price(*cat, "p", "q1", u), "1/0/1");  // a fallback provider's model
  }
  for (const char* want :
       {R"("currency":"EUR")", R"("price_factors":{"batch":"0.5"})",
        R"({"constraint":{"start_time":"22:00:00Z","end_time":"06:00:00Z"})",
        R"({"type":"array-match","field":"modality","match":{"equals":"AUDIO"}})"})
    EXPECT_NE(write_cost_ops_catalog(c->providers(), c->currency(), -1).find(want),
              std::string::npos)
        << want;
}

TEST(CatalogTest, BuiltinAndLiteLLMCatalogsWrittenInTheCostOpsFormatReadBack) {
  expect_written_catalog_reads_back(Catalog::builtin());
  COSTOPS_REQUIRE_SHARED_DATA();
  auto litellm = Catalog::load_file(
      testing::shared_path("data/pricing/litellm/model_prices_and_context_window.json"));
  ASSERT_TRUE(litellm.has_value()) << litellm.status_or_ok().to_string();
  expect_written_catalog_reads_back(*litellm);
}

}  // namespace
}  // namespace costops::pricing
