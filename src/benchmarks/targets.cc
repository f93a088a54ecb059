// The registered benchmark targets: each measures a module through its public API on real
// catalog prices and realistic records (generated deterministically, so any install can run them).
#include <atomic>
#include <cstdio>
#include <random>

#include "costops/benchmarks.h"
#include "costops/compression/codec.h"
#include "costops/domain/json_text.h"
#include "costops/engine/aggregator.h"
#include "costops/engine/cost_calculator.h"
#include "costops/forecasting/forecast.h"
#include "costops/ingest/ingest.h"
#include "costops/pricing/catalog.h"
#include "costops/report/report.h"
#include "costops/storage/store.h"

namespace costops::benchmarks {
namespace {

using json = nlohmann::json;

struct ModelMix {
  const char* provider;
  const char* model;
};
constexpr ModelMix kModels[] = {{"openai", "gpt-4o"},
                                {"openai", "gpt-4o-mini"},
                                {"anthropic", "claude-sonnet-4-5"},
                                {"anthropic", "claude-3-5-haiku-latest"},
                                {"google", "gemini-2.5-flash"},
                                {"deepseek", "deepseek-chat"}};

// `n` usage records over 30 days with realistic counts, ids starting at `first_id`.
std::vector<UsageRecord> make_records(size_t n, uint64_t first_id) {
  std::mt19937_64 rng(first_id * 7919 + 1);
  std::vector<UsageRecord> out(n);
  const Timestamp start = *parse_timestamp("2026-09-01T00:00:00Z");
  const char* projects[] = {"search", "support-bot", "code-review", "analytics"};
  for (size_t i = 0; i < n; ++i) {
    UsageRecord& r = out[i];
    const auto& m = kModels[rng() % 6];
    r.id = "bench-" + std::to_string(first_id + i);
    r.provider = m.provider;
    r.model = m.model;
    r.project_id = projects[rng() % 4];
    r.user_id = "user-" + std::to_string(rng() % 20);
    r.tags = {{"team", "team-" + std::to_string(rng() % 4)}};
    r.timestamp = start + std::chrono::seconds(static_cast<int64_t>(rng() % (30 * 86400)));
    r.has_timestamp = true;
    const int64_t in = 500 + static_cast<int64_t>(rng() % 6000);
    r.usage.set(units::kInputTokens, in);
    r.usage.set(units::kCacheReadTokens, in / 3);
    r.usage.set(units::kOutputTokens, 50 + static_cast<int64_t>(rng() % 800));
  }
  return out;
}

Result<std::vector<PricedRecord>> priced(const std::vector<UsageRecord>& records) {
  std::vector<PricedRecord> out;
  for (const auto& r : records) {
    auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), r, r.timestamp);
    if (!c) return c.status();
    out.push_back({r, std::move(*c), ""});
  }
  return out;
}

class CostCalculatorTarget final : public BenchTarget {
 public:
  std::string id() const override { return "cost_calculator"; }
  std::string description() const override {
    return "price one usage (gpt-4o with cache reads), price resolved";
  }
  Result<json> run(const RunOptions& o) override {
    auto ref = pricing::Catalog::builtin().resolve("openai", "gpt-4o");
    if (!ref) return ref.status();
    const auto sel =
        pricing::Catalog::select(*ref->model, *parse_timestamp("2026-09-01T00:00:00Z"), "", false);
    Usage u = make_records(1, 0)[0].usage;
    engine::PriceResult r;
    return measure(
        [&](uint64_t n) {
          bool ok = true;
          for (uint64_t i = 0; i < n; ++i)
            ok &= engine::CostCalculator::price(*sel.prices, u, &r).is_ok();
          return ok;
        },
        o, 0, "priced usage");
  }
};

class CatalogLookupTarget final : public BenchTarget {
 public:
  std::string id() const override { return "catalog_lookup"; }
  std::string description() const override {
    return "resolve provider and model names (repeat lookups), select prices";
  }
  Result<json> run(const RunOptions& o) override {
    const auto& cat = pricing::Catalog::builtin();
    const Timestamp at = *parse_timestamp("2026-09-01T00:00:00Z");
    size_t k = 0;
    return measure(
        [&](uint64_t n) {
          bool ok = true;
          for (uint64_t i = 0; i < n; ++i) {
            const auto& m = kModels[k++ % 6];
            auto ref = cat.resolve(m.provider, m.model);
            ok &= ref.has_value() &&
                  pricing::Catalog::select(*ref->model, at, "", false).prices != nullptr;
          }
          return ok;
        },
        o, 0, "lookup");
  }
};

