#include <gtest/gtest.h>

#include <cstdio>

#include "costops/engine/aggregator.h"
#include "costops/engine/cost_calculator.h"
#include "costops/engine/exchange.h"
#include "costops/engine/normalizer.h"
#include "costops/engine/reconcile.h"
#include "costops/engine/whatif.h"
#include "costops/ingest/bill.h"
#include "costops/ingest/record_json.h"
#include "test_util.h"

namespace costops::engine {
namespace {

std::string usage_text(const Usage& u) {
  std::string s;
  append_usage_json(s, u);
  return s;
}

TEST(NormalizerTest, CanonicalAndOpenAIStyleNames) {
  Normalizer n(pricing::Catalog::builtin());
  struct Case {
    const char* name;
    const char* json;
    const char* want;
  } cases[] = {
      {"canonical", R"({"input_tokens": 1200, "cache_read_tokens": 200, "output_tokens": 80})",
       R"({"input_tokens":1200,"output_tokens":80,"cache_read_tokens":200})"},
      {"openai names",
       R"({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cached_tokens": 4, "reasoning_tokens": 2})",
       R"({"input_tokens":10,"output_tokens":5,"cache_read_tokens":4,"output_reasoning_tokens":2})"},
      {"null counts are absent", R"({"input_tokens": 7, "output_tokens": null})",
       R"({"input_tokens":7})"},
      {"integral doubles", R"({"input_tokens": 7.0})", R"({"input_tokens":7})"},
      {"digits as text, as 64-bit integers are often encoded",
       R"({"input_tokens": "1200", "output_tokens": "080"})",
       R"({"input_tokens":1200,"output_tokens":80})"},
  };
  for (const auto& c : cases) {
    auto u = n.usage(c.json);
    ASSERT_TRUE(u.has_value()) << c.name << ": " << u.status_or_ok().to_string();
    EXPECT_EQ(usage_text(*u), c.want) << c.name;
  }
}

TEST(NormalizerTest, BadCountsNameTheField) {
  Normalizer n(pricing::Catalog::builtin());
  struct Case {
    const char* json;
    const char* want;
  } cases[] = {
      {R"({"input_tokens": -5})",
       "field \"usage.input_tokens\": expected a non-negative integer, got -5"},
      {R"({"input_tokens": 1.5})",
       "field \"usage.input_tokens\": expected a non-negative integer, got 1.5"},
      {R"({"input_tokens": "-12"})",
       "field \"usage.input_tokens\": expected a non-negative integer, got \"-12\""},
      {R"({"input_tokens": " 12"})", "expected a non-negative integer, got \" 12\""},
      {R"({"input_tokens": "1.5"})", "expected a non-negative integer, got \"1.5\""},
      {R"({"input_tokens": "2000000000000000"})",
       "field \"usage.input_tokens\": 2000000000000000 is more than a usage count can be"},
      {R"({"input_tokens": 1, "prompt_tokens": 2})", "given twice"},
      // Counts a sum of many could overflow are not counts.
      {R"({"input_tokens": 9223372036854775807})",
       "field \"usage.input_tokens\": 9223372036854775807 is more than a usage count can be (at "
       "most 10^15)"},
      {R"({"input_tokens": 18446744073709551615})", "is more than a usage count can be"},
      {R"({"input_tokens": 2e15})", "is more than a usage count can be"},
      {R"([1,2])", "field \"usage\": expected an object, got array"},
  };
  for (const auto& c : cases) {
    auto u = n.usage(c.json);
    ASSERT_FALSE(u.has_value()) << c.json;
    EXPECT_NE(u.status().message().find(c.want), std::string::npos) << u.status().message();
  }
}

TEST(NormalizerTest, NativeUsageObjectsFollowEachProvidersRules) {
  Normalizer n(pricing::Catalog::builtin());
  struct Case {
    const char* provider;
    const char* flavor;
    const char* json;
    const char* want;
  } cases[] = {
      // OpenAI chat: cached tokens inside prompt_tokens, reasoning inside completion_tokens.
      {"openai", "chat",
       R"({"prompt_tokens": 100, "completion_tokens": 30, "prompt_tokens_details": {"cached_tokens": 40}, "completion_tokens_details": {"reasoning_tokens": 10}})",
       R"({"input_tokens":100,"output_tokens":30,"cache_read_tokens":40,"output_reasoning_tokens":10})"},
      // Anthropic: cache reads and writes outside input_tokens.
      {"anthropic", "",
       R"({"input_tokens": 100, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 500, "output_tokens": 50})",
       R"({"input_tokens":1600,"output_tokens":50,"cache_read_tokens":1000,"cache_write_tokens":500})"},
      // Gemini: thoughts outside candidatesTokenCount; cached content inside the prompt.
      {"google", "default",
       R"({"promptTokenCount": 300, "candidatesTokenCount": 20, "thoughtsTokenCount": 5, "cachedContentTokenCount": 100})",
       R"({"input_tokens":300,"output_tokens":25,"cache_read_tokens":100,"output_reasoning_tokens":5})"},
      // Bedrock Converse: cache outside inputTokens.
      {"aws", "default",
       R"({"inputTokens": 10, "outputTokens": 2, "cacheReadInputTokens": 30, "cacheWriteInputTokens": 5})",
       R"({"input_tokens":45,"output_tokens":2,"cache_read_tokens":30,"cache_write_tokens":5})"},
      // xAI: reasoning outside completion_tokens (flavor inferred from the keys).
      {"x-ai", "",
       R"({"prompt_tokens": 10, "completion_tokens": 2, "completion_tokens_details": {"reasoning_tokens": 7}})",
       R"({"input_tokens":10,"output_tokens":9,"output_reasoning_tokens":7})"},
      // A LiteLLM provider name finds the built-in extractors; a flavor names the wire format.
      {"bedrock_converse", "default",
       R"({"inputTokens": 1, "outputTokens": 1, "cacheReadInputTokens": 1})",
       R"({"input_tokens":2,"output_tokens":1,"cache_read_tokens":1})"},
      {"anthropic", "anthropic",
       R"({"input_tokens": 1, "cache_read_input_tokens": 2, "output_tokens": 3})",
       R"({"input_tokens":3,"output_tokens":3,"cache_read_tokens":2})"},
  };
  for (const auto& c : cases) {
    auto u = n.usage(c.json, c.provider, c.flavor);
    ASSERT_TRUE(u.has_value()) << c.provider << ": " << u.status_or_ok().to_string();
    EXPECT_EQ(usage_text(*u), c.want) << c.provider << " " << c.json;
  }
}

// A count under a near miss of a canonical key or of one the provider's format reads, in an object
// read as native usage (a typo makes it not canonical), is an error naming it: its tokens would
// go unpriced. Keys the format reads, totals, another case style of a canonical name and details
// (objects, lists) are not typos.
TEST(NormalizerTest, MistypedUsageKeysAreErrors) {
  Normalizer n(pricing::Catalog::builtin());
  struct Case {
    const char* provider;
    const char* json;
    const char* want;  // the error's start, or "" when the usage is read
  } cases[] = {
      {"openai", R"({"input_tokns": 1000, "output_tokens": 5})",
       "field \"usage.input_tokns\": unknown usage key; did you mean input_tokens? (the openai "},
      {"openai", R"({"input_tokens": 1000, "output_tokens": 5, "cache_read_tokns": 4})",
       "field \"usage.cache_read_tokns\": unknown usage key; did you mean cache_read_tokens?"},
      {"anthropic", R"({"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokns": 4})",
       "field \"usage.cache_read_input_tokns\": unknown usage key; did you mean "
       "cache_read_input_tokens? (the anthropic default usage format does not read it"},
      // Details the format does not read are not counts.
      {"google", R"({"promptTokenCount": 7, "promptTokenDetails": [{"tokenCount": 7}]})", ""},
      {"aws", R"({"inputTokens": 10, "outputTokens": 2, "totalTokens": 12, "totalTokns": 12})", ""},
      {"openai", R"({"prompt_tokens": 10, "completion_tokens": 2, "queue_time": 0.5})", ""},
  };
  for (const auto& c : cases) {
    auto u = n.usage(c.json, c.provider);
    if (*c.want == '\0') {
      EXPECT_TRUE(u.has_value()) << c.json << ": " << u.status_or_ok().to_string();
      continue;
    }
    ASSERT_FALSE(u.has_value()) << c.json;
    EXPECT_TRUE(u.status().message().starts_with(c.want)) << u.status().message();
  }
}

TEST(NormalizerTest, ResponseBodiesYieldModelAndUsage) {
  Normalizer n(pricing::Catalog::builtin());
  auto e = n.body(
      R"({"modelVersion": "gemini-2.5-flash", "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 3,
      "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}, {"modality": "AUDIO", "tokenCount": 2}]}})",
      "google", "default");
  ASSERT_TRUE(e.has_value()) << e.status_or_ok().to_string();
  EXPECT_EQ(e->model, "gemini-2.5-flash");
  EXPECT_EQ(
      usage_text(e->usage),
      R"({"input_tokens":12,"output_tokens":3,"input_text_tokens":10,"input_audio_tokens":2})");
  auto missing =
      n.body(R"({"model": "gpt-4o", "usage": {"completion_tokens": 3}})", "openai", "chat");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.status().message(),
            "field \"body.usage.prompt_tokens\": required by the chat usage format, missing");
  auto flavor = n.body(R"({"model": "gpt-4o", "usage": {}})", "openai", "");
  ASSERT_FALSE(flavor.has_value());
  EXPECT_NE(flavor.status().message().find("give api_flavor"), std::string::npos);
  // A body with no usage (a streamed chunk before the last, "usage": null) says so.
  for (const char* body : {R"({"model": "gpt-4o", "choices": []})",
                           R"({"model": "gpt-4o", "choices": [], "usage": null})"}) {
    auto none = n.body(body, "openai", "");
    ASSERT_FALSE(none.has_value()) << body;
    EXPECT_EQ(none.status().message(),
              "no usage in the response body: no \"body.usage\" or \"body.response.usage\" "
              "(where openai's API flavors, chat, responses, realtime, images, embeddings, have "
              "it)")
        << body;
  }
  auto number = n.body(R"({"model": "gpt-4o", "usage": 5})", "openai", "");
  ASSERT_FALSE(number.has_value());
  EXPECT_EQ(number.status().message(),
            "field \"body.usage\": expected the usage object, got number");
}

// A line the parser rejects, and what its error says (a part of the message, or all of it).
struct Rejected {
  const char* json;
  const char* want;
};

// Each of `lines` is rejected with an error whose message contains its `want` (is it, `whole`).
void expect_rejected(ingest::RecordParser& p, const std::vector<Rejected>& lines,
                     bool whole = false) {
  for (const auto& [json, want] : lines) {
    auto x = p.parse(json);
    ASSERT_FALSE(x.has_value()) << json;
    if (whole) {
      EXPECT_EQ(x.status().message(), want);
    } else {
      EXPECT_NE(x.status().message().find(want), std::string::npos) << x.status().message();
    }
  }
}

TEST(RecordParserTest, ReadsTheUsageRecordJsonForm) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto r = p.parse(
      R"({"id": "r1", "timestamp": "2026-11-02T10:15:00Z", "provider": "openai", "model": "gpt-4o",
      "organization_id": "org", "project_id": "proj", "user_id": 42, "tags": ["team=search", "env=prod"],
      "metadata": {"a": [1, 2]}, "usage": {"input_tokens": 1200, "cache_read_tokens": 200, "output_tokens": 80}})");
  ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
  EXPECT_EQ(r->id, "r1");
  EXPECT_EQ(format_timestamp(r->timestamp), "2026-11-02T10:15:00Z");
  EXPECT_EQ(r->user_id, "42");
  ASSERT_EQ(r->tags.size(), 2u);
  EXPECT_EQ(r->tags[1].first, "env");
  EXPECT_EQ(r->tags[1].second, "prod");
  EXPECT_EQ(r->metadata_json, R"({"a":[1,2]})");
  EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 200);
  EXPECT_EQ(r->tier_input_tokens, -1);  // not given: the usage's
  auto tiered = p.parse(
      R"({"provider": "anthropic", "model": "m", "tier_input_tokens": 200001, "usage": {}})");
  ASSERT_TRUE(tiered.has_value());
  EXPECT_EQ(tiered->tier_input_tokens, 200001);
  expect_rejected(
      p,
      {
          {R"({"provider": "openai", "model": "gpt-4o"})", "field \"usage\": missing"},
          {R"({"provider": 3, "model": "gpt-4o", "usage": {}})",
           "field \"provider\": expected a string, got a number"},
          {R"({"provider": "openai", "usage": {"input_tokens": 1}})", "field \"model\": missing"},
          {R"({"provider": "openai", "model": "m", "timestamp": "soon", "usage": {}})",
           "field \"timestamp\""},
          {R"({"provider": "openai", "model": "m", "timestamp": 9223372036854775808, "usage": {}})",
           "field \"timestamp\": 9223372036854775808 is after the year 9999 as epoch seconds or "
           "milliseconds"},
          {R"({"provider": "openai", "model": "m", "timestamp": 1e300, "usage": {}})",
           "is after the year 9999"},
          {R"({"provider": "openai", "model": "m", "tags": ["novalue"], "usage": {}})",
           "expected \"key=value\""},
          {R"({"provider": "openai", "model": "m", "usage": {})", "invalid JSON"},
          {R"({"provider": "openai", "model": "m", "tier_input_tokens": -1, "usage": {}})",
           "field \"tier_input_tokens\": expected a non-negative integer, got -1"},
          {R"({"object": "page", "data": [], "has_more": false})",
           "a page of records ({\"data\": [...]})? --format json reads them (and cost-ops ingest a "
           "provider's usage report page)"},
          {R"({"provider": "openai", "model": "m", "usage": {"input_tokens": 1, "tier_input_tokens": 5}})",
           "field \"usage.tier_input_tokens\": not usage but a field of the record"},
      });
}

// A Realtime response (response.done's "response") as a body: read in OpenAI's realtime format,
// whose root is the event's response.usage, with each modality's tokens (the Responses format
// also reads its input_tokens and output_tokens, and would price the audio as text); the record's
// model names the provider when the record does not.
TEST(RecordParserTest, RealtimeResponseAsABodyIsReadWithItsAudioTokens) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  const std::string body =
      R"("body": {"object": "realtime.response", "id": "resp_1", "status": "completed",
      "usage": {"total_tokens": 253, "input_tokens": 132, "output_tokens": 121,
      "input_token_details": {"text_tokens": 119, "audio_tokens": 13, "cached_tokens": 64,
      "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0}},
      "output_token_details": {"text_tokens": 30, "audio_tokens": 91}}}})";
  for (const std::string provider : {R"("provider": "openai", )", ""}) {
    auto r = p.parse("{" + provider + R"("model": "gpt-realtime", )" + body);
    ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
    EXPECT_EQ(r->usage.get(units::kInputAudioTokens), 13);
    EXPECT_EQ(r->usage.get(units::kOutputAudioTokens), 91);
    EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 64);
    r->provider = "openai";
    auto c = CostCalculator::price_record(pricing::Catalog::builtin(), *r, Timestamp{});
    ASSERT_TRUE(c.has_value());
    // 55 text at $4/M, 64 cached at $0.40/M, 13 audio at $32/M; 30 text out at $16/M, 91 audio
    // out at $64/M.
    EXPECT_EQ(c->total_cost.amount.to_string(), "0.0069656");
    EXPECT_TRUE(c->warnings.empty());
  }
}

