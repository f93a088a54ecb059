// Every priced interpretation of the real provider responses in ../shared/data/responses/dev.json
// must give exactly the expected input and output prices.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "costops/domain/decimal.h"
#include "costops/engine/cost_calculator.h"
#include "costops/ingest/record_json.h"
#include "costops/ingest/streamed_response.h"
#include "test_util.h"

namespace costops {
namespace {

// dev.json with the catalog its prices were computed with, and a parser of records over it.
struct DevSet {
  nlohmann::json data;
  Result<pricing::Catalog> catalog;
  std::optional<engine::Normalizer> normalizer;
  std::optional<ingest::RecordParser> parser;

  DevSet()
      : data(nlohmann::json::parse(
            testing::read_file(testing::shared_path("data/responses/dev.json")))),
        catalog(pricing::Catalog::load_file(
            testing::shared_path("data/pricing/genai-prices/data.json"))) {
    if (!catalog) return;
    normalizer.emplace(*catalog);
    parser.emplace(*normalizer);
  }
};

// Whether `got` is exactly one of the normalized usages (dev.json's "usage" objects).
bool one_of(const Usage& got, const std::vector<const nlohmann::json*>& usages) {
  return std::any_of(usages.begin(), usages.end(), [&](const nlohmann::json* u) {
    Usage want;
    for (const auto& [k, v] : u->items()) want.set(*unit_by_usage_key(k), v.get<int64_t>());
    for (int i = 0; i < kUnitCount; ++i)
      if (want.get(static_cast<UnitId>(i)) != got.get(static_cast<UnitId>(i))) return false;
    return true;
  });
}

// Checks every priced interpretation of dev.json's responses: the usage `parser` reads, and its
// exact input and output prices in `catalog`. Returns how many were checked.
int check_dev_prices(const nlohmann::json& data, ingest::RecordParser& parser,
                     const pricing::Catalog& catalog) {
  const Timestamp as_of = *parse_timestamp("2026-08-21T12:00:00Z");
  int checked = 0;
  for (const auto& x : data) {
    for (const auto& e : x["extracted"]) {
      for (const auto& ex : e["extractors"]) {
        if (!ex.contains("input_price")) continue;
        const std::string name = x["body"].value("file", "?") + " " +
                                 ex["provider_id"].get<std::string>() + "/" +
                                 ex["api_flavor"].get<std::string>();
        nlohmann::json line = {
            {"provider", ex["provider_id"]}, {"api_flavor", ex["api_flavor"]}, {"body", x["body"]}};
        auto rec = parser.parse(line.dump());
        EXPECT_TRUE(rec.has_value()) << name << ": " << rec.status_or_ok().to_string();
        if (!rec) continue;
        for (const auto& [k, v] : e["usage"].items()) {
          auto u = unit_by_usage_key(k);
          EXPECT_TRUE(u.has_value()) << k;
          if (u) {
            EXPECT_EQ(rec->usage.get(*u), v.get<int64_t>()) << name << " " << k;
          }
        }
        auto cost = engine::CostCalculator::price_record(catalog, *rec, as_of);
        EXPECT_TRUE(cost.has_value()) << name << ": " << cost.status_or_ok().to_string();
        if (!cost) continue;
        EXPECT_EQ(cost->input_cost.amount, *Decimal::parse(ex["input_price"].get<std::string>()))
            << name;
        EXPECT_EQ(cost->output_cost.amount, *Decimal::parse(ex["output_price"].get<std::string>()))
            << name;
        ++checked;
      }
    }
  }
  return checked;
}

TEST(ResponsesTest, DevSetPricesExactly) {
  COSTOPS_REQUIRE_SHARED_DATA();
  DevSet dev;
  ASSERT_TRUE(dev.catalog.has_value()) << dev.catalog.status_or_ok().to_string();
  EXPECT_EQ(check_dev_prices(dev.data, *dev.parser, *dev.catalog), 1835);
}

// The catalog written in the cost-ops format and read back prices every response as before.
TEST(ResponsesTest, DevSetPricesExactlyWithTheCatalogWrittenInTheCostOpsFormat) {
  COSTOPS_REQUIRE_SHARED_DATA();
  DevSet dev;
  ASSERT_TRUE(dev.catalog.has_value()) << dev.catalog.status_or_ok().to_string();
  auto written = pricing::Catalog::parse(
      pricing::write_cost_ops_catalog(dev.catalog->providers(), dev.catalog->currency()),
      "written");
  ASSERT_TRUE(written.has_value()) << written.status_or_ok().to_string();
  engine::Normalizer normalizer(*written);
  ingest::RecordParser parser(normalizer);
  EXPECT_EQ(check_dev_prices(dev.data, parser, *written), 1835);
}

// OpenRouter's bodies log what OpenRouter charged (usage.cost; with the caller's own key, the
// provider's bill in cost_details). Where OpenRouter's price is the catalog's and it charged for
// tokens alone, that is the exact price to the last digit.
TEST(ResponsesTest, OpenRoutersLoggedCostsAreTheExactPricesButForItsFees) {
  COSTOPS_REQUIRE_SHARED_DATA();
  DevSet dev;
  ASSERT_TRUE(dev.catalog.has_value()) << dev.catalog.status_or_ok().to_string();
  const Timestamp as_of = *parse_timestamp("2026-08-21T12:00:00Z");
  engine::LoggedCosts all;
  std::vector<std::string> off;
  for (const auto& x : dev.data) {
    bool priced = false;
    for (const auto& e : x["extracted"])
      for (const auto& ex : e["extractors"])
        priced = priced || (ex["provider_id"] == "openrouter" && ex.contains("input_price"));
    if (!priced) continue;
    auto rec = dev.parser->parse(nlohmann::json{
        {"provider", "openrouter"},
        {"api_flavor", "chat"},
        {"body", x["body"]}}.dump());
    ASSERT_TRUE(rec.has_value()) << rec.status_or_ok().to_string();
    if (!rec->logged_cost) continue;
    auto cost = engine::CostCalculator::price_record(*dev.catalog, *rec, as_of);
    ASSERT_TRUE(cost.has_value()) << cost.status_or_ok().to_string();
    if (engine::LoggedCosts::is_off(*rec->logged_cost, cost->total_cost.amount))
      off.push_back(x["body"].value("file", "?"));
    ASSERT_TRUE(all.add(*rec->logged_cost, cost->total_cost.amount, dev.catalog->currency()));
  }
  EXPECT_EQ(all.records, 20u);
  EXPECT_EQ(all.off, 3u);
  // An advisor tool's call, a file parser's fee, and a model charged above the catalog's rates.
  EXPECT_EQ(off, (std::vector<std::string>{
                     "models/cassettes/test_openrouter/test_openrouter_advisor_tool.yaml",
                     "models/cassettes/test_openrouter/test_openrouter_file_annotation.yaml",
                     "cassettes/test_ref_sibling_wire_contract/"
                     "test_ref_sibling_wire_contract[qwen-nested-model].yaml"}));
  EXPECT_EQ(all.exact.to_string(), "0.028156654");
  EXPECT_EQ(all.logged.to_string(), "0.04606045");
}

// Without api_flavor, a body is read by the provider's flavor whose usage it holds: for every
// response a provider prices, the usage read is one of that provider's interpretations.
TEST(ResponsesTest, BodiesWithoutAFlavorAreReadByTheFlavorTheyFit) {
  COSTOPS_REQUIRE_SHARED_DATA();
  DevSet dev;
  ASSERT_TRUE(dev.catalog.has_value()) << dev.catalog.status_or_ok().to_string();
  int checked = 0;
  for (const auto& x : dev.data) {
    std::map<std::string, std::vector<const nlohmann::json*>> by_provider;  // priced usages
    for (const auto& e : x["extracted"])
      for (const auto& ex : e["extractors"])
        if (ex.contains("input_price")) by_provider[ex["provider_id"]].push_back(&e["usage"]);
    for (const auto& [provider, usages] : by_provider) {
      const std::string name = x["body"].value("file", "?") + " " + provider;
      auto rec =
          dev.parser->parse(nlohmann::json{{"provider", provider}, {"body", x["body"]}}.dump());
      ASSERT_TRUE(rec.has_value()) << name << ": " << rec.status_or_ok().to_string();
      EXPECT_TRUE(one_of(rec->usage, usages)) << name;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 1399);
}

// A body given with no provider is read in the format of the provider of the model it names.
// Where the catalog gives that model a provider that prices one of the body's interpretations,
// the record's usage is one of those.
TEST(ResponsesTest, BodiesWithoutAProviderAreReadByTheProviderOfTheirModel) {
  COSTOPS_REQUIRE_SHARED_DATA();
  DevSet dev;
  ASSERT_TRUE(dev.catalog.has_value()) << dev.catalog.status_or_ok().to_string();
  int checked = 0, read = 0;
  for (const auto& x : dev.data) {
    auto rec = dev.parser->parse(nlohmann::json{{"body", x["body"]}}.dump());
    if (!rec.has_value() || x["model"].is_null()) continue;
    ++read;
    auto ref = dev.catalog->resolve("", x["model"].get<std::string>());
    if (!ref.has_value()) continue;
    std::vector<const nlohmann::json*> usages;  // the ones that provider prices
    for (const auto& e : x["extracted"])
      for (const auto& ex : e["extractors"])
        if (ex.contains("input_price") && ex["provider_id"] == ref->provider->id)
          usages.push_back(&e["usage"]);
    if (usages.empty()) continue;
    EXPECT_TRUE(one_of(rec->usage, usages))
        << x["body"].value("file", "?") << " " << ref->provider->id;
    ++checked;
  }
  // Of the 675 bodies whose model dev.json names, all read (4 name Gemini models by their
  // resource names, "models/gemini-2.5-pro", which genai-prices prices none of, and read as
  // Google's model; an OpenRouter Responses body naming a model OpenRouter's list lacks,
  // "openai/gpt-5.6-sol", reads as OpenAI's, the provider its prefix names, at the cost OpenRouter
  // reports in it); 662 name a model of a provider that prices one of their interpretations.
  // Before, with every body read as OpenAI chat, `price` priced 198 of the 809.
  EXPECT_EQ(read, 675);
  EXPECT_EQ(checked, 662);
}

// Each real response streamed as its provider streams it (Anthropic's message_start with the
// input counts and message_delta with the final usage; Chat Completions' chunks, the usage in the
// last with include_usage; Responses' response.completed; Gemini's chunks, each with the usage
// so far) reads, through StreamedResponse, as the unstreamed body does: the same usage, the same
// provider and model.
TEST(ResponsesTest, StreamedResponsesReadAsTheirBodies) {
  COSTOPS_REQUIRE_SHARED_DATA();
  DevSet dev;
  ASSERT_TRUE(dev.catalog.has_value()) << dev.catalog.status_or_ok().to_string();
  std::map<std::string, int> streamed;  // by how
  for (const auto& x : dev.data) {
    const nlohmann::json& body = x["body"];
    auto whole = dev.parser->parse(nlohmann::json{{"body", body}}.dump());
    if (!whole.has_value()) continue;
    std::vector<nlohmann::json> events;
    std::string how;
    if (body.contains("usageMetadata")) {
      how = "gemini";
      nlohmann::json first = body;
      first["usageMetadata"] = {{"promptTokenCount", 1}, {"candidatesTokenCount", 1}};
      first["responseId"] = "r1";
      nlohmann::json last = body;
      last["responseId"] = "r1";
      events = {first, last};
    } else if (!body.contains("usage") || !body["usage"].is_object()) {
      continue;
    } else if (body["usage"].contains("prompt_tokens")) {
      how = "chat";
      nlohmann::json chunk = {{"id", "c1"},
                              {"object", "chat.completion.chunk"},
                              {"model", body["model"]},
                              {"usage", nullptr}};
      nlohmann::json last = body;
      last["id"] = "c1";
      last["object"] = "chat.completion.chunk";
      events = {chunk, last, "[DONE]"};
    } else if (body["usage"].contains("input_tokens_details")) {
      how = "responses";
      nlohmann::json created = body;
      created.erase("usage");
      events = {{{"type", "response.created"}, {"response", created}},
                {{"type", "response.completed"}, {"response", body}}};
    } else if (body["usage"].contains("input_tokens") ||
               body["usage"].contains("cache_read_input_tokens")) {
      how = "anthropic";
      nlohmann::json start = body;
      start["usage"]["output_tokens"] = 1;
      events = {{{"type", "message_start"}, {"message", start}},
                {{"type", "ping"}},
                {{"type", "message_delta"}, {"usage", body["usage"]}},
                {{"type", "message_stop"}}};
    } else {
      continue;
    }
    ingest::StreamedResponse stream;
    for (const auto& e : events) {
      auto step = stream.add(e.is_string() ? e.get<std::string>() : e.dump());
      ASSERT_TRUE(step.has_value()) << step.status().to_string();
      ASSERT_NE(*step, ingest::StreamedResponse::Step::kNext);
    }
    auto streamed_body = stream.body();
    ASSERT_TRUE(streamed_body.has_value()) << how;
    auto rec = dev.parser->parse(R"({"body":)" + *streamed_body + "}");
    ASSERT_TRUE(rec.has_value()) << how << ": " << rec.status().to_string();
    EXPECT_EQ(rec->provider, whole->provider) << how;
    EXPECT_EQ(rec->model, whole->model) << how;
    for (int i = 0; i < kUnitCount; ++i) {
      EXPECT_EQ(rec->usage.get(static_cast<UnitId>(i)), whole->usage.get(static_cast<UnitId>(i)))
          << how << " " << body.value("file", "?") << " unit " << i;
    }
    ++streamed[how];
  }
  EXPECT_EQ(streamed, (std::map<std::string, int>{
                          {"anthropic", 125}, {"chat", 206}, {"gemini", 216}, {"responses", 128}}));
}

}  // namespace
}  // namespace costops