class AggregatorTarget final : public BenchTarget {
 public:
  std::string id() const override { return "aggregator"; }
  std::string description() const override {
    return "1,000 cost records grouped by provider, model and day, in memory";
  }
  Result<json> run(const RunOptions& o) override {
    auto records = priced(make_records(1000, 0));
    if (!records) return records.status();
    AggregateQuery q;
    q.group_by = {*GroupKey::parse("provider"), *GroupKey::parse("model"), *GroupKey::parse("day")};
    return measure(
        [&](uint64_t n) {
          bool ok = true;
          for (uint64_t i = 0; i < n; ++i) ok &= engine::Aggregator::run(q, *records).has_value();
          return ok;
        },
        o, 0, "aggregation of 1,000 records");
  }
};

class StorageTarget final : public BenchTarget {
 public:
  std::string id() const override { return "storage"; }
  std::string description() const override {
    return "in-memory SQLite with the real migrations: insert 100 priced records, then a query by "
           "model";
  }
  Result<json> run(const RunOptions& o) override {
    auto store = storage::Store::open(":memory:");
    if (!store) return store.status();
    uint64_t next = 0;
    AggregateQuery q;
    q.group_by = {*GroupKey::parse("model")};
    return measure(
        [&](uint64_t n) {
          for (uint64_t i = 0; i < n; ++i) {
            auto batch = priced(make_records(100, next));
            next += 100;
            if (!batch || !(*store)->write(*batch) || !(*store)->aggregate(q)) return false;
          }
          return true;
        },
        o, 0, "100 inserts + 1 query");
  }
};

class IngestTarget final : public BenchTarget {
 public:
  std::string id() const override { return "ingest"; }
  std::string description() const override {
    return "end to end: 1,000 JSON Lines parsed, normalized, priced and stored (in-memory SQLite)";
  }
  Result<json> run(const RunOptions& o) override {
    auto store = storage::Store::open(":memory:");
    if (!store) return store.status();
    uint64_t next = 0;
    double bytes = 0;
    ingest::IngestOptions opt;
    opt.catalog = &pricing::Catalog::builtin();
    opt.format = ingest::InputFormat::kJsonl;
    auto sink = [&](std::span<const PricedRecord> b) -> Result<ingest::BatchResult> {
      auto w = (*store)->write(b);
      if (!w) return w.status();
      return ingest::BatchResult{w->stored, w->duplicates, w->unpriced};
    };
    auto lines = [&](uint64_t first) {
      std::string text;
      for (const auto& r : make_records(1000, first)) {
        text += "{\"id\":\"" + r.id + "\",\"timestamp\":\"" + format_timestamp(r.timestamp) +
                "\",\"provider\":\"" + r.provider + "\",\"model\":\"" + r.model +
                "\",\"project_id\":\"" + r.project_id + "\",\"usage\":";
        append_usage_json(text, r.usage);
        text += "}\n";
      }
      return text;
    };
    bytes = static_cast<double>(lines(0).size());
    return measure(
        [&](uint64_t n) {
          for (uint64_t i = 0; i < n; ++i) {
            std::string text = lines(next);
            next += 1000;
            std::FILE* f = fmemopen(text.data(), text.size(), "r");
            auto s = ingest::ingest_stream(f, "bench", opt, sink, [](const ingest::Reject&) {});
            std::fclose(f);
            if (!s || s->stored != 1000) return false;
          }
          return true;
        },
        o, bytes, "1,000 records");
  }
};

class QueryTarget final : public BenchTarget {
 public:
  std::string id() const override { return "query"; }
  std::string description() const override {
    return "group 10,000 stored records by project and tag:team over a period (records path, "
           "SQLite)";
  }
  Result<json> run(const RunOptions& o) override {
    auto store = storage::Store::open(":memory:");
    if (!store) return store.status();
    auto records = priced(make_records(10000, 0));
    if (!records) return records.status();
    if (auto w = (*store)->write(*records); !w) return w.status();
    AggregateQuery q;
    q.group_by = {*GroupKey::parse("project"), *GroupKey::parse("tag:team")};
    q.from = *parse_timestamp("2026-09-05T12:00:00Z");
    q.to = *parse_timestamp("2026-09-25T12:00:00Z");
    return measure(
        [&](uint64_t n) {
          bool ok = true;
          for (uint64_t i = 0; i < n; ++i) ok &= (*store)->aggregate(q).has_value();
          return ok;
        },
        o, 0, "query");
  }
};

// 100 days of spend shaped like real LLM spend: weekday/weekend cycle, growth, log-normal noise
// and one spike (the model of ../shared/data/series/llm_daily_spend_dev.csv), deterministic.
std::vector<double> daily_spend(size_t n) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.06);
  const double weekly[] = {1.149, 1.191, 1.170, 1.160, 1.085, 0.660, 0.585};
  std::vector<double> y(n);
  for (size_t t = 0; t < n; ++t) {
    y[t] = std::round(300 * std::exp(0.004 * static_cast<double>(t)) * weekly[t % 7] *
                      std::exp(noise(rng)) * (t == 40 ? 2.5 : 1.0) * 100) /
           100;
  }
  return y;
}