// Gemini's Live API reports a turn's output as responseTokenCount and responseTokensDetails (not
// candidates...): read as the output, as a usage object and in a body, where it read as none.
TEST(RecordParserTest, GeminiLiveApiUsageHasItsOutput) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  const std::string usage =
      R"({"promptTokenCount": 1000, "responseTokenCount": 200, "totalTokenCount": 1200,
      "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 400},
                              {"modality": "AUDIO", "tokenCount": 600}],
      "responseTokensDetails": [{"modality": "AUDIO", "tokenCount": 200}]})";
  for (
      const std::string& record :
      {R"({"provider": "google", "model": "gemini-live-2.5-flash", "usage": )" + usage + "}",
       R"({"provider": "google", "model": "gemini-live-2.5-flash", "body": {"serverContent": {"turnComplete": true}, "usageMetadata": )" +
           usage + "}}"}) {
    auto r = p.parse(record);
    ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
    EXPECT_EQ(r->usage.get(units::kOutputTokens), 200);
    EXPECT_EQ(r->usage.get(units::kOutputAudioTokens), 200);
    auto c = CostCalculator::price_record(pricing::Catalog::builtin(), *r, Timestamp{});
    ASSERT_TRUE(c.has_value());
    // 400 text at $0.50/M, 600 audio at $3/M; 200 audio out at $12/M.
    EXPECT_EQ(c->input_cost.amount.to_string(), "0.002");
    EXPECT_EQ(c->output_cost.amount.to_string(), "0.0024");
  }
}

// DeepSeek's API reports its context cache's hits as prompt_cache_hit_tokens, and Moonshot's as
// cached_tokens, not as OpenAI's prompt_tokens_details.cached_tokens: read as cache reads, in a
// body with or without a provider and in a native usage object; where a gateway wrote both,
// counted once. Written as a cost-ops catalog and read back, the fallbacks stay ones.
TEST(RecordParserTest, CacheHitsAtTheTopOfTheUsageAreCacheReads) {
  const auto& builtin = pricing::Catalog::builtin();
  auto written = pricing::Catalog::parse(
      pricing::write_cost_ops_catalog(builtin.providers(), builtin.currency(), -1), "written");
  ASSERT_TRUE(written.has_value()) << written.status_or_ok().to_string();
  const std::string usage =
      R"({"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110,
          "prompt_cache_hit_tokens": 64, "prompt_cache_miss_tokens": 36)";
  const std::string at = R"("timestamp": "2026-08-21T12:00:00Z", )";
  for (const pricing::Catalog* catalog :
       {&builtin, static_cast<const pricing::Catalog*>(&*written)}) {
    Normalizer n(*catalog);
    ingest::RecordParser p(n);
    for (const std::string& record :
         {"{" + at + R"("provider": "deepseek", "body": {"model": "deepseek-chat", "usage": )" +
              usage + "}}}",
          "{" + at + R"("body": {"model": "deepseek-chat", "usage": )" + usage + "}}}",
          "{" + at + R"("provider": "deepseek", "model": "deepseek-chat", "usage": )" + usage +
              "}}",
          "{" + at + R"("provider": "deepseek", "model": "deepseek-chat", "usage": )" + usage +
              R"(, "prompt_tokens_details": {"cached_tokens": 64}}})"}) {
      auto r = p.parse(record);
      ASSERT_TRUE(r.has_value()) << record << ": " << r.status_or_ok().to_string();
      EXPECT_EQ(r->usage.get(units::kInputTokens), 100) << record;
      EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 64) << record;
      auto c = CostCalculator::price_record(*catalog, *r, Timestamp{});
      ASSERT_TRUE(c.has_value());
      // At 12:00 UTC, deepseek-chat's daytime prices: 36 misses at $0.27/M, 64 hits at $0.07/M.
      EXPECT_EQ(c->input_cost.amount.to_string(), "0.0000142") << record;
    }
  }
  // Kimi's: 200 misses at $0.60/M, 800 hits at $0.10/M, with and without the nested count.
  Normalizer n(builtin);
  ingest::RecordParser p(n);
  for (const char* nested : {"", R"(, "prompt_tokens_details": {"cached_tokens": 800})"}) {
    auto r = p.parse(
        std::string(
            R"({"provider": "moonshotai", "body": {"model": "kimi-k2.5", "usage": {"prompt_tokens": 1000, "completion_tokens": 10, "total_tokens": 1010, "cached_tokens": 800)") +
        nested + "}}}");
    ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
    EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 800);
    auto c = CostCalculator::price_record(builtin, *r, Timestamp{});
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->input_cost.amount.to_string(), "0.0002");
  }
  // A top-level cached_tokens of another provider is not read (Hugging Face's router reports
  // one, which genai-prices does not price); an OpenAI body reads as before.
  auto r = p.parse(
      R"({"provider": "huggingface_novita", "body": {"model": "deepseek-ai/DeepSeek-V3", "usage": {"prompt_tokens": 1000, "completion_tokens": 10, "cached_tokens": 800}}})");
  ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
  EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 0);
  r = p.parse(
      R"({"provider": "openai", "body": {"model": "gpt-4o", "usage": {"prompt_tokens": 100, "completion_tokens": 10, "prompt_tokens_details": {"cached_tokens": 0}}}})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 0);
}

// A gateway's log line with its counts beside its other fields, as LiteLLM's spend logs have
// them: the counts are read as CSV columns are, and custom_llm_provider, user and team_id name
// the provider, user and project when the record does not.
TEST(RecordParserTest, CountsBesideTheRecordsFieldsAsAGatewayLogsThem) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto r = p.parse(
      R"({"request_id": "chatcmpl-9x", "call_type": "acompletion", "api_key": "88dc28d0", "spend": 0.00034,
      "total_tokens": 1120, "prompt_tokens": 1000, "completion_tokens": 120, "startTime": "2026-11-02T10:00:00.000Z",
      "endTime": "2026-11-02T10:00:01.200Z", "model": "gemini-2.5-flash", "model_group": "fast",
      "custom_llm_provider": "vertex_ai", "user": "user-7", "team_id": "team-a", "end_user": "",
      "metadata": {"user_api_key_team_id": "team-a"}, "cache_hit": "False", "request_tags": ["prod"]})");
  ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
  EXPECT_EQ(r->id, "chatcmpl-9x");
  EXPECT_EQ(format_timestamp(r->timestamp), "2026-11-02T10:00:00Z");
  EXPECT_EQ(r->provider, "vertex_ai");
  EXPECT_EQ(r->user_id, "user-7");
  EXPECT_EQ(r->project_id, "team-a");
  EXPECT_EQ(r->usage.get(units::kInputTokens), 1000);
  EXPECT_EQ(r->usage.get(units::kOutputTokens), 120);
  EXPECT_EQ(r->usage.present,
            (uint64_t{1} << units::kInputTokens) | (uint64_t{1} << units::kOutputTokens));
  auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), *r, r->timestamp);
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  EXPECT_EQ(c->provider, "google");
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.0006");  // 1000 * $0.3/M + 120 * $2.5/M
  // A response LiteLLM served from its response cache made no call: not billed.
  for (const char* hit : {R"("True")", "true"}) {
    auto cached =
        p.parse(std::string(R"({"request_id": "chatcmpl-9y", "spend": 0, "prompt_tokens": 1000,
        "completion_tokens": 120, "model": "gemini-2.5-flash", "cache_hit": )") +
                hit + "}");
    ASSERT_FALSE(cached.has_value()) << hit;
    EXPECT_EQ(cached.status().message(),
              "not billed: served from the gateway's response cache (cache_hit), no call to the "
              "provider");
  }
  // The fields the record names win.
  auto named = p.parse(
      R"({"model": "gpt-4o", "provider": "openai", "user_id": "u1", "user": "u2", "input_tokens": 5})");
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->provider, "openai");
  EXPECT_EQ(named->user_id, "u1");
  EXPECT_EQ(r->unread_counts, "");
  // A count named as tokens that no usage key names is not priced, and the price says so (a
  // request's max_tokens, a rate, a time, zero and text are no count of what a call used).
  auto unread = p.parse(
      R"({"model": "claude-sonnet-4-5", "provider": "anthropic", "input_tokens": 100, "output_tokens": 10,
      "prompt_cache_read_tokens": 5000, "cacheWriteTokens": "300", "max_tokens": 1024,
      "tokens_per_second": 80, "time_to_first_token": 300, "audio_tokens": 0, "token_type": "bearer"})");
  ASSERT_TRUE(unread.has_value()) << unread.status_or_ok().to_string();
  EXPECT_EQ(unread->unread_counts, "prompt_cache_read_tokens=5000, cacheWriteTokens=300");
  auto uc =
      engine::CostCalculator::price_record(pricing::Catalog::builtin(), *unread, r->timestamp);
  ASSERT_TRUE(uc.has_value()) << uc.status_or_ok().to_string();
  EXPECT_EQ(uc->total_cost.amount.to_string(), "0.00045");  // 100 * $3/M + 10 * $15/M
  ASSERT_EQ(uc->warnings.size(), 1u);
  EXPECT_EQ(uc->warnings[0].rfind("prompt_cache_read_tokens=5000, cacheWriteTokens=300 not read: "
                                  "no usage key",
                                  0),
            0u)
      << uc->warnings[0];
  // Any record's organization, project and user, by the names queries give them, unless it
  // names the ids; a value that is no string or number is left alone.
  auto with_usage = p.parse(
      R"({"model": "gpt-4o", "user": "u2", "project": "search", "organization": 42, "usage": {"input_tokens": 5}})");
  ASSERT_TRUE(with_usage.has_value()) << with_usage.status_or_ok().to_string();
  EXPECT_EQ(with_usage->user_id, "u2");
  EXPECT_EQ(with_usage->project_id, "search");
  EXPECT_EQ(with_usage->organization_id, "42");
  auto ids = p.parse(
      R"({"model": "gpt-4o", "project": "search", "project_id": "p-1", "user": {"id": "u3"}, "usage": {"input_tokens": 5}})");
  ASSERT_TRUE(ids.has_value()) << ids.status_or_ok().to_string();
  EXPECT_EQ(ids->project_id, "p-1");
  EXPECT_EQ(ids->user_id, "");
  expect_rejected(p,
                  {{R"({"model": "gpt-4o", "input_tokns": 5, "output_tokens": 1})",
                    "field \"input_tokns\": unknown usage key; did you mean input_tokens?"},
                   {R"({"model": "gpt-4o", "prompt_tokens": 5, "input_tokens": 5})",
                    "field \"input_tokens\": input_tokens given twice (directly and by an alias)"},
                   {R"({"model": "gpt-4o", "prompt_tokens": "5k"})",
                    "field \"prompt_tokens\": expected a non-negative integer, got \"5k\""},
                   {R"({"model": "gpt-4o", "total_tokens": 5})", "field \"usage\": missing (give"},
                   {R"({"model": "gpt-4o", "tokens_prompt": 5, "tokens_generated": 2})",
                    "; its tokens_prompt=5, tokens_generated=2 are named by no usage key: rename "
                    "them to the keys "
                    "they count"}});
}

// LiteLLM's spend log rows keep the call's whole usage, in OpenAI's shape, in
// metadata.usage_object: cache reads and writes, audio and reasoning are read from it when it
// counts the line's own prompt and completion tokens.
TEST(RecordParserTest, GatewayLinesReadTheirCacheTokensFromLiteLLMsUsageObject) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  // Anthropic through LiteLLM: prompt_tokens 1500 = 100 uncached + 400 written + 1000 read.
  const std::string line =
      R"({"request_id": "req-1", "startTime": "2026-11-02T10:00:00Z", "model": "claude-sonnet-4-5",
      "custom_llm_provider": "anthropic", "prompt_tokens": 1500, "completion_tokens": 200, "total_tokens": 1700,
      "metadata": {"user_api_key_team_id": "t", "usage_object": {"prompt_tokens": PROMPT, "completion_tokens": 200,
      "total_tokens": 1700, "prompt_tokens_details": {"cached_tokens": 1000, "audio_tokens": null},
      "completion_tokens_details": {"reasoning_tokens": 50}, "cache_creation_input_tokens": 400,
      "cache_read_input_tokens": 1000}}})";
  auto with = [&](const char* prompt) {
    std::string s = line;
    s.replace(s.find("PROMPT"), 6, prompt);
    return s;
  };
  auto price = [&](const UsageRecord& r) {
    auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), r, r.timestamp);
    EXPECT_TRUE(c.has_value()) << c.status_or_ok().to_string();
    return c ? c->total_cost.amount.to_string() : "";
  };
  auto r = p.parse(with("1500"));
  ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
  EXPECT_EQ(r->usage.get(units::kInputTokens), 1500);
  EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 1000);
  EXPECT_EQ(r->usage.get(units::kCacheWriteTokens), 400);
  EXPECT_EQ(r->usage.get(units::kOutputTokens), 200);
  EXPECT_EQ(r->usage.get(units::kOutputReasoningTokens), 50);
  // 100 * $3/M + 400 * $3.75/M + 1000 * $0.3/M + 200 * $15/M
  EXPECT_EQ(price(*r), "0.0051");
  // An object that counts another prompt is not this line's: its details are left out.
  auto other = p.parse(with("999"));
  ASSERT_TRUE(other.has_value()) << other.status_or_ok().to_string();
  EXPECT_EQ(other->usage.get(units::kCacheReadTokens), 0);
  EXPECT_EQ(price(*other), "0.0075");  // 1500 * $3/M + 200 * $15/M
  // Without counts of its own, the line's usage is the object's.
  auto only = p.parse(
      R"({"model": "gpt-4o", "metadata": {"usage_object": {"prompt_tokens": 1000, "completion_tokens": 10,
      "prompt_tokens_details": {"cached_tokens": 800}}}})");
  ASSERT_TRUE(only.has_value()) << only.status_or_ok().to_string();
  EXPECT_EQ(only->usage.get(units::kInputTokens), 1000);
  EXPECT_EQ(only->usage.get(units::kCacheReadTokens), 800);
  // An empty object (LiteLLM's older rows) or one without prompt_tokens is no usage.
  auto empty =
      p.parse(R"({"model": "gpt-4o", "prompt_tokens": 7, "metadata": {"usage_object": {}}})");
  ASSERT_TRUE(empty.has_value()) << empty.status_or_ok().to_string();
  EXPECT_EQ(empty->usage.get(units::kInputTokens), 7);
  auto none = p.parse(R"({"model": "gpt-4o", "metadata": {"usage_object": {}}})");
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.status().message().find("field \"usage\": missing"), std::string::npos)
      << none.status().message();
  // A record with a usage object of its own keeps it.
  auto own = p.parse(
      R"({"model": "gpt-4o", "usage": {"input_tokens": 5}, "metadata": {"usage_object": {"prompt_tokens": 5,
      "prompt_tokens_details": {"cached_tokens": 5}}}})");
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->usage.get(units::kCacheReadTokens), 0);
}

