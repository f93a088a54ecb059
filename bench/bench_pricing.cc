// Micro-benchmarks of the pricing hot path (Google Benchmark). Run:
//   build/release/bench/costops_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "costops/engine/cost_calculator.h"
#include "costops/engine/normalizer.h"
#include "costops/ingest/price_stream.h"
#include "costops/ingest/record_json.h"
#include "costops/pricing/catalog.h"

namespace {

using namespace costops;

const Timestamp kAt = *parse_timestamp("2026-08-21T12:00:00Z");

Usage typical_usage() {
  Usage u;
  u.set(units::kInputTokens, 5200);
  u.set(units::kCacheReadTokens, 2600);
  u.set(units::kOutputTokens, 700);
  return u;
}

// Price already resolved: the calculator alone.
void BM_PriceResolved(benchmark::State& state, const char* provider, const char* model) {
  const auto& cat = pricing::Catalog::builtin();
  auto ref = cat.resolve(provider, model);
  const auto sel = pricing::Catalog::select(*ref->model, kAt, "", false);
  Usage u = typical_usage();
  engine::PriceResult r;
  for (auto _ : state) {
    benchmark::DoNotOptimize(u);
    Status st = engine::CostCalculator::price(*sel.prices, u, &r);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK_CAPTURE(BM_PriceResolved, gpt_4o, "openai", "gpt-4o");
BENCHMARK_CAPTURE(BM_PriceResolved, claude_sonnet_4_5_tiered, "anthropic", "claude-sonnet-4-5");

// Provider + model resolution from names (repeat lookups hit the cache), selection, pricing.
void BM_PriceWithResolution(benchmark::State& state) {
  const auto& cat = pricing::Catalog::builtin();
  const std::string providers[] = {"openai", "anthropic", "google", "openai"};
  const std::string models[] = {"gpt-4o-2024-08-06", "claude-sonnet-4-5", "gemini-2.5-flash",
                                "gpt-4o-mini"};
  Usage u = typical_usage();
  engine::PriceResult r;
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ & 3;
    auto ref = cat.resolve(providers[k], models[k]);
    const auto sel = pricing::Catalog::select(*ref->model, kAt, "", false);
    Status st = engine::CostCalculator::price(*sel.prices, u, &r);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_PriceWithResolution);

// First lookup of a name (what the cache saves), each name new: /found, a name that is found
// (match rules over a provider's models: claude-sonnet-4-5's rule starts with its id); /unknown,
// a name no model has (every rule, the name's variants, and the closest names for the error; a
// log's unknown model pays this once).
void BM_ResolveUncached(benchmark::State& state, const char* provider, const char* prefix) {
  auto cat = pricing::Catalog::builtin_copy();
  size_t i = 0;
  for (auto _ : state) {
    auto ref = cat->resolve(provider, prefix + std::to_string(i++));
    benchmark::DoNotOptimize(ref);
  }
}
BENCHMARK_CAPTURE(BM_ResolveUncached, found, "anthropic", "claude-sonnet-4-5-");
BENCHMARK_CAPTURE(BM_ResolveUncached, unknown, "openai", "gpt-4o-mini-");

// Parsing + normalizing one JSON record.
void BM_ParseRecord(benchmark::State& state) {
  engine::Normalizer n(pricing::Catalog::builtin());
  ingest::RecordParser p(n);
  const std::string line =
      R"({"id":"req-000001","timestamp":"2026-08-01T07:05:14Z","provider":"openai","model":"gpt-4o","organization_id":"acme","project_id":"analytics","user_id":"user-16","tags":{"team":"team-data","env":"prod"},"usage":{"input_tokens":2965,"output_tokens":244,"cache_read_tokens":2308}})";
  std::string padded = line + std::string(ingest::RecordParser::padding(), ' ');
  for (auto _ : state) {
    auto r = p.parse_padded(std::string_view(padded.data(), line.size()));
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_ParseRecord);

// What a service pricing each response inline does: a provider's response body (Anthropic's
// message, as it returns it, wrapped in a record naming the provider) read by the provider's
// extractor and priced, reusing the parsed record and the cost's buffers.
void BM_PriceResponseBody(benchmark::State& state) {
  const auto& cat = pricing::Catalog::builtin();
  engine::Normalizer n(cat);
  ingest::RecordParser p(n);
  const std::string line =
      R"({"provider":"anthropic","body":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message",)"
      R"("role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text",)"
      R"("text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{)"
      R"("input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,)"
      R"("cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},)"
      R"("output_tokens":503,"service_tier":"standard"}}})";
  std::string padded = line + std::string(ingest::RecordParser::padding(), ' ');
  UsageRecord record;
  CostRecord cost;
  if (Status st = p.parse_padded_into(std::string_view(padded.data(), line.size()), &record);
      !st.is_ok() || !engine::CostCalculator::price_record_into(cat, record, kAt, &cost).is_ok() ||
      cost.total_cost.amount.to_string() != "0.01437") {
    state.SkipWithError("the body does not price as expected");
    return;
  }
  for (auto _ : state) {
    Status st = p.parse_padded_into(std::string_view(padded.data(), line.size()), &record);
    if (st.is_ok()) st = engine::CostCalculator::price_record_into(cat, record, kAt, &cost);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(cost);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_PriceResponseBody);

// The whole `price` pipeline on an in-memory JSONL stream: parse, normalize, price, format.
void BM_PriceStream(benchmark::State& state) {
  std::string input;
  const char* lines[] = {
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":2965,"output_tokens":244,"cache_read_tokens":2308}})",
      R"({"provider":"anthropic","model":"claude-sonnet-4-5","usage":{"input_tokens":5200,"output_tokens":700}})",
      R"({"provider":"google","model":"gemini-2.5-flash","usage":{"input_tokens":1352,"output_tokens":381,"output_reasoning_tokens":114}})",
      R"({"provider":"openai","model":"gpt-4o-mini","usage":{"input_tokens":1800,"output_tokens":250}})"};
  const int n = 10000;
  for (int i = 0; i < n; ++i) (input += lines[i % 4]) += '\n';
  ingest::PriceStreamOptions opt;
  opt.catalog = &pricing::Catalog::builtin();
  opt.as_of = kAt;
  std::string sink(8 << 20, '\0');
  for (auto _ : state) {
    std::FILE* in = fmemopen(input.data(), input.size(), "r");
    std::FILE* out = fmemopen(sink.data(), sink.size(), "w");
    auto st = ingest::price_jsonl(in, out, opt);
    benchmark::DoNotOptimize(st);
    std::fclose(in);
    std::fclose(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_PriceStream)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