class ForecastingTarget final : public BenchTarget {
 public:
  std::string id() const override { return "forecasting"; }
  std::string description() const override {
    return "automatic model selection on a 100-point daily series, then a 30-day forecast with "
           "80/95% intervals";
  }
  Result<json> run(const RunOptions& o) override {
    const auto y = daily_spend(100);
    forecasting::AutoOptions ao;
    ao.season = 7;
    ao.horizon = 30;
    const double levels[] = {0.8, 0.95};
    return measure(
        [&](uint64_t n) {
          bool ok = true;
          for (uint64_t i = 0; i < n; ++i) {
            auto sel = forecasting::select_model(y, ao);
            ok &= sel.has_value() && forecasting::forecast(sel->fit, 30, levels).size() == 30;
          }
          return ok;
        },
        o, 0, "fit + select + forecast");
  }
};

// About 1 MB of priced records as an export writes them (JSON Lines with usage and cost).
std::string export_json(size_t bytes) {
  std::string out;
  uint64_t id = 0;
  while (out.size() < bytes) {
    auto recs = priced(make_records(500, id));
    if (!recs) break;
    id += 500;
    for (const auto& r : *recs) {
      json j{{"id", r.usage.id},
             {"timestamp", format_timestamp(r.usage.timestamp)},
             {"provider", r.usage.provider},
             {"model", r.usage.model},
             {"project", r.usage.project_id},
             {"user", r.usage.user_id},
             {"input_tokens", r.usage.usage.get(units::kInputTokens)},
             {"cache_read_tokens", r.usage.usage.get(units::kCacheReadTokens)},
             {"output_tokens", r.usage.usage.get(units::kOutputTokens)},
             {"cost", r.cost->total_cost.amount.to_string()},
             {"currency", std::string(r.cost->total_cost.currency.code())}};
      out += j.dump() + "\n";
      if (out.size() >= bytes) break;
    }
  }
  return out;
}

class CompressionTarget final : public BenchTarget {
 public:
  std::string id() const override { return "compression"; }
  std::string description() const override {
    return "gzip (level 6) of 1 MB of priced-record export JSON Lines";
  }
  Result<json> run(const RunOptions& o) override {
    const std::string data = export_json(1 << 20);
    auto once = compression::compress(data, compression::Codec::kGzip);
    if (!once) return once.status();
    auto back = compression::decompress(*once);
    if (!back || *back != data) return Status(StatusCode::kInternal, "gzip round trip differs");
    json m = measure(
        [&](uint64_t n) {
          bool ok = true;
          for (uint64_t i = 0; i < n; ++i) {
            ok &= compression::compress(data, compression::Codec::kGzip).has_value();
          }
          return ok;
        },
        o, static_cast<double>(data.size()), "1 MB compressed");
    m["detail"]["compression_ratio"] =
        static_cast<double>(data.size()) / static_cast<double>(once->size());
    return m;
  }
};

class ExportTarget final : public BenchTarget {
 public:
  std::string id() const override { return "export"; }
  std::string description() const override {
    return "7-day cost report of 10,000 records (totals, days, top models and projects) built "
           "from the in-memory aggregator and rendered as HTML with charts";
  }
  Result<json> run(const RunOptions& o) override {
    auto recs = priced(make_records(10000, 0));
    if (!recs) return recs.status();
    const auto& records = *recs;
    report::ReportGenerator gen(
        [&records](const AggregateQuery& q) { return engine::Aggregator::run(q, records); });
    report::ReportOptions ro;
    ro.from = *parse_timestamp("2026-09-01T00:00:00Z");
    ro.to = *parse_timestamp("2026-09-08T00:00:00Z");
    ro.generated_at = ro.to;
    size_t bytes = 0;
    return measure(
        [&](uint64_t n) {
          bool ok = true;
          for (uint64_t i = 0; i < n; ++i) {
            auto r = gen.build(ro);
            ok &= r.has_value();
            if (r) bytes = report::ReportGenerator::render(*r, report::Format::kHtml).size();
          }
          return ok && bytes > 0;
        },
        o, 0, "report built and rendered");
  }
};

}  // namespace

std::vector<std::unique_ptr<BenchTarget>> all_targets() {
  std::vector<std::unique_ptr<BenchTarget>> t;
  t.push_back(std::make_unique<CostCalculatorTarget>());
  t.push_back(std::make_unique<CatalogLookupTarget>());
  t.push_back(std::make_unique<AggregatorTarget>());
  t.push_back(std::make_unique<ForecastingTarget>());
  t.push_back(std::make_unique<CompressionTarget>());
  t.push_back(std::make_unique<ExportTarget>());
  t.push_back(std::make_unique<StorageTarget>());
  t.push_back(std::make_unique<IngestTarget>());
  t.push_back(std::make_unique<QueryTarget>());
  return t;
}

}  // namespace costops::benchmarks