// Lines of Google's batch results: the Gemini API's batch mode ({"key", "response" | "error"})
// and Vertex AI's batch prediction output ({"request", "response", "status", "processed_time"}).
// A response is a Gemini body, a batch call of provider google; a failed request is not billed.
TEST(RecordParserTest, GoogleBatchResultLines) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto gemini = p.parse(
      R"({"key": "request-1", "response": {"candidates": [{"content": {"parts": [{"text": "hi"}],
      "role": "model"}, "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 1000,
      "candidatesTokenCount": 100, "thoughtsTokenCount": 20, "totalTokenCount": 1120},
      "modelVersion": "gemini-2.5-flash", "responseId": "resp-1"}})");
  ASSERT_TRUE(gemini.has_value()) << gemini.status_or_ok().to_string();
  EXPECT_EQ(gemini->provider, "google");
  EXPECT_EQ(gemini->model, "gemini-2.5-flash");
  EXPECT_EQ(gemini->id, "resp-1");
  EXPECT_TRUE(gemini->batch);
  EXPECT_FALSE(gemini->has_timestamp);
  EXPECT_EQ(gemini->usage.get(units::kInputTokens), 1000);
  EXPECT_EQ(gemini->usage.get(units::kOutputTokens), 120);  // thoughts included
  auto vertex = p.parse(
      R"({"request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}, "status": "",
      "processed_time": "2026-09-01T10:00:00.000+00:00", "response": {"candidates": [],
      "usageMetadata": {"promptTokenCount": 2000, "candidatesTokenCount": 10},
      "modelVersion": "gemini-2.5-flash"}})");
  ASSERT_TRUE(vertex.has_value()) << vertex.status_or_ok().to_string();
  EXPECT_EQ(vertex->provider, "google");
  EXPECT_TRUE(vertex->batch);
  EXPECT_EQ(format_timestamp(vertex->timestamp), "2026-09-01T10:00:00Z");
  EXPECT_EQ(vertex->usage.get(units::kInputTokens), 2000);
  // A gateway's line of a request and its response (not a batch's): the response is the body.
  auto logged = p.parse(
      R"({"provider": "openai", "request": {"model": "gpt-4o", "messages": []}, "status": 200,
      "response": {"id": "chatcmpl-9", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
      "usage": {"prompt_tokens": 30, "completion_tokens": 5}}})");
  ASSERT_TRUE(logged.has_value()) << logged.status_or_ok().to_string();
  EXPECT_FALSE(logged->batch);
  EXPECT_EQ(logged->model, "gpt-4o-2024-08-06");
  EXPECT_EQ(logged->usage.get(units::kInputTokens), 30);
  expect_rejected(
      p, {{R"({"key": "request-2", "error": {"code": 400, "message": "Invalid argument"}})",
           "not billed: the batch request failed: Invalid argument"},
          {R"({"request": {"contents": []}, "status": "Bad Request: quota", "response": {},
               "processed_time": "2026-09-01T10:00:00Z"})",
           "not billed: the batch request failed: Bad Request: quota"}});
}

// Lines of Amazon Bedrock's model invocation logs (CloudWatch Logs or S3 delivery): the counts
// of input (without cache reads and writes, as Bedrock counts it), the model (an inference
// profile's ARN: its id), the account, the caller and the request's metadata as tags.
TEST(RecordParserTest, BedrockModelInvocationLogLines) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto r = p.parse(
      R"({"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": "2026-09-01T10:00:00Z",
      "accountId": "123456789012", "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/app/x"},
      "region": "us-east-1", "requestId": "915a6a04", "operation": "Converse",
      "modelId": "anthropic.claude-sonnet-4-5-20250929-v1:0",
      "input": {"inputContentType": "application/json", "inputTokenCount": 100,
        "cacheReadInputTokenCount": 1000, "cacheWriteInputTokenCount": 200},
      "output": {"outputContentType": "application/json", "outputTokenCount": 50,
        "outputBodyJson": {"usage": {"inputTokens": 100, "outputTokens": 50}}},
      "requestMetadata": {"team": "search"}})");
  ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
  EXPECT_EQ(r->id, "915a6a04");
  EXPECT_EQ(r->provider, "aws");
  EXPECT_EQ(r->model, "anthropic.claude-sonnet-4-5-20250929-v1:0");
  EXPECT_EQ(format_timestamp(r->timestamp), "2026-09-01T10:00:00Z");
  EXPECT_EQ(r->organization_id, "123456789012");
  EXPECT_EQ(r->user_id, "arn:aws:sts::123456789012:assumed-role/app/x");
  EXPECT_EQ(r->tags, (std::vector<std::pair<std::string, std::string>>{{"team", "search"}}));
  EXPECT_EQ(r->usage.get(units::kInputTokens), 1300);
  EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 1000);
  EXPECT_EQ(r->usage.get(units::kCacheWriteTokens), 200);
  EXPECT_EQ(r->usage.get(units::kOutputTokens), 50);
  auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), *r, r->timestamp);
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  // 100 * $3.3/M + 1000 * $0.33/M + 200 * $4.125/M + 50 * $16.5/M
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.00231");
  // An inference profile's ARN names the profile's model id.
  auto arn = p.parse(
      R"({"schemaType": "ModelInvocationLog", "requestId": "r2", "timestamp": "2026-09-01T10:00:00Z",
      "modelId": "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "input": {"inputTokenCount": 10}, "output": {"outputTokenCount": 1}})");
  ASSERT_TRUE(arn.has_value()) << arn.status_or_ok().to_string();
  EXPECT_EQ(arn->model, "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  EXPECT_EQ(arn->usage.get(units::kInputTokens), 10);
  expect_rejected(
      p,
      {{R"({"schemaType": "ModelInvocationLog", "requestId": "r3", "modelId": "anthropic.claude-v2",
               "errorCode": "ValidationException", "input": {}, "output": {}})",
        "not billed: the invocation failed (ValidationException)"},
       {R"({"schemaType": "ModelInvocationLog", "requestId": "r4", "modelId": "amazon.titan-image-generator-v1",
               "input": {"inputContentType": "application/json"}, "output": {}})",
        "field \"input.inputTokenCount\": missing"},
       {R"({"schemaType": "ModelInvocationLog", "requestId": "r5", "modelId": "anthropic.claude-v2",
               "input": {"inputTokenCount": -3}, "output": {"outputTokenCount": 1}})",
        "field \"input.inputTokenCount\": expected a non-negative integer"},
       {R"({"schemaType": "ModelInvocationLog", "requestId": "r6", "input": {"inputTokenCount": 3}})",
        "field \"modelId\": missing"}});
}

// The counts of `u` of the units given, in their order.
std::vector<int64_t> counts_of(const Usage& u, std::initializer_list<UnitId> ids) {
  std::vector<int64_t> out;
  for (UnitId id : ids) out.push_back(u.get(id));
  return out;
}

// Langfuse observations (its public API's v1 and v2 objects, and exports of them). Langfuse keeps
// usage types apart, "input" without the cached tokens it lists beside it, and "total" their sum:
// input_tokens is every input type's count together, and each detail is also its part. Usage
// whose "total" is "input" and "output" alone holds its details within them, and is read so.
TEST(RecordParserTest, LangfuseObservationsCountEachUsageTypeOnce) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  // v1: "model"; "usage" is Langfuse's summary (input 1000 + 200 cached, as it shows them).
  auto v1 = p.parse(
      R"({"id": "obs-1", "traceId": "tr-1", "type": "GENERATION", "name": "answer",
      "startTime": "2026-03-01T10:00:00.000Z", "endTime": "2026-03-01T10:00:02.000Z",
      "model": "gpt-4o-2024-08-06", "modelParameters": {"temperature": 0.2},
      "usage": {"input": 1200, "output": 300, "total": 1500, "unit": "TOKENS"},
      "usageDetails": {"input": 1000, "input_cached_tokens": 200, "output": 300, "total": 1500},
      "costDetails": {"input": 0.0025, "output": 0.003, "total": 0.0055},
      "environment": "production", "promptName": "support-v3", "metadata": {"k": "v"}})");
  ASSERT_TRUE(v1.has_value()) << v1.status_or_ok().to_string();
  EXPECT_EQ(v1->id, "obs-1");
  EXPECT_EQ(v1->model, "gpt-4o-2024-08-06");
  EXPECT_EQ(format_timestamp(v1->timestamp), "2026-03-01T10:00:00Z");
  EXPECT_EQ(v1->usage.get(units::kInputTokens), 1200);
  EXPECT_EQ(v1->usage.get(units::kCacheReadTokens), 200);
  EXPECT_EQ(v1->usage.get(units::kOutputTokens), 300);
  EXPECT_EQ(v1->tags,
            (std::vector<std::pair<std::string, std::string>>{
                {"environment", "production"}, {"name", "answer"}, {"prompt_name", "support-v3"}}));
  EXPECT_EQ(v1->metadata_json, R"({"k":"v"})");
  auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), *v1, v1->timestamp);
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  // 1000 * $2.50/M + 200 * $1.25/M + 300 * $10/M
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.00575");
  // v2: "providedModelName", the call's start before Langfuse's createdAt, the user and project,
  // and the trace's tags (labels as "true"); Anthropic's types with cache writes by lifetime.
  auto v2 = p.parse(
      R"({"id": "obs-2", "traceId": "tr-2", "type": "GENERATION", "createdAt": "2026-03-02T00:00:00Z",
      "startTime": "2026-03-01T10:00:00Z", "projectId": "cl-proj", "userId": "u-42",
      "providedModelName": "claude-sonnet-4-20250514", "traceName": "support-chat",
      "tags": ["chatbot", "tier=gold"], "environment": "staging",
      "usageDetails": {"input": 800, "cache_read_input_tokens": 1000, "input_cache_creation_5m": 150,
        "input_cache_creation_1h": 50, "output": 400, "total": 2400}})");
  ASSERT_TRUE(v2.has_value()) << v2.status_or_ok().to_string();
  EXPECT_EQ(v2->model, "claude-sonnet-4-20250514");
  EXPECT_EQ(format_timestamp(v2->timestamp), "2026-03-01T10:00:00Z");
  EXPECT_EQ(v2->user_id, "u-42");
  EXPECT_EQ(v2->project_id, "cl-proj");
  EXPECT_EQ(v2->tags,
            (std::vector<std::pair<std::string, std::string>>{{"chatbot", "true"},
                                                              {"tier", "gold"},
                                                              {"environment", "staging"},
                                                              {"trace_name", "support-chat"}}));
  // The counts of input, cache reads, cache writes (5-minute, 1-hour) and output.
  using units::kCacheReadTokens, units::kCacheWriteTokens, units::kInputTokens,
      units::kOutputTokens;
  EXPECT_EQ(
      counts_of(v2->usage, {kInputTokens, kCacheReadTokens, kCacheWriteTokens,
                            units::kCacheWrite5mTokens, units::kCacheWrite1hTokens, kOutputTokens}),
      (std::vector<int64_t>{2000, 1000, 200, 150, 50, 400}));
  // Reasoning and audio are parts of the output and input; a prediction's tokens are output.
  auto parts = p.parse(
      R"({"id": "obs-3", "startTime": "2026-03-01T10:00:00Z", "model": "gpt-4o-audio-preview",
      "usageDetails": {"input": 10, "input_audio_tokens": 20, "output": 5, "output_reasoning_tokens": 30,
        "output_audio_tokens": 40, "output_accepted_prediction_tokens": 7}})");
  ASSERT_TRUE(parts.has_value()) << parts.status_or_ok().to_string();
  EXPECT_EQ(counts_of(parts->usage, {kInputTokens, units::kInputAudioTokens, kOutputTokens,
                                     units::kOutputReasoningTokens, units::kOutputAudioTokens}),
            (std::vector<int64_t>{30, 20, 82, 30, 40}));
  // Details within "input": its total is input and output alone.
  auto within = p.parse(
      R"({"id": "obs-4", "startTime": "2026-03-01T10:00:00Z", "model": "gpt-4o",
      "usage_details": {"input": 1200, "input_cached_tokens": 200, "output": 300, "total": 1500}})");
  ASSERT_TRUE(within.has_value()) << within.status_or_ok().to_string();
  EXPECT_EQ(within->usage.get(units::kInputTokens), 1200);
  EXPECT_EQ(within->usage.get(units::kCacheReadTokens), 200);
  // An older observation with Langfuse's summary alone.
  auto summary = p.parse(
      R"({"id": "obs-5", "startTime": "2026-03-01T10:00:00Z", "model": "gpt-4o", "usageDetails": null,
      "usage": {"input": 100, "output": 20, "total": 120, "unit": "TOKENS"}})");
  ASSERT_TRUE(summary.has_value()) << summary.status_or_ok().to_string();
  EXPECT_EQ(summary->usage.get(units::kInputTokens), 100);
  EXPECT_EQ(summary->usage.get(units::kOutputTokens), 20);
  expect_rejected(
      p, {{R"({"id": "c", "model": "tts-1", "usageDetails": null,
               "usage": {"input": 100, "unit": "CHARACTERS"}})",
           "field \"usageDetails\": no usage"},
          {R"({"id": "s", "type": "SPAN", "startTime": "2026-03-01T10:00:00Z", "model": null,
               "usageDetails": {}})",
           "not billed: a Langfuse SPAN observation without a model or usage, not a model call"},
          {R"({"id": "g", "type": "GENERATION", "model": "gpt-4o", "usageDetails": {"total": 0}})",
           "field \"usageDetails\": no usage (Langfuse recorded no token counts for this call)"},
          {R"({"id": "g", "model": "gpt-4o", "usageDetails": {"input": 1, "search_units": 2}})",
           "field \"usageDetails.search_units\": a usage type of neither input nor output"},
          {R"({"id": "g", "model": "gpt-4o", "usageDetails": {"input": -1}})",
           "field \"usageDetails.input\": expected a non-negative integer"},
          {R"({"id": "g", "model": "gpt-4o", "usageDetails": [1]})",
           "field \"usageDetails\": expected an object, got an array"},
          {R"({"id": "g", "model": "gpt-4o", "usageDetails": {"input": 1}, "tags": [3]})",
           "field \"tags[0]\": expected a \"key=value\" string"}});
}

// Lines of batch jobs' result files: OpenAI's Batch API output and Anthropic's Message Batches
// results. A succeeded request is its response body's record, a batch call (batch prices) with
// the body's id and time; a failed, errored, canceled or expired one is not billed, and says so.
TEST(RecordParserTest, BatchResultLinesAreBatchCallsAndFailedOnesAreNotBilled) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto openai = p.parse(
      R"({"id": "batch_req_1", "custom_id": "request-2", "response": {"status_code": 200, "request_id": "req_1",
      "body": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1790000000, "model": "gpt-4o-mini",
      "usage": {"prompt_tokens": 22000, "completion_tokens": 2000, "prompt_tokens_details": {"cached_tokens": 1000}}}},
      "error": null})");
  ASSERT_TRUE(openai.has_value()) << openai.status_or_ok().to_string();
  EXPECT_EQ(openai->id, "batch_req_1");
  EXPECT_TRUE(openai->batch);
  EXPECT_EQ(openai->model, "gpt-4o-mini");
  EXPECT_EQ(format_timestamp(openai->timestamp), "2026-09-21T14:13:20Z");
  EXPECT_EQ(openai->usage.get(units::kInputTokens), 22000);
  EXPECT_EQ(openai->usage.get(units::kCacheReadTokens), 1000);
  auto anthropic = p.parse(
      R"({"custom_id": "r2", "result": {"type": "succeeded", "message": {"id": "msg_01", "type": "message",
      "model": "claude-sonnet-4-5-20250929", "content": [], "usage": {"input_tokens": 11,
      "cache_read_input_tokens": 1000, "output_tokens": 36}}}})");
  ASSERT_TRUE(anthropic.has_value()) << anthropic.status_or_ok().to_string();
  EXPECT_EQ(anthropic->id, "msg_01");
  EXPECT_TRUE(anthropic->batch);
  EXPECT_FALSE(anthropic->has_timestamp);  // the message has none: dated at the ingest time
  EXPECT_EQ(anthropic->usage.get(units::kInputTokens), 1011);  // cache reads included
  expect_rejected(p,
                  {{R"({"id": "batch_req_2", "custom_id": "a", "response": null,
               "error": {"code": "batch_expired", "message": "Not run in time."}})",
                    "not billed: the batch request failed: Not run in time."},
                   {R"({"id": "batch_req_3", "custom_id": "b", "response": {"status_code": 400,
               "body": {"error": {"message": "Invalid model", "type": "invalid_request_error"}}}})",
                    "not billed: the batch request failed (status 400): Invalid model"},
                   {R"({"custom_id": "c", "result": {"type": "errored", "error": {"type": "error",
               "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}}}})",
                    "not billed: the batch request errored: max_tokens: Field required"},
                   {R"({"custom_id": "d", "result": {"type": "expired"}})",
                    "not billed: the batch request expired"}},
                  /*whole=*/true);
}

// The service tier a response reports is the record's when the record names none: OpenAI's
// body "service_tier" (flex calls take flex prices) and Anthropic's usage "service_tier" ("batch":
// a batch call). A tier the record names wins; "batch" as a record's tier is a batch call.
TEST(RecordParserTest, TheServiceTierAResponseReportsIsTheRecordsWhenItNamesNone) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  const char* flex_body =
      R"({"provider": "openai", %s"body": {"model": "gpt-5", "service_tier": "flex",
      "usage": {"prompt_tokens": 1000, "completion_tokens": 10}}})";
  auto parse = [&](const char* format, const char* extra) {
    char line[512];
    std::snprintf(line, sizeof line, format, extra);
    auto r = p.parse(line);
    EXPECT_TRUE(r.has_value()) << line << ": " << r.status_or_ok().to_string();
    return r.has_value() ? *r : UsageRecord{};
  };
  EXPECT_EQ(parse(flex_body, "").service_tier, "flex");
  EXPECT_EQ(parse(flex_body, R"("service_tier": "standard", )").service_tier, "standard");
  const UsageRecord batch_call = parse(flex_body, R"("batch": true, )");
  EXPECT_TRUE(batch_call.batch);
  EXPECT_EQ(batch_call.service_tier, "");
  for (
      const char* anthropic :
      {R"({"body": {"type": "message", "model": "claude-sonnet-4-5", %s"usage": {"input_tokens": 10,
        "output_tokens": 1, "service_tier": "batch"}}})",
       R"({"type": "message", "model": "claude-sonnet-4-5", %s"usage": {"input_tokens": 10,
        "output_tokens": 1, "service_tier": "batch"}})"}) {
    const UsageRecord r = parse(anthropic, "");
    EXPECT_TRUE(r.batch) << anthropic;
    EXPECT_EQ(r.service_tier, "") << anthropic;
  }
  EXPECT_TRUE(parse(R"({"model": "claude-sonnet-4-5", %s"usage": {"input_tokens": 10}})",
                    R"("service_tier": "batch", )")
                  .batch);
  EXPECT_EQ(
      parse(
          R"({"model": "claude-sonnet-4-5", "usage": {"input_tokens": 10, %s"output_tokens": 1}})",
          R"("service_tier": "standard", )")
          .service_tier,
      "standard");
}

// A provider's response body as a record (a gateway that logs bodies): its native usage is read
// in the format of the provider its model names, and OpenAI's `created` is its time.
TEST(RecordParserTest, ResponseBodiesAsRecordsNeedNoProvider) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto anthropic = p.parse(
      R"({"id": "msg_01", "type": "message", "model": "claude-sonnet-4-5-20250929", "content": [],
      "usage": {"input_tokens": 100, "cache_creation_input_tokens": 50, "cache_read_input_tokens": 1000, "output_tokens": 20}})");
  ASSERT_TRUE(anthropic.has_value()) << anthropic.status_or_ok().to_string();
  EXPECT_EQ(anthropic->usage.get(units::kInputTokens), 1150);  // cache reads and writes included
  EXPECT_EQ(anthropic->usage.get(units::kCacheWriteTokens), 50);
  EXPECT_EQ(anthropic->provider, "");  // still as given: ingest's --provider may name it
  auto openai = p.parse(
      R"({"id": "resp_1", "object": "response", "created_at": 1790000000, "model": "gpt-5.4",
      "usage": {"input_tokens": 1000, "input_tokens_details": {"cached_tokens": 100}, "output_tokens": 30,
      "output_tokens_details": {"reasoning_tokens": 10}, "total_tokens": 1030}})");
  ASSERT_TRUE(openai.has_value()) << openai.status_or_ok().to_string();
  EXPECT_EQ(openai->usage.get(units::kCacheReadTokens), 100);
  EXPECT_EQ(openai->usage.get(units::kOutputReasoningTokens), 10);
  auto chat = p.parse(
      R"({"id": "chatcmpl-1", "object": "chat.completion", "created": 1790000000, "model": "gpt-4o",
      "usage": {"prompt_tokens": 1000, "completion_tokens": 50, "prompt_tokens_details": {"cached_tokens": 200}}})");
  ASSERT_TRUE(chat.has_value()) << chat.status_or_ok().to_string();
  EXPECT_EQ(format_timestamp(chat->timestamp), "2026-09-21T14:13:20Z");
  EXPECT_EQ(chat->usage.get(units::kCacheReadTokens), 200);
}

TEST(RecordParserTest, TheCostTheInputLoggedIsKeptBesideTheUsage) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto logged = [&](std::string_view line) -> std::string {
    auto r = p.parse(line);
    if (!r) return "error: " + r.status().message();
    return r->logged_cost ? r->logged_cost->to_string() : "none";
  };
  // LiteLLM's spend logs (a float, its shortest text: what LiteLLM wrote) and logging payload.
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "prompt_tokens": 1000, "completion_tokens": 120,
      "spend": 0.0037000000000000002})"),
            "0.0037");  // the same float as 0.0037
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "prompt_tokens": 1000, "completion_tokens": 120,
      "spend": 0.30000000000000004})"),
            "0.30000000000000004");  // 0.1 + 0.2
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "prompt_tokens": 10, "completion_tokens": 1,
      "response_cost": 3.5e-05})"),
            "0.000035");
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "usage": {"input_tokens": 10, "output_tokens": 1},
      "cost_usd": "0.25"})"),
            "0.25");  // numeric text, as a CSV column gives it
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "usage": {"input_tokens": 10, "output_tokens": 1},
      "cost_usd": 2})"),
            "2");
  // Langfuse: costDetails' total, else the older calculatedTotalCost.
  EXPECT_EQ(logged(R"({"id": "o1", "type": "GENERATION", "model": "gpt-4o",
      "usageDetails": {"input": 1000, "output": 300}, "costDetails": {"input": 0.0025, "output": 0.003, "total": 0.0055}})"),
            "0.0055");
  EXPECT_EQ(logged(R"({"id": "o2", "type": "GENERATION", "model": "gpt-4o",
      "usageDetails": {"input": 1000, "output": 300}, "calculatedTotalCost": 0.00575})"),
            "0.00575");
  // OpenRouter's usage.cost, in a usage object and in a response body.
  EXPECT_EQ(logged(R"({"provider": "openrouter", "model": "openai/gpt-4o",
      "usage": {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050, "cost": 0.003}})"),
            "0.003");
  EXPECT_EQ(logged(R"({"provider": "openrouter", "body": {"id": "gen-1", "model": "openai/gpt-4o",
      "usage": {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050, "cost": 0.003}}})"),
            "0.003");
  // A call with the caller's own key (BYOK): the provider bills the upstream cost; OpenRouter's
  // cost is its fee alone.
  EXPECT_EQ(logged(R"({"provider": "openrouter", "model": "google/gemini-2.5-flash",
      "usage": {"prompt_tokens": 326, "completion_tokens": 91, "cost": 0, "is_byok": true,
      "cost_details": {"upstream_inference_cost": 0.0003253}}})"),
            "0.0003253");
  // Perplexity's cost object: its total, in USD.
  EXPECT_EQ(logged(R"({"provider": "perplexity", "model": "sonar", "usage": {"prompt_tokens": 10,
      "completion_tokens": 20, "cost": {"input_tokens_cost": 0.00001, "output_tokens_cost": 0.00002,
      "request_cost": 0.005, "total_cost": 0.00503, "currency": "USD"}}})"),
            "0.00503");
  EXPECT_EQ(logged(R"({"provider": "perplexity", "model": "sonar", "usage": {"prompt_tokens": 10,
      "completion_tokens": 20, "cost": {"total_cost": 0.00503, "currency": "EUR"}}})"),
            "none");
  // Tiny floats round at 12 places; other shapes and null are not read; the record still is.
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1,
      "spend": 1.5e-30})"),
            "0");
  EXPECT_EQ(
      logged(R"({"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1, "spend": null})"),
      "none");
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1,
      "spend": {"usd": 1}})"),
            "none");
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1,
      "spend": "n/a"})"),
            "none");
  EXPECT_EQ(logged(R"({"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1})"), "none");
}

TEST(RecordParserTest, HeliconeRequestsCountEachPartOnce) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  // Helicone's prompt_tokens leave out the cache writes and reads (its cost adds all three).
  auto r = p.parse(
      R"({"response_id": "msg_1", "response_status": 200, "response_model": "claude-sonnet-4-5-20250929",
      "request_id": "3f1c", "request_created_at": "2026-11-02T10:00:00.000Z",
      "request_path": "https://api.anthropic.com/v1/messages", "request_user_id": "alice",
      "request_properties": {"App": "support"}, "helicone_user": "u-1", "provider": "ANTHROPIC",
      "time_to_first_token": 300, "total_tokens": 2400, "prompt_tokens": 100,
      "prompt_cache_write_tokens": 200, "prompt_cache_read_tokens": 2000, "completion_tokens": 100,
      "reasoning_tokens": null, "prompt_audio_tokens": null, "completion_audio_tokens": null,
      "costUSD": 0.00315, "model": "claude-sonnet-4-5-20250929",
      "properties": {"App": "support", "Env": "prod"}})");
  ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
  EXPECT_EQ(r->id, "3f1c");
  EXPECT_EQ(r->provider, "ANTHROPIC");  // a provider the catalog knows, as given
  EXPECT_EQ(format_timestamp(r->timestamp), "2026-11-02T10:00:00Z");
  EXPECT_EQ(r->user_id, "alice");
  EXPECT_EQ(r->tags, (std::vector<std::pair<std::string, std::string>>{{"App", "support"},
                                                                       {"Env", "prod"}}));
  EXPECT_EQ(r->usage.get(units::kInputTokens), 2300);
  EXPECT_EQ(r->usage.get(units::kCacheWriteTokens), 200);
  EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 2000);
  EXPECT_EQ(r->usage.get(units::kOutputTokens), 100);
  EXPECT_EQ(r->unread_counts, "");
  EXPECT_EQ(r->logged_cost->to_string(), "0.00315");
  auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), *r, r->timestamp);
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  // 100 * $3/M + 200 * $3.75/M + 2000 * $0.30/M + 100 * $15/M
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.00315");
  // Audio apart from the prompt and the completion; reasoning within the completion. A gateway
  // the catalog has no prices of leaves the model to name the provider.
  auto audio = p.parse(
      R"({"request_id": "3f1e", "request_created_at": "2026-11-02T10:06:00Z", "provider": "CLOUDFLARE",
      "model": "gpt-4o-mini", "prompt_tokens": 800, "prompt_cache_read_tokens": 1024,
      "prompt_cache_write_tokens": 0, "prompt_audio_tokens": 30, "completion_tokens": 50,
      "completion_audio_tokens": 5, "reasoning_tokens": 20})");
  ASSERT_TRUE(audio.has_value()) << audio.status_or_ok().to_string();
  EXPECT_EQ(audio->provider, "");
  EXPECT_EQ(audio->usage.get(units::kInputTokens), 1854);
  EXPECT_EQ(audio->usage.get(units::kInputAudioTokens), 30);
  EXPECT_EQ(audio->usage.get(units::kOutputTokens), 55);
  EXPECT_EQ(audio->usage.get(units::kOutputAudioTokens), 5);
  EXPECT_EQ(audio->usage.get(units::kOutputReasoningTokens), 20);
  EXPECT_FALSE(audio->logged_cost.has_value());
  auto x = p.parse(
      R"({"helicone_user": "u-1", "provider": "X", "model": "grok-3", "prompt_tokens": 1000,
      "completion_tokens": 100, "timestamp": "2026-01-01T00:00:00Z", "request_created_at": "2026-11-02T10:06:00Z"})");
  ASSERT_TRUE(x.has_value()) << x.status_or_ok().to_string();
  EXPECT_EQ(x->provider, "x-ai");
  EXPECT_EQ(format_timestamp(x->timestamp), "2026-01-01T00:00:00Z");  // its own field wins
  // A failed request counts nothing: not billed. One without counts says what is missing.
  auto failed = p.parse(
      R"({"response_status": 500, "request_id": "3f1d", "helicone_user": "u-1", "provider": "OPENAI",
      "model": "gpt-4o", "prompt_tokens": null, "completion_tokens": null, "costUSD": 0})");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.status().message(),
            "not billed: the request failed (response_status 500) and counts no tokens");
  auto none = p.parse(R"({"response_status": 200, "helicone_user": "u-1", "model": "gpt-4o"})");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.status().message(),
            "field \"prompt_tokens\": missing (a Helicone request without its token counts)");
  auto bad = p.parse(
      R"({"helicone_user": "u-1", "model": "gpt-4o", "prompt_tokens": -3, "completion_tokens": 1})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().message(),
            "field \"prompt_tokens\": expected a non-negative integer, got -3");
}

// Cloudflare AI Gateway's logs: tokens_in and tokens_out, cost logged; its provider names.
TEST(RecordParserTest, CloudflareAiGatewayLogs) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto r = p.parse(
      R"({"id": "01J3", "created_at": "2026-11-02T10:02:00Z", "provider": "google-ai-studio",
      "model": "gemini-2.5-flash", "model_type": "chat", "tokens_in": 1000, "tokens_out": 120,
      "cost": 0.0006, "cached": false, "success": true, "status_code": 200, "duration": 812,
      "metadata": {"team": "ads", "env": "prod"}, "step": 0, "custom_cost": false})");
  ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
  EXPECT_EQ(r->id, "01J3");
  EXPECT_EQ(r->provider, "google");
  EXPECT_EQ(format_timestamp(r->timestamp), "2026-11-02T10:02:00Z");
  EXPECT_EQ(r->usage.get(units::kInputTokens), 1000);
  EXPECT_EQ(r->usage.get(units::kOutputTokens), 120);
  EXPECT_EQ(r->tags,
            (std::vector<std::pair<std::string, std::string>>{{"team", "ads"}, {"env", "prod"}}));
  EXPECT_EQ(r->logged_cost->to_string(), "0.0006");
  EXPECT_EQ(r->unread_counts, "");
  auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), *r, r->timestamp);
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.0006");  // 1000 * $0.30/M + 120 * $2.50/M
  // The REST API's metadata as text is not read (and no error); a provider the catalog lacks
  // leaves the model to name one.
  auto text = p.parse(
      R"({"id": "01J4", "provider": "workers-ai", "model": "gpt-4o", "tokens_in": 10,
      "tokens_out": 1, "metadata": "{\"team\":\"x\"}", "cached": false, "success": true})");
  ASSERT_TRUE(text.has_value()) << text.status_or_ok().to_string();
  EXPECT_EQ(text->provider, "");
  EXPECT_TRUE(text->tags.empty());
  // Served from the gateway's cache, or failed without counts: not billed.
  auto cached = p.parse(
      R"({"id": "01J5", "provider": "openai", "model": "gpt-4o", "tokens_in": 10, "tokens_out": 1,
      "cost": 0, "cached": true, "success": true})");
  ASSERT_FALSE(cached.has_value());
  EXPECT_EQ(cached.status().message(),
            "not billed: served from the gateway's cache (cached), no call to the provider");
  auto failed = p.parse(
      R"({"id": "01J6", "provider": "anthropic", "model": "claude-sonnet-4-5", "tokens_in": 0,
      "tokens_out": 0, "cached": false, "success": false, "status_code": 529})");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.status().message(),
            "not billed: the request failed (success false) and counts no tokens");
  // Other records still want their metadata an object.
  auto bad = p.parse(R"({"model": "gpt-4o", "input_tokens": 1, "metadata": "x"})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().message(), "field \"metadata\": expected an object, got a string");
}

// OpenRouter's generations (GET /api/v1/generation): the native counts, as the call was billed,
// under "data" or as the object itself; total_cost logged (a BYOK call's upstream cost). Its
// activity rows: a day's summed requests of an endpoint.
TEST(RecordParserTest, OpenRouterGenerationsAndActivity) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto r = p.parse(
      R"({"data": {"id": "gen-1", "upstream_id": "chatcmpl-1", "total_cost": 0.00294,
      "cache_discount": 0.0006, "created_at": "2026-11-15T23:33:19.433273+00:00",
      "model": "openai/gpt-4.1", "app_id": 12, "streamed": true, "cancelled": false,
      "provider_name": "OpenAI", "latency": 1250, "generation_time": 1200, "finish_reason": "stop",
      "tokens_prompt": 1010, "tokens_completion": 110, "native_tokens_prompt": 1000,
      "native_tokens_completion": 120, "native_tokens_completion_images": null,
      "native_tokens_reasoning": 20, "native_tokens_cached": 400, "num_media_prompt": null,
      "num_search_results": null, "origin": "https://openrouter.ai/", "usage": 0.00294,
      "is_byok": false, "external_user": "user-123", "api_type": "completions"}})");
  ASSERT_TRUE(r.has_value()) << r.status_or_ok().to_string();
  EXPECT_EQ(r->id, "gen-1");
  EXPECT_EQ(r->provider, "openrouter");
  EXPECT_EQ(r->model, "openai/gpt-4.1");
  EXPECT_EQ(r->user_id, "user-123");
  EXPECT_EQ(format_timestamp(r->timestamp), "2026-11-15T23:33:19.433273Z");
  EXPECT_EQ(r->usage.get(units::kInputTokens), 1000);
  EXPECT_EQ(r->usage.get(units::kCacheReadTokens), 400);
  EXPECT_EQ(r->usage.get(units::kOutputTokens), 120);
  EXPECT_EQ(r->usage.get(units::kOutputReasoningTokens), 20);
  EXPECT_EQ(r->tags, (std::vector<std::pair<std::string, std::string>>{{"upstream", "OpenAI"}}));
  EXPECT_EQ(r->logged_cost->to_string(), "0.00294");
  EXPECT_EQ(r->unread_counts, "");
  auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), *r, r->timestamp);
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  // 600 * $2/M + 400 * $0.50/M + 120 * $8/M
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.00236");
  // The object itself, a call billed to the caller's own key: its upstream cost is the call's.
  auto byok = p.parse(
      R"({"id": "gen-2", "model": "openai/gpt-4.1", "native_tokens_prompt": 10,
      "native_tokens_completion": 1, "native_tokens_cached": null, "total_cost": 0.000001,
      "usage": 0.000001, "is_byok": true, "upstream_inference_cost": 0.000028})");
  ASSERT_TRUE(byok.has_value()) << byok.status_or_ok().to_string();
  EXPECT_EQ(byok->logged_cost->to_string(), "0.000028");
  EXPECT_EQ(byok->tags, (std::vector<std::pair<std::string, std::string>>{{"byok", "true"}}));
  EXPECT_EQ(byok->usage.get(units::kCacheReadTokens), 0);
  // Without the native counts, or with a part above its whole: an error naming the field.
  auto none = p.parse(R"({"data": {"model": "openai/gpt-4.1", "native_tokens_prompt": null,
      "tokens_prompt": 5}})");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.status().message(),
            "data: field \"native_tokens_prompt\": missing (an OpenRouter generation without the "
            "counts it was billed by)");
  auto over = p.parse(R"({"model": "openai/gpt-4.1", "native_tokens_prompt": 1,
      "native_tokens_completion": 2, "native_tokens_reasoning": 3})");
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.status().message(),
            "field \"native_tokens_reasoning\": 3 is more than native_tokens_completion, 2, of "
            "which it is a part");
  // An activity row (GET /api/v1/activity): a day's summed requests of one endpoint, its id from
  // them, its logged cost the credits and the provider keys' bill.
  auto day = p.parse(
      R"({"date": "2026-11-14", "model": "openai/gpt-4.1", "model_permaslug":
      "openai/gpt-4.1-2025-04-14", "endpoint_id": "550e8400", "provider_name": "OpenAI",
      "usage": 0.0032, "byok_usage_inference": 0.0004, "requests": 4, "prompt_tokens": 1000,
      "completion_tokens": 200, "reasoning_tokens": 50})");
  ASSERT_TRUE(day.has_value()) << day.status_or_ok().to_string();
  EXPECT_EQ(day->id,
            "openrouter-activity:2026-11-14:550e8400:openai/gpt-4.1-2025-04-14:openai/gpt-4.1");
  EXPECT_EQ(day->provider, "openrouter");
  EXPECT_EQ(format_timestamp(day->timestamp), "2026-11-14T00:00:00Z");
  EXPECT_EQ(day->usage.requests(), 4);
  EXPECT_EQ(day->usage.get(units::kOutputReasoningTokens), 50);
  EXPECT_EQ(day->logged_cost->to_string(), "0.0036");
  c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), *day, day->timestamp);
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.0036");  // 1000 * $2/M + 200 * $8/M
  auto no_requests = p.parse(R"({"date": "2026-11-14", "model": "openai/gpt-4.1", "usage": 0,
      "byok_usage_inference": 0, "prompt_tokens": 1})");
  ASSERT_FALSE(no_requests.has_value());
  EXPECT_EQ(no_requests.status().message(),
            "field \"requests\": missing (an OpenRouter activity row)");
  // The dashboard's export, a row per generation, is refused saying what to read instead.
  auto exported = p.parse(R"({"generation_id": "gen-9", "created_at": "2026-11-14 10:00:00",
      "cost_total": 0.01, "byok_usage_inference": 0, "tokens_prompt": 10, "tokens_completion": 2,
      "model_permaslug": "openai/gpt-4.1-2025-04-14", "provider_name": "OpenAI"})");
  ASSERT_FALSE(exported.has_value());
  EXPECT_NE(exported.status().message().find("fetch the generations (GET /api/v1/generation"),
            std::string::npos)
      << exported.status().message();
  // A record under "data" is read as the record; a page's list under it is not one.
  auto plain = p.parse(R"({"data": {"provider": "openai", "model": "gpt-4o",
      "usage": {"prompt_tokens": 3, "completion_tokens": 1}}})");
  ASSERT_TRUE(plain.has_value()) << plain.status_or_ok().to_string();
  EXPECT_EQ(plain->usage.get(units::kInputTokens), 3);
}

TEST(CostCalculatorTest, PriceRecordDescribesWhatWasUsed) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto r = p.parse(
      R"({"id": "x", "provider": "anthropic", "model": "claude-opus-4-6", "timestamp": "2026-03-01T00:00:00Z",
      "usage": {"input_tokens": 1000, "output_tokens": 100}})");
  ASSERT_TRUE(r.has_value());
  auto c = CostCalculator::price_record(pricing::Catalog::builtin(), *r, Timestamp{});
  ASSERT_TRUE(c.has_value()) << c.status_or_ok().to_string();
  EXPECT_EQ(c->usage_id, "x");
  EXPECT_EQ(c->model, "claude-opus-4-6");
  EXPECT_EQ(c->input_cost.to_string(), "0.005 USD");
  EXPECT_EQ(c->output_cost.to_string(), "0.0025 USD");
  EXPECT_EQ(c->total_cost.to_string(), "0.0075 USD");
  EXPECT_EQ(c->price_version, "always");
  EXPECT_EQ(c->catalog_entry, "built-in#anthropic/claude-opus-4-6");
  EXPECT_EQ(format_timestamp(c->timestamp), "2026-03-01T00:00:00Z");
  ASSERT_EQ(c->breakdown.size(), 2u);
  EXPECT_EQ(c->breakdown[0].quantity, 1000);
  auto later = *r;
  later.timestamp = *parse_timestamp("2026-04-01T00:00:00Z");
  EXPECT_EQ(
      CostCalculator::price_record(pricing::Catalog::builtin(), later, Timestamp{})->price_version,
      "from 2026-03-13");
}

TEST(CostCalculatorTest, WarnsWhereACostClassHasNoPriceOfItsOwn) {
  auto cat = pricing::Catalog::parse(
      R"({"format": "cost-ops-catalog", "providers": [{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 1, "output_mtok": 2}}]}]})",
      "t");
  ASSERT_TRUE(cat.has_value());
  UsageRecord r;
  r.provider = "p";
  r.model = "m";
  r.usage.set(units::kInputTokens, 1000);
  r.usage.set(units::kCacheReadTokens, 400);
  r.usage.set(units::kWebSearches, 2);
  r.service_tier = "flex";
  auto c = CostCalculator::price_record(*cat, r, Timestamp{});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.001");
  ASSERT_EQ(c->warnings.size(), 3u);
  EXPECT_EQ(c->warnings[0], "no flex prices for m; standard prices used");
  EXPECT_EQ(c->warnings[1],
            "cache_read_tokens has no price of its own for m; billed at the input_tokens rate");
  EXPECT_EQ(c->warnings[2], "web_searches=2 not billed: m has no price for it");
  // A part beyond the whole that includes it: the whole is billed as given, with a warning.
  r.service_tier.clear();
  r.usage = {};
  r.usage.set(units::kInputTokens, 1000);
  r.usage.set(units::kOutputTokens, 100);
  r.usage.set(units::kOutputReasoningTokens, 400);
  c = CostCalculator::price_record(*cat, r, Timestamp{});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.0012");
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0],
            "output_reasoning_tokens=400 exceeds output_tokens=100, which includes it; "
            "output_tokens billed as given");
  // Text at the rate of its class without a modality is at its own rate (a unit without one
  // prices text): no warning; audio at the text's rate is warned of.
  auto cached = pricing::Catalog::parse(
      R"({"format": "cost-ops-catalog", "providers": [{"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 1, "cache_read_mtok": 0.5, "output_mtok": 2}}]}]})",
      "t");
  ASSERT_TRUE(cached.has_value());
  r.usage = {};
  r.usage.set(units::kInputTokens, 1000);
  r.usage.set(units::kCacheReadTokens, 600);
  r.usage.set(*unit_by_usage_key("cache_text_read_tokens"), 400);
  r.usage.set(units::kCacheAudioReadTokens, 200);
  r.usage.set(units::kInputTextTokens, 800);
  c = CostCalculator::price_record(*cached, r, Timestamp{});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->total_cost.amount.to_string(), "0.0007");  // 400 * $1/M + 600 * $0.5/M
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0],
            "cache_audio_read_tokens has no price of its own for m; billed at the "
            "cache_read_tokens rate");
}

// Stored records as ingest prices them (the built-in catalog, at their own time).
PricedRecord stored(const char* line) {
  Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  auto r = p.parse(line);
  EXPECT_TRUE(r.has_value()) << line;
  PricedRecord out{*r, std::nullopt, ""};
  if (auto c = CostCalculator::price_record(pricing::Catalog::builtin(), *r, Timestamp{})) {
    out.cost = *c;
  } else {
    out.unpriced_reason = c.status().message();
  }
  return out;
}

std::string money(const std::map<std::string, Decimal>& m) {
  std::string s;
  for (const auto& [cur, d] : m) s += (s.empty() ? "" : " ") + d.to_string() + " " + cur;
  return s;
}

TEST(WhatIfTest, SwapsModelsAndComparesExactly) {
  const auto& cat = pricing::Catalog::builtin();
  AggregateQuery g;
  g.group_by = {*GroupKey::parse("provider"), *GroupKey::parse("model")};
  WhatIfOptions o;
  o.swaps = {*ModelSwap::parse("gpt-4o=gpt-4o-mini"), *ModelSwap::parse("acme-*=gpt-4o")};
  auto w = WhatIf::make(cat, g, o);
  ASSERT_TRUE(w.has_value()) << w.status().to_string();
  // 1M input tokens (200k of them cache reads) and 100k output: gpt-4o $3.25, gpt-4o-mini $0.195.
  const char* usage =
      R"("usage": {"input_tokens": 1000000, "cache_read_tokens": 200000, "output_tokens": 100000}})";
  const std::string dated =
      std::string(
          R"({"provider": "openai", "model": "gpt-4o-2024-08-06", "timestamp": "2026-04-01T00:00:00Z", )") +
      usage;
  const std::string azure =
      std::string(
          R"({"provider": "azure", "model": "gpt-4o", "timestamp": "2026-04-01T00:00:00Z", )") +
      usage;
  const std::string mini =
      std::string(
          R"({"provider": "openai", "model": "gpt-4o-mini", "timestamp": "2026-04-01T00:00:00Z", )") +
      usage;
  // A model the catalog does not know, stored unpriced: the what-if prices it as gpt-4o.
  const std::string acme =
      std::string(
          R"({"provider": "acme", "model": "acme-large", "timestamp": "2026-04-01T00:00:00Z", )") +
      usage;
  std::string reason = "stale";
  for (const std::string& line : {dated, azure, mini, acme}) {
    PricedRecord r = stored(line.c_str());
    ASSERT_TRUE(w->add(r, &reason).is_ok());
    EXPECT_EQ(reason, "");
  }
  // A price from elsewhere (another catalog) that this one cannot give again.
  PricedRecord custom = stored(
      R"({"provider": "openai", "model": "gpt-4o", "timestamp": "2026-04-01T00:00:00Z", "usage": {"input_tokens": 10}})");
  custom.usage.model = "our-finetune";
  ASSERT_TRUE(w->add(custom, &reason).is_ok());
  EXPECT_NE(reason.find("our-finetune"), std::string::npos) << reason;

  const auto rows = w->rows();
  ASSERT_EQ(rows.size(), 5u);
  auto row = [&](std::string_view provider, std::string_view model) {
    for (const auto& r : rows) {
      if (r.keys[0] == provider && r.keys[1] == model) return r;
    }
    ADD_FAILURE() << provider << "/" << model;
    return WhatIfRow{};
  };
  const WhatIfRow d = row("openai", "gpt-4o-2024-08-06");  // named otherwise, resolves to gpt-4o
  EXPECT_EQ(d.swapped, 1u);
  EXPECT_EQ(money(d.cost), "3.25 USD");
  EXPECT_EQ(money(d.whatif_cost), "0.195 USD");
  EXPECT_EQ(money(d.change), "-3.055 USD");
  const WhatIfRow a = row("azure", "gpt-4o");  // to azure's gpt-4o-mini
  EXPECT_EQ(a.swapped, 1u);
  EXPECT_EQ(money(a.whatif_cost), "0.195 USD");
  const WhatIfRow m = row("openai", "gpt-4o-mini");
  EXPECT_EQ(m.swapped, 0u);
  EXPECT_EQ(money(m.change), "0 USD");
  const WhatIfRow x = row("acme", "acme-large");
  EXPECT_EQ(x.unpriced, 1u);
  EXPECT_EQ(x.compared, 0u);
  EXPECT_EQ(money(x.whatif_cost), "3.25 USD");
  EXPECT_EQ(money(x.change), "");
  const WhatIfRow f = row("openai", "our-finetune");
  EXPECT_EQ(f.unpriced_whatif, 1u);
  EXPECT_EQ(money(f.cost), "0.000025 USD");

  const WhatIfRow& t = w->total();
  EXPECT_EQ(t.records, 5u);
  EXPECT_EQ(t.swapped, 3u);
  EXPECT_EQ(t.compared, 3u);
  EXPECT_EQ(money(t.cost), "6.695025 USD");
  EXPECT_EQ(money(t.compared_cost), "6.695 USD");
  EXPECT_EQ(money(t.whatif_cost), "3.835 USD");  // 0.195 * 3 + 3.25
  EXPECT_EQ(money(t.change), "-6.11 USD");
  ASSERT_EQ(w->swaps().size(), 2u);
  EXPECT_EQ(w->swaps()[0].records, 2u);
  EXPECT_EQ(w->swaps()[0].to_models.at("openai/gpt-4o-mini"), 1u);
  EXPECT_EQ(w->swaps()[0].to_models.at("azure/gpt-4o-mini"), 1u);
  EXPECT_EQ(w->swaps()[1].to_models.at("openai/gpt-4o"), 1u);
}

// A FROM with its provider's name ("openai/gpt-4o", which is also OpenRouter's model id) moves
// that provider's calls only; OpenRouter's model of that name moves by its name as stored.
TEST(WhatIfTest, AProviderPrefixedFromMovesThatProvidersCalls) {
  AggregateQuery g;
  g.group_by = {*GroupKey::parse("provider")};
  WhatIfOptions o;
  o.swaps = {*ModelSwap::parse("openai/gpt-4o=openai/gpt-4o-mini")};
  auto w = WhatIf::make(pricing::Catalog::builtin(), g, o);
  ASSERT_TRUE(w.has_value()) << w.status().to_string();
  for (const char* line :
       {R"({"provider": "openai", "model": "gpt-4o-2024-08-06", "usage": {"input_tokens": 10}})",
        R"({"provider": "azure", "model": "gpt-4o", "usage": {"input_tokens": 10}})",
        R"({"provider": "openrouter", "model": "openai/gpt-4o", "usage": {"input_tokens": 10}})"})
    ASSERT_TRUE(w->add(stored(line), nullptr).is_ok()) << line;
  std::map<std::string, uint64_t> swapped;
  for (const auto& r : w->rows()) swapped[r.keys[0]] = r.swapped;
  EXPECT_EQ(swapped,
            (std::map<std::string, uint64_t>{{"azure", 0}, {"openai", 1}, {"openrouter", 1}}));
}

TEST(WhatIfTest, AsOfADayKeepsEachCallsTimeOfDay) {
  // claude-sonnet-5's input went from $2 to $3 per million on 2026-09-01. DeepSeek's off-peak
  // hours (16:30-00:30 UTC) halve its prices: a call at noon keeps its peak price on another day,
  // and one at 20:00 its off-peak price.
  AggregateQuery g;
  WhatIfOptions o;
  o.as_of = *parse_timestamp("2026-11-02T23:59:00Z");
  auto w = WhatIf::make(pricing::Catalog::builtin(), g, o);
  ASSERT_TRUE(w.has_value());
  for (
      const char* line :
      {R"({"provider": "deepseek", "model": "deepseek-chat", "timestamp": "2026-04-01T12:00:00Z", "usage": {"input_tokens": 1000000}})",
       R"({"provider": "deepseek", "model": "deepseek-chat", "timestamp": "2026-04-01T20:00:00Z", "usage": {"input_tokens": 1000000}})",
       R"({"provider": "anthropic", "model": "claude-sonnet-5", "timestamp": "2026-08-15T12:00:00Z", "usage": {"input_tokens": 1000000}})"}) {
    ASSERT_TRUE(w->add(stored(line)).is_ok());
  }
  EXPECT_EQ(money(w->total().cost), "2.405 USD");
  EXPECT_EQ(money(w->total().whatif_cost), "3.405 USD");
  EXPECT_EQ(money(w->total().change), "1 USD");
}

TEST(WhatIfTest, WithoutCacheAndAtTheStandardTier) {
  // claude-sonnet-4-5: input $3, cache reads $0.30, cache writes $3.75 per million; 100k input of
  // which 60k cache reads and 20k cache writes cost 0.06 + 0.018 + 0.075 = 0.153, and 0.3 uncached.
  // A gpt-4o batch call of 1M input costs 1.25, 2.5 at the standard price.
  const char* lines[] = {
      R"({"provider": "anthropic", "model": "claude-sonnet-4-5", "timestamp": "2026-04-01T00:00:00Z",
          "usage": {"input_tokens": 100000, "cache_read_tokens": 60000, "cache_write_tokens": 20000}})",
      R"({"provider": "openai", "model": "gpt-4o", "timestamp": "2026-04-01T00:00:00Z", "batch": true,
          "usage": {"input_tokens": 1000000}})"};
  AggregateQuery g;
  g.group_by = {*GroupKey::parse("provider")};
  auto run = [&](bool without_cache, bool standard_tier) {
    WhatIfOptions o;
    o.without_cache = without_cache;
    o.standard_tier = standard_tier;
    auto w = WhatIf::make(pricing::Catalog::builtin(), g, o);
    EXPECT_TRUE(w.has_value());
    for (const char* line : lines) EXPECT_TRUE(w->add(stored(line)).is_ok());
    std::string out;
    for (const auto& r : w->rows())
      out += r.keys[0] + " " + money(r.cost) + " -> " + money(r.whatif_cost) + "; ";
    return out;
  };
  EXPECT_EQ(run(true, false), "anthropic 0.153 USD -> 0.3 USD; openai 1.25 USD -> 1.25 USD; ");
  EXPECT_EQ(run(false, true), "anthropic 0.153 USD -> 0.153 USD; openai 1.25 USD -> 2.5 USD; ");
  EXPECT_EQ(run(true, true), "anthropic 0.153 USD -> 0.3 USD; openai 1.25 USD -> 2.5 USD; ");
}

TEST(WhatIfTest, SwapsAreCheckedAgainstTheCatalog) {
  auto bad = WhatIf::make(pricing::Catalog::builtin(), {},
                          {{*ModelSwap::parse("gpt-4o=gpt-4q")}, std::nullopt});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("swap gpt-4o=gpt-4q: unknown model \"gpt-4q\""),
            std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("did you mean"), std::string::npos);
  for (const char* text : {"gpt-4o", "=gpt-4o", "gpt-4o=", "gpt-4o=gpt-*"})
    EXPECT_FALSE(ModelSwap::parse(text).has_value()) << text;
}

}  // namespace
}  // namespace costops::engine

namespace costops::engine {
namespace {

Decimal dec(const char* s) { return *Decimal::parse(s); }

Timestamp day_of(const char* d) { return *parse_timestamp(std::string(d) + "T00:00:00Z"); }

// A store's answer: stored spend per day and model (as Store::aggregate groups it).
struct FakeSpend {
  struct Row {
    std::string provider, day, model, cost;
    uint64_t records = 1, unpriced = 0;
  };
  std::vector<Row> rows;
  std::vector<AggregateQuery> asked;
  AggregateFn fn() {
    return [this](const AggregateQuery& q) -> Result<std::vector<AggregateRow>> {
      asked.push_back(q);
      std::map<std::vector<std::string>, AggregateRow> out;
      for (const Row& r : rows) {
        if (r.provider != q.filters.at(0).value) continue;
        const Timestamp t = day_of(r.day.c_str());
        if ((q.from && t < *q.from) || (q.to && t >= *q.to)) continue;
        std::vector<std::string> keys = {r.day};
        if (q.group_by.size() > 1 && q.group_by[1].kind == GroupKey::Kind::kModel)
          keys.push_back(r.model);
        AggregateRow& a = out[keys];
        a.keys = keys;
        a.records += r.records;
        a.unpriced += r.unpriced;
        if (!r.cost.empty()) a.cost["USD"] = cost_in(a.cost, "USD") + dec(r.cost.c_str());
      }
      std::vector<AggregateRow> v;
      for (auto& [k, a] : out) v.push_back(a);
      return v;
    };
  }
};

BillLine line(const char* provider, const char* day, const char* amount, const char* model,
              const char* item = "") {
  const Timestamp s = day_of(day);
  return {provider, s,    s + std::chrono::days(1),  dec(amount), "USD", model,
          "",       item, std::string("bill:") + day};
}

// Points each line of `bill` at its day's first bucket.
void link(Bill& bill) {
  for (BillLine& l : bill.lines) {
    for (size_t i = 0; i < bill.buckets.size(); ++i) {
      if (bill.buckets[i].provider == l.provider && bill.buckets[i].start == l.start) {
        l.bucket = i;
        break;
      }
    }
  }
}

BillBucket bucket(const char* provider, const char* day) {
  const Timestamp s = day_of(day);
  return {provider, s, s + std::chrono::days(1), std::string("bill:") + day, 0};
}

TEST(ReconcileTest, TheBillAgainstTheStoredSpendPerDayAndModel) {
  Bill bill;
  for (const char* d : {"2026-11-01", "2026-11-02", "2026-11-03"})
    bill.buckets.push_back(bucket("openai", d));
  bill.lines = {
      line("openai", "2026-11-01", "0.25", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06, input"),
      line("openai", "2026-11-01", "0.5", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06, output"),
      line("openai", "2026-11-01", "0.042", "gpt-4o-mini-2024-07-18"),
      line("openai", "2026-11-01", "0.05", "web search tool calls", "web search tool calls"),
      line("openai", "2026-11-02", "1", "gpt-4o-2024-08-06")};
  FakeSpend spend;
  // The store names the models as the responses did: one name differs from the bill's, the
  // catalog joins them. The 3rd has spend the bill has no line for; the 4th is past the bill.
  spend.rows = {{"openai", "2026-11-01", "gpt-4o-2024-08-06", "0.75"},
                {"openai", "2026-11-01", "gpt-4o-mini", "0.036"},
                {"openai", "2026-11-02", "gpt-4o-2024-08-06", "0.75"},
                {"openai", "2026-11-03", "gpt-4o", "0.02", 2},
                {"openai", "2026-11-04", "gpt-4o", "9"},
                {"anthropic", "2026-11-01", "claude-sonnet-4-5", "5"}};
  ReconcileOptions o;
  o.by = {ReconcileKey::kDay, ReconcileKey::kModel};
  auto r = reconcile(bill, spend.fn(), pricing::Catalog::builtin(), o);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  ASSERT_EQ(spend.asked.size(), 1u);
  EXPECT_EQ(spend.asked[0].filters.at(0).text(), "provider=openai");
  EXPECT_EQ(*spend.asked[0].from, day_of("2026-11-01"));
  EXPECT_EQ(*spend.asked[0].to, day_of("2026-11-04"));
  struct Want {
    std::vector<std::string> keys;
    const char *billed, *computed, *difference, *percent;
    bool off;
  };
  const std::vector<Want> want = {
      {{"2026-11-01", "gpt-4o-2024-08-06"}, "0.75", "0.75", "0", "0", false},
      {{"2026-11-01", "gpt-4o-mini-2024-07-18"}, "0.042", "0.036", "-0.006", "-14.29", false},
      {{"2026-11-01", "web search tool calls"}, "0.05", "0", "-0.05", "-100", true},
      {{"2026-11-02", "gpt-4o-2024-08-06"}, "1", "0.75", "-0.25", "-25", true},
      {{"2026-11-03", "gpt-4o"}, "0", "0.02", "0.02", "", true},
  };
  ASSERT_EQ(r->rows.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const ReconcileRow& row = r->rows[i];
    EXPECT_EQ(row.keys, want[i].keys) << i;
    EXPECT_EQ(row.billed.to_string(), want[i].billed) << i;
    EXPECT_EQ(row.computed.to_string(), want[i].computed) << i;
    EXPECT_EQ(row.difference().to_string(), want[i].difference) << i;
    EXPECT_EQ(row.percent ? row.percent->to_string() : "", want[i].percent) << i;
    EXPECT_EQ(row.off, want[i].off) << i;
  }
  EXPECT_EQ(r->rows[0].bill_lines, 2u);
  EXPECT_EQ(r->rows[4].records, 2u);
  EXPECT_EQ(r->off, 3u);
  ASSERT_EQ(r->totals.size(), 1u);
  EXPECT_EQ(r->totals[0].billed.to_string(), "1.842");
  EXPECT_EQ(r->totals[0].computed.to_string(), "1.556");
  EXPECT_EQ(r->totals[0].percent->to_string(), "-15.53");
  EXPECT_TRUE(r->totals[0].off);
  EXPECT_EQ(r->currency, "USD");
  EXPECT_TRUE(r->notes.empty());

  // The same pages again (files whose dates overlap) count once; a day's bucket with other lines
  // (its rows split over two pages) adds up.
  Bill twice = bill;
  twice.append(bill);
  Bill extra;
  extra.buckets = {bucket("openai", "2026-11-02")};
  extra.lines = {line("openai", "2026-11-02", "0.25", "gpt-4o-2024-08-06")};
  twice.append(extra);
  auto again = reconcile(twice, spend.fn(), pricing::Catalog::builtin(), o);
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(again->rows.size(), r->rows.size());
  EXPECT_EQ(again->rows[0].billed.to_string(), "0.75");
  EXPECT_EQ(again->rows[3].billed.to_string(), "1.25");
  EXPECT_EQ(again->rows[3].bill_lines, 2u);
  EXPECT_EQ(again->notes,
            (std::vector<std::string>{
                "the openai bill gives the bucket of 2026-11-01 again with the same lines "
                "(bill:2026-11-01 and bill:2026-11-01): counted once",
                "the openai bill gives the bucket of 2026-11-02 again with the same lines "
                "(bill:2026-11-02 and bill:2026-11-02): counted once",
                "the openai bill gives the bucket of 2026-11-02 again with other lines "
                "(bill:2026-11-02 and bill:2026-11-02): they are added up, as rows of one day "
                "split over pages; a day fetched twice grouped differently counts twice",
                "the openai bill gives the bucket of 2026-11-03 again with the same lines "
                "(bill:2026-11-03 and bill:2026-11-03): counted once"}));

  // Per day only; a wider tolerance.
  o.by = {ReconcileKey::kDay};
  o.tolerance_percent = Decimal::from_int(30);
  r = reconcile(bill, spend.fn(), pricing::Catalog::builtin(), o);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(r->rows[0].billed.to_string(), "0.842");
  EXPECT_EQ(r->rows[0].computed.to_string(), "0.786");
  EXPECT_FALSE(r->rows[0].off);  // -6.65%
  EXPECT_FALSE(r->rows[1].off);  // -25%
  EXPECT_TRUE(r->rows[2].off);   // nothing billed, 0.02 computed
}

TEST(ReconcileTest, NotesAndErrors) {
  Bill bill;
  bill.buckets = {bucket("anthropic", "2026-11-01"), bucket("anthropic", "2026-11-03")};
  bill.buckets[1].rejected = 1;
  bill.lines = {line("anthropic", "2026-11-01", "1.5", "claude-sonnet-4-5-20250929")};
  link(bill);
  FakeSpend spend;
  spend.rows = {{"anthropic", "2026-11-01", "claude-sonnet-4-5", "1.2", 3, 1},
                {"anthropic", "2026-11-02", "claude-sonnet-4-5", "7", 4}};
  auto r = reconcile(bill, spend.fn(), pricing::Catalog::builtin(), {});
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].unpriced, 1u);
  EXPECT_EQ(r->notes,
            (std::vector<std::string>{
                "1 day of the anthropic bill had rows that were rejected: its billed amounts "
                "there leave them out",
                "4 stored records of anthropic fall on days between the bill's first and last "
                "that it has no bucket for, and are left out",
                "1 stored record of anthropic on the bill's days has no price and counts as "
                "nothing in the computed spend (cost-ops reprice prices them once the catalog has "
                "their models)"}));
  // By model, the bill's name and the store's meet in the catalog's model.
  ReconcileOptions o;
  o.by = {ReconcileKey::kModel};
  r = reconcile(bill, spend.fn(), pricing::Catalog::builtin(), o);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->rows[0].keys[0], "claude-sonnet-4-5-20250929");
  EXPECT_EQ(r->rows[0].difference().to_string(), "-0.3");

  // Filters go to the store beside the provider; a bill without stored spend says so.
  o.filters = {Filter::parse("project=p1").value()};
  spend.asked.clear();
  r = reconcile(bill, spend.fn(), pricing::Catalog::builtin(), o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(filters_text(spend.asked.at(0).filters), "provider=anthropic, project=p1");
  spend.rows.clear();
  r = reconcile(bill, spend.fn(), pricing::Catalog::builtin(), o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->notes.at(0),
            "no stored record of anthropic that passes the filters falls on the bill's 2 days "
            "(2026-11-01 to 2026-11-03): ingest the usage of those days first");
  o.filters.clear();

  // A key the bill has no values of.
  o.by = {ReconcileKey::kProject};
  EXPECT_EQ(reconcile(bill, spend.fn(), pricing::Catalog::builtin(), o).status().message(),
            "the anthropic bill names no workspace: fetch its cost report grouped by "
            "workspace_id, or reconcile without the project key");
  // A bucket of an hour.
  Bill hourly = bill;
  hourly.buckets[0].end = hourly.buckets[0].start + std::chrono::hours(1);
  EXPECT_EQ(reconcile(hourly, spend.fn(), pricing::Catalog::builtin(), {}).status().message(),
            "bill:2026-11-01: the bucket from 2026-11-01T00:00:00Z to 2026-11-01T01:00:00Z is not "
            "one UTC day: fetch the cost report with daily buckets (bucket_width=1d)");
  // Two currencies.
  Bill mixed = bill;
  mixed.lines.push_back(line("anthropic", "2026-11-03", "2", ""));
  link(mixed);
  mixed.lines.back().currency = "EUR";
  EXPECT_EQ(reconcile(mixed, spend.fn(), pricing::Catalog::builtin(), {}).status().message(),
            "bill:2026-11-03: an amount in EUR, where the bill's first is in USD: reconcile one "
            "currency at a time");
  EXPECT_EQ(parse_reconcile_keys("model, day").value(),
            (std::vector<ReconcileKey>{ReconcileKey::kModel, ReconcileKey::kDay}));
  EXPECT_TRUE(parse_reconcile_keys("").value().empty());
  EXPECT_EQ(parse_reconcile_keys("week").status().message(),
            "unknown key \"week\": expected day, model or project");
}

}  // namespace
}  // namespace costops::engine

namespace costops::ingest {
namespace {

TEST(BillReaderTest, OpenAiAndAnthropicCostReports) {
  BillRead r = read_bill(
      testing::read_file(testing::source_path("tests/testdata/cost_report_openai.json")), "o.json");
  EXPECT_TRUE(r.rejects.empty());
  EXPECT_EQ(r.rows, 7u);
  ASSERT_EQ(r.bill.buckets.size(), 3u);
  EXPECT_EQ(r.bill.buckets[2].provider, "openai");  // an empty bucket: a day without charges
  EXPECT_EQ(format_timestamp(r.bill.buckets[2].start), "2026-11-03T00:00:00Z");
  ASSERT_EQ(r.bill.lines.size(), 7u);
  const engine::BillLine& l = r.bill.lines[2];
  EXPECT_EQ(l.provider, "openai");
  EXPECT_EQ(l.amount.to_string(), "0.036");
  EXPECT_EQ(l.currency, "USD");
  EXPECT_EQ(l.model, "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(l.item, "gpt-4o-mini-2024-07-18, input");
  EXPECT_EQ(l.where, "o.json:1: data[0].results[2]");
  EXPECT_EQ(r.bill.lines[4].model, "web search tool calls");

  r = read_bill(
      testing::read_file(testing::source_path("tests/testdata/cost_report_anthropic.jsonl")),
      "a.jsonl");
  EXPECT_TRUE(r.rejects.empty());
  ASSERT_EQ(r.bill.buckets.size(), 2u);
  ASSERT_EQ(r.bill.lines.size(), 3u);
  EXPECT_EQ(r.bill.lines[0].amount.to_string(), "0.3");  // 30 cents
  EXPECT_EQ(r.bill.lines[0].model, "claude-sonnet-4-20250514");
  EXPECT_EQ(r.bill.lines[2].model, "");
  EXPECT_EQ(r.bill.lines[2].item, "Web Search");
  EXPECT_EQ(r.bill.lines[2].amount.to_string(), "0.01");
  EXPECT_EQ(r.bill.buckets[1].where, "a.jsonl:2: data[0]");

  // An amount beyond Decimal's range (about 1.7e14) is rejected, never wrapped (fuzz_bill found
  // Decimal::from_int overflow on it; catalogs' integer prices took the same path).
  r = read_bill(
      R"({"data":[{"start_time":1793491200,"results":[{"amount":{"value":5678901234567891}}]}]})",
      "big.json");
  EXPECT_TRUE(r.bill.lines.empty());
  EXPECT_EQ(r.rejected_rows, 1u);
}

TEST(BillReaderTest, EveryRowIsALineOrRejected) {
  // A list of pages; a bucket without an end (a day), its start as text; an amount of more digits
  // than a double holds; an Anthropic amount in fractional cents; then rows and pages that are no
  // bill's, and JSON cut short.
  const std::string text = R"([{"data": [{"start_time": "1793491200", "results": [
    {"amount": {"value": 0.12345678901234567891, "currency": "usd"}, "line_item": "o1, output", "project_id": "proj_1"},
    {"amount": {"value": true}},
    {"object": "organization.usage.completions.result", "input_tokens": 5, "model": "gpt-4o"}]}]},
  {"error": {"message": "invalid admin key"}},
  {"data": [{"starting_at": "2026-11-01T00:00:00Z", "results": [{"amount": "0.0001", "currency": "USD", "model": "claude-opus-4-1", "workspace_id": "wrkspc_1"}]},
            {"starting_at": "yesterday", "results": [{"amount": "1"}, {"amount": "2"}]}]}]
{"data": [{"start_time": 1793491200, "results": [{"amount": {"value": 1.5)";
  const BillRead r = read_bill(text, "b.json");
  ASSERT_EQ(r.bill.lines.size(), 2u);
  EXPECT_EQ(r.bill.lines[0].amount.to_string(), "0.12345678901234567891");  // no double
  EXPECT_EQ(r.bill.lines[0].project, "proj_1");
  EXPECT_EQ(r.bill.lines[0].model, "o1");
  EXPECT_EQ(r.bill.lines[0].end - r.bill.lines[0].start, std::chrono::days(1));
  EXPECT_EQ(r.bill.lines[1].amount.to_string(), "0.000001");
  EXPECT_EQ(r.bill.lines[1].project, "wrkspc_1");
  EXPECT_EQ(r.bill.buckets[0].rejected, 2u);
  std::vector<std::string> reasons;
  for (const Reject& j : r.rejects)
    reasons.push_back(j.source + ":" + std::to_string(j.line) + ": " + j.reason);
  EXPECT_EQ(
      reasons,
      (std::vector<std::string>{
          "b.json:1: [0].data[0].results[1]: field \"amount\": expected {\"value\": a number, "
          "\"currency\": \"usd\"}, got {\"value\":true}",
          "b.json:1: [0].data[0].results[2]: a usage report's row, not a cost: ingest usage with "
          "cost-ops ingest, and reconcile the cost report (/v1/organization/costs, "
          "/v1/organizations/cost_report)",
          "b.json:1: [1]: an API error response, not a cost report: invalid admin key",
          "b.json:1: [2].data[1].results[0]: the bucket's field \"starting_at\": expected its "
          "start, got \"yesterday\"",
          "b.json:1: [2].data[1].results[1]: the bucket's field \"starting_at\": expected its "
          "start, got \"yesterday\"",
          "b.json:8: invalid JSON: syntax error while parsing object - unexpected end of input; "
          "expected '}'; the rest of the input, from this line on, is not read"}));
  // Rows: 3 + 1 + 2 in the first document, none read of the cut one; each a line or rejected.
  EXPECT_EQ(r.rows, 6u);
  EXPECT_EQ(r.rejected_rows, 4u);
  EXPECT_EQ(r.rows, r.bill.lines.size() + r.rejected_rows);
}

}  // namespace
}  // namespace costops::ingest

namespace costops::engine {
namespace {

using std::chrono::sys_days;

sys_days ymd(int y, unsigned m, unsigned d) {
  return sys_days(std::chrono::year_month_day{std::chrono::year(y), std::chrono::month(m),
                                              std::chrono::day(d)});
}
Currency cur(const char* code) { return *Currency::parse(code); }
Decimal num(const char* s) { return *Decimal::parse(s); }

// The ECB's file as it publishes it: newest first, a column per currency (units per euro), N/A
// where a currency has no rate, a comma after the last column.
constexpr std::string_view kEcb =
    "Date,USD,JPY,GBP,CYP,\n"
    "2026-11-06,1.0500,162.8,0.8500,N/A,\n"
    "2026-11-05,1.0400,161.0,0.8400,N/A,\n";

TEST(ExchangeTest, ReadsTheEcbsTableAndConvertsAtTheDaysRateExactly) {
  auto r = ExchangeRates::parse_csv(kEcb, "eurofxref-hist.csv");
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  // 10 USD on Friday 6 November at 1.05 per euro: divided, rounded half-even at 24 places.
  auto c = r->convert(num("10"), cur("USD"), cur("EUR"), ymd(2026, 11, 6));
  ASSERT_TRUE(c.has_value()) << c.status().to_string();
  EXPECT_EQ(c->amount.to_string(), "9.52380952380952380952381");
  EXPECT_EQ(c->rate_day, ymd(2026, 11, 6));
  // Sunday takes Friday's rate; the day before takes Thursday's.
  c = r->convert(num("3"), cur("USD"), cur("EUR"), ymd(2026, 11, 8));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "2.857142857142857142857143");
  EXPECT_EQ(c->rate_day, ymd(2026, 11, 6));
  c = r->convert(num("3"), cur("USD"), cur("EUR"), ymd(2026, 11, 5));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "2.884615384615384615384615");
  // Euros into yen multiply; dollars into pounds go through the euro.
  c = r->convert(num("0.5"), cur("EUR"), cur("JPY"), ymd(2026, 11, 6));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "81.4");
  c = r->convert(num("10"), cur("USD"), cur("GBP"), ymd(2026, 11, 6));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "8.095238095238095238095238");
  // A day before the table, a currency it has no rate of (N/A everywhere), named.
  c = r->convert(num("1"), cur("USD"), cur("EUR"), ymd(2026, 11, 4));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.status().message(),
            "no rate from USD to EUR on or before 2026-11-04 in eurofxref-hist.csv (its USD "
            "rates begin on 2026-11-05)");
  c = r->convert(num("1"), cur("CYP"), cur("EUR"), ymd(2026, 11, 6));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.status().message(),
            "no rate from CYP to EUR on or before 2026-11-06 in eurofxref-hist.csv (it has no "
            "CYP rate)");
  // The ECB's file of one day: spaces after the commas, the date written out.
  r = ExchangeRates::parse_csv("Date, USD, JPY, \n06 November 2026, 1.0500, 162.80, \n",
                               "eurofxref.csv");
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  c = r->convert(num("2.1"), cur("USD"), cur("EUR"), ymd(2026, 11, 9));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "2");
}

TEST(ExchangeTest, ReadsARateARowWithOrWithoutDays) {
  // (A ';'-separated file may write its decimal mark as a comma.)
  auto r = ExchangeRates::parse_csv(
      "date;from;to;rate\n2026-11-01;USD;EUR;0,92\n2026-11-15;usd;eur;0.9\n", "rates.csv");
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  auto c = r->convert(num("1.25"), cur("USD"), cur("EUR"), ymd(2026, 11, 14));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "1.15");
  c = r->convert(num("1.25"), cur("USD"), cur("EUR"), ymd(2026, 11, 15));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "1.125");
  // The other way round divides.
  c = r->convert(num("0.9"), cur("EUR"), cur("USD"), ymd(2026, 12, 1));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "1");
  // 16 days after the last rate, the table's two rates 14 days apart: stale.
  EXPECT_TRUE(c->stale);
  // A table of a rate a month goes a month between rates: its last is stale only past that.
  r = ExchangeRates::parse_csv(
      "date,from,to,rate\n2026-10-01,USD,EUR,0.9\n2026-08-01,USD,EUR,0.92\n"
      "2026-09-01,USD,EUR,0.91\n",
      "monthly.csv");
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_FALSE(r->convert(num("1"), cur("USD"), cur("EUR"), ymd(2026, 9, 30))->stale);
  EXPECT_FALSE(r->convert(num("1"), cur("USD"), cur("EUR"), ymd(2026, 11, 1))->stale);
  EXPECT_TRUE(r->convert(num("1"), cur("USD"), cur("EUR"), ymd(2026, 11, 2))->stale);
  // Without a date column, a rate holds on every day; rates added one by one too.
  r = ExchangeRates::parse_csv("base,quote,rate\nUSD,GBP,0.79\n", "fixed.csv");
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  c = r->convert(num("100"), cur("USD"), cur("GBP"), ymd(1990, 1, 1));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->amount.to_string(), "79");
  EXPECT_EQ(c->rate_day, ymd(1990, 1, 1));
  ExchangeRates one;
  ASSERT_TRUE(one.add(cur("USD"), cur("CHF"), num("0.8")).is_ok());
  EXPECT_EQ(one.add(cur("USD"), cur("CHF"), num("0.81")).message(),
            "a second rate from USD to CHF for every day");
  EXPECT_EQ(one.add(cur("USD"), cur("USD"), num("1")).message(), "a rate from USD to itself");
  EXPECT_EQ(one.add(cur("USD"), cur("SEK"), num("0")).message(),
            "the rate from USD to SEK, 0, is not positive");
}

TEST(ExchangeTest, BadTablesNameTheFileLineAndField) {
  auto err = [](std::string_view text) {
    auto r = ExchangeRates::parse_csv(text, "r.csv");
    return r.has_value() ? std::string("parsed") : r.status().message();
  };
  EXPECT_EQ(err(""),
            "r.csv: empty file; expected a header of from, to and rate columns (and a "
            "date column for rates that change by day), or the European Central Bank's "
            "Date,USD,JPY,...");
  EXPECT_EQ(err("day,value\n2026-01-01,1\n").substr(0, 29), "r.csv:1: expected a header of");
  EXPECT_EQ(err("from,to,rate\nUSD,EUR,-0.9\n"),
            "r.csv:2: field \"rate\": a rate must be positive, got \"-0.9\"");
  EXPECT_EQ(err("from,to,rate\nUSD,EURO,0.9\n"),
            "r.csv:2: field \"to\": currency code must have 3 letters, got \"EURO\"");
  EXPECT_EQ(err("Date,USD\n2026-13-01,1.05\n"),
            "r.csv:2: field \"Date\": expected a date YYYY-MM-DD, got \"2026-13-01\"");
  EXPECT_EQ(err("Date,USD\n2026-11-02,1,05\n2026-11-02,1.1\n"),
            "r.csv:3: a second rate from EUR to USD for 2026-11-02");
  EXPECT_EQ(err("Date,USD\n2026-11-02,one\n").substr(0, 24), "r.csv:2: field \"USD\": ex");
  EXPECT_EQ(err("Date,USD\n2026-11-02,N/A\n"), "r.csv: no rate in it");
  // A table per dollar is not the ECB's: its euro column gives it away.
  EXPECT_EQ(err("Date,EUR,GBP\n2026-11-02,0.92,0.79\n"),
            "r.csv:2: field \"EUR\": a column per currency holds its units per euro (the ECB's "
            "table), so the euro's own is 1, not \"0.92\"; rates against another currency go in "
            "from,to,rate columns");
  EXPECT_EQ(err("Date,EUR,USD\n2026-11-02,1,1.05\n"), "parsed");
}

// The ECB's XML (eurofxref-daily.xml, eurofxref-hist.xml): a Cube per day, newest first, in it a
// Cube per currency; told from a CSV by its '<'. Bad cubes name the line and attribute.
TEST(ExchangeTest, ReadsTheEcbsXml) {
  constexpr std::string_view kXml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" "
      "xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n"
      "\t<gesmes:subject>Reference rates</gesmes:subject>\n"
      "\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n"
      "\t</gesmes:Sender>\n"
      "\t<Cube>\n"
      "\t\t<Cube time='2026-11-06'>\n"
      "\t\t\t<Cube currency='USD' rate='1.0500'/>\n"
      "\t\t\t<Cube currency='JPY' rate='162.8'/>\n"
      "\t\t\t<Cube currency='GBP' rate='0.8500'/>\n"
      "\t\t</Cube>\n"
      "\t\t<Cube time=\"2026-11-05\">\n"
      "\t\t\t<Cube currency=\"USD\" rate=\"1.0400\"/>\n"
      "\t\t\t<Cube currency='JPY' rate='161.0'/>\n"
      "\t\t\t<Cube currency='GBP' rate='0.8400' />\n"
      "\t\t</Cube>\n"
      "\t</Cube>\n"
      "</gesmes:Envelope>\n";
  auto xml = ExchangeRates::parse(kXml, "eurofxref-hist.xml");
  ASSERT_TRUE(xml.has_value()) << xml.status().to_string();
  // The same rates as the CSV table's (ReadsTheEcbsTableAndConvertsAtTheDaysRateExactly), on
  // every day from before the first to after the last, every way round.
  auto csv = ExchangeRates::parse_csv(kEcb, "eurofxref-hist.xml");
  ASSERT_TRUE(csv.has_value());
  for (unsigned day = 4; day <= 9; ++day) {
    for (const auto& [from, to] : {std::pair{"USD", "EUR"}, std::pair{"EUR", "JPY"},
                                   std::pair{"USD", "GBP"}, std::pair{"GBP", "USD"}}) {
      auto x = xml->convert(num("10"), cur(from), cur(to), ymd(2026, 11, day));
      auto c = csv->convert(num("10"), cur(from), cur(to), ymd(2026, 11, day));
      ASSERT_EQ(x.has_value(), c.has_value()) << from << to << day;
      if (!x) {
        EXPECT_EQ(x.status().message(), c.status().message());
        continue;
      }
      EXPECT_EQ(x->amount, c->amount) << from << to << day;
      EXPECT_EQ(x->rate_day, c->rate_day) << from << to << day;
    }
  }

  auto err = [](std::string_view text) {
    auto parsed = ExchangeRates::parse(text, "r.xml");
    return parsed.has_value() ? std::string("parsed") : parsed.status().message();
  };
  EXPECT_EQ(err("<Cube>\n<Cube time='2026-11-06'>\n<Cube currency='USD' rate='1,05'/>"),
            "r.xml:3: attribute \"rate\": expected a decimal number, got \"1,05\"");
  EXPECT_EQ(err("<Cube time='2026-11-06'>\n\n<Cube currency='USD' rate='0'/>"),
            "r.xml:3: attribute \"rate\": a rate must be positive, got \"0\"");
  EXPECT_EQ(err("<Cube time='2026-11-31'><Cube currency='USD' rate='1'/></Cube>"),
            "r.xml:1: attribute \"time\": expected a date YYYY-MM-DD, got \"2026-11-31\"");
  EXPECT_EQ(err("<Cube time='2026-11-06'><Cube currency='US' rate='1'/></Cube>"),
            "r.xml:1: attribute \"currency\": currency code must have 3 letters, got \"US\"");
  EXPECT_EQ(err("<Cube time='2026-11-06'>\n<Cube currency='USD'/></Cube>"),
            "r.xml:2: a Cube with a currency but no rate attribute");
  EXPECT_EQ(err("<Cube time='2026-11-06'></Cube>\n<Cube currency='USD' rate='1.05'/>"),
            "r.xml:2: a rate outside a day's <Cube time='YYYY-MM-DD'>");
  EXPECT_EQ(err("<Cube time='2026-11-06'><Cube currency='EUR' rate='1.05'/>"),
            "r.xml:1: attribute \"rate\": the euro's own rate per euro is 1, not \"1.05\"");
  EXPECT_EQ(err("<Cube time='2026-11-06'><Cube currency='USD' rate='1.05'/></Cube>"
                "\n<Cube time='2026-11-06'><Cube currency='USD' rate='1.06'/></Cube>"),
            "r.xml:2: a second rate from EUR to USD for 2026-11-06");
  EXPECT_EQ(err("<Cube time='2026-11-06'><Cube currency='USD rate='1.05'/>"),
            "r.xml:1: a Cube tag's attribute is not name='value': \"Cube currency='USD "
            "rate='1.05'/\"");
  EXPECT_EQ(err("<Cube time='2026-11-06'"), "r.xml:1: a tag without its '>'");
  EXPECT_EQ(err("<Cube><Cube time='2026-11-06'/></Cube>"), "r.xml: no rate in it");
  EXPECT_EQ(err("<html>maintenance</html>"),
            "r.xml: expected the European Central Bank's XML of euro reference rates (<Cube "
            "time='YYYY-MM-DD'> days of <Cube currency='USD' rate='...'/>), or a CSV file of "
            "rates");
  // A CSV is still a CSV.
  EXPECT_EQ(err("\xef\xbb\xbf from,to,rate\nUSD,EUR,0.9\n"), "parsed");
}

// An Aggregator made to sums each cost's input, output and other parts; converted into one
// currency, the parts are converted as the cost is.
TEST(ExchangeTest, AnAggregatorSumsTheCostsPartsWhenMadeToAndTheyAreConverted) {
  std::vector<PricedRecord> recs;
  auto add = [&](const char* day, const char* in, const char* out, const char* total,
                 const char* currency) {
    PricedRecord r;
    r.usage.model = "a";
    r.usage.timestamp = *parse_timestamp(std::string(day) + "T12:00:00Z");
    r.usage.has_timestamp = true;
    CostRecord c;
    c.input_cost = Money{num(in), cur(currency)};
    c.output_cost = Money{num(out), cur(currency)};
    c.total_cost = Money{num(total), cur(currency)};
    r.cost = c;
    recs.push_back(r);
  };
  add("2026-11-05", "1.04", "2.08", "3.12", "USD");
  add("2026-11-06", "0.5", "0.25", "0.775", "EUR");  // 0.025 of neither direction
  add("2026-11-06", "0.000000000000000000000001", "0", "0.000000000000000000000001", "EUR");
  AggregateQuery q;
  Aggregator plain(q);
  for (const auto& r : recs) ASSERT_TRUE(plain.add(r).is_ok());
  EXPECT_TRUE(plain.rows().at(0).input_cost.empty());
  const AggregateFn split = [&](const AggregateQuery& query) -> Result<std::vector<AggregateRow>> {
    Aggregator a(query, {.split = true});
    for (const auto& r : recs) COSTOPS_RETURN_IF_ERROR(a.add(r));
    return a.rows();
  };
  auto rows = split(q);
  ASSERT_TRUE(rows.has_value());
  const AggregateRow& row = rows->at(0);
  EXPECT_EQ(money(row.input_cost), "0.500000000000000000000001 EUR 1.04 USD");
  EXPECT_EQ(money(row.output_cost), "0.25 EUR 2.08 USD");
  EXPECT_EQ(money(row.other_cost), "0.025 EUR 0 USD");
  // In euros (1.04 dollars a euro on the 5th): the parts still add up to the cost.
  auto rates = ExchangeRates::parse_csv(kEcb, "ecb.csv");
  ASSERT_TRUE(rates.has_value());
  CurrencyConverter conv(std::make_shared<ExchangeRates>(*rates), cur("EUR"));
  rows = conv.aggregate(split, q);
  ASSERT_TRUE(rows.has_value()) << rows.status().to_string();
  EXPECT_EQ(money(rows->at(0).cost), "3.775000000000000000000001 EUR");
  EXPECT_EQ(money(rows->at(0).input_cost), "1.500000000000000000000001 EUR");
  EXPECT_EQ(money(rows->at(0).output_cost), "2.25 EUR");
  EXPECT_EQ(money(rows->at(0).other_cost), "0.025 EUR");
}

// Records of three days in dollars and euros, read back in euros.
TEST(ExchangeTest, ConvertsAggregatesDayByDayAndSumsThemBack) {
  std::vector<PricedRecord> recs;
  auto add = [&](const char* day, const char* model, const char* amount, const char* currency) {
    PricedRecord r;
    r.usage.model = model;
    r.usage.provider = "openai";
    r.usage.timestamp = *parse_timestamp(std::string(day) + "T12:00:00Z");
    r.usage.has_timestamp = true;
    CostRecord c;
    c.total_cost = Money{num(amount), cur(currency)};
    r.cost = c;
    recs.push_back(r);
  };
  add("2026-11-05", "a", "3", "USD");
  add("2026-11-06", "a", "10", "USD");
  add("2026-11-06", "b", "1", "EUR");
  add("2026-11-08", "b", "2.1", "USD");
  PricedRecord unpriced = recs.back();
  unpriced.cost.reset();
  recs.push_back(unpriced);
  auto rates = ExchangeRates::parse_csv(kEcb, "ecb.csv");
  ASSERT_TRUE(rates.has_value());
  CurrencyConverter conv(std::make_shared<ExchangeRates>(*rates), cur("EUR"));
  const AggregateFn source = [&](const AggregateQuery& q) { return Aggregator::run(q, recs); };
  const AggregateFn in_euros = conv.wrap(source);
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("model")};
  auto rows = in_euros(q);
  ASSERT_TRUE(rows.has_value()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 2u);
  // a: 3 / 1.04 + 10 / 1.05; b: 1 EUR + 2.1 / 1.05 (Sunday at Friday's rate), one unpriced.
  EXPECT_EQ(rows->at(0).keys, std::vector<std::string>{"a"});
  EXPECT_EQ(money(rows->at(0).cost), "12.408424908424908424908425 EUR");
  EXPECT_EQ(rows->at(0).records, 2u);
  EXPECT_EQ(money(rows->at(1).cost), "3 EUR");
  EXPECT_EQ(rows->at(1).records, 3u);
  EXPECT_EQ(rows->at(1).unpriced, 1u);
  // A query by day is converted as it is; the total likewise; nothing stale within a week.
  q.group_by = {*GroupKey::parse("day")};
  rows = in_euros(q);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ(money(rows->at(1).cost), "10.52380952380952380952381 EUR");
  q.group_by.clear();
  rows = in_euros(q);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(money(rows->at(0).cost), "15.408424908424908424908425 EUR");
  EXPECT_EQ(rows->at(0).records, 5u);
  EXPECT_TRUE(conv.stale().empty());
  // Nothing selected gives what the source gives.
  q.from = *parse_timestamp("2027-01-01");
  EXPECT_EQ(in_euros(q).value().size(), source(q).value().size());
  // In dollars, at the same rates: the dollar rows as they were, the euro multiplied.
  CurrencyConverter dollars(std::make_shared<ExchangeRates>(*rates), cur("USD"));
  q = {};
  q.group_by = {*GroupKey::parse("model"), *GroupKey::parse("month")};
  rows = dollars.aggregate(source, q);
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(money(rows->at(0).cost), "13 USD");
  EXPECT_EQ(money(rows->at(1).cost), "3.15 USD");
  // Spend two weeks after the table's last rate is converted at it, and said to be stale.
  add("2026-11-20", "a", "1.05", "USD");
  rows = in_euros(q);
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(money(rows->at(0).cost), "13.408424908424908424908425 EUR");
  ASSERT_EQ(conv.stale().size(), 1u);
  EXPECT_EQ(conv.stale()[0].from, cur("USD"));
  EXPECT_EQ(conv.stale()[0].day, ymd(2026, 11, 20));
  EXPECT_EQ(conv.stale()[0].rate_day, ymd(2026, 11, 6));
  // A currency without a rate is an error naming it.
  add("2026-11-06", "a", "1", "CHF");
  rows = in_euros(q);
  ASSERT_FALSE(rows.has_value());
  EXPECT_EQ(rows.status().message(),
            "no rate from CHF to EUR on or before 2026-11-06 in ecb.csv (it has no CHF rate)");
}

}  // namespace
}  // namespace costops::engine
