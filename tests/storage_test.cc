#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "costops/engine/aggregator.h"
#include "costops/engine/cost_calculator.h"
#include "costops/ingest/ingest.h"
#include "costops/storage/store.h"
#include "store_ingest.h"
#include "test_util.h"

namespace costops {

// Readable rows in assertion messages.
void PrintTo(const AggregateRow& r, std::ostream* os) {
  *os << "{";
  for (const auto& k : r.keys) *os << k << "|";
  *os << " records=" << r.records << " unpriced=" << r.unpriced << " in=" << r.input_tokens
      << " out=" << r.output_tokens;
  for (const auto& [c, d] : r.cost) *os << " " << d.to_string() << " " << c;
  *os << "}";
}

namespace {

// Schema 7's table and schema 6's columns dropped (statements both databases run), for a database
// turned back into an older schema's shape.
constexpr const char* kDropTokenParts =
    "DROP TABLE discounts; ALTER TABLE usage_records DROP COLUMN cache_read_tokens; ALTER TABLE "
    "usage_records DROP "
    "COLUMN cache_write_tokens; ALTER TABLE usage_records DROP COLUMN reasoning_tokens; ALTER "
    "TABLE daily_totals DROP COLUMN cache_read_tokens; ALTER TABLE daily_totals DROP COLUMN "
    "cache_write_tokens; ALTER TABLE daily_totals DROP COLUMN reasoning_tokens; ";

// A fresh PostgreSQL database on the server of $COSTOPS_TEST_PG_URL (scripts/with-postgres.sh),
// one per test so that parallel test processes do not meet.
std::string fresh_pg_db(const std::string& name) {
  const char* base = std::getenv("COSTOPS_TEST_PG_URL");
  if (base == nullptr || *base == '\0') return "";
  const std::string url = base;
  const std::string db = "t_" + name + "_" + std::to_string(::getpid());
  PGconn* c = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  for (const std::string& sql : {"DROP DATABASE IF EXISTS " + db, "CREATE DATABASE " + db}) {
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return url.substr(0, url.rfind('/') + 1) + db;
}

// Removes a SQLite database file and its write-ahead log files, if present.
void remove_db(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ec);
  }
}

std::string temp_db(const char* name) {
  const auto p = std::filesystem::temp_directory_path() /
                 (std::string("costops_") + name + "_" + std::to_string(::getpid()) + ".db");
  remove_db(p.string());
  return p.string();
}

// Every store test runs against each store: SQLite always, PostgreSQL when a server is given
// (always in CI, where its absence is a failure).
class StoreTest : public ::testing::TestWithParam<const char*> {
 protected:
  std::unique_ptr<storage::Store> open_store(const char* name) {
    std::string url;
    if (std::string(GetParam()) == "sqlite") {
      url = temp_db(name);
      files_.push_back(url);
    } else {
      url = fresh_pg_db(name);
      if (url.empty()) {
        const char* ci = std::getenv("CI");
        if (ci != nullptr && std::string(ci) == "true") {
          ADD_FAILURE() << "CI=true but COSTOPS_TEST_PG_URL is not set (run the tests under "
                           "scripts/with-postgres.sh)";
        }
        return nullptr;
      }
    }
    auto s = storage::Store::open(url);
    EXPECT_TRUE(s.has_value()) << s.status_or_ok().to_string();
    return s ? std::move(*s) : nullptr;
  }
  // The stores a test opened are closed by then (they live in its body).
  void TearDown() override {
    for (const auto& f : files_) remove_db(f);
  }

 private:
  std::vector<std::string> files_;  // SQLite databases to remove
};

#define COSTOPS_OPEN_STORE(var, name)                                                \
  auto var = open_store(name);                                                       \
  if (!var) {                                                                        \
    if (!HasFailure()) GTEST_SKIP() << "no PostgreSQL server (COSTOPS_TEST_PG_URL)"; \
    return;                                                                          \
  }

// Every stored record matching `q`, oldest first (fails the test on a scan error).
std::vector<PricedRecord> scan_all(storage::Store& store, const AggregateQuery& q = {}) {
  std::vector<PricedRecord> out;
  const Status st = store.scan(q, [&](const PricedRecord& r) {
    out.push_back(r);
    return Status::ok();
  });
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  return out;
}

// Ingests `text` (named `source`) into `store`, collecting rejects.
ingest::IngestStats ingest_text(storage::Store& store, const std::string& text, const char* source,
                                std::vector<ingest::Reject>* rejects = nullptr,
                                const char* default_time = "2026-10-01T00:00:00Z",
                                size_t batch_size = 7) {  // several transactions, small inputs
  ingest::IngestOptions opt;
  opt.catalog = &pricing::Catalog::builtin();
  opt.default_time = *parse_timestamp(default_time);
  opt.batch_size = batch_size;
  opt.out_of_order_batch_size = batch_size;  // as many transactions out of time order
  testing::compare_reports_with(opt, store);
  std::FILE* f = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
  auto stats = ingest::ingest_stream(f, source, opt, testing::writing_to(store),
                                     [&](const ingest::Reject& r) {
                                       if (rejects) rejects->push_back(r);
                                     });
  std::fclose(f);
  EXPECT_TRUE(stats.has_value()) << stats.status_or_ok().to_string();
  return stats ? *stats : ingest::IngestStats{};
}

// The built-in catalog with acme/acme-1 added at $0.5/M input tokens (what reprice would use).
pricing::Catalog catalog_with_acme() {
  auto cat = pricing::Catalog::builtin_copy();
  EXPECT_TRUE(cat.has_value());
  auto custom = pricing::Catalog::parse(
      R"({"format": "cost-ops-catalog", "providers": [{"id": "acme", "models": [{"id": "acme-1", "prices": {"input_mtok": "0.5"}}]}]})",
      "custom");
  EXPECT_TRUE(custom.has_value());
  EXPECT_TRUE(cat->overlay(std::move(*custom)).is_ok());
  return std::move(*cat);
}

// An ingest's counts in one line, for one assertion on them.
std::string counts(const ingest::IngestStats& s) {
  return "read " + std::to_string(s.read) + ", stored " + std::to_string(s.stored) +
         ", duplicates " + std::to_string(s.duplicates) + ", rejected " +
         std::to_string(s.rejected);
}

TEST_P(StoreTest, SampleIngestIsIdempotentAndSqlEqualsInMemory) {
  COSTOPS_OPEN_STORE(store, "sample");
  const std::string text = testing::read_file(testing::source_path("data/samples/usage.jsonl"));
  auto first = ingest_text(*store, text, "usage.jsonl");
  EXPECT_EQ(first.read, 3524u);
  EXPECT_EQ(first.stored, 3524u);
  EXPECT_EQ(first.rejected, 0u);
  auto again = ingest_text(*store, text, "usage.jsonl");
  EXPECT_EQ(again.stored, 0u);
  EXPECT_EQ(again.duplicates, 3524u);

  // The same records aggregated in memory.
  const std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 3524u);
  const char* groupings[] = {"",           "provider,model", "project,day", "tag:team,week",
                             "user,month", "hour",           "organization"};
  for (const char* g : groupings) {
    AggregateQuery q;
    std::string gs = g;
    if (const auto at = gs.find('@'); at != std::string::npos) {  // "keys@Zone"
      q.time_zone = *TimeZone::locate(gs.substr(at + 1));
      gs = gs.substr(0, at);
    }
    for (size_t start = 0; start < gs.size();) {
      size_t end = gs.find(',', start);
      if (end == std::string::npos) end = gs.size();
      q.group_by.push_back(*GroupKey::parse(gs.substr(start, end - start)));
      start = end + 1;
    }
    // Two shapes: one the daily totals can answer (day-aligned period, dimension filters), one
    // that needs the records (a tag filter, a period ending mid-day).
    AggregateQuery by_days = q, by_records = q;
    by_days.from = *parse_timestamp("2026-08-10");
    by_days.to = *parse_timestamp("2026-10-05");
    by_days.filters.push_back(*Filter::parse("project=search"));
    by_records.from = *parse_timestamp("2026-08-10T00:00:00Z");
    by_records.to = *parse_timestamp("2026-10-05T12:00:00Z");
    by_records.filters.push_back(*Filter::parse("tag:env=prod"));
    // And with patterns: several dimension values, a tag's values.
    AggregateQuery days_like = by_days, records_like = by_records;
    days_like.filters = {*Filter::parse("model=*-4o*"), *Filter::parse("project=s*")};
    records_like.filters = {*Filter::parse("tag:env=*o*"), *Filter::parse("provider=*i*")};
    // And negated: a value, a pattern, a tag, a value no record has (which leaves out nothing).
    AggregateQuery days_not = by_days, records_not = by_records;
    days_not.filters = {*Filter::parse("provider!=openai"), *Filter::parse("model!=*-pro"),
                        *Filter::parse("project!=nowhere")};
    records_not.filters = {*Filter::parse("tag:env!=prod"), *Filter::parse("user!=*1*")};
    // And several filters of one key: either value, a pattern but a value, two tags' values.
    AggregateQuery days_any = by_days, records_any = by_records;
    days_any.filters = {*Filter::parse("provider=openai"),    *Filter::parse("project=search"),
                        *Filter::parse("provider=anthropic"), *Filter::parse("model=*-4o*"),
                        *Filter::parse("model=claude-*"),     *Filter::parse("model!=gpt-4o")};
    records_any.filters = {*Filter::parse("tag:team=team-data"), *Filter::parse("tag:team=*cx"),
                           *Filter::parse("user!=*1*"), *Filter::parse("user!=*2*")};
    for (const AggregateQuery* query : {&by_days, &by_records, &days_like, &records_like, &days_not,
                                        &records_not, &days_any, &records_any}) {
      auto sql = store->aggregate(*query);
      ASSERT_TRUE(sql.has_value()) << sql.status_or_ok().to_string();
      auto mem = engine::Aggregator::run(*query, all);
      ASSERT_TRUE(mem.has_value());
      ASSERT_EQ(sql->size(), mem->size()) << g;
      for (size_t i = 0; i < sql->size(); ++i) ASSERT_EQ((*sql)[i], (*mem)[i]) << g << " row " << i;
      EXPECT_FALSE(sql->empty()) << g;
    }
  }
  auto total = store->aggregate({});
  ASSERT_EQ(total->size(), 1u);
  EXPECT_EQ(total->front().cost.at("USD").to_string(), "30.852364815");
}

// Lines [from, to) of `text`.
std::string lines(const std::string& text, size_t from, size_t to) {
  std::string out;
  size_t start = 0;
  for (size_t i = 0; i < to && start < text.size(); ++i) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    if (i >= from) out.append(text, start, end - start);
    start = end;
  }
  return out;
}

// Large batches take the stores' bulk paths (SQLite: several rows a statement when a batch cannot
// hold duplicates); every record still counts once, whatever a batch mixes.
TEST_P(StoreTest, LargeBatchesCountEveryRecordOnce) {
  const std::string text = testing::read_file(testing::source_path("data/samples/usage.jsonl"));
  std::vector<AggregateRow> want;
  {
    COSTOPS_OPEN_STORE(small, "small_batches");
    ASSERT_EQ(ingest_text(*small, text, "usage.jsonl").stored, 3524u);
    want = *small->aggregate({});
  }
  COSTOPS_OPEN_STORE(store, "large_batches");
  // Batches of 500 over records ordered by day: some start inside the day the last one ended in.
  auto first = ingest_text(*store, lines(text, 0, 2000), "usage.jsonl", nullptr,
                           "2026-10-01T00:00:00Z", 500);
  EXPECT_EQ(first.stored, 2000u);
  // One batch: 1000 stored records, the same 1000 again, and 1524 new ones.
  const std::string mixed = lines(text, 1000, 2000) + lines(text, 1000, 3524);
  auto second = ingest_text(*store, mixed, "usage.jsonl", nullptr, "2026-10-01T00:00:00Z", 5000);
  EXPECT_EQ(second.read, 3524u);
  EXPECT_EQ(second.stored, 1524u);
  EXPECT_EQ(second.duplicates, 2000u);
  EXPECT_EQ(*store->aggregate({}), want);
  EXPECT_EQ(scan_all(*store).size(), 3524u);

  // A fresh database: a batch that repeats records of its own stores each once.
  COSTOPS_OPEN_STORE(fresh, "repeats");
  const std::string twice = lines(text, 0, 100) + lines(text, 0, 100);
  auto rep = ingest_text(*fresh, twice, "usage.jsonl", nullptr, "2026-10-01T00:00:00Z", 1000);
  EXPECT_EQ(rep.stored, 100u);
  EXPECT_EQ(rep.duplicates, 100u);
  // Records without a timestamp among timed ones, in one batch, then again another day.
  std::string untimed;
  for (int i = 0; i < 40; ++i)
    untimed += R"({"id":"untimed-)" + std::to_string(i) +
               R"(","provider":"openai","model":"gpt-4o","usage":{"input_tokens":10}})"
               "\n";
  const std::string both = untimed + lines(text, 100, 200);
  EXPECT_EQ(ingest_text(*fresh, both, "b.jsonl", nullptr, "2026-10-02T00:00:00Z", 1000).stored,
            140u);
  auto later = ingest_text(*fresh, both, "b.jsonl", nullptr, "2026-11-02T00:00:00Z", 1000);
  EXPECT_EQ(later.stored, 0u);
  EXPECT_EQ(later.duplicates, 140u);
  EXPECT_EQ(scan_all(*fresh).size(), 240u);

  // Of two records with one id and time in a batch, the first is stored, wherever the batch's
  // other records go (SQLite inserts them in the index's order).
  auto same = [](int tokens) {
    return R"({"id":"same","timestamp":"2026-09-15T10:00:00Z","provider":"openai",)"
           R"("model":"gpt-4o","usage":{"input_tokens":)" +
           std::to_string(tokens) + "}}\n";
  };
  const std::string first_wins =
      lines(text, 300, 400) + same(11) + lines(text, 200, 300) + same(99) + lines(text, 400, 500);
  auto fw = ingest_text(*fresh, first_wins, "c.jsonl", nullptr, "2026-10-02T00:00:00Z", 1000);
  EXPECT_EQ(fw.stored, 301u);
  EXPECT_EQ(fw.duplicates, 1u);
  AggregateQuery by_id;
  by_id.from = *parse_timestamp("2026-09-15T10:00:00Z");
  by_id.to = *parse_timestamp("2026-09-15T10:00:01Z");
  by_id.filters = {*Filter::parse("model=gpt-4o")};
  int64_t found = -1;
  for (const auto& r : scan_all(*fresh, by_id))
    if (r.usage.id == "same") found = r.usage.usage.get(units::kInputTokens);
  EXPECT_EQ(found, 11);
  // And the daily totals add the one stored.
  int64_t scanned = 0;
  for (const auto& r : scan_all(*fresh)) scanned += r.usage.usage.get(units::kInputTokens);
  EXPECT_EQ(fresh->aggregate({})->at(0).input_tokens, scanned);
}

// The sink gets every batch once, in input order, after prepare saw it; the first sink error
// stops the run (batches still queued are dropped) and is the run's error.
TEST(IngestPipelineTest, SinkSeesEveryBatchInOrderAfterPrepareAndStopsAtItsFirstError) {
  const std::string text =
      lines(testing::read_file(testing::source_path("data/samples/usage.jsonl")), 0, 95);
  for (const bool overlap : {true, false}) {
    for (const size_t fail_at : {size_t{0}, size_t{4}}) {  // 0: never
      ingest::IngestOptions opt;
      opt.catalog = &pricing::Catalog::builtin();
      opt.batch_size = 10;
      opt.out_of_order_batch_size = 10;  // the sample is not in time order
      opt.overlap_sink = overlap;
      std::mutex mu;
      std::vector<std::string> prepared, written;  // first record id of each batch
      opt.prepare = [&](std::span<const PricedRecord> b) {
        std::lock_guard lock(mu);
        prepared.push_back(b.front().usage.id);
      };
      auto sink = [&](std::span<const PricedRecord> b) -> Result<ingest::BatchResult> {
        std::lock_guard lock(mu);
        written.push_back(b.front().usage.id);
        if (written.size() == fail_at) return io_error("disk full");
        return ingest::BatchResult{b.size(), 0, 0};
      };
      std::FILE* f = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
      auto stats = ingest::ingest_stream(f, "u.jsonl", opt, sink, [](const ingest::Reject&) {});
      std::fclose(f);
      const std::string c =
          std::string(overlap ? "overlap" : "serial") + " fail_at " + std::to_string(fail_at);
      if (fail_at == 0) {
        ASSERT_TRUE(stats.has_value()) << c;
        EXPECT_EQ(stats->read, 95u) << c;
        EXPECT_EQ(stats->stored, 95u) << c;
        ASSERT_EQ(written.size(), 10u) << c;
        EXPECT_EQ(written, prepared) << c;
        for (size_t i = 0; i < written.size(); ++i) {
          char want[16];
          std::snprintf(want, sizeof want, "req-%06zu", i * 10 + 1);
          EXPECT_EQ(written[i], want) << c;
        }
      } else {
        ASSERT_FALSE(stats.has_value()) << c;
        EXPECT_EQ(stats.status().message(), "disk full") << c;
        EXPECT_EQ(written.size(), fail_at) << c;
        ASSERT_GE(prepared.size(), fail_at) << c;
        EXPECT_TRUE(std::equal(written.begin(), written.end(), prepared.begin())) << c;
      }
    }
  }
}

// Once a batch begins before an earlier one ends (the input is out of time order), the batches
// after it take out_of_order_batch_size records: fewer, larger transactions.
TEST(IngestPipelineTest, BatchesGrowOnceTheInputIsOutOfTimeOrder) {
  std::string text;
  const int seconds[] = {1, 2, 3, 4, 5, 6, 2, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  for (size_t i = 0; i < std::size(seconds); ++i) {
    char line[160];
    std::snprintf(line, sizeof line,
                  R"({"id":"r%zu","timestamp":"2026-10-01T00:00:%02dZ","provider":"openai",)"
                  R"("model":"gpt-4o","usage":{"input_tokens":1}})"
                  "\n",
                  i, seconds[i]);
    text += line;
  }
  for (const bool overlap : {true, false}) {
    ingest::IngestOptions opt;
    opt.catalog = &pricing::Catalog::builtin();
    opt.batch_size = 3;
    opt.out_of_order_batch_size = 5;
    opt.overlap_sink = overlap;
    std::vector<size_t> sizes;
    auto sink = [&](std::span<const PricedRecord> b) -> Result<ingest::BatchResult> {
      sizes.push_back(b.size());
      return ingest::BatchResult{b.size(), 0, 0};
    };
    std::FILE* f = fmemopen(text.data(), text.size(), "r");
    auto stats = ingest::ingest_stream(f, "u.jsonl", opt, sink, [](const ingest::Reject&) {});
    std::fclose(f);
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->stored, 16u);
    // 1-3, 4-6 in order; 2, 7, 8 begins before 6: then 9-13 and 14-15.
    EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 5, 2})) << (overlap ? "overlap" : "serial");
  }
}

// Costs beyond what a day's totals hold (about 9.2e12 USD a day and group: absurd counts) fail
// the write that would overflow them, rather than wrap; what was written before stays exact.
TEST_P(StoreTest, ADaysTotalsThatWouldOverflowFailTheWrite) {
  COSTOPS_OPEN_STORE(store, "overflow");
  auto batch = [](const std::string& prefix) {
    std::vector<PricedRecord> out;
    for (int i = 0; i < 10; ++i) {
      PricedRecord pr;
      pr.usage.id = prefix + std::to_string(i);
      pr.usage.provider = "openai";
      pr.usage.model = "o1-pro";
      pr.usage.timestamp = *parse_timestamp("2026-09-01T10:00:00Z");
      pr.usage.has_timestamp = true;
      pr.usage.usage.set(units::kOutputTokens, 1'000'000'000'000'000);
      auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), pr.usage,
                                                    pr.usage.timestamp);
      EXPECT_TRUE(c.has_value());
      if (c) pr.cost = *c;  // $600 per M: $600 billion each
      out.push_back(std::move(pr));
    }
    return out;
  };
  ASSERT_TRUE(store->write(batch("a")).has_value());
  auto second = store->write(batch("b"));
  ASSERT_FALSE(second.has_value());
  const std::string why = second.status().message();
  EXPECT_TRUE(why.find("a day's counts overflow its daily totals") != std::string::npos ||
              why.find("out of range") != std::string::npos)  // PostgreSQL's bigint
      << why;
  auto rows = store->aggregate({});
  ASSERT_TRUE(rows.has_value()) << rows.status().to_string();
  EXPECT_EQ(rows->front().records, 10u);
  EXPECT_EQ(rows->front().cost.at("USD").to_string(), "6000000000000");
}

// Sums over several days that leave 64 bits fail the query rather than wrap or clamp: from the
// daily totals, and summed per record (grouped by user: in memory for SQLite, in SQL for
// PostgreSQL, whose sums of bigints are numeric and were read as the largest bigint).
TEST_P(StoreTest, SumsBeyond64BitsAcrossDaysFailTheQuery) {
  COSTOPS_OPEN_STORE(store, "sums_days");
  for (const char* day : {"2026-09-01T10:00:00Z", "2026-09-02T10:00:00Z"}) {
    std::vector<PricedRecord> batch;
    for (int i = 0; i < 10; ++i) {
      PricedRecord pr;
      pr.usage.id = std::string(day) + std::to_string(i);
      pr.usage.provider = "openai";
      pr.usage.model = "o1-pro";
      pr.usage.user_id = "u";
      pr.usage.timestamp = *parse_timestamp(day);
      pr.usage.has_timestamp = true;
      pr.usage.usage.set(units::kOutputTokens, 1'000'000'000'000'000);
      auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), pr.usage,
                                                    pr.usage.timestamp);
      ASSERT_TRUE(c.has_value());
      pr.cost = *c;  // $600 billion each: $6 trillion a day, near what a day's totals hold
      batch.push_back(std::move(pr));
    }
    ASSERT_TRUE(store->write(batch).has_value());
  }
  for (const char* by : {"provider", "user"}) {
    AggregateQuery q;
    q.group_by = {*GroupKey::parse(by)};
    auto rows = store->aggregate(q);
    ASSERT_FALSE(rows.has_value()) << by << ": " << rows->front().cost.at("USD").to_string();
    const std::string why = rows.status().message();
    EXPECT_TRUE(why.find("overflow") != std::string::npos ||
                why.find("out of range") != std::string::npos)  // PostgreSQL's bigint
        << by << ": " << why;
  }
}

// An encoding left behind by a batch that was never written is not used for other records that
// came to occupy the same memory.
TEST_P(StoreTest, PipelinedWriterNeverWritesAStaleEncoding) {
  COSTOPS_OPEN_STORE(store, "pipelined");
  auto record = [](const std::string& id) {
    PricedRecord pr;
    pr.usage.id = id;
    pr.usage.provider = "openai";
    pr.usage.model = "gpt-4o";
    pr.usage.timestamp = *parse_timestamp("2026-09-01T10:00:00Z");
    pr.usage.has_timestamp = true;
    pr.usage.usage.set(units::kInputTokens, 100);
    pr.unpriced_reason = "test";
    return pr;
  };
  storage::PipelinedWriter writer(*store);
  std::vector<PricedRecord> batch = {record("a-1"), record("a-2")};
  writer.encode(batch);                    // never written
  batch = {record("b-1"), record("b-2")};  // same size, and likely the same memory
  auto w = writer.write(batch);
  ASSERT_TRUE(w.has_value()) << w.status().to_string();
  EXPECT_EQ(w->stored, 2u);
  writer.encode(batch);
  EXPECT_EQ(writer.write(batch)->duplicates, 2u);
  std::vector<std::string> ids;
  for (const auto& r : scan_all(*store)) ids.push_back(r.usage.id);
  std::sort(ids.begin(), ids.end());  // scans order by time, then key
  EXPECT_EQ(ids, (std::vector<std::string>{"b-1", "b-2"}));
}

TEST_P(StoreTest, EveryRecordIsStoredOrRejectedAndCountsAddUp) {
  COSTOPS_OPEN_STORE(store, "rejects");
  const std::string text =
      R"({"id":"a","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":10}})"
      "\n"
      R"({"id":"b","provider":"openai","model":"gpt-unknown","usage":{"input_tokens":1000}})"
      "\n"
      "{broken\n"
      R"({"id":"c","provider":"openai","model":"gpt-4o","usage":{"input_tokens":-1}})"
      "\n"
      R"({"id":"d","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1,"cache_read_tokens":5}})"
      "\n"
      R"({"id":"e","provider":"nobody","model":"x","usage":{"input_tokens":1}})"
      "\n"
      "\n"
      R"({"provider":"anthropic","model":"claude-3-5-haiku","timestamp":"2026-09-01T00:00:00Z","usage":{"input_tokens":10}})"
      "\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "mixed.jsonl", &rejects);
  // Stored: a, b (unpriced), e (unpriced: unknown provider), the anthropic one.
  EXPECT_EQ(counts(s), "read 7, stored 4, duplicates 0, rejected 3");
  EXPECT_EQ(s.unpriced, 2u);
  EXPECT_EQ(s.read, s.stored + s.duplicates + s.rejected);
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(rejects[0].line, 3u);
  EXPECT_EQ(rejects[0].source, "mixed.jsonl");
  EXPECT_EQ(rejects[0].text, "{broken");
  EXPECT_EQ(rejects[1].line, 4u);
  EXPECT_NE(rejects[1].reason.find("usage.input_tokens"), std::string::npos);
  EXPECT_NE(rejects[2].reason.find("exceed their whole"), std::string::npos);
  auto rows = store->aggregate({});
  EXPECT_EQ(rows->front().records, 4u);
  EXPECT_EQ(rows->front().unpriced, 2u);
  EXPECT_EQ(rows->front().cost.at("USD").to_string(),
            "0.002608");  // 0.0025 + 0.0001 + 0.000008; unpriced not as $0
  // A record without an id is keyed by its content: ingesting it again is a duplicate.
  auto again = ingest_text(*store, text, "mixed.jsonl");
  EXPECT_EQ(again.stored, 0u);
  EXPECT_EQ(again.duplicates, 4u);
}

TEST_P(StoreTest, CsvAndJsonDocumentsMapByName) {
  COSTOPS_OPEN_STORE(store, "csv");
  const std::string csv =
      "id,timestamp,provider,model,project_id,prompt_tokens,completion_tokens,cached_tokens,tag:"
      "team,metadata\n"
      "r1,2026-09-01T10:00:00Z,openai,gpt-4o,search,1000,100,200,core,\"{\"\"k\"\": 1}\"\n"
      "r2,2026-09-01T11:00:00Z,anthropic,claude-3-5-haiku,\"support, tier 1\",500,50,,cx,\n"
      "r3,2026-09-01T12:00:00Z,openai,gpt-4o,search,12abc,1,,core,\n"
      "r4,2026-09-01T12:00:00Z,openai,gpt-4o\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, csv, "usage.csv", &rejects);
  EXPECT_EQ(counts(s), "read 4, stored 2, duplicates 0, rejected 2");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].line, 4u);
  EXPECT_NE(rejects[0].reason.find("field \"prompt_tokens\""), std::string::npos);  // the column
  EXPECT_NE(rejects[1].reason.find("expected 10 columns"), std::string::npos);
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("project"), *GroupKey::parse("tag:team")};
  auto rows = store->aggregate(q);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).keys, (std::vector<std::string>{"search", "core"}));
  EXPECT_EQ(rows->at(0).cost.at("USD").to_string(),
            "0.00325");  // 800*2.5 + 200*1.25 + 100*10 per M
  EXPECT_EQ(rows->at(1).keys[0], "support, tier 1");

  const std::string doc = R"({"records": [
      {"id": "j1", "provider": "openai", "model": "gpt-4o-mini", "usage": {"input_tokens": 1000}},
      {"id": "j2", "provider": "openai", "model": "gpt-4o-mini", "usage": {"input_tokens": "x"}}]})";
  std::vector<ingest::Reject> doc_rejects;
  auto d = ingest_text(*store, doc, "records.json", &doc_rejects);
  EXPECT_EQ(d.read, 2u);
  EXPECT_EQ(d.stored, 1u);
  EXPECT_EQ(d.rejected, 1u);
  ASSERT_EQ(doc_rejects.size(), 1u);
  EXPECT_EQ(doc_rejects[0].line, 3u);  // the line its element begins on, not its index
  // A list before "records", brackets and quotes inside strings, elements on one line.
  const std::string tricky =
      "{\"meta\": [1, [2]], \"note\": \"records [x, \\\"y\\\"]\", \"records\": [\n"
      R"({"provider": "openai", "model": "gpt-4o", "usage": {"input_tokens": 1}, "tags": {"t": "],["}},)"
      "\n\n"
      R"({"model": 5}, {"model": 6}]})";
  doc_rejects.clear();
  auto t = ingest_text(*store, tricky, "tricky.json", &doc_rejects);
  EXPECT_EQ(t.read, 3u);
  ASSERT_EQ(doc_rejects.size(), 2u);
  EXPECT_EQ(doc_rejects[0].line, 4u);
  EXPECT_EQ(doc_rejects[1].line, 4u);
  // Pretty-printed, the first line is "{" alone: still one document, from a file or stdin.
  const std::string pretty = "{\n  \"records\": [\n    {\"model\": 7}\n  ]\n}\n";
  for (const char* source : {"pretty.json", "stdin"}) {
    doc_rejects.clear();
    auto pr = ingest_text(*store, pretty, source, &doc_rejects);
    EXPECT_EQ(pr.read, 1u) << source;
    ASSERT_EQ(doc_rejects.size(), 1u) << source;
    EXPECT_EQ(doc_rejects[0].line, 3u) << source;
    EXPECT_EQ(doc_rejects[0].reason, "field \"model\": expected a string, got a number") << source;
  }
  // One record, pretty-printed, is one record.
  doc_rejects.clear();
  auto one = ingest_text(*store, "\n{\n  \"model\": 7\n}\n", "one.json", &doc_rejects);
  EXPECT_EQ(one.read, 1u);
  ASSERT_EQ(doc_rejects.size(), 1u);
  EXPECT_EQ(doc_rejects[0].line, 2u);
}

// A JSON document that is a list is read element by element as it comes (a large export is not
// held whole): each element reported by the line it begins on, a broken one rejected while the
// others are stored, a list cut short or followed by other text says so, and lists one after
// another are read as one; the counts add up.
// Records without an id key as the whole document's reading keyed them (the element's compact
// form, keys sorted): reading the same list again stores nothing.
TEST_P(StoreTest, JsonListsAreReadElementByElement) {
  COSTOPS_OPEN_STORE(store, "json_list");
  const std::string list =
      "[\n"
      R"(  {"provider": "openai", "model": "gpt-4o", "timestamp": "2026-09-01T10:00:00Z",)"
      "\n"
      R"(   "metadata": {"z": 1, "a": "],[{"}, "usage": {"input_tokens": 1000}},)"
      "\n"
      R"(  {"provider": "openai", "model": "gpt-4o", "usage": {"input_tokens": 1000,}},)"
      "\n"
      R"(  {"provider": "openai", "model": "gpt-4o", "timestamp": "2026-09-01T11:00:00Z",)"
      "\n"
      R"(   "usage": {"input_tokens": 2000}}, 7)"
      "\n]\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, list, "export.json", &rejects);
  EXPECT_EQ(counts(s), "read 4, stored 2, duplicates 0, rejected 2");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].line, 4u);  // a reject names its element too
  EXPECT_EQ(rejects[0].reason.rfind("[1]: invalid JSON: ", 0), 0u) << rejects[0].reason;
  EXPECT_EQ(rejects[1].line, 6u);
  EXPECT_EQ(rejects[1].reason.rfind("[3]: ", 0), 0u) << rejects[1].reason;
  EXPECT_EQ(rejects[1].text, "7");
  auto again = ingest_text(*store, list, "export.json");
  EXPECT_EQ(counts(again), "read 4, stored 0, duplicates 2, rejected 2");
  // Cut short: the elements before the cut are stored, the one it cuts and the missing "]" are
  // rejected.
  rejects.clear();
  auto cut = ingest_text(*store, list.substr(0, list.find("   \"usage\": {\"input_tokens\": 2000")),
                         "cut.json", &rejects);
  EXPECT_EQ(counts(cut), "read 4, stored 0, duplicates 1, rejected 3");
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(rejects[1].line, 5u);
  EXPECT_EQ(rejects[2].reason,
            "invalid JSON: the list does not end (its \"]\" is missing: is the input cut short?)");
  // Text after the list, and an empty element.
  rejects.clear();
  auto after = ingest_text(*store, "[{\"model\": 5},,]\nmore text\n", "after.json", &rejects);
  EXPECT_EQ(counts(after), "read 4, stored 0, duplicates 0, rejected 4");
  ASSERT_EQ(rejects.size(), 4u);
  EXPECT_EQ(rejects[1].reason, "invalid JSON: an empty element in the list");
  EXPECT_EQ(rejects[3].reason, "invalid JSON: text after the end of the list");
  EXPECT_EQ(rejects[3].line, 2u);
  EXPECT_EQ(rejects[3].text, "more text");
  // Lists one after another (pages put together, one per line) are read as one.
  rejects.clear();
  auto pages =
      ingest_text(*store,
                  "[{\"id\": \"p1\", \"provider\": \"openai\", \"model\": \"gpt-4o\", \"usage\": "
                  "{\"input_tokens\": 1}}]\n[{\"model\": 5}]\n\n[]\n",
                  "pages.json", &rejects);
  EXPECT_EQ(counts(pages), "read 2, stored 1, duplicates 0, rejected 1");
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].line, 2u);
  EXPECT_EQ(rejects[0].reason.rfind("[0]: ", 0), 0u) << rejects[0].reason;  // of its own list
  // A list on one line, as an API gives it: its elements' rejects tell them apart.
  rejects.clear();
  auto compact = ingest_text(
      *store,
      R"([{"model": "gpt-4o", "usage": {"input_tokens": 1}}, {"model": 5}, {"model": "gpt-4o"}])",
      "compact.json", &rejects);
  EXPECT_EQ(counts(compact), "read 3, stored 1, duplicates 0, rejected 2");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].line, 1u);
  EXPECT_EQ(rejects[0].reason, "[1]: field \"model\": expected a string, got a number");
  EXPECT_EQ(rejects[1].reason.rfind("[2]: field \"usage\": missing", 0), 0u) << rejects[1].reason;
}

// A LiteLLM spend log export as CSV: custom_llm_provider, user and team_id name the provider,
// user and project, as its JSON lines' fields do, unless the header has columns for them; its
// metadata's usage_object is read as there.
TEST_P(StoreTest, CsvOfLiteLLMSpendLogsNamesProviderUserAndTeam) {
  COSTOPS_OPEN_STORE(store, "csv_litellm");
  const std::string csv =
      "Request ID,Model,Custom LLM Provider,User,Team ID,Prompt Tokens,Completion Tokens,"
      "Start Time,Spend\n"
      "r1,gemini-2.5-flash,vertex_ai,alice,team-a,1000,120,2026-09-01T10:00:00Z,0.0006\n"
      "r2,gpt-4o,openai,bob,team-b,1000,100,2026-09-01T11:00:00Z,0.0035\n";
  EXPECT_EQ(counts(ingest_text(*store, csv, "spend.csv")),
            "read 2, stored 2, duplicates 0, rejected 0");
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("provider"), *GroupKey::parse("user"),
                *GroupKey::parse("project")};
  auto rows = store->aggregate(q);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).keys, (std::vector<std::string>{"openai", "bob", "team-b"}));
  EXPECT_EQ(rows->at(1).keys, (std::vector<std::string>{"vertex_ai", "alice", "team-a"}));
  EXPECT_EQ(rows->at(1).cost.at("USD").to_string(), "0.0006");  // priced as Google's
  // A header with the record's own columns keeps them.
  const std::string own =
      "id,model,provider,custom_llm_provider,user_id,user,prompt_tokens,timestamp\n"
      "o1,gpt-4o,openai,azure,u1,u2,1000,2026-09-02T10:00:00Z\n";
  EXPECT_EQ(counts(ingest_text(*store, own, "own.csv")),
            "read 1, stored 1, duplicates 0, rejected 0");
  AggregateQuery one;
  one.filters = {*Filter::parse("user=u1"), *Filter::parse("provider=openai")};
  EXPECT_EQ(scan_all(*store, one).size(), 1u);
  // Its metadata column's usage_object gives the cache reads and writes the counts leave out:
  // 100 * $3/M + 400 * $3.75/M + 1000 * $0.3/M + 200 * $15/M.
  const std::string cached =
      "Request ID,Model,Custom LLM Provider,Prompt Tokens,Completion Tokens,Start Time,Metadata\n"
      "c1,claude-sonnet-4-5,anthropic,1500,200,2026-09-03T10:00:00Z,\"{\"\"usage_object\"\": "
      "{\"\"prompt_tokens\"\": 1500, \"\"completion_tokens\"\": 200, "
      "\"\"cache_creation_input_tokens\"\": 400, \"\"cache_read_input_tokens\"\": 1000}}\"\n";
  EXPECT_EQ(counts(ingest_text(*store, cached, "cached.csv")),
            "read 1, stored 1, duplicates 0, rejected 0");
  AggregateQuery day;
  day.from = *parse_timestamp("2026-09-03T00:00:00Z");
  auto c = store->aggregate(day);
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ(c->front().cost.at("USD").to_string(), "0.0051");
  // Columns named as queries name the dimensions: project, organization (and user).
  const std::string dims =
      "id,model,Project,Organization,input_tokens,output_tokens,timestamp\n"
      "d1,gpt-4o,search,acme,1000,10,2026-09-04T10:00:00Z\n";
  EXPECT_EQ(counts(ingest_text(*store, dims, "dims.csv")),
            "read 1, stored 1, duplicates 0, rejected 0");
  AggregateQuery named;
  named.filters = {*Filter::parse("project=search"), *Filter::parse("organization=acme")};
  EXPECT_EQ(scan_all(*store, named).size(), 1u);
}

// Cursor's usage export (its dashboard's CSV of usage events): each row a record of its date,
// model (as the catalog names it) and user, the input with cache writes plus the cache reads as
// the input, the writes as what the input with them has beyond the one without; Kind and Max Mode
// as tags, Cost when an amount as the cost it logged; a count that is none, or inputs that do
// not add up, reject the row by its column's name.
TEST_P(StoreTest, CursorUsageExportRowsAreRecords) {
  COSTOPS_OPEN_STORE(store, "cursor");
  const std::string csv =
      "Date,User,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,"
      "Output Tokens,Total Tokens,Cost\n"
      "\"2026-10-01T10:00:00.000Z\",ann@example.com,\"Included\",\"claude-4-sonnet-thinking\","
      "\"No\",\"1200\",\"1000\",\"5000\",\"300\",\"6500\",\"$0.12\"\n"
      "\"2026-10-01T11:00:00.000Z\",bo@example.com,\"Errored, No Charge\",\"claude-4.5-sonnet\","
      "\"Yes\",\"100\",\"100\",\"0\",\"10\",\"110\",\"Included\"\n"
      "\"2026-10-01T12:00:00.000Z\",bo@example.com,Included,gpt-5,No,90,100,0,10,100,0\n"
      "\"2026-10-01T13:00:00.000Z\",bo@example.com,Included,gpt-5,No,1.5k,100,0,10,100,0\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, csv, "usage-events.csv", &rejects);
  EXPECT_EQ(counts(s), "read 4, stored 2, duplicates 0, rejected 2");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].line, 4u);
  EXPECT_EQ(rejects[0].reason,
            "field \"Input (w/ Cache Write)\": 90 is less than \"Input (w/o Cache Write)\", 100");
  EXPECT_EQ(rejects[1].reason,
            "field \"Input (w/ Cache Write)\": expected a count of tokens, got "
            "\"1.5k\"");
  const std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 2u);
  const UsageRecord& r = all[0].usage;
  EXPECT_EQ(format_timestamp(r.timestamp), "2026-10-01T10:00:00Z");
  EXPECT_EQ(r.model, "claude-sonnet-4");
  EXPECT_EQ(r.user_id, "ann@example.com");
  EXPECT_EQ(r.usage.get(units::kInputTokens), 6200);
  EXPECT_EQ(r.usage.get(units::kCacheReadTokens), 5000);
  EXPECT_EQ(r.usage.get(units::kOutputTokens), 300);
  EXPECT_EQ(r.logged_cost->to_string(), "0.12");
  auto tags = r.tags;  // (PostgreSQL's jsonb keeps its own order of keys)
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::pair<std::string, std::string>>{
                      {"kind", "Included"}, {"max_mode", "No"}, {"service", "cursor"}}));
  // 1000 * $3/M + 200 * $3.75/M + 5000 * $0.3/M + 300 * $15/M.
  EXPECT_EQ(all[0].cost->total_cost.amount.to_string(), "0.00975");
  EXPECT_EQ(all[1].usage.model, "claude-sonnet-4-5");
  EXPECT_FALSE(all[1].usage.logged_cost.has_value());  // "Included" is no amount
  // An export with one of the two inputs: no cache writes known.
  EXPECT_EQ(counts(ingest_text(*store,
                               "Date,Model,Input (w/ Cache Write),Cache Read,Output Tokens\n"
                               "2026-10-02T10:00:00Z,gpt-4o,1000,500,10\n",
                               "older.csv")),
            "read 1, stored 1, duplicates 0, rejected 0");
  AggregateQuery second;
  second.from = *parse_timestamp("2026-10-02T00:00:00Z");
  const auto rows = store->aggregate(second);
  EXPECT_EQ(rows->at(0).input_tokens, 1500);
  EXPECT_EQ(rows->at(0).cache_read_tokens, 500);
  EXPECT_EQ(rows->at(0).cache_write_tokens, 0);
}

// CloudWatch Logs' events (`aws logs filter-log-events` output, a subscription's "logEvents"):
// each event's message is the line it logged, read as a JSON Lines record (Bedrock's invocation
// logs), and rejects name the event.
TEST_P(StoreTest, CloudWatchLogEventsAreTheLinesTheyLogged) {
  COSTOPS_OPEN_STORE(store, "log_events");
  const std::string bedrock =
      R"({\"schemaType\": \"ModelInvocationLog\", \"timestamp\": \"2026-09-01T10:00:00Z\", \"requestId\": \"ID\", )"
      R"(\"modelId\": \"anthropic.claude-sonnet-4-5-20250929-v1:0\", \"input\": {\"inputTokenCount\": 1000000}, )"
      R"(\"output\": {\"outputTokenCount\": 0}})";
  auto with_id = [&](const char* id) {
    std::string m = bedrock;
    m.replace(m.find("ID"), 2, id);
    return m;
  };
  for (const char* list : {"events", "logEvents"}) {
    const std::string doc = std::string("{\"") + list +
                            "\": [\n  {\"timestamp\": 1, \"message\": \"" + with_id(list) +
                            "\"},\n  {\"timestamp\": 2, \"message\": \"START RequestId: 1\"}\n]}";
    std::vector<ingest::Reject> rejects;
    EXPECT_EQ(counts(ingest_text(*store, doc, "events.json", &rejects)),
              "read 2, stored 1, duplicates 0, rejected 1")
        << doc;
    ASSERT_EQ(rejects.size(), 1u);
    EXPECT_EQ(rejects[0].line, 3u);
    EXPECT_EQ(rejects[0].reason.rfind(std::string(list) + "[1].message: invalid JSON", 0), 0u)
        << rejects[0].reason;
  }
  auto total = store->aggregate({});
  ASSERT_TRUE(total.has_value());
  EXPECT_EQ(total->front().cost.at("USD").to_string(), "6.6");  // 2 * 1M * $3.3/M
}

// Langfuse's observations as its public API pages them ({"data": [...], "meta": {...}}, saved as
// a .json file) and as a CSV export with a usageDetails column: generations are stored, a span
// (no model, no usage) is rejected as no model call, and rejects name their lines.
TEST_P(StoreTest, LangfuseObservationPagesAndCsvExports) {
  COSTOPS_OPEN_STORE(store, "langfuse");
  const std::string page =
      "{\"data\": [\n"
      "  {\"id\": \"o1\", \"type\": \"GENERATION\", \"name\": \"answer\", \"startTime\": "
      "\"2026-03-01T10:00:00Z\", \"model\": \"gpt-4o\", \"usageDetails\": {\"input\": 1000, "
      "\"input_cached_tokens\": 200, \"output\": 300, \"total\": 1500}, \"environment\": "
      "\"prod\"},\n"
      "  {\"id\": \"o2\", \"type\": \"SPAN\", \"name\": \"retrieve\", \"startTime\": "
      "\"2026-03-01T10:00:00Z\", \"usageDetails\": {}},\n"
      "  {\"id\": \"o3\", \"type\": \"GENERATION\", \"startTime\": \"2026-03-01T10:01:00Z\", "
      "\"providedModelName\": \"gpt-4o\", \"usageDetails\": {\"input\": 2000, \"output\": 100}}\n"
      "], \"meta\": {\"page\": 1, \"limit\": 50, \"totalItems\": 3, \"totalPages\": 1}}\n";
  // Ingests `text` as `name`: its counts, and its one reject's line and reason.
  auto ingest_one_reject = [&](const std::string& text, const char* name, const char* want,
                               uint64_t line, const std::string& reason) {
    std::vector<ingest::Reject> rejects;
    EXPECT_EQ(counts(ingest_text(*store, text, name, &rejects)), want) << name;
    ASSERT_EQ(rejects.size(), 1u) << name;
    EXPECT_EQ(rejects[0].line, line) << name;
    EXPECT_EQ(rejects[0].reason, reason) << name;
  };
  const std::string no_call = " observation without a model or usage, not a model call";
  ingest_one_reject(page, "observations.json", "read 3, stored 2, duplicates 0, rejected 1", 3,
                    "not billed: a Langfuse SPAN" + no_call);
  // Pages fetched in turn, one per line, as a shell loop saves them (under any name): each
  // page's records, a reject naming its element on the line.
  const std::string pages =
      "{\"data\": [{\"id\": \"p1\", \"model\": \"gpt-4o\", \"startTime\": "
      "\"2026-03-02T10:00:00Z\", \"usageDetails\": {\"input\": 1000}}, {\"id\": \"p2\", "
      "\"type\": \"EVENT\", \"usageDetails\": null}], \"meta\": {\"page\": 1}}\n"
      "{\"data\": [{\"id\": \"p3\", \"model\": \"gpt-4o\", \"startTime\": "
      "\"2026-03-02T11:00:00Z\", \"usageDetails\": {\"input\": 1000}}], \"meta\": {\"page\": 2}}\n";
  ingest_one_reject(pages, "pages.txt", "read 3, stored 2, duplicates 0, rejected 1", 1,
                    "data[1]: not billed: a Langfuse EVENT" + no_call);
  EXPECT_EQ(counts(ingest_text(*store, pages, "pages.txt")),
            "read 3, stored 0, duplicates 2, rejected 1");
  const std::string csv =
      "id,traceId,type,name,startTime,providedModelName,usageDetails,environment,userId\n"
      "o1,t1,GENERATION,answer,2026-03-01T10:00:00Z,gpt-4o,\"{\"\"input\"\": 1000, "
      "\"\"input_cached_tokens\"\": 200, \"\"output\"\": 300, \"\"total\"\": 1500}\",prod,u1\n"
      "o4,t1,GENERATION,answer,2026-03-01T11:00:00Z,gpt-4o,\"{\"\"input\"\": 1000, "
      "\"\"output\"\": 0}\",prod,u1\n"
      "o5,t1,SPAN,retrieve,2026-03-01T11:00:00Z,,,prod,u1\n";
  ingest_one_reject(csv, "observations.csv", "read 3, stored 1, duplicates 1, rejected 1", 4,
                    "not billed: a Langfuse SPAN" + no_call);
  AggregateQuery by;
  by.group_by = {*GroupKey::parse("tag:environment")};
  auto rows = store->aggregate(by);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2u);
  // prod: o1 (1000 * $2.50/M + 200 * $1.25/M + 300 * $10/M) and o4 (1000 * $2.50/M).
  EXPECT_EQ(rows->at(1).keys, (std::vector<std::string>{"prod"}));
  EXPECT_EQ(rows->at(1).cost.at("USD").to_string(), "0.00825");
  // o3 (2000 * $2.50/M + 100 * $10/M), p1 and p3 (2 * 1000 * $2.50/M).
  EXPECT_EQ(rows->at(0).cost.at("USD").to_string(), "0.011");
}

// RFC 4180 fields span lines inside quotes (prompt text in a gateway's CSV export); a quote that
// never closes rejects its first line, and the lines after it are read again; a JSON cell must
// be one object (not text that adds keys to the record).
TEST_P(StoreTest, CsvQuotedFieldsSpanLines) {
  COSTOPS_OPEN_STORE(store, "csv_lines");
  const std::string csv =
      "id,timestamp,provider,model,input_tokens,output_tokens,prompt,usage\r\n"
      "r1,2026-09-01T10:00:00Z,openai,gpt-4o,1000,100,\"first\r\n\r\nthird, \"\"quoted\"\"\",\r\n"
      "r2,2026-09-01T11:00:00Z,openai,gpt-4o,1000,100,plain,\n"
      "r3,2026-09-01T12:00:00Z,openai,gpt-4o,,,x,\"{\"\"input_tokens\"\":5},\"\"model\"\":1\"\n"
      "r4,2026-09-01T13:00:00Z,openai,gpt-4o,,,x,\"{\"\"input_tokens\"\":1000}\"\n"
      "r5,2026-09-01T14:00:00Z,openai,gpt-4o,1000,100,\"never closed,\n"
      "\n"
      "r6a,2026-09-01T14:30:00Z,openai,gpt-4o,1000,100,x\",y,\"z\n"  // also never closes alone
      "r6,2026-09-01T15:00:00Z,openai,gpt-4o,1000,100,ok,\n"
      "r7,2026-09-01T16:00:00Z,openai,gpt-4o,1000,100,,\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, csv, "export.csv", &rejects);
  // Stored: r1, r2, r4, r6, r7.
  EXPECT_EQ(counts(s), "read 8, stored 5, duplicates 0, rejected 3");
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(rejects[0].line, 6u);
  EXPECT_NE(rejects[0].reason.find("field \"usage\": expected a JSON object"), std::string::npos)
      << rejects[0].reason;
  EXPECT_EQ(rejects[1].line, 8u);
  EXPECT_EQ(rejects[1].reason, "unterminated quoted field");
  EXPECT_EQ(rejects[1].text, "r5,2026-09-01T14:00:00Z,openai,gpt-4o,1000,100,\"never closed,");
  EXPECT_EQ(rejects[2].line, 10u);
  EXPECT_EQ(rejects[2].reason, "unterminated quoted field");
  auto rows = store->aggregate({});
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().records, 5u);
  // r1, r2, r6, r7: 1000 input, 100 output at 2.5 and 10 per M; r4: 1000 input.
  EXPECT_EQ(rows->front().cost.at("USD").to_string(), "0.0165");
}

// Filter patterns in SQL: '*' is the only wildcard; the SQL dialects' own ('_', '%', '?', '[')
// are plain characters, in tags (matched in SQL) as in dimensions (matched against their values).
TEST_P(StoreTest, FilterPatternsHaveOneWildcard) {
  COSTOPS_OPEN_STORE(store, "patterns");
  std::string csv = "id,timestamp,provider,model,input_tokens,tag:t,project_id\n";
  const char* values[] = {"a_b", "a%b", "axb", "a?b", "a[b]"};
  for (int i = 0; i < 5; ++i) {
    csv += std::string("r") + std::to_string(i) + ",2026-09-01T10:00:00Z,openai,gpt-4o," +
           std::to_string(1000 * (i + 1)) + "," + values[i] + "," + values[i] + "\n";
  }
  EXPECT_EQ(ingest_text(*store, csv, "p.csv").stored, 5u);
  for (const char* key : {"tag:t", "project"}) {
    for (const auto& [pattern, want] : std::vector<std::pair<std::string, std::string>>{
             {"a_*", "a_b"}, {"a%*", "a%b"}, {"a?*", "a?b"}, {"a[*", "a[b]"}, {"*b", "4"}}) {
      AggregateQuery q;
      q.group_by = {*GroupKey::parse(key == std::string("project") ? "project" : "tag:t")};
      q.filters = {*Filter::parse(std::string(key) + "=" + pattern)};
      auto rows = store->aggregate(q);
      ASSERT_TRUE(rows.has_value()) << rows.status_or_ok().to_string();
      std::string got = rows->size() == 1 ? rows->front().keys[0] : std::to_string(rows->size());
      EXPECT_EQ(got, want) << key << "=" << pattern;
    }
  }
}

// A dimension pattern may match more values than a statement takes parameters (PostgreSQL's
// 65,535; SQLite's 32,766 as built by default, 250,000 as Debian builds it):
// the matching ids are written into the SQL.
TEST_P(StoreTest, PatternMatchingManyValues) {
  COSTOPS_OPEN_STORE(store, "many");
  constexpr int kUsers = 66000;
  std::string csv = "id,timestamp,provider,model,input_tokens,user_id\n";
  for (int i = 0; i < kUsers; ++i) {
    csv += "r" + std::to_string(i) + ",2026-09-01T10:00:00Z,openai,gpt-4o,1000,u" +
           std::to_string(i) + "\n";
  }
  const auto stats = ingest_text(*store, csv, "users.csv", nullptr, "2026-10-01T00:00:00Z", 10000);
  EXPECT_EQ(stats.stored, static_cast<uint64_t>(kUsers));
  AggregateQuery q;
  q.filters = {*Filter::parse("user=u*"), *Filter::parse("user!=u1*")};
  auto rows = store->aggregate(q);
  ASSERT_TRUE(rows.has_value()) << rows.status_or_ok().to_string();
  ASSERT_EQ(rows->size(), 1u);
  uint64_t want = 0;
  for (int i = 0; i < kUsers; ++i) want += std::to_string(i).front() != '1';
  EXPECT_EQ(rows->front().records, want);
}

// Gateways and spreadsheets name columns their own way: a CSV header matches by name in any case,
// with spaces or hyphens for underscores or in camel case, and the time may be named created_at or
// start_time (also in JSON: created_at, createdAt, start_time, startTime). A record with no time at
// all is dated at the ingest time and counted as such. A request id keys a record without an id.
TEST_P(StoreTest, ColumnNamesInAnyCaseAndOtherNamesForTheTime) {
  COSTOPS_OPEN_STORE(store, "names");
  const std::string csv =
      "Request ID,Created At,Provider,Model,Prompt Tokens,Completion-Tokens,tag:Team\n"
      "r1,2026-09-01T10:00:00Z,openai,gpt-4o,1000,100,Search\n";
  auto s = ingest_text(*store, csv, "export.csv");
  EXPECT_EQ(s.stored, 1u);
  EXPECT_EQ(s.untimed, 0u);
  const std::string jsonl =
      R"({"startTime":"2026-09-02T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000}})"
      "\n"
      R"({"timestamp":"2026-09-03T10:00:00Z","created_at":"2026-09-09T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000}})"
      "\n"
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":2000}})"
      "\n"
      R"({"created_at":"yesterday","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1}})"
      "\n";
  std::vector<ingest::Reject> rejects;
  s = ingest_text(*store, jsonl, "gateway.jsonl", &rejects);
  EXPECT_EQ(s.stored, 3u);
  EXPECT_EQ(s.untimed, 1u);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_NE(rejects[0].reason.find("field \"created_at\""), std::string::npos) << rejects[0].reason;
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("day"), *GroupKey::parse("tag:Team")};
  auto rows = store->aggregate(q);
  ASSERT_TRUE(rows.has_value());
  std::vector<std::string> days;
  for (const auto& r : *rows) days.push_back(r.keys[0] + " " + r.keys[1]);
  // The untimed record is on the ingest time's day (ingest_text's 2026-10-01).
  EXPECT_EQ(days, (std::vector<std::string>{"2026-09-01 Search", "2026-09-02 ", "2026-09-03 ",
                                            "2026-10-01 "}));
  // A column the record reads must be UTF-8 text; one it does not read may hold any bytes.
  std::vector<ingest::Reject> bad;
  s = ingest_text(*store,
                  "id,timestamp,provider,model,input_tokens,notes\n"
                  "u1,2026-09-06T10:00:00Z,openai,gpt-4o,1000,caf\xe9\n"
                  "u2,2026-09-06T10:00:00Z,openai,gpt-4o\xe9,1000,x\n",
                  "latin1.csv", &bad);
  EXPECT_EQ(counts(s), "read 2, stored 1, duplicates 0, rejected 1");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].reason,
            "field \"model\": not UTF-8 text (in another encoding? --encoding names it, such as "
            "windows-1252)");
  // Spreadsheets in comma-decimal locales separate with ';', and TSV with tabs: the header says.
  s = ingest_text(*store,
                  "id;timestamp;provider;model;input_tokens;tag:Team\n"
                  "s1;2026-09-04T10:00:00Z;openai;gpt-4o;1000;\"a;b\"\n",
                  "excel.csv");
  EXPECT_EQ(counts(s), "read 1, stored 1, duplicates 0, rejected 0");
  s = ingest_text(*store,
                  "id\ttimestamp\tprovider\tmodel\tinput_tokens\ttag:Team\n"
                  "t1\t2026-09-05T10:00:00Z\topenai\tgpt-4o\t1000\tx,y\n",
                  "export.tsv", nullptr, "2026-10-01T00:00:00Z", 7);
  EXPECT_EQ(counts(s), "read 1, stored 1, duplicates 0, rejected 0");
  rows = store->aggregate(q);
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ(rows->back().keys, (std::vector<std::string>{"2026-10-01", ""}));
  EXPECT_EQ((*rows)[3].keys, (std::vector<std::string>{"2026-09-04", "a;b"}));
  EXPECT_EQ((*rows)[4].keys, (std::vector<std::string>{"2026-09-05", "x,y"}));
  // Camel case names too (a gateway's export), and a request id keys each record: two requests
  // alike in content and second are two records.
  s = ingest_text(*store,
                  "requestId,createdAt,provider,model,promptTokens,completionTokens,request\n"
                  "q1,2026-09-07T10:00:00Z,openai,gpt-4o,1000,100,hello\n"
                  "q2,2026-09-07T10:00:00Z,openai,gpt-4o,1000,100,hello\n",
                  "camel.csv");
  EXPECT_EQ(counts(s), "read 2, stored 2, duplicates 0, rejected 0");
  AggregateQuery day7;
  day7.from = *parse_timestamp("2026-09-07");
  day7.to = *parse_timestamp("2026-09-08");
  rows = store->aggregate(day7);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().cost.at("USD").to_string(), "0.007");
  // A header the run cannot read stops it: two columns that name one key (which holds it?), a
  // misspelled token count (whose tokens would go unpriced).
  auto header_error = [](const std::string& text) {
    ingest::IngestOptions opt;
    opt.catalog = &pricing::Catalog::builtin();
    std::FILE* f = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
    auto run = ingest::ingest_stream(
        f, "h.csv", opt, [](auto) { return Result<ingest::BatchResult>(ingest::BatchResult{}); },
        [](const ingest::Reject&) {});
    std::fclose(f);
    return run.has_value() ? std::string("no error") : run.status().message();
  };
  EXPECT_EQ(header_error("model,Provider,provider\ngpt-4o,openai,openai\n"),
            "h.csv:1: the CSV header names \"provider\" in columns 2 and 3 (names match in any "
            "case): which one holds it?");
  EXPECT_EQ(header_error("model,provider,input_tokns\ngpt-4o,openai,1000\n"),
            "h.csv:1: the CSV header's column 3 \"input_tokns\" is no usage column (did you mean "
            "input_tokens?); its tokens would go unpriced");
  // Beside the column it seems to misspell, it is some other column.
  EXPECT_EQ(header_error("model,provider,input_tokens,input_token\ngpt-4o,openai,1,2\n"),
            "no error");
}

// A UTF-8 byte order mark (PowerShell 5 and Excel's "CSV UTF-8" write one) is not part of the
// first line: a CSV header's first column, a JSON document's first byte, a JSON Lines record.
TEST_P(StoreTest, ByteOrderMarkIsNotPartOfTheFirstLine) {
  COSTOPS_OPEN_STORE(store, "bom");
  const std::string bom = "\xEF\xBB\xBF";
  const std::vector<std::pair<std::string, const char*>> inputs = {
      {bom + "id,model,provider,input_tokens\nc1,gpt-4o,openai,1000\n", "excel.csv"},
      {bom + R"([{"id":"j1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000}}])",
       "export"},
      {bom + R"({"id":"l1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000}})"
             "\n",
       "log.jsonl"}};
  for (const auto& [text, source] : inputs) {
    std::vector<ingest::Reject> rejects;
    auto s = ingest_text(*store, text, source, &rejects);
    EXPECT_EQ(s.stored, 1u) << source << ": " << (rejects.empty() ? "" : rejects[0].reason);
  }
  auto rows = store->aggregate({});
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().cost.at("USD").to_string(), "0.0075");
}

// UTF-16 input (Windows PowerShell 5's `>` and Out-File write it; Excel's "Unicode Text" is
// UTF-16 with tabs), told by its byte order mark, reads as if it had been saved as UTF-8. A unit
// that is no character ends the input there, as a read error does: the records before it count.
TEST_P(StoreTest, Utf16InputReadsAsUtf8) {
  COSTOPS_OPEN_STORE(store, "utf16");
  const std::vector<std::pair<std::string, const char*>> inputs = {
      {testing::utf16("id\tmodel\tprovider\tinput_tokens\r\nc1\tgpt-4o\topenai\t1000\r\n"),
       "unicode.txt"},
      {testing::utf16(
           R"([{"id":"j1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000}}])",
           false),
       "export.json"},
      {testing::utf16(
           R"({"id":"l1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000},)"
           R"("tags":{"team":"caf\u00e9 \ud83d\ude00"}})"
           "\n"
           R"({"id":"l2","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000},)"
           "\"tags\":{\"team\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}}\n"),
       "log.jsonl"}};
  for (const auto& [text, source] : inputs) {
    std::vector<ingest::Reject> rejects;
    auto s = ingest_text(*store, text, source, &rejects);
    EXPECT_EQ(s.stored, std::string_view(source) == "log.jsonl" ? 2u : 1u)
        << source << ": " << (rejects.empty() ? "" : rejects[0].reason);
    EXPECT_EQ(s.input_error, "") << source;
  }
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("tag:team")};
  auto rows = store->aggregate(q);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).keys, std::vector<std::string>{""});
  EXPECT_EQ(rows->at(0).records, 2u);
  EXPECT_EQ(rows->at(1).keys, std::vector<std::string>{"caf\xC3\xA9 \xF0\x9F\x98\x80"});
  EXPECT_EQ(rows->at(1).records, 2u);
  EXPECT_EQ(rows->at(1).cost.at("USD").to_string(), "0.005");

  std::vector<ingest::Reject> rejects;
  auto broken = ingest_text(
      *store,
      testing::utf16(
          R"({"id":"b1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000}})"
          "\n") +
          std::string("\x00\xDC", 2),
      "broken.jsonl", &rejects);
  EXPECT_EQ(counts(broken), "read 1, stored 1, duplicates 0, rejected 0");
  EXPECT_EQ(broken.input_error,
            "broken.jsonl: line 2: invalid UTF-16: a low surrogate without its high one");
}

// Blanks after the last line break (an editor's trailing spaces) are nothing: no record, no
// reject. The reader once searched for a line break past them, beyond its buffer (found by
// tests/fuzz/fuzz_input: corpus file trailing_blank).
TEST_P(StoreTest, BlanksAfterTheLastLineBreakAreNothing) {
  COSTOPS_OPEN_STORE(store, "trailing_blank");
  const std::string record =
      R"({"id":"t1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000}})";
  for (const auto& [text, source] :
       std::vector<std::pair<std::string, const char*>>{{record + "\n   ", "log.jsonl"},
                                                        {record + "\n\t", "log2.jsonl"},
                                                        {" ", "blank.jsonl"},
                                                        {"model,input_tokens\n  ", "blank.csv"}}) {
    std::vector<ingest::Reject> rejects;
    auto s = ingest_text(*store, text, source, &rejects);
    EXPECT_EQ(s.rejected, 0u) << source << ": " << (rejects.empty() ? "" : rejects[0].reason);
    EXPECT_EQ(s.read, s.stored + s.duplicates) << source;
  }
  EXPECT_EQ(store->aggregate({})->front().records, 1u);
}

// A stray quote that a later line's stray quote closes leaves a record without the header's
// columns, or with a line break in a column that holds one line (a record key, a usage count, a
// tag): the first line is rejected and the lines between are records again. A line break inside
// free text (a column the record does not read) stays legal.
TEST_P(StoreTest, CsvStrayQuotesDoNotSwallowTheLinesBetween) {
  COSTOPS_OPEN_STORE(store, "csv_stray");
  struct Case {
    std::string csv, counts;
    std::vector<std::string> rejects;  // LINE: reason
  };
  const Case cases[] = {
      // Stored: b, d.
      {"id,provider,model,input_tokens,prompt\n"
       "a,openai,gpt-4o,1000,\"oops\n"
       "b,openai,gpt-4o,1000,fine\n"
       "c,openai,gpt-4o,1000,x\"y,extra\n"
       "d,openai,gpt-4o,1000,ok\n",
       "read 4, stored 2, duplicates 0, rejected 2",
       {"2: a quoted field runs to line 4 and leaves 6 columns, not the header's 5: taken as a "
        "quote that does not close",
        "4: expected 5 columns (as the header), got 6"}},
      // Stored: b2, e, f (its tag is x"), g (whose prompt spans two lines); c2 is read again on
      // its own, where 1000" is not a count.
      {"id,provider,model,input_tokens,tag:team,prompt\n"
       "a2,openai,gpt-4o,\"1000,x,oops\n"
       "b2,openai,gpt-4o,1000,x,fine\n"
       "c2,openai,gpt-4o,1000\",x,y\n"
       "d,openai,gpt-4o,1000,\"search\n"
       "e,openai,gpt-4o,1000,x,fine\n"
       "f,openai,gpt-4o,1000,x\",ok\n"
       "g,openai,gpt-4o,1000,x,\"two\nlines\"\n",
       "read 7, stored 4, duplicates 0, rejected 3",
       {"2: a quoted field runs to line 4 in column \"input_tokens\", which holds no line breaks: "
        "taken as a quote that does not close",
        "4: field \"input_tokens\": expected a non-negative integer, got \"1000\\\"\"",
        "5: a quoted field runs to line 7 in column \"tag:team\", which holds no line breaks: "
        "taken as a quote that does not close"}},
  };
  for (const Case& c : cases) {
    std::vector<ingest::Reject> rejects;
    auto s = ingest_text(*store, c.csv, "stray.csv", &rejects);
    EXPECT_EQ(counts(s), c.counts);
    std::vector<std::string> got;
    for (const auto& r : rejects) got.push_back(std::to_string(r.line) + ": " + r.reason);
    EXPECT_EQ(got, c.rejects);
    // The rejected first line is reported as it was, not as the merged record.
    const size_t row = c.csv.find('\n') + 1;
    EXPECT_EQ(rejects.front().text, c.csv.substr(row, c.csv.find('\n', row) - row));
  }
  auto rows = store->aggregate({});
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().records, 6u);
}

// A quote still open after 8 MiB is taken as never closed: without the bound, the quote on line 2
// would close on the last line and take every line between into one record.
TEST_P(StoreTest, CsvQuoteOpenPastTheBoundIsUnterminated) {
  COSTOPS_OPEN_STORE(store, "csv_bound");
  std::string csv = "id,provider,model,input_tokens,prompt\na,openai,gpt-4o,1000,\"open\n";
  const std::string mib(1 << 20, 'x');
  for (int i = 0; i < 11; ++i) csv += "b" + std::to_string(i) + ",openai,gpt-4o,1000," + mib + "\n";
  csv += "c,openai,gpt-4o,1000,\"closes\"\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, csv, "big.csv", &rejects);
  EXPECT_EQ(counts(s), "read 13, stored 12, duplicates 0, rejected 1");
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].line, 2u);
  EXPECT_EQ(rejects[0].reason, "unterminated quoted field");
}

TEST_P(StoreTest, OpenTelemetryGenAiSpans) {
  COSTOPS_OPEN_STORE(store, "otel");
  // Two OTLP GenAI spans and an HTTP span in one export line, a flattened span, a bad span, not
  // JSON.
  const std::string text =
      testing::read_file(testing::source_path("tests/testdata/otel_genai.jsonl"));
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "spans.jsonl", &rejects);
  // The HTTP span is not a usage record.
  EXPECT_EQ(counts(s), "read 5, stored 3, duplicates 0, rejected 2");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].line, 3u);
  EXPECT_TRUE(rejects[0].text.starts_with("{\"name\":\"bad\""))
      << rejects[0].text;  // the line as given
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("provider"), *GroupKey::parse("model"),
                *GroupKey::parse("tag:service")};
  auto rows = store->aggregate(q);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ(rows->at(0).keys,
            (std::vector<std::string>{"anthropic", "claude-sonnet-4-5", "search-api"}));
  EXPECT_EQ(rows->at(0).cost.at("USD").to_string(), "0.00375");  // 1000*3 + 2000*0.3 + 10*15 per M
  EXPECT_EQ(rows->at(1).keys[0], "aws");
  EXPECT_EQ(rows->at(2).keys[1], "gpt-4o-2024-08-06");  // the response model
  const std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 3u);  // oldest first
  EXPECT_EQ(all[0].usage.id, "otel:bb:01");
  EXPECT_EQ(all[1].usage.id, "otel:aa01:01");
  EXPECT_EQ(format_timestamp(all[1].usage.timestamp), "2026-09-21T14:13:20Z");  // startTimeUnixNano
}

// OTLP log records: Claude Code's claude_code.api_request events (its other events are no
// usage) and a GenAI semantic-conventions event; a part of the export that is not a list is
// rejected. Claude Code counts its input as Anthropic's API does, without the cache.
TEST_P(StoreTest, OpenTelemetryLogRecordsClaudeCodeAndGenAiEvents) {
  COSTOPS_OPEN_STORE(store, "otel_logs");
  const std::string text =
      testing::read_file(testing::source_path("tests/testdata/otel_logs.json"));
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "logs.json", &rejects);
  EXPECT_EQ(counts(s), "read 4, stored 3, duplicates 0, rejected 1");
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason,
            "field \"resourceLogs[1].scopeLogs[1].logRecords\": expected a list, got object");
  // Claude Code's logged costs are its list prices: both exact.
  EXPECT_EQ(s.logged.records, 2u);
  EXPECT_EQ(s.logged.off, 0u);
  EXPECT_EQ(s.logged.logged.to_string(), "0.017411");
  EXPECT_EQ(s.logged.exact.to_string(), "0.017411");
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("user"), *GroupKey::parse("tag:session"),
                *GroupKey::parse("model")};
  auto rows = store->aggregate(q);
  ASSERT_TRUE(rows.has_value()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 3u);
  // 12 * $3/M + 20000 * $0.30/M + 1500 * $3.75/M + 350 * $15/M
  EXPECT_EQ(rows->at(2).keys,
            (std::vector<std::string>{"dev@example.com", "sess-1", "claude-sonnet-4-5-20250929"}));
  EXPECT_EQ(rows->at(2).cost.at("USD").to_string(), "0.016911");
  EXPECT_EQ(rows->at(2).input_tokens, 21512);
  EXPECT_EQ(rows->at(0).keys, (std::vector<std::string>{"", "", "gpt-4o-2024-08-06"}));
  const std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 3u);  // oldest first
  EXPECT_EQ(all[0].usage.id, "claude-code:sess-1:2");
  EXPECT_EQ(format_timestamp(all[0].usage.timestamp), "2026-11-02T10:00:02Z");  // event.timestamp
  EXPECT_EQ(all[0].usage.organization_id, "org-1");
  EXPECT_EQ(all[2].usage.id,
            "otel:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174:1793613700000000000");
  EXPECT_EQ(format_timestamp(all[2].usage.timestamp), "2026-11-02T10:01:40Z");  // timeUnixNano
  // The same export again: every event a duplicate.
  EXPECT_EQ(counts(ingest_text(*store, text, "logs.json")),
            "read 4, stored 0, duplicates 3, rejected 1");
}

// Claude Code's session transcripts: an assistant message's streaming lines are one record with
// their final (largest) counts; the other lines are no usage; a message still streaming at the
// end of its file waits for the file to be read again.
TEST_P(StoreTest, ClaudeCodeTranscriptsCountEachMessageOnceWithItsFinalCounts) {
  COSTOPS_OPEN_STORE(store, "claude_code");
  const std::string text =
      testing::read_file(testing::source_path("tests/testdata/claude_code_session.jsonl"));
  EXPECT_EQ(ingest::detect_input_format("session.jsonl", text), ingest::InputFormat::kClaudeCode);
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "session.jsonl", &rejects);
  EXPECT_EQ(counts(s), "read 3, stored 3, duplicates 0, rejected 0");
  // A summary, a file snapshot, two user turns, a tool result... and a synthetic message.
  EXPECT_EQ(s.without_usage, 6u);
  EXPECT_EQ(s.merged, 2u);     // msg_01Kq's thinking and text lines before its tool use
  EXPECT_EQ(s.streaming, 1u);  // msg_01Nt, the file's last line, without its stop_reason yet
  std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 3u);
  const UsageRecord& first = all[0].usage;
  EXPECT_EQ(first.id, "claude-code:msg_01Kq");
  EXPECT_EQ(format_timestamp(first.timestamp), "2026-11-03T10:00:02.204Z");  // its first line's
  EXPECT_EQ(first.source, "session.jsonl:4");
  EXPECT_EQ(first.project_id, "/home/dev/shop");
  EXPECT_EQ(first.usage.get(units::kOutputTokens), 412);  // the final line's, not the first's 8
  // 4 * $3/M + 15000 * $0.30/M + 1200 * $3.75/M + 412 * $15/M
  EXPECT_EQ(all[0].cost->total_cost.amount.to_string(), "0.015192");
  // 6 * $3/M + 16200 * $0.30/M + 300 * $6/M (1-hour writes) + 95 * $15/M + one search at $10/k
  EXPECT_EQ(all[1].cost->total_cost.amount.to_string(), "0.018103");
  EXPECT_EQ(all[2].usage.model, "claude-haiku-4-5-20251001");
  EXPECT_EQ(all[2].cost->total_cost.amount.to_string(), "0.0015");
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("tag:session"), *GroupKey::parse("tag:agent")};
  auto rows = store->aggregate(q);
  ASSERT_TRUE(rows.has_value()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(1).keys,
            (std::vector<std::string>{"9f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "subagent"}));

  // The session moved on: the message that was streaming is taken with its final counts, the
  // others are duplicates.
  s = ingest_text(
      *store,
      testing::read_file(testing::source_path("tests/testdata/claude_code_session_later.jsonl")),
      "session.jsonl");
  EXPECT_EQ(counts(s), "read 4, stored 1, duplicates 3, rejected 0");
  EXPECT_EQ(s.streaming, 0u);
  all = scan_all(*store);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].usage.id, "claude-code:msg_01Nt");
  EXPECT_EQ(all[3].usage.usage.get(units::kOutputTokens), 260);
  EXPECT_EQ(all[3].cost->total_cost.amount.to_string(), "0.008865");
}

// Older transcripts end no message with a stop_reason: every message is taken at the end, the
// last too, with the cost the line logged compared; a line that is not JSON or has a count that
// is none is rejected by its line and field.
TEST_P(StoreTest, ClaudeCodeTranscriptsWithoutStopReasonsAndBadLines) {
  COSTOPS_OPEN_STORE(store, "claude_code_old");
  auto line = [](int n, const std::string& id, const std::string& out, const char* cost) {
    return R"({"parentUuid":null,"sessionId":"s-old","cwd":"/w","type":"assistant","timestamp":"2025-06-0)" +
           std::to_string(n) + R"(T10:00:00Z","costUSD":)" + cost + R"(,"message":{"id":")" + id +
           R"(","model":"claude-sonnet-4-20250514","stop_reason":null,"usage":{"input_tokens":1000,"output_tokens":)" +
           out + "}}}\n";
  };
  const std::string text = line(1, "m1", "5", "0.003075") + line(1, "m1", "100", "0.0045") +
                           "{not json\n" + line(2, "m2", "\"many\"", "0") +
                           line(3, "m3", "200", "0.006");
  // Without a message id or uuid, a line is a message of its own: never merged with another.
  const std::string anonymous =
      R"({"parentUuid":null,"sessionId":"s","type":"assistant","timestamp":"2025-06-04T10:00:00Z",)"
      R"("message":{"model":"claude-sonnet-4-20250514","usage":{"input_tokens":1,"output_tokens":1}}})"
      "\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "old.jsonl", &rejects);
  EXPECT_EQ(counts(s), "read 4, stored 2, duplicates 0, rejected 2");
  EXPECT_EQ(s.merged, 1u);
  EXPECT_EQ(s.streaming, 0u);  // m3 ends the file, but this writer never ends a message
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].line, 3u);
  EXPECT_EQ(rejects[0].reason, "not a JSON object (expected a Claude Code transcript line)");
  EXPECT_EQ(rejects[1].line, 4u);
  EXPECT_EQ(rejects[1].reason,
            "field \"message.usage.output_tokens\": expected a whole number of tokens, got "
            "\"many\"");
  const std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].usage.usage.get(units::kOutputTokens), 100);
  // Logged costs: a message's last line's, of its final counts; 1000 * $3/M + 100 * $15/M and
  // 1000 * $3/M + 200 * $15/M, exact.
  EXPECT_EQ(s.logged.records, 2u);
  EXPECT_EQ(s.logged.off, 0u);
  EXPECT_EQ(s.logged.exact.to_string(), "0.0105");
  // A session's first message, streaming as it is read (its last line written within the hour
  // before the reading, 2026-10-01T00:00:00Z here), waits even where no message has ended yet.
  const std::string first_reply =
      R"({"parentUuid":null,"sessionId":"s-new","type":"assistant","timestamp":"2026-09-30T23:40:00Z",)"
      R"("message":{"id":"m9","model":"claude-sonnet-4-5","stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1}}})"
      "\n";
  s = ingest_text(*store, first_reply, "new.jsonl");
  EXPECT_EQ(counts(s), "read 0, stored 0, duplicates 0, rejected 0");
  EXPECT_EQ(s.streaming, 1u);
  // Claude Code on Bedrock: the message id says so, in a tag.
  s = ingest_text(
      *store,
      R"({"parentUuid":null,"sessionId":"s-b","type":"assistant","timestamp":"2025-06-05T10:00:00Z",)"
      R"("message":{"id":"msg_bdrk_01TW","model":"claude-3-7-sonnet-20250219","stop_reason":"end_turn",)"
      R"("usage":{"input_tokens":1000,"output_tokens":10}}})"
      "\n",
      "bedrock.jsonl");
  EXPECT_EQ(counts(s), "read 1, stored 1, duplicates 0, rejected 0");
  AggregateQuery by_platform;
  by_platform.group_by = {*GroupKey::parse("tag:platform")};
  auto platforms = store->aggregate(by_platform);
  ASSERT_TRUE(platforms.has_value()) << platforms.status().to_string();
  ASSERT_EQ(platforms->size(), 2u);
  EXPECT_EQ(platforms->at(1).keys, std::vector<std::string>{"bedrock"});
  EXPECT_EQ(platforms->at(1).cost.at("USD").to_string(), "0.00315");  // 1000 * $3/M + 10 * $15/M
  s = ingest_text(*store, anonymous + anonymous, "anonymous.jsonl");
  EXPECT_EQ(counts(s), "read 2, stored 1, duplicates 1, rejected 0");  // keyed by content
  EXPECT_EQ(s.merged, 0u);
}

// Codex's rollouts: a record per model call, its token_count event's last_token_usage; the same
// event repeated unchanged (rate limit refreshes) is no call; a forked session's replay of its
// parent's calls is left to the parent's file.
TEST_P(StoreTest, CodexRolloutsCountEachCallOnce) {
  COSTOPS_OPEN_STORE(store, "codex");
  const std::string text =
      testing::read_file(testing::source_path("tests/testdata/codex_rollout.jsonl"));
  EXPECT_EQ(ingest::detect_input_format("rollout.jsonl", text), ingest::InputFormat::kCodex);
  auto s = ingest_text(*store, text, "rollout.jsonl");
  EXPECT_EQ(counts(s), "read 3, stored 3, duplicates 0, rejected 0");
  EXPECT_EQ(s.merged, 2u);         // two token counts repeated unchanged
  EXPECT_EQ(s.without_usage, 9u);  // meta, messages, turn contexts, a count without usage
  std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].usage.id, "codex:019a1b2c-4000-7000-8000-000000000001:17203+358");
  EXPECT_EQ(all[0].usage.provider, "openai");
  EXPECT_EQ(all[0].usage.model, "gpt-5.3-codex");
  EXPECT_EQ(all[0].usage.project_id, "/home/dev/api");
  EXPECT_EQ(format_timestamp(all[0].usage.timestamp), "2026-11-04T09:00:13Z");
  // (17203 - 3456) * $1.75/M + 3456 * $0.175/M (cached) + 358 * $14/M
  EXPECT_EQ(all[0].cost->total_cost.amount.to_string(), "0.02967405");
  EXPECT_EQ(all[1].cost->total_cost.amount.to_string(), "0.03157805");  // last_token_usage's
  EXPECT_EQ(all[2].usage.model, "gpt-5.4-mini");                        // its turn's model
  EXPECT_EQ(all[2].cost->total_cost.amount.to_string(), "0.0043542");

  // The fork replays the three calls (restamped the next day), then makes one of its own.
  s = ingest_text(
      *store, testing::read_file(testing::source_path("tests/testdata/codex_rollout_fork.jsonl")),
      "fork.jsonl");
  EXPECT_EQ(counts(s), "read 1, stored 1, duplicates 0, rejected 0");
  EXPECT_EQ(s.merged, 3u);
  all = scan_all(*store);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].usage.id, "codex:019a1b2d-0001-7000-8000-000000000003:78094+975");
  EXPECT_EQ(all[3].usage.usage.get(units::kInputTokens), 20000);  // not the running sum
  EXPECT_EQ(all[3].cost->total_cost.amount.to_string(), "0.00805");
  // The same file again stores nothing.
  EXPECT_EQ(counts(ingest_text(*store, text, "rollout.jsonl")),
            "read 3, stored 0, duplicates 3, rejected 0");
}

// Gemini CLI's sessions: a reply with token counts is one record, however often the CLI wrote
// it again; a sub-agent's file is tagged; an older version's JSON document reads the same, and
// its messages copied into a resumed session's JSON Lines are duplicates.
TEST_P(StoreTest, GeminiCliSessionsCountEachReplyOnce) {
  COSTOPS_OPEN_STORE(store, "gemini_cli");
  const std::string text =
      testing::read_file(testing::source_path("tests/testdata/gemini_cli_session.jsonl"));
  EXPECT_EQ(ingest::detect_input_format("s.jsonl", text), ingest::InputFormat::kGeminiCli);
  auto s = ingest_text(*store, text, "session.jsonl");
  EXPECT_EQ(counts(s), "read 3, stored 3, duplicates 0, rejected 0");
  // The metadata, two user turns, a note, two updates, the rewind, a reply before its token
  // counts, and the user turn that the history's update lists again.
  EXPECT_EQ(s.without_usage, 9u);
  EXPECT_EQ(s.merged, 3u);  // a reply written again with its tool call, and twice in the update
  std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 3u);
  const UsageRecord& first = all[0].usage;
  EXPECT_EQ(first.id, "gemini-cli:b7e1d3a5-2f4c-4d6e-9f8a-0b1c2d3e4f5a");
  EXPECT_EQ(first.provider, "google");
  EXPECT_EQ(first.model, "gemini-2.5-pro");
  EXPECT_EQ(format_timestamp(first.timestamp), "2026-11-30T09:12:14.877Z");
  EXPECT_EQ(first.source, "session.jsonl:6");  // its first line with token counts
  EXPECT_EQ(first.project_id, "9b1c4e7d2a0f8e6b5c3d1a9f7e5b3c1d9a7f5e3b1c9d7a5f3e1b9c7d5a3f1e9b");
  EXPECT_EQ(first.tags,
            (std::vector<std::pair<std::string, std::string>>{
                {"service", "gemini-cli"}, {"session", "3f2a9c1e-5b7d-4e21-9a0c-7d1e2f3a4b5c"}}));
  EXPECT_EQ(first.usage.get(units::kOutputTokens), 508);  // 96 + 412 thoughts
  EXPECT_EQ(first.usage.get(units::kOutputReasoningTokens), 412);
  // 12480 * $1.25/M + 508 * $10/M
  EXPECT_EQ(all[0].cost->total_cost.amount.to_string(), "0.02068");
  // (13920 - 11264) * $1.25/M + 11264 * $0.125/M (cached) + 214 * $10/M
  EXPECT_EQ(all[1].cost->total_cost.amount.to_string(), "0.006868");
  // gemini-2.5-flash, rewound but billed: (15010 + 310 tool-use prompt) * $0.30/M + 178 * $2.50/M
  EXPECT_EQ(all[2].usage.usage.get(units::kInputTokens), 15320);
  EXPECT_EQ(all[2].cost->total_cost.amount.to_string(), "0.005041");

  s = ingest_text(
      *store, testing::read_file(testing::source_path("tests/testdata/gemini_cli_subagent.jsonl")),
      "k2x9p4.jsonl");
  EXPECT_EQ(counts(s), "read 1, stored 1, duplicates 0, rejected 0");
  all = scan_all(*store);
  ASSERT_EQ(all.size(), 4u);
  auto tags = all[2].usage.tags;  // (in key order: PostgreSQL's jsonb keeps no other)
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::pair<std::string, std::string>>{
                      {"agent", "subagent"},
                      {"service", "gemini-cli"},
                      {"session", "0d8e2b4f-7a1c-4e3d-b5f6-8a9b0c1d2e3f"}}));
  // 4200 * $0.30/M + 80 * $2.50/M
  EXPECT_EQ(all[2].cost->total_cost.amount.to_string(), "0.00146");

  // An older version's document: its replies are placed by the lines they begin on.
  const std::string legacy =
      testing::read_file(testing::source_path("tests/testdata/gemini_cli_session_legacy.json"));
  EXPECT_EQ(ingest::detect_input_format("session-x.json", legacy), ingest::InputFormat::kGeminiCli);
  s = ingest_text(*store, legacy, "session-x.json");
  EXPECT_EQ(counts(s), "read 2, stored 2, duplicates 0, rejected 0");
  EXPECT_EQ(s.without_usage, 1u);
  all = scan_all(*store);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0].usage.source, "session-x.json:13");
  EXPECT_EQ(all[0].cost->total_cost.amount.to_string(), "0.01229");  // 8912 * $1.25/M + 115 * $10/M
  EXPECT_EQ(all[1].cost->total_cost.amount.to_string(), "0.00236625");
  // Resumed, the CLI copies it into JSON Lines: the same replies, stored already.
  s = ingest_text(
      *store,
      R"({"sessionId":"f86f5318-f47b-4433-85f8-ec9d9a417f8e","projectHash":"79b6"})"
      "\n"
      R"({"id":"0c5e2a31-77d3-4b8a-9e61-3f0a9d2c8b14","timestamp":"2025-10-18T14:57:33.512Z",)"
      R"("type":"gemini","tokens":{"input":8912,"output":21,"cached":0,"thoughts":94,"tool":0},)"
      R"("model":"gemini-2.5-pro"})"
      "\n"
      R"({"id":"5d7b9e13-2a4c-4f6e-8b0d-1c3e5a7b9d2f","timestamp":"2025-10-18T14:58:07.161Z",)"
      R"("type":"gemini","tokens":{"input":9120,"output":18,"cached":8190,"thoughts":0},)"
      R"("model":"gemini-2.5-pro"})"
      "\n",
      "session-x.jsonl");
  EXPECT_EQ(counts(s), "read 2, stored 0, duplicates 2, rejected 0");

  // Bad lines and messages are rejected by line and field.
  std::vector<ingest::Reject> rejects;
  s = ingest_text(
      *store,
      R"({"sessionId":"s","projectHash":"p"})"
      "\n"
      R"({"id":"m1","timestamp":"2026-11-30T10:00:00Z","type":"gemini","tokens":{"input":10,"output":2}})"
      "\n"
      R"({"id":"m2","timestamp":"2026-11-30T10:00:01Z","type":"gemini","model":"gemini-2.5-flash","tokens":{"input":"many"}})"
      "\n{\"id\": \n",
      "bad.jsonl", &rejects);
  EXPECT_EQ(counts(s), "read 3, stored 0, duplicates 0, rejected 3");
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(rejects[0].line, 2u);
  EXPECT_EQ(rejects[0].reason, "field \"model\": missing");
  EXPECT_EQ(rejects[1].reason,
            "field \"tokens.input\": expected a whole number of tokens, got \"many\"");
  EXPECT_EQ(rejects[2].reason, "not a JSON object (expected a Gemini CLI session line)");
  // A broken first line (read as the start of a document) costs that line alone.
  rejects.clear();
  s = ingest_text(
      *store,
      "{\"sessionId\":\"s\",\"projectHa\n"
      R"({"id":"m5","timestamp":"2026-11-30T10:00:02Z","type":"gemini","model":"gemini-2.5-flash","tokens":{"input":1000,"output":100}})"
      "\n\n"
      R"({"id":"m6","type":"gemini","model":"gemini-2.5-flash","tokens":{"input":"x"}})"
      "\n",
      "cut.jsonl", &rejects);
  EXPECT_EQ(counts(s), "read 3, stored 1, duplicates 0, rejected 2");
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].line, 1u);
  EXPECT_EQ(rejects[1].line, 4u);  // (the blank line counted)
  // In a document, a message is placed by its line.
  rejects.clear();
  s = ingest_text(*store,
                  "{\n  \"sessionId\": \"s\",\n  \"projectHash\": \"p\",\n  \"messages\": [\n"
                  "    {\"id\": \"m3\", \"type\": \"user\"},\n"
                  "    {\"id\": \"m4\", \"type\": \"gemini\", \"model\": \"gemini-2.5-flash\",\n"
                  "     \"tokens\": {\"input\": -1}}\n  ]\n}\n",
                  "session-bad.json", &rejects);
  EXPECT_EQ(counts(s), "read 1, stored 0, duplicates 0, rejected 1");
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].line, 6u);
  EXPECT_EQ(rejects[0].reason, "field \"tokens.input\": expected a whole number of tokens, got -1");
}

// Streamed responses' server-sent events: each response is a record of the final usage its events
// give (Anthropic's message_start and message_delta, OpenAI's usage chunk and Responses'
// response.completed, Gemini's last usageMetadata, Groq's x_groq.usage); the other events are read
// past; an event that cannot be read is rejected with its line, and the counts add up.
TEST_P(StoreTest, StreamedResponsesAreARecordEach) {
  COSTOPS_OPEN_STORE(store, "sse");
  const std::string text =
      testing::read_file(testing::source_path("tests/testdata/streamed_responses.sse"));
  EXPECT_EQ(ingest::detect_input_format("capture.txt", text), ingest::InputFormat::kSse);
  EXPECT_EQ(ingest::detect_input_format("-", ": hi\nid: 1\ndata: {}\n"), ingest::InputFormat::kSse);
  EXPECT_NE(ingest::detect_input_format("-", "{\"data\": 1}\n"), ingest::InputFormat::kSse);
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "capture.sse", &rejects);
  EXPECT_EQ(counts(s), "read 10, stored 5, duplicates 0, rejected 5");
  // Anthropic: 6 of its 7 events; OpenAI's chat: 2 chunks and [DONE]; Responses: created;
  // Gemini: the first chunk (superseded); Groq: [DONE]; the stream without usage: a chunk and
  // [DONE]; a ping and [DONE] of no response at the end.
  EXPECT_EQ(s.stream_events, 6u + 3u + 1u + 1u + 1u + 2u + 2u);
  ASSERT_EQ(rejects.size(), 5u);
  EXPECT_EQ(rejects[0].line, 48u);
  EXPECT_NE(rejects[0].reason.find("message_delta without its message_start"), std::string::npos);
  EXPECT_EQ(rejects[1].line, 50u);
  EXPECT_EQ(rejects[1].reason, "an event's data is not JSON");
  EXPECT_EQ(rejects[2].line, 52u);
  EXPECT_EQ(rejects[3].line, 54u);  // its first event
  EXPECT_NE(rejects[3].reason.find("a streamed response without usage (OpenAI's Chat Completions "
                                   "stream it only with stream_options"),
            std::string::npos)
      << rejects[3].reason;
  EXPECT_EQ(rejects[4].line, 59u);
  EXPECT_EQ(rejects[4].reason,
            "the stream ended in an error before any usage (overloaded_error: Overloaded): not "
            "billed");
  std::map<std::string, std::string> got;  // id -> model, line, time, counts, cost
  for (const PricedRecord& r : scan_all(*store)) {
    const UsageRecord& u = r.usage;
    got[u.id] = u.provider + "/" + u.model + " " + u.source + " " +
                (u.has_timestamp ? format_timestamp(u.timestamp) : "-") + " " +
                std::to_string(u.usage.get(units::kInputTokens)) + "/" +
                std::to_string(u.usage.get(units::kCacheReadTokens)) + "/" +
                std::to_string(u.usage.get(units::kOutputTokens)) + " " +
                (r.cost ? r.cost->total_cost.amount.to_string() : "unpriced");
  }
  // 2000 * $3/M + 1000 * $0.30/M (cache reads) + 100 * $15/M; the message_delta's counts replace
  // the message_start's (output 1 while it streamed).
  EXPECT_EQ(got["msg_01ABC"],
            "anthropic/claude-sonnet-4-5-20250929 capture.sse:2 - 3000/1000/100 0.0078");
  EXPECT_EQ(got["chatcmpl-1"],
            "openai/gpt-4o-2024-08-06 capture.sse:26 2025-11-24T16:00:00Z 1000/0/100 0.0035");
  EXPECT_EQ(got["resp_1"],
            "openai/gpt-4.1-2025-04-14 capture.sse:34 2025-11-24T16:01:40Z 1000/0/100 0.0028");
  EXPECT_EQ(got["g1"], "google/gemini-2.5-flash capture.sse:36 - 1000/0/100 0.00055");
  EXPECT_EQ(got["chatcmpl-g"],
            "groq/llama-3.3-70b-versatile capture.sse:40 2025-11-24T16:03:20Z 1000/0/100 0.000669");
  EXPECT_EQ(got.size(), 5u);
  // Read again: the same responses, stored once.
  EXPECT_EQ(counts(ingest_text(*store, text, "capture.sse")),
            "read 10, stored 0, duplicates 5, rejected 5");

  // A payload over consecutive data lines is their values joined by line breaks, as the standard
  // joins an event's data lines; a line no JSON alone or with those after it is rejected, each.
  const std::string lines =
      "event: message_start\n"
      "data: {\"type\":\"message_start\",\n"
      "data:  \"message\":{\"id\":\"msg_lines\",\"model\":\"claude-sonnet-4-5\",\n"
      "data:   \"usage\":{\"input_tokens\":1000,\"output_tokens\":1}}}\n\n"
      "data: not json\n"
      "data: {\"type\":\"ping\"}\n\n"
      "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":100}}\n\n"
      "data: {broken\n"
      "event: message_stop\n"
      "data: {\"type\":\"message_stop\"}\n\n"
      "data: {\"unterminated\":\n";
  rejects.clear();
  s = ingest_text(*store, lines, "lines.sse", &rejects);
  EXPECT_EQ(counts(s), "read 4, stored 1, duplicates 0, rejected 3");
  ASSERT_EQ(rejects.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rejects[i].line, (std::array<uint64_t, 3>{6, 11, 15}[i]));
    EXPECT_EQ(rejects[i].reason, "an event's data is not JSON");
  }
  got.clear();
  for (const PricedRecord& r : scan_all(*store)) {
    if (r.usage.id == "msg_lines")
      got[r.usage.id] = r.usage.source + " " + r.cost->total_cost.amount.to_string();
  }
  EXPECT_EQ(got["msg_lines"], "lines.sse:2 0.0045");  // 1000 * $3/M + 100 * $15/M
}

TEST_P(StoreTest, RealtimeSessionsAreARecordPerCall) {
  COSTOPS_OPEN_STORE(store, "realtime");
  const std::string text =
      testing::read_file(testing::source_path("tests/testdata/realtime_session.jsonl"));
  EXPECT_EQ(ingest::detect_input_format("session.jsonl", text), ingest::InputFormat::kRealtime);
  EXPECT_EQ(ingest::detect_input_format("-", "{\"type\":\"response.done\",\"response\":{}}\n"),
            ingest::InputFormat::kRealtime);
  // The Responses API's stream events, one per line, are records of their own (JSON Lines), and
  // an event_id beside another type is no Realtime event.
  EXPECT_EQ(ingest::detect_input_format(
                "-", "{\"type\":\"response.completed\",\"sequence_number\":9,\"response\":{}}\n"),
            ingest::InputFormat::kJsonl);
  EXPECT_EQ(ingest::detect_input_format("-", "{\"type\":\"track\",\"event_id\":\"e1\"}\n"),
            ingest::InputFormat::kJsonl);
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "realtime.jsonl", &rejects);
  EXPECT_EQ(counts(s), "read 9, stored 6, duplicates 0, rejected 3");
  // Sessions' and client events, deltas, items, rate limits, an error, a failed response without
  // usage.
  EXPECT_EQ(s.stream_events, 14u);
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(rejects[0].line, 18u);
  EXPECT_EQ(rejects[0].reason, "not a JSON object (expected an OpenAI Realtime API event)");
  EXPECT_EQ(rejects[1].line, 21u);
  EXPECT_NE(rejects[1].reason.find("field \"usage\": missing (a transcription without usage"),
            std::string::npos);
  EXPECT_EQ(rejects[2].line, 23u);
  EXPECT_EQ(rejects[2].reason,
            "field \"response.usage\": missing (a response completed without usage)");
  std::map<std::string, std::string> got;  // id -> model, line, time, session, counts, cost
  for (const PricedRecord& r : scan_all(*store)) {
    const UsageRecord& u = r.usage;
    std::string session;
    for (const auto& [k, v] : u.tags) session += k + "=" + v;
    got[u.id] = u.provider + "/" + u.model + " " + u.source + " " + format_timestamp(u.timestamp) +
                " " + session + " " + std::to_string(u.usage.get(units::kInputTokens)) + "/" +
                std::to_string(u.usage.get(units::kInputAudioTokens)) + "/" +
                std::to_string(u.usage.get(units::kCacheReadTokens)) + "/" +
                std::to_string(u.usage.get(units::kOutputTokens)) + "/" +
                std::to_string(u.usage.get(units::kOutputAudioTokens)) + " " +
                (r.cost ? r.cost->total_cost.amount.to_string() : "unpriced") + " " +
                u.metadata_json;
  }
  const std::string at = " 2026-10-01T00:00:00Z session=";
  // gpt-4o-transcribe: 20 text tokens at $2.5/M, 100 audio at $6/M, 30 output at $10/M.
  EXPECT_EQ(got["item_A1:transcription:0"],
            "openai/gpt-4o-transcribe realtime.jsonl:8" + at + "sess_A 120/100/0/30/0 0.00095 ");
  // gpt-realtime: 55 text at $4/M, 64 cached text at $0.40/M, 13 audio at $32/M; 30 text out at
  // $16/M, 91 audio out at $64/M. The cached text is billed at the cache reads' rate, no warning.
  EXPECT_EQ(got["resp_A1"], "openai/gpt-realtime realtime.jsonl:13" + at +
                                "sess_A 132/13/64/121/91 0.0069656 {\"topic\":\"billing\"}");
  // Cancelled, with the usage it had: billed.
  EXPECT_EQ(got["resp_A2"],
            "openai/gpt-realtime realtime.jsonl:14" + at + "sess_A 50/40/0/10/8 0.001864 ");
  // The time the logger put on the line; 100 text at $4/M, 300 cached at $0.40/M, 100 audio at
  // $32/M, 500 cached audio at $0.40/M; 20 text out at $16/M, 80 audio out at $64/M.
  EXPECT_EQ(got["resp_A4"],
            "openai/gpt-realtime realtime.jsonl:17 2026-11-20T10:00:00Z "
            "session=sess_A 1000/600/800/100/80 0.00936 ");
  // The beta's session: its dated model.
  EXPECT_EQ(got["resp_B1"], "openai/gpt-4o-realtime-preview-2024-12-17 realtime.jsonl:22" + at +
                                "sess_B 200/150/100/100/75 0.0097 ");
  // whisper-1's transcription, billed by the duration of its audio (2.5 s, to the nearest
  // second as OpenAI bills it): the built-in catalog (genai-prices) has no price for whisper-1,
  // so it is stored unpriced, to be priced when one is given (pricing add, or LiteLLM's catalog).
  // Its provider is the catalog's, as the other records' (none here: ingest --provider names one,
  // openai, or azure for Azure OpenAI's Realtime API).
  EXPECT_EQ(got["item_B1:transcription:0"],
            "/whisper-1 realtime.jsonl:20" + at + "sess_B 0/0/0/0/0 unpriced ");
  for (const PricedRecord& r : scan_all(*store)) {
    if (r.usage.id == "item_B1:transcription:0") {
      EXPECT_EQ(r.usage.usage.get(units::kInputAudioSeconds), 3);
    }
  }
  EXPECT_EQ(got.size(), 6u);
  // Read again: the same calls, stored once.
  EXPECT_EQ(counts(ingest_text(*store, text, "realtime.jsonl")),
            "read 9, stored 0, duplicates 6, rejected 3");

  // A response whose session's model no event named is rejected, unless its line names one.
  const std::string alone =
      "{\"type\":\"response.done\",\"event_id\":\"e1\",\"response\":{\"id\":\"resp_C1\","
      "\"usage\":{\"input_tokens\":1000,\"output_tokens\":100}}}\n"
      "{\"type\":\"response.done\",\"event_id\":\"e2\",\"model\":\"gpt-realtime-mini\","
      "\"response\":{\"id\":\"resp_C2\",\"usage\":{\"input_tokens\":1000,\"output_tokens\":100}}}\n"
      "{\"id\":\"r3\",\"model\":\"gpt-4.1\",\"usage\":{\"input_tokens\":10}}\n"
      "{\"type\":\"track\",\"event_id\":\"e4\"}\n"
      "{\"type\":42}\n"
      "{\"type\":\"response.done\",\"event_id\":\"e6\",\"response\":\"done\"}\n"
      "{\"type\":\"response.done\",\"event_id\":\"e7\",\"response\":{\"usage\":[1]}}\n";
  rejects.clear();
  EXPECT_EQ(counts(ingest_text(*store, alone, "alone.jsonl", &rejects)),
            "read 7, stored 1, duplicates 0, rejected 6");
  ASSERT_EQ(rejects.size(), 6u);
  // Lines that are no Realtime event are rejected, not read past, and so are malformed ones.
  EXPECT_EQ(rejects[1].reason, "field \"type\": missing (expected an OpenAI Realtime API event)");
  EXPECT_EQ(rejects[2].reason,
            "an event of type \"track\", which is no OpenAI Realtime API event's");
  EXPECT_EQ(rejects[3].reason,
            "field \"type\": expected a string (an OpenAI Realtime API event's)");
  EXPECT_EQ(rejects[4].reason, "field \"response\": expected an object");
  EXPECT_EQ(rejects[5].reason, "field \"response.usage\": expected an object");
  EXPECT_EQ(rejects[0].reason,
            "the session's model is unknown: no session.created or session.updated event before "
            "this one names it (log the session's events from its start, or put \"model\" on the "
            "event's line)");
  for (const PricedRecord& r : scan_all(*store)) {
    if (r.usage.id != "resp_C2") continue;
    EXPECT_EQ(r.usage.model, "gpt-realtime-mini");
    EXPECT_EQ(r.cost->total_cost.amount.to_string(), "0.00084");  // 1000 * $0.60/M + 100 * $2.40/M
  }
}

// Qwen Code's sessions: an assistant record with usageMetadata is one call, its reasoning inside
// the output or apart from it as the total says; a /branch copy in another session is a duplicate.
TEST_P(StoreTest, QwenCodeSessionsCountEachAssistantRecordOnce) {
  COSTOPS_OPEN_STORE(store, "qwen_code");
  const std::string text =
      testing::read_file(testing::source_path("tests/testdata/qwen_code_session.jsonl"));
  // (Its lines have a sessionId and a uuid, as Claude Code's do.)
  EXPECT_EQ(ingest::detect_input_format("s.jsonl", text), ingest::InputFormat::kQwenCode);
  auto s = ingest_text(*store, text, "session.jsonl");
  EXPECT_EQ(counts(s), "read 3, stored 3, duplicates 0, rejected 0");
  // Two system records, the user turn, the tool result, a reply without usage.
  EXPECT_EQ(s.without_usage, 5u);
  std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 3u);
  const UsageRecord& first = all[0].usage;
  EXPECT_EQ(first.id, "qwen-code:7d3a2e4c-9f5b-4c0d-9e8a-3b4c5d6e7f82");
  EXPECT_EQ(first.provider, "deepseek");  // the one its model names
  EXPECT_EQ(first.project_id, "/home/dev/ledger");
  EXPECT_EQ(format_timestamp(first.timestamp), "2026-11-20T10:00:09.002Z");
  // An OpenAI-compatible count: 12300 = 12000 + 300, so the 120 reasoning tokens are in the 300.
  EXPECT_EQ(first.usage.get(units::kOutputTokens), 300);
  EXPECT_EQ(first.usage.get(units::kOutputReasoningTokens), 120);
  // 4000 * $0.27/M + 8000 * $0.07/M (cached) + 300 * $1.10/M, deepseek-chat's daytime prices
  EXPECT_EQ(all[0].cost->total_cost.amount.to_string(), "0.00197");
  // Gemini's count: 5300 = 5000 + 200 + 100, so the thoughts are apart: 300 output tokens.
  EXPECT_EQ(all[1].usage.provider, "google");
  EXPECT_EQ(all[1].usage.usage.get(units::kOutputTokens), 300);
  EXPECT_EQ(all[1].cost->total_cost.amount.to_string(), "0.00225");
  auto tags = all[2].usage.tags;  // (in key order: PostgreSQL's jsonb keeps no other)
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::pair<std::string, std::string>>{
                      {"agent", "subagent"},
                      {"branch", "main"},
                      {"service", "qwen-code"},
                      {"session", "c41f7a9e-2b5d-4e8a-b3c1-6d7e8f9a0b1c"}}));
  EXPECT_EQ(all[2].cost->total_cost.amount.to_string(), "0.000865");

  // /branch copies a record into the new session's file, uuid and time kept.
  std::vector<ingest::Reject> rejects;
  s = ingest_text(
      *store,
      R"({"uuid":"7d3a2e4c-9f5b-4c0d-9e8a-3b4c5d6e7f82","parentUuid":null,"sessionId":"d0","timestamp":"2026-11-20T10:00:09.002Z","type":"assistant","model":"deepseek-chat","usageMetadata":{"promptTokenCount":12000,"candidatesTokenCount":300,"cachedContentTokenCount":8000,"thoughtsTokenCount":120,"totalTokenCount":12300}})"
      "\n"
      R"({"uuid":"e1","parentUuid":null,"sessionId":"d0","timestamp":"2026-11-20T11:00:00Z","type":"assistant","model":"deepseek-chat","usageMetadata":{"totalTokenCount":900}})"
      "\n"
      R"({"uuid":"e2","parentUuid":"e1","sessionId":"d0","timestamp":"2026-11-20T11:00:01Z","type":"assistant","usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":1}})"
      "\n"
      R"({"uuid":"e3","parentUuid":"e2","sessionId":"d0","timestamp":"2026-11-20T11:00:02Z","type":"assistant","model":"deepseek-chat","usageMetadata":{"promptTokenCount":-9}})"
      "\n",
      "branch.jsonl", &rejects);
  EXPECT_EQ(counts(s), "read 4, stored 0, duplicates 1, rejected 3");
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(rejects[0].line, 2u);
  EXPECT_EQ(rejects[0].reason,
            "field \"usageMetadata.promptTokenCount\": missing (only a totalTokenCount: the input "
            "and output it sums cannot be told apart to price them)");
  EXPECT_EQ(rejects[1].reason, "field \"model\": missing");
  EXPECT_EQ(rejects[2].reason,
            "field \"usageMetadata.promptTokenCount\": expected a whole number of tokens, got -9");
}

TEST_P(StoreTest, OpenCodeDatabaseCountsEachStepOnce) {
  COSTOPS_OPEN_STORE(store, "opencode");
  const std::string db = (std::filesystem::temp_directory_path() /
                          ("costops_opencode_" + std::to_string(::getpid()) + ".db"))
                             .string();
  ASSERT_TRUE(
      testing::make_sqlite_database(testing::source_path("tests/testdata/opencode.sql"), db));
  ASSERT_TRUE(ingest::is_sqlite_database(db));
  auto messages = ingest::open_opencode_database(db);
  ASSERT_TRUE(messages.has_value()) << messages.status().to_string();
  std::string text;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, messages->get())) > 0;) text.append(buf, n);
  std::filesystem::remove(db);
  EXPECT_EQ(ingest::detect_input_format("opencode.db", text), ingest::InputFormat::kOpenCode);
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "opencode.db", &rejects);
  EXPECT_EQ(counts(s), "read 8, stored 6, duplicates 0, rejected 2");
  EXPECT_EQ(s.without_usage, 3u);  // two user messages, a reply that failed
  EXPECT_EQ(s.merged, 2u);         // the fork's copies of msg_002's two steps
  std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 6u);
  std::vector<std::string> got;
  for (const auto& r : all)
    got.push_back(r.usage.provider + " " + r.usage.model + " " +
                  std::to_string(r.usage.usage.get(units::kOutputTokens)) + " " +
                  r.cost->total_cost.amount.to_string());
  EXPECT_EQ(
      got, (std::vector<std::string>{
               // msg_002's two steps, each its own call: 10 + 5000 cache reads ($0.30/M)
               // + 2000 cache writes ($3.75/M) in, 300 out; then 5 + 7000 + 300 in, 120 out
               "anthropic claude-sonnet-4-5 300 0.01353", "anthropic claude-sonnet-4-5 120 0.00504",
               // AI SDK 6: 500 output + 700 reasoning apart (the total sums them)
               "openai gpt-5 1200 0.01375",
               // older: the output holds the reasoning (no total), the same call's price
               "openai gpt-5 1200 0.01375",
               // Gemini's thoughts apart from its output, as AI SDK 5 read them
               "google gemini-2.5-flash 300 0.00135",
               // served by GitHub Copilot: the model names the provider
               "openai gpt-4.1 100 0.0028"}));
  const UsageRecord& first = all[0].usage;
  EXPECT_EQ(first.id, "opencode:1764000000000:0:10-300-0-5000-2000");
  EXPECT_EQ(format_timestamp(first.timestamp), "2025-11-24T16:00:00Z");
  EXPECT_EQ(first.project_id, "/home/dev/shop");
  EXPECT_EQ(first.usage.get(units::kInputTokens), 7010);  // the cache reads and writes included
  EXPECT_EQ(first.usage.get(units::kCacheWriteTokens), 2000);
  EXPECT_EQ(all[2].usage.usage.get(units::kOutputReasoningTokens), 700);
  EXPECT_EQ(all[4].usage.project_id, "/home/dev/shop/tests");
  auto tags = all[4].usage.tags;  // (in key order: PostgreSQL's jsonb keeps no other)
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::pair<std::string, std::string>>{{"agent", "subagent"},
                                                                    {"mode", "general"},
                                                                    {"platform", "google"},
                                                                    {"service", "opencode"},
                                                                    {"session", "ses_b"}}));
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0].line, 8u);
  EXPECT_EQ(rejects[0].reason,
            "message msg_008: field \"steps[0].tokens.input\": expected a whole number of "
            "tokens, got \"many\"");
  EXPECT_EQ(rejects[1].reason, "message msg_009: its data is not JSON");

  // Read again: every call a duplicate.
  s = ingest_text(*store, text, "opencode.db");
  EXPECT_EQ(counts(s), "read 8, stored 0, duplicates 6, rejected 2");
}

// "TIER RECORDS USD" per row of the spend grouped by tier.
std::vector<std::string> spend_by_tier(storage::Store& store) {
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("tier")};
  auto rows = store.aggregate(q);
  std::vector<std::string> got;
  if (!rows) return {rows.status().to_string()};
  for (const auto& r : *rows)
    got.push_back(r.keys[0] + " " + std::to_string(r.records) + " " + r.cost.at("USD").to_string());
  return got;
}

// A span's service tier: OpenAI's conventions' response attribute, else the requested one.
TEST_P(StoreTest, OpenTelemetrySpansGiveTheServiceTierTheCallWasBilledAt) {
  COSTOPS_OPEN_STORE(store, "otel_tier");
  std::string text;
  const char* tiers[] = {
      R"("openai.request.service_tier": "auto", "openai.response.service_tier": "flex")",
      R"("gen_ai.openai.request.service_tier": "flex")",
      R"("gen_ai.openai.request.service_tier": "flex", "gen_ai.openai.response.service_tier": "default")"};
  for (int i = 0; i < 3; ++i)
    text += R"({"span_id": "s)" + std::to_string(i) +
            R"(", "start_time": "2026-11-01T00:00:00Z", "attributes": {"gen_ai.system": "openai", )"
            R"("gen_ai.request.model": "o3", "gen_ai.usage.input_tokens": 1000000, )" +
            tiers[i] + "}}\n";
  auto s = ingest_text(*store, text, "spans.jsonl");
  EXPECT_EQ(counts(s), "read 3, stored 3, duplicates 0, rejected 0");
  EXPECT_EQ(spend_by_tier(*store),
            (std::vector<std::string>{"flex 2 2", "standard 1 2"}));  // o3: $2 per M input
}

// The group key "tier": batch calls, service tiers, "standard" for none (or "default"); in SQL on
// both stores, and as a filter.
TEST_P(StoreTest, SpendByTier) {
  COSTOPS_OPEN_STORE(store, "tier");
  std::string text;
  const char* extra[] = {"", R"("batch": true, )", R"("service_tier": "flex", )",
                         R"("service_tier": "default", )", R"("service_tier": "priority", )"};
  for (int i = 0; i < 5; ++i)
    text += R"({"id": "r)" + std::to_string(i) +
            R"(", "provider": "openai", "model": "o3", "timestamp": "2026-11-01T00:00:00Z", )" +
            extra[i] + R"("usage": {"input_tokens": 1000000}})" + "\n";
  auto s = ingest_text(*store, text, "tiers.jsonl");
  EXPECT_EQ(counts(s), "read 5, stored 5, duplicates 0, rejected 0");
  // o3: $2 per million input tokens; batch and flex at half; no priority prices (standard).
  EXPECT_EQ(spend_by_tier(*store),
            (std::vector<std::string>{"batch 1 1", "flex 1 1", "priority 1 2", "standard 2 4"}));
  AggregateQuery batch;
  batch.filters = {*Filter::parse("tier=batch")};
  auto rows = store->aggregate(batch);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().records, 1u);
  AggregateQuery discounted;
  discounted.filters = {*Filter::parse("tier!=standard"), *Filter::parse("tier!=p*")};
  rows = store->aggregate(discounted);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().records, 2u);
}

// The cost a record logged itself (a gateway's) is stored with it, exactly as read, and read
// back; repricing keeps it; an Aggregator made to sums it against the exact prices per group.
TEST_P(StoreTest, LoggedCostsAreStoredWithTheirRecords) {
  COSTOPS_OPEN_STORE(store, "logged");
  const std::string text =
      R"({"id":"l1","timestamp":"2026-09-01T10:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":100},"cost_usd":0.0035}
{"id":"l2","timestamp":"2026-09-01T11:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":100},"spend":"0.0030000000000000001"}
{"id":"l3","timestamp":"2026-09-02T10:00:00Z","provider":"openai","model":"gpt-4o-mini","usage":{"input_tokens":1000,"output_tokens":100}}
)";
  EXPECT_EQ(counts(ingest_text(*store, text, "logged.jsonl")),
            "read 3, stored 3, duplicates 0, rejected 0");
  std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 3u);
  ASSERT_TRUE(all[0].usage.logged_cost.has_value());
  EXPECT_EQ(all[0].usage.logged_cost->to_string(), "0.0035");
  EXPECT_EQ(all[1].usage.logged_cost->to_string(), "0.0030000000000000001");
  EXPECT_FALSE(all[2].usage.logged_cost.has_value());
  all[0].cost->total_cost.amount = *Decimal::parse("0.004");  // a price revised
  ASSERT_EQ(*store->update_costs({all.data(), 1}), 1u);
  all = scan_all(*store);
  EXPECT_EQ(all[0].usage.logged_cost->to_string(), "0.0035");

  AggregateQuery q;
  q.group_by = {*GroupKey::parse("model")};
  engine::Aggregator sums(q, {.logged = true});
  for (const auto& r : all) ASSERT_TRUE(sums.add(r).is_ok());
  const auto rows = sums.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].logged.records, 2u);
  EXPECT_EQ(rows[0].logged.off, 2u);  // 0.0035 against the revised 0.004; 0.003 against 0.0035
  EXPECT_EQ(rows[0].logged.logged.to_string(), "0.0065000000000000001");
  EXPECT_EQ(rows[0].logged.exact.to_string(), "0.0075");
  EXPECT_EQ(rows[1].logged, LoggedCosts{});
  // Without being asked, and in the stores' own sums, no logged costs.
  auto plain = engine::Aggregator::run(q, all);
  EXPECT_EQ((*plain)[0].logged, LoggedCosts{});
  EXPECT_EQ((*store->aggregate(q))[0], (*plain)[0]);
}

// A record as a store keeps it, in one line: its key, time, attribution, usage, cost and what
// else it carries.
std::string stored_text(const PricedRecord& r) {
  std::string s = storage::record_key(r.usage) + " " + format_timestamp(r.usage.timestamp) +
                  (r.usage.has_timestamp ? "" : " (no time)") + " " + r.usage.provider + "/" +
                  r.usage.model + " " + r.usage.service_tier + (r.usage.batch ? " batch" : "") +
                  " " + r.usage.organization_id + "|" + r.usage.project_id + "|" + r.usage.user_id +
                  " " + r.usage.source + " " + r.usage.metadata_json;
  for (const auto& [k, v] : r.usage.tags) s += " " + k + "=" + v;
  for (UnitId u = 0; u < kUnitCount; ++u) {
    if (r.usage.usage.has(u))
      s += " " + std::to_string(u) + ":" + std::to_string(r.usage.usage.get(u));
  }
  if (r.usage.logged_cost) s += " logged " + r.usage.logged_cost->to_string();
  if (r.cost) {
    s += " cost " + r.cost->total_cost.to_string() + " in " + r.cost->input_cost.to_string() +
         " out " + r.cost->output_cost.to_string() + " " + r.cost->catalog_entry + " " +
         r.cost->price_version;
    for (const auto& b : r.cost->breakdown)
      s += " " + std::to_string(b.unit) + "=" + b.cost.to_string();
    for (const auto& w : r.cost->warnings) s += " warning: " + w;
  } else {
    s += " unpriced: " + r.unpriced_reason;
  }
  return s;
}

// Records copied from one store into another (SQLite into this one, this one into SQLite again)
// are stored as they were: every field, the same sums by any key; copying again adds nothing,
// and the budgets and custom prices come along unless the destination has its own.
TEST_P(StoreTest, CopiedRecordsAreStoredAsTheyWere) {
  COSTOPS_OPEN_STORE(store, "copy");
  const std::string first = temp_db("copy_from"), last = temp_db("copy_back");
  auto from = storage::Store::open(first);
  ASSERT_TRUE(from.has_value());
  const std::string text =
      R"({"id":"c1","timestamp":"2026-09-01T10:00:00Z","provider":"openai","model":"gpt-4o","project_id":"search","user":"ana","tags":{"team":"core"},"usage":{"input_tokens":1000,"cache_read_tokens":200,"output_tokens":100},"cost_usd":0.0035}
{"timestamp":"2026-09-01T11:00:00Z","provider":"anthropic","model":"claude-sonnet-4-5","batch":true,"usage":{"input_tokens":100,"cache_read_input_tokens":1000,"cache_creation_input_tokens":300,"output_tokens":50}}
{"id":"c3","timestamp":"2026-09-02T10:00:00Z","provider":"openai","model":"o3","service_tier":"flex","metadata":{"trace":"t1"},"usage":{"input_tokens":5000,"output_tokens":3000,"output_reasoning_tokens":2500}}
{"id":"c4","timestamp":"2026-09-03T10:00:00Z","provider":"acme","model":"secret","usage":{"input_tokens":10}}
{"provider":"openai","model":"gpt-4o-mini","usage":{"input_tokens":77}}
)";
  EXPECT_EQ(counts(ingest_text(**from, text, "mixed.jsonl")),
            "read 5, stored 5, duplicates 0, rejected 0");
  Budget b;
  b.name = "team";
  b.amount = *Decimal::parse("12.5");
  b.scope = {*Filter::parse("tag:team=core")};
  ASSERT_TRUE((*from)->put_budget(b).is_ok());
  const storage::CustomPrice price{
      "acme", "secret", R"({"id":"secret","prices":{"input_mtok":"1"}})", {}};
  ASSERT_TRUE((*from)->put_custom_prices({&price, 1}).is_ok());

  storage::CopyStats into;
  ASSERT_TRUE(storage::copy_records(**from, *store, {}, &into, 2).is_ok());  // 3 transactions
  ASSERT_TRUE(storage::copy_settings(**from, *store, {}, &into).is_ok());
  EXPECT_EQ(into.selected, 5u);
  EXPECT_EQ(into.written.stored, 5u);
  EXPECT_EQ(into.written.unpriced, 1u);
  EXPECT_EQ(into.budgets, 1u);
  EXPECT_EQ(into.prices, 1u);
  auto back = storage::Store::open(last);
  ASSERT_TRUE(back.has_value());
  storage::CopyStats out;
  ASSERT_TRUE(storage::copy_records(*store, **back, {}, &out).is_ok());
  EXPECT_EQ(out.written.stored, 5u);

  std::vector<std::string> want;
  for (const auto& r : scan_all(**from)) want.push_back(stored_text(r));
  for (storage::Store* s : {store.get(), back->get()}) {
    std::vector<std::string> got;
    for (const auto& r : scan_all(*s)) got.push_back(stored_text(r));
    EXPECT_EQ(got, want) << s->url();
    for (const char* keys : {"provider,model", "day,tag:team", "tier,user", "project,hour"}) {
      auto q = AggregateQuery();
      for (const auto& k : {std::string(keys).substr(0, std::string(keys).find(',')),
                            std::string(keys).substr(std::string(keys).find(',') + 1)})
        q.group_by.push_back(*GroupKey::parse(k));
      EXPECT_EQ(*s->aggregate(q), *(*from)->aggregate(q)) << s->url() << " " << keys;
    }
  }
  // Again: all there; a budget defined otherwise there is kept, and said.
  b.amount = *Decimal::parse("99");
  ASSERT_TRUE((*from)->put_budget(b).is_ok());
  storage::CopyStats again;
  AggregateQuery sept2;
  sept2.from = *parse_timestamp("2026-09-02T00:00:00Z");
  ASSERT_TRUE(storage::copy_records(**from, *store, sept2, &again).is_ok());
  ASSERT_TRUE(storage::copy_settings(**from, *store, {}, &again).is_ok());
  EXPECT_EQ(again.selected, 3u);  // with the record dated at its ingest, 2026-10-01
  EXPECT_EQ(again.written.stored, 0u);
  EXPECT_EQ(again.written.duplicates, 3u);
  EXPECT_EQ(again.budgets_kept, std::vector<std::string>{"team"});
  EXPECT_EQ(again.prices_present, 1u);
  EXPECT_EQ((*store->budgets())[0].amount.to_string(), "12.5");
  // A selection copies the budgets whose scope lies within it and the custom prices of the
  // providers and models it keeps; the others are counted as outside it.
  Budget all_spend;
  all_spend.name = "all";
  all_spend.amount = *Decimal::parse("100");
  ASSERT_TRUE((*from)->put_budget(all_spend).is_ok());
  storage::CopyStats some;
  ASSERT_TRUE(storage::copy_settings(**from, **back,
                                     {*Filter::parse("tag:team=core"), *Filter::parse("project=x")},
                                     &some)
                  .is_ok());
  EXPECT_EQ(some.budgets, 0u);  // "team" keeps every project, not only x
  EXPECT_EQ(some.budgets_outside, (std::vector<std::string>{"all", "team"}));
  EXPECT_EQ(some.prices, 1u);  // prices are not of a project
  storage::CopyStats core;
  ASSERT_TRUE(storage::copy_settings(
                  **from, **back,
                  {*Filter::parse("tag:team=core"), *Filter::parse("provider!=acme")}, &core)
                  .is_ok());
  EXPECT_EQ(core.budgets_outside.size(), 2u);  // team keeps acme's spend too
  EXPECT_EQ(core.prices_outside, std::vector<std::string>{"acme/secret"});
  storage::CopyStats team;
  ASSERT_TRUE(
      storage::copy_settings(**from, **back, {*Filter::parse("tag:team=c*")}, &team).is_ok());
  EXPECT_EQ(team.budgets, 1u);
  EXPECT_EQ(team.budgets_outside, std::vector<std::string>{"all"});
  EXPECT_EQ(team.prices_present, 1u);
  auto copied = (*back)->budgets();
  ASSERT_TRUE(copied.has_value());
  ASSERT_EQ(copied->size(), 1u);
  EXPECT_EQ((*copied)[0].name, "team");
  from->reset();
  back->reset();
  remove_db(first);
  remove_db(last);
}

// Each record's cache reads, cache writes and reasoning tokens are summed as its input and output
// are, in the daily totals and from the records: a whole's count when given, else its parts'
// (5-minute and 1-hour cache writes, of a record stored unpriced); repricing keeps them, deleting
// takes them out.
TEST_P(StoreTest, CacheAndReasoningTokensAreSummedLikeInputAndOutput) {
  COSTOPS_OPEN_STORE(store, "parts");
  const std::string text =
      R"({"id":"a","timestamp":"2026-09-02T10:00:00Z","provider":"anthropic","model":"claude-sonnet-4-5","usage":{"input_tokens":100,"cache_read_input_tokens":1000,"cache_creation_input_tokens":300,"output_tokens":50}})"
      "\n"
      R"({"id":"b","timestamp":"2026-09-02T11:00:00Z","provider":"anthropic","model":"claude-sonnet-4-5","usage":{"input_tokens":130,"cache_write_tokens":30,"cache_write_5m_tokens":10,"cache_write_1h_tokens":20,"output_tokens":5}})"
      "\n"
      R"({"id":"c","timestamp":"2026-09-03T11:00:00Z","provider":"acme","model":"acme-1","usage":{"input_tokens":10,"cache_write_5m_tokens":3,"cache_write_1h_tokens":4,"output_tokens":700,"output_reasoning_tokens":600}})"
      "\n";
  EXPECT_EQ(counts(ingest_text(*store, text, "p.jsonl")),
            "read 3, stored 3, duplicates 0, rejected 0");
  auto parts = [&](const char* group_by) {
    AggregateQuery q;
    q.group_by = {*GroupKey::parse(group_by)};  // day: the daily totals; hour: the records
    std::vector<std::string> out;
    const auto rows = store->aggregate(q);
    for (const auto& r : *rows) {
      out.push_back(r.keys[0].substr(0, 10) + " " + std::to_string(r.cache_read_tokens) + " " +
                    std::to_string(r.cache_write_tokens) + " " +
                    std::to_string(r.reasoning_tokens));
    }
    return out;
  };
  const std::vector<std::string> by_day = {"2026-09-02 1000 330 0", "2026-09-03 0 7 600"};
  EXPECT_EQ(parts("day"), by_day);
  EXPECT_EQ(parts("hour"), (std::vector<std::string>{"2026-09-02 1000 300 0", "2026-09-02 0 30 0",
                                                     "2026-09-03 0 7 600"}));
  // acme-1 priced later: its reasoning tokens stay counted once.
  AggregateQuery unpriced;
  unpriced.unpriced_only = true;
  std::vector<PricedRecord> todo = scan_all(*store, unpriced);
  ASSERT_EQ(todo.size(), 1u);
  const pricing::Catalog cat = catalog_with_acme();
  todo[0].cost = *engine::CostCalculator::price_record(cat, todo[0].usage, todo[0].usage.timestamp);
  ASSERT_EQ(*store->update_costs(todo), 1u);
  EXPECT_EQ(parts("day"), by_day);
  AggregateQuery second;
  second.from = *parse_timestamp("2026-09-02T10:30:00Z");
  second.to = *parse_timestamp("2026-09-02T12:00:00Z");
  ASSERT_EQ(*store->delete_records(second), 1u);
  EXPECT_EQ(parts("day"),
            (std::vector<std::string>{"2026-09-02 1000 300 0", "2026-09-03 0 7 600"}));
}

// OpenInference's (Arize Phoenix) LLM spans: llm.token_count.* (the prompt holding its cache
// reads), llm.provider else llm.system, llm.model_name. Its other span kinds are not usage.
TEST_P(StoreTest, OpenInferenceLlmSpans) {
  COSTOPS_OPEN_STORE(store, "openinference");
  auto attr = [](const char* key, const std::string& value) {
    return std::string(R"({"key": ")") + key + R"(", "value": )" + value + "}";
  };
  auto str = [](const char* v) { return std::string(R"({"stringValue": ")") + v + R"("})"; };
  auto num = [](const char* v) { return std::string(R"({"intValue": ")") + v + R"("})"; };
  const std::string llm =
      R"({"traceId": "t1", "spanId": "s1", "startTimeUnixNano": "1790000000000000000", "attributes": [)" +
      attr("openinference.span.kind", str("LLM")) + ", " + attr("llm.system", str("anthropic")) +
      ", " + attr("llm.model_name", str("claude-sonnet-4-5")) + ", " +
      attr("llm.token_count.prompt", num("3000")) + ", " +
      attr("llm.token_count.prompt_details.cache_read", num("2000")) + ", " +
      attr("llm.token_count.completion", num("10")) + "]}";
  const std::string azure =
      R"({"traceId": "t1", "spanId": "s2", "startTimeUnixNano": "1790000000000000000", "attributes": [)" +
      attr("openinference.span.kind", str("LLM")) + ", " + attr("llm.system", str("openai")) +
      ", " + attr("llm.provider", str("azure")) + ", " + attr("llm.model_name", str("gpt-4o")) +
      ", " + attr("llm.token_count.prompt", num("1000")) + "]}";
  // A chain span that sums its children's tokens is not a call.
  const std::string chain = R"({"traceId": "t1", "spanId": "s3", "attributes": [)" +
                            attr("openinference.span.kind", str("CHAIN")) + ", " +
                            attr("llm.token_count.prompt", num("4000")) + "]}";
  const std::string text = R"({"resourceSpans": [{"scopeSpans": [{"spans": [)" + llm + ", " +
                           azure + ", " + chain + "]}]}]}\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "phoenix.jsonl", &rejects);
  EXPECT_EQ(counts(s), "read 2, stored 2, duplicates 0, rejected 0");
  AggregateQuery q;
  q.group_by = {*GroupKey::parse("provider"), *GroupKey::parse("model")};
  auto rows = store->aggregate(q);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).keys, (std::vector<std::string>{"anthropic", "claude-sonnet-4-5"}));
  EXPECT_EQ(rows->at(0).cost.at("USD").to_string(), "0.00375");  // 1000*3 + 2000*0.3 + 10*15 per M
  EXPECT_EQ(rows->at(1).keys, (std::vector<std::string>{"azure", "gpt-4o"}));
  EXPECT_EQ(rows->at(1).cost.at("USD").to_string(), "0.0025");
}

// An export whose parts are not the shape OTLP gives them is rejected part by part, naming the
// part; the spans that are well formed are still stored, and a bad span names its place.
TEST_P(StoreTest, MalformedOpenTelemetryPartsAreRejectedByName) {
  COSTOPS_OPEN_STORE(store, "otel_bad");
  const std::string span =
      R"({"traceId": 12, "spanId": {"x": 1}, "attributes": [)"
      R"({"key": "gen_ai.system", "value": {"stringValue": "openai"}},)"
      R"({"key": "gen_ai.request.model", "value": {"stringValue": ["gpt-4o"]}},)"
      R"({"key": "gen_ai.response.model", "value": {"stringValue": "gpt-4o"}},)"
      R"({"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1000"}}]})";
  const std::string negative =
      R"({"attributes": [{"key": "gen_ai.system", "value": {"stringValue": "openai"}},)"
      R"({"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},)"
      R"({"key": "gen_ai.usage.input_tokens", "value": {"intValue": "-5"}}]})";
  const std::string text =
      R"({"resourceSpans": 5})"
      "\n"
      R"({"resourceSpans": [7, {"resource": 1, "scopeSpans": [{"spans": [3, )" +
      span + ", " + negative + "]}]}]}\n";
  std::vector<ingest::Reject> rejects;
  auto s = ingest_text(*store, text, "spans.jsonl", &rejects);
  EXPECT_EQ(counts(s), "read 5, stored 1, duplicates 0, rejected 4");
  ASSERT_EQ(rejects.size(), 4u);
  EXPECT_EQ(rejects[0].reason, "field \"resourceSpans\": expected a list, got number");
  EXPECT_EQ(rejects[1].line, 2u);
  EXPECT_EQ(rejects[1].reason, "field \"resourceSpans[0]\": expected an object, got number");
  EXPECT_EQ(rejects[2].reason,
            "field \"resourceSpans[1].scopeSpans[0].spans[0]\": expected an object, got number");
  // A span's own error says which span of the export it is.
  EXPECT_EQ(rejects[3].reason.rfind("resourceSpans[1].scopeSpans[0].spans[2]: field "
                                    "\"usage.input_tokens\"",
                                    0),
            0u)
      << rejects[3].reason;
  auto rows = store->aggregate({});
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().cost.at("USD").to_string(), "0.0025");
}

// A usage report's bucket is stored once: fetched again grouped otherwise, or in buckets of
// another width that overlap it, its rows are rejected (with the input to delete first), since
// their ids differ and storing both would count the usage twice.
TEST_P(StoreTest, UsageReportBucketsAreNotCountedTwice) {
  COSTOPS_OPEN_STORE(store, "report_buckets");
  // An OpenAI page of one bucket [start, start + width) whose rows are (model, project_id).
  auto page = [](int64_t start, int64_t width,
                 std::vector<std::pair<std::string, std::string>> rows) {
    std::string results;
    for (const auto& [model, project] : rows) {
      results += std::string(results.empty() ? "" : ",") +
                 R"({"object": "organization.usage.completions.result", "input_tokens": 1000, )"
                 R"("output_tokens": 10, "num_model_requests": 1, "model": ")" +
                 model + "\", \"project_id\": " +
                 (project.empty() ? std::string("null") : "\"" + project + "\"") + "}";
    }
    return R"({"object": "page", "data": [{"object": "bucket", "start_time": )" +
           std::to_string(start) + ", \"end_time\": " + std::to_string(start + width) +
           ", \"results\": [" + results + "]}]}\n";
  };
  constexpr int64_t kDay = 86400, kHour = 3600, kNov1 = 1793491200;  // 2026-11-01
  const std::string ft = "ft:gpt-4o-mini-2024-07-18:acme::abc123";   // a model with colons
  EXPECT_EQ(counts(ingest_text(*store, page(kNov1, kDay, {{"gpt-4o", "p1"}, {ft, "p2"}}),
                               "by_project.json")),
            "read 2, stored 2, duplicates 0, rejected 0");
  std::vector<ingest::Reject> rejects;
  auto reasons = [&] {
    std::vector<std::string> out;
    for (const auto& r : rejects) out.push_back(r.reason);
    rejects.clear();
    return out;
  };
  // The same day grouped by model alone: the same usage in other rows.
  EXPECT_EQ(counts(ingest_text(*store, page(kNov1, kDay, {{"gpt-4o", ""}, {ft, ""}}),
                               "by_model.json", &rejects)),
            "read 2, stored 0, duplicates 0, rejected 2");
  const std::string regrouped =
      "data[0].results[0]: its bucket (2026-11-01T00:00:00Z to 2026-11-02T00:00:00Z) is already "
      "stored from by_project.json grouped by model, project_id; rows grouped by model would "
      "count its usage twice (fetch it as before, or first take out what is stored: cost-ops "
      "delete --source by_project.json)";
  EXPECT_EQ(reasons().at(0), regrouped);
  // An hour of that day, and (fetched again as before) the day itself: the hour is refused, the
  // day's rows are duplicates.
  EXPECT_EQ(counts(ingest_text(*store,
                               page(kNov1 + 5 * kHour, kHour, {{"gpt-4o", "p1"}}) +
                                   page(kNov1, kDay, {{"gpt-4o", "p1"}, {ft, "p2"}}),
                               "hourly.jsonl", &rejects)),
            "read 3, stored 0, duplicates 2, rejected 1");
  EXPECT_EQ(reasons(), (std::vector<std::string>{
                           "data[0].results[0]: its bucket (2026-11-01T05:00:00Z to "
                           "2026-11-01T06:00:00Z) overlaps the bucket 2026-11-01T00:00:00Z to "
                           "2026-11-02T00:00:00Z already stored from by_project.json; buckets of "
                           "two widths would count its usage twice (fetch it as before, or first "
                           "take out what is stored: cost-ops delete --source by_project.json)"}));
  // Hours stored first refuse their day; within one input, the second of two overlapping buckets
  // is refused.
  const int64_t nov2 = kNov1 + kDay, nov3 = nov2 + kDay;
  EXPECT_EQ(counts(ingest_text(*store, page(nov2 + 7 * kHour, kHour, {{"gpt-4o", "p1"}}),
                               "nov2_hour.json")),
            "read 1, stored 1, duplicates 0, rejected 0");
  EXPECT_EQ(counts(ingest_text(*store,
                               page(nov2, kDay, {{"gpt-4o", "p1"}}) +
                                   page(nov3, kDay, {{"gpt-4o", "p1"}}) +
                                   page(nov3 + kHour, kHour, {{"gpt-4o", "p1"}}),
                               "days.jsonl", &rejects)),
            "read 3, stored 1, duplicates 0, rejected 2");
  const auto why = reasons();
  ASSERT_EQ(why.size(), 2u);
  EXPECT_NE(why[0].find("already stored from nov2_hour.json"), std::string::npos) << why[0];
  EXPECT_NE(why[1].find("overlaps the bucket 2026-11-03T00:00:00Z to 2026-11-04T00:00:00Z read "
                        "earlier in this input; buckets of two widths"),
            std::string::npos)
      << why[1];
  // Once the earlier fetch is deleted, the other grouping is stored.
  AggregateQuery earlier;
  earlier.source = "by_project.json";
  ASSERT_EQ(*store->delete_records(earlier), 2u);
  EXPECT_EQ(
      counts(ingest_text(*store, page(kNov1, kDay, {{"gpt-4o", ""}, {ft, ""}}), "by_model.json")),
      "read 2, stored 2, duplicates 0, rejected 0");
  // Anthropic's buckets (RFC 3339 bounds in the ids): its report grouped by model and workspace,
  // then by model alone.
  const std::string anthropic =
      testing::read_file(testing::source_path("tests/testdata/usage_report_anthropic.jsonl"));
  EXPECT_EQ(counts(ingest_text(*store, anthropic, "anthropic.jsonl")),
            "read 5, stored 3, duplicates 0, rejected 2");
  EXPECT_EQ(
      counts(ingest_text(
          *store,
          R"({"data": [{"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z",
          "results": [{"uncached_input_tokens": 5, "output_tokens": 1, "model": "claude-sonnet-4-5-20250929"}]}]})"
          "\n",
          "anthropic_by_model.json", &rejects)),
      "read 1, stored 0, duplicates 0, rejected 1");
  EXPECT_NE(reasons().at(0).find("is already stored from anthropic.jsonl grouped by model, "
                                 "workspace_id, api_key_id, service_tier, context_window; rows "
                                 "grouped by model would count"),
            std::string::npos);
}

// A usage report's bucket fetched again with revised figures (a bucket that had not ended, usage
// the provider recorded late) replaces the rows stored for it, in the records and in the daily
// totals; fetched again as it was, its rows are duplicates.
TEST_P(StoreTest, UsageReportBucketFetchedAgainWithRevisedFiguresReplacesTheStoredOne) {
  COSTOPS_OPEN_STORE(store, "report_revised");
  // An OpenAI page of the day 2026-11-01 grouped by model and project: (project, input tokens).
  auto page = [](std::vector<std::pair<std::string, int>> rows) {
    std::string results;
    for (const auto& [project, input] : rows) {
      results += std::string(results.empty() ? "" : ",") +
                 R"({"object": "organization.usage.completions.result", "output_tokens": 0, )"
                 R"("num_model_requests": 1, "model": "gpt-4o", "project_id": ")" +
                 project + "\", \"input_tokens\": " + std::to_string(input) + "}";
    }
    return R"({"object": "page", "data": [{"object": "bucket", "start_time": 1793491200, )"
           R"("end_time": 1793577600, "results": [)" +
           results + "]}]}\n";
  };
  auto day = [&] {  // the day's records, input tokens and cost, from the daily totals
    AggregateQuery q;
    q.group_by = {*GroupKey::parse("day")};
    auto rows = store->aggregate(q);
    EXPECT_TRUE(rows.has_value() && rows->size() == 1u);
    if (!rows || rows->size() != 1u) return std::string();
    const AggregateRow& r = rows->front();
    return std::to_string(r.records) + " " + std::to_string(r.input_tokens) + " " +
           r.cost.at("USD").to_string();
  };
  auto first = ingest_text(*store, page({{"p1", 1000}, {"p2", 2000}}), "early.json");
  EXPECT_EQ(counts(first), "read 2, stored 2, duplicates 0, rejected 0");
  EXPECT_EQ(day(), "2 3000 0.0075");  // 3000 * $2.5/M
  // Fetched again as it was: duplicates, nothing replaced.
  auto same = ingest_text(*store, page({{"p2", 2000}, {"p1", 1000}}), "same.json");
  EXPECT_EQ(counts(same), "read 2, stored 0, duplicates 2, rejected 0");
  EXPECT_EQ(same.replaced, 0u);
  // Revised: p1 has more usage, and p3 appears.
  auto later = ingest_text(*store, page({{"p1", 1500}, {"p2", 2000}, {"p3", 100}}), "late.json");
  EXPECT_EQ(counts(later), "read 3, stored 3, duplicates 0, rejected 0");
  EXPECT_EQ(later.replaced, 2u);
  EXPECT_EQ(day(), "3 3600 0.009");
  // The records agree with the daily totals, and come from the latest fetch.
  const auto all = scan_all(*store);
  ASSERT_EQ(all.size(), 3u);
  for (const PricedRecord& pr : all) EXPECT_TRUE(pr.usage.source.starts_with("late.json:"));
  // A row the provider no longer reports goes with the rest.
  auto fewer = ingest_text(*store, page({{"p1", 1500}, {"p2", 2000}}), "latest.json");
  EXPECT_EQ(counts(fewer), "read 2, stored 2, duplicates 0, rejected 0");
  EXPECT_EQ(fewer.replaced, 3u);
  EXPECT_EQ(day(), "2 3500 0.00875");
  // A row now with a value of a dimension no row had before (the report was grouped by it, the
  // first fetch's usage had none) revises the bucket; it is not taken for another grouping.
  const std::string with_user =
      R"({"object": "page", "data": [{"object": "bucket", "start_time": 1793491200, )"
      R"("end_time": 1793577600, "results": [)"
      R"({"object": "organization.usage.completions.result", "output_tokens": 0, )"
      R"("num_model_requests": 1, "model": "gpt-4o", "project_id": "p1", "input_tokens": 1500},)"
      R"({"object": "organization.usage.completions.result", "output_tokens": 0, )"
      R"("num_model_requests": 1, "model": "gpt-4o", "project_id": "p2", "input_tokens": 2000},)"
      R"({"object": "organization.usage.completions.result", "output_tokens": 0, )"
      R"("num_model_requests": 1, "model": "gpt-4o", "project_id": "p2", "user_id": "u1", )"
      R"("input_tokens": 10}]}]})"
      "\n";
  auto users = ingest_text(*store, with_user, "users.json");
  EXPECT_EQ(counts(users), "read 3, stored 3, duplicates 0, rejected 0");
  EXPECT_EQ(users.replaced, 2u);
  EXPECT_EQ(day(), "3 3510 0.008775");
  // A fetch with a row that cannot be read replaces nothing: its other rows are duplicates.
  std::vector<ingest::Reject> rejects;
  auto broken = ingest_text(*store, page({{"p1", 1500}, {"p2", -1}}), "broken.json", &rejects);
  EXPECT_EQ(counts(broken), "read 2, stored 0, duplicates 1, rejected 1");
  EXPECT_EQ(broken.replaced, 0u);
  EXPECT_EQ(day(), "3 3510 0.008775");
}

// Providers' usage reports: each result row is one record of summed usage. A row's long-context
// tier is that of its requests (OpenAI: the mean input per request; Anthropic: the context window
// it names, else the base rates), never that of its summed input.
TEST_P(StoreTest, ProviderUsageReportRowsArePricedByTheirRequests) {
  COSTOPS_OPEN_STORE(store, "usage_report");
  const std::string openai =
      testing::read_file(testing::source_path("tests/testdata/usage_report_openai.json"));
  const std::string anthropic =
      testing::read_file(testing::source_path("tests/testdata/usage_report_anthropic.jsonl"));
  std::vector<ingest::Reject> rejects;
  EXPECT_EQ(counts(ingest_text(*store, openai, "openai.json", &rejects)),
            "read 5, stored 3, duplicates 0, rejected 2");
  const auto a = ingest_text(*store, anthropic, "anthropic.jsonl", &rejects);
  EXPECT_EQ(counts(a), "read 5, stored 3, duplicates 0, rejected 2");
  EXPECT_EQ(a.base_rate_rows, 1u);  // the row without a context window, of a tiered model
  std::vector<std::string> got;
  for (const auto& r : rejects) got.push_back(std::to_string(r.line) + ": " + r.reason);
  EXPECT_EQ(got, (std::vector<std::string>{
                     // A row of a document spread over lines: the line it begins on.
                     "36: data[0].results[2]: no model: fetch the report grouped by model "
                     "(group_by=model)",
                     "61: data[1].results[1]: a usage row of kind "
                     "\"organization.usage.images.result\" is not token usage and is not read "
                     "(read: completions, embeddings, moderations)",
                     "2: data[0].results[1]: field \"uncached_input_tokens\": expected a "
                     "non-negative integer, got \"12\"",
                     "3: an API error response, not a usage report: invalid x-api-key"}));
  // A rejected row reports itself, not the whole page.
  EXPECT_TRUE(rejects[0].text.starts_with("{\"input_tokens\":10,")) << rejects[0].text;

  AggregateQuery q;
  q.group_by = {*GroupKey::parse("model"), *GroupKey::parse("project")};
  auto rows = store->aggregate(q);
  ASSERT_TRUE(rows.has_value());
  std::vector<std::string> costs, requests;
  for (const auto& r : *rows) {
    costs.push_back(r.keys[0] + " " + r.keys[1] + " " + r.cost.at("USD").to_string());
    requests.push_back(r.keys[0] + " " + std::to_string(r.records) + " " +
                       std::to_string(r.requests));
  }
  // A row counts the requests it reports (OpenAI's num_model_requests); Anthropic's report gives
  // no count, so each of its rows counts as one request.
  EXPECT_EQ(requests, (std::vector<std::string>{
                          "claude-sonnet-4-5 1 1", "claude-sonnet-4-5-20250929 2 2", "gpt-5.4 1 2",
                          "gpt-5.4-2026-03-05 1 20", "text-embedding-3-small 1 100"}));
  EXPECT_EQ(costs, (std::vector<std::string>{
                       // 5M input in one day at the base $3/M: no window, so no long-context tier
                       "claude-sonnet-4-5  15",
                       // 0-200k: 1M*3 + 0.4M*0.3 + 0.1M*3.75 + 0.01M*6 + 0.02M*15 + 3*$0.01;
                       // 200k-1M: 0.9M*6 + 1000*22.5/M
                       "claude-sonnet-4-5-20250929 wrkspc_01 9.3075",
                       // 2 requests of 300k mean input: above 272k, 0.6M*5 + 1000*22.5/M
                       "gpt-5.4 proj_b 3.0225",
                       // 20 requests of 100k mean input: base rates, 1.5M*2.5 + 0.5M*0.25 + 50k*15
                       "gpt-5.4-2026-03-05 proj_a 4.625", "text-embedding-3-small  0.02"}));

  // The tier a row was priced at is stored with it, so pricing the stored record again (reprice)
  // gives the same cost.
  const std::vector<PricedRecord> all = scan_all(*store);
  ASSERT_EQ(all.size(), 6u);
  int windows = 0;
  for (const PricedRecord& pr : all) {
    ASSERT_TRUE(pr.cost.has_value()) << pr.usage.id;
    auto again = engine::CostCalculator::price_record(pricing::Catalog::builtin(), pr.usage,
                                                      pr.usage.timestamp);
    ASSERT_TRUE(again.has_value()) << pr.usage.id;
    EXPECT_EQ(again->total_cost.amount, pr.cost->total_cost.amount) << pr.usage.id;
    if (pr.usage.id.ends_with(":200k-1M::")) {
      EXPECT_EQ(pr.usage.tier_input_tokens, 200001);
      ++windows;
    }
    if (pr.usage.provider == "openai") {
      EXPECT_EQ(pr.usage.tier_input_tokens, -1);  // their requests are counted
    }
  }
  EXPECT_EQ(windows, 1);
  // Repricing moves a record's requests between daily totals with its cost: here out of USD, as
  // the record becomes unpriced.
  std::vector<PricedRecord> unpriced(all.begin(), all.begin() + 1);
  unpriced[0].cost.reset();
  unpriced[0].unpriced_reason = "test";
  auto repriced = store->update_costs(unpriced);
  ASSERT_TRUE(repriced.has_value()) << repriced.status().to_string();
  EXPECT_EQ(*repriced, 1u);
  auto after = store->aggregate(q);
  ASSERT_TRUE(after.has_value());
  for (size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].requests, (*rows)[i].requests) << (*after)[i].keys[0];
    EXPECT_EQ((*after)[i].records, (*rows)[i].records) << (*after)[i].keys[0];
  }
  // Ids name the bucket and the row's grouping values; times are the bucket's start.
  const auto gpt = std::find_if(all.begin(), all.end(), [](const PricedRecord& pr) {
    return pr.usage.model == "gpt-5.4-2026-03-05";
  });
  ASSERT_NE(gpt, all.end());
  EXPECT_EQ(gpt->usage.id,
            "openai-usage:completions:1793491200/1793577600:gpt-5.4-2026-03-05:proj_a::key_a:"
            "false:");
  EXPECT_EQ(format_timestamp(gpt->usage.timestamp), "2026-11-01T00:00:00Z");
  EXPECT_EQ(gpt->usage.usage.get(units::kRequests), 20);

  // Fetching the same report again stores nothing twice.
  EXPECT_EQ(counts(ingest_text(*store, openai, "openai.json")),
            "read 5, stored 0, duplicates 3, rejected 2");
  EXPECT_EQ(counts(ingest_text(*store, anthropic, "anthropic.jsonl")),
            "read 5, stored 0, duplicates 3, rejected 2");
  // A row whose bucket has no time is rejected, not dated at the ingest time.
  rejects.clear();
  EXPECT_EQ(
      counts(ingest_text(
          *store,
          R"({"object": "page", "data": [{"object": "bucket", "results": [{"object": )"
          R"("organization.usage.completions.result", "model": "gpt-4o", "input_tokens": 5}]}]})",
          "untimed.json", &rejects)),
      "read 1, stored 0, duplicates 0, rejected 1");
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason,
            "data[0].results[0]: its bucket has no start_time: the row has no time");
}

// A gateway's rollup as CSV: a row of several requests takes the tier of its mean request, or of
// its tier_input_tokens column.
TEST_P(StoreTest, CsvRowsOfSummedRequestsAndTheirTier) {
  COSTOPS_OPEN_STORE(store, "csv_tier");
  const std::string csv =
      "id,timestamp,provider,model,input_tokens,requests,tier_input_tokens\n"
      "a,2026-11-01T00:00:00Z,openai,gpt-5.4,1000000,10,\n"       // 100k each: base, $2.5
      "b,2026-11-01T00:00:00Z,openai,gpt-5.4,1000000,2,\n"        // 500k each: above 272k, $5
      "c,2026-11-01T00:00:00Z,openai,gpt-5.4,1000000,2,100000\n"  // given: base, $2.5
      "d,2026-11-01T00:00:00Z,openai,gpt-5.4,1000000,1,many\n";   // not a count
  std::vector<ingest::Reject> rejects;
  EXPECT_EQ(counts(ingest_text(*store, csv, "rollup.csv", &rejects)),
            "read 4, stored 3, duplicates 0, rejected 1");
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].reason,
            "field \"tier_input_tokens\": expected a non-negative integer, got \"many\"");
  std::vector<std::string> got;
  for (const PricedRecord& pr : scan_all(*store))
    got.push_back(pr.usage.id + " " + pr.cost->total_cost.amount.to_string());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"a 2.5", "b 5", "c 2.5"}));
  // Requests are counted as the rows give them, a count of 0 too (stored and read back as 0,
  // where a record without a count is one request).
  EXPECT_EQ(counts(ingest_text(*store,
                               "id,timestamp,provider,model,input_tokens,requests\n"
                               "e,2026-11-01T00:00:00Z,openai,gpt-5.4,0,0\n"
                               "f,2026-11-01T00:00:00Z,openai,gpt-5.4,10,\n",
                               "more.csv")),
            "read 2, stored 2, duplicates 0, rejected 0");
  AggregateQuery by_user;  // from the records
  by_user.group_by = {*GroupKey::parse("user")};
  for (const AggregateQuery& q : {AggregateQuery{}, by_user}) {
    auto rows = store->aggregate(q);
    ASSERT_TRUE(rows.has_value() && rows->size() == 1u);
    EXPECT_EQ(rows->front().records, 5u);
    EXPECT_EQ(rows->front().requests, 10 + 2 + 2 + 0 + 1);
  }
  for (const PricedRecord& pr : scan_all(*store)) {
    if (pr.usage.id == "e") {
      EXPECT_EQ(pr.usage.usage.requests(), 0);
    }
    if (pr.usage.id == "f") {
      EXPECT_FALSE(pr.usage.usage.has(units::kRequests));
    }
  }
}

TEST_P(StoreTest, RepricingMovesUnpricedRecordsIntoTheTotals) {
  COSTOPS_OPEN_STORE(store, "reprice");
  const std::string text =
      R"({"id":"k1","timestamp":"2026-09-02T10:00:00Z","provider":"acme","model":"acme-1","project_id":"p","usage":{"input_tokens":1000000}})"
      "\n"
      R"({"id":"k2","timestamp":"2026-09-02T11:00:00Z","provider":"openai","model":"gpt-4o","project_id":"p","usage":{"input_tokens":1000000}})"
      "\n";
  auto s = ingest_text(*store, text, "r.jsonl");
  EXPECT_EQ(s.unpriced, 1u);
  AggregateQuery q;
  q.unpriced_only = true;
  std::vector<PricedRecord> todo = scan_all(*store, q);
  ASSERT_EQ(todo.size(), 1u);
  EXPECT_NE(todo[0].unpriced_reason.find("unknown provider \"acme\""), std::string::npos);
  // The catalog learns acme-1 at $0.5/M.
  const pricing::Catalog cat = catalog_with_acme();
  auto cost = engine::CostCalculator::price_record(cat, todo[0].usage, todo[0].usage.timestamp);
  ASSERT_TRUE(cost.has_value());
  todo[0].cost = *cost;
  auto n = store->update_costs(todo);
  ASSERT_TRUE(n.has_value()) << n.status_or_ok().to_string();
  EXPECT_EQ(*n, 1u);
  // Both the records path and the daily-totals path see it.
  AggregateQuery by_day;
  by_day.group_by = {*GroupKey::parse("day")};
  AggregateQuery by_hour;
  by_hour.group_by = {*GroupKey::parse("hour")};
  auto days = store->aggregate(by_day);
  ASSERT_EQ(days->size(), 1u);
  EXPECT_EQ(days->front().unpriced, 0u);
  EXPECT_EQ(days->front().records, 2u);
  EXPECT_EQ(days->front().cost.at("USD").to_string(), "3");  // 2.5 + 0.5
  auto hours = store->aggregate(by_hour);
  ASSERT_EQ(hours->size(), 2u);
  EXPECT_EQ(hours->front().cost.at("USD").to_string(), "0.5");
}

// A record that names no provider (a response body, a gateway line naming only its model) is
// counted under the catalog provider that priced it: grouped and filtered by it, on the totals
// and the records paths. Its key stays that of the record as given, so ingesting it again stores
// nothing, and a record priced later by reprice moves to its provider.
TEST_P(StoreTest, RecordsWithoutAProviderCountUnderTheProviderThatPricedThem) {
  COSTOPS_OPEN_STORE(store, "inferred_provider");
  const std::string text =
      R"({"timestamp":"2026-09-02T10:00:00Z","body":{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","usage":{"prompt_tokens":1000000,"completion_tokens":0}}})"
      "\n"
      R"({"timestamp":"2026-09-02T11:00:00Z","model":"acme-1","usage":{"input_tokens":1000000}})"
      "\n"
      R"({"timestamp":"2026-09-02T12:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000000}})"
      "\n";
  EXPECT_EQ(counts(ingest_text(*store, text, "p.jsonl")),
            "read 3, stored 3, duplicates 0, rejected 0");
  EXPECT_EQ(counts(ingest_text(*store, text, "p.jsonl")),
            "read 3, stored 0, duplicates 3, rejected 0");
  auto by = [&](std::vector<const char*> keys, std::vector<Filter> filters = {}) {
    AggregateQuery q;
    for (const char* k : keys) q.group_by.push_back(*GroupKey::parse(k));
    q.filters = std::move(filters);
    auto rows = store->aggregate(q);
    EXPECT_TRUE(rows.has_value()) << rows.status_or_ok().to_string();
    std::vector<std::string> out;
    for (const auto& r : *rows) {
      std::string line;
      for (const auto& k : r.keys) line += k + "|";
      line += std::to_string(r.records) + "|" + std::to_string(r.unpriced) + "|" +
              (r.cost.count("USD") ? r.cost.at("USD").to_string() : "-");
      out.push_back(line);
    }
    return out;
  };
  const std::vector<std::string> before = {"|1|1|-", "openai|2|0|5"};
  EXPECT_EQ(by({"provider"}), before);             // from the daily totals
  EXPECT_EQ(by({"provider", "hour"}).size(), 3u);  // from the records
  EXPECT_EQ(by({"provider"}, {*Filter::parse("provider=openai")}),
            std::vector<std::string>{"openai|2|0|5"});
  EXPECT_EQ(
      by({"provider", "model"}, {*Filter::parse("provider=openai")}),
      (std::vector<std::string>{"openai|gpt-4o|1|0|2.5", "openai|gpt-4o-2024-08-06|1|0|2.5"}));
  // The records path's scan names the provider too.
  AggregateQuery priced_ones;
  priced_ones.filters = {*Filter::parse("model=gpt-4o-2024-08-06")};
  auto scanned = scan_all(*store, priced_ones);
  ASSERT_EQ(scanned.size(), 1u);
  EXPECT_EQ(scanned[0].usage.provider, "openai");

  // Repriced once the catalog knows acme-1, the record moves to acme's totals.
  AggregateQuery q;
  q.unpriced_only = true;
  std::vector<PricedRecord> todo = scan_all(*store, q);
  ASSERT_EQ(todo.size(), 1u);
  EXPECT_EQ(todo[0].usage.provider, "");
  const pricing::Catalog cat = catalog_with_acme();
  auto cost = engine::CostCalculator::price_record(cat, todo[0].usage, todo[0].usage.timestamp);
  ASSERT_TRUE(cost.has_value()) << cost.status_or_ok().to_string();
  todo[0].cost = *cost;
  auto n = store->update_costs(todo);
  ASSERT_TRUE(n.has_value()) << n.status_or_ok().to_string();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(by({"provider"}), (std::vector<std::string>{"acme|1|0|0.5", "openai|2|0|5"}));
  auto hours = by({"provider", "hour"});
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_EQ(hours[0], "acme|2026-09-02T11|1|0|0.5");
  // Still the same record: ingesting the file again stores nothing.
  EXPECT_EQ(counts(ingest_text(*store, text, "p.jsonl")),
            "read 3, stored 0, duplicates 3, rejected 0");
}

// Deleting records: those read from one input (their source), or those a period and filters
// select, leave the store as if they had never been written, in the records and the daily
// totals; ingesting the input again stores them again.
TEST_P(StoreTest, DeletesRecordsBySourceOrSelectionAndTheirTotals) {
  COSTOPS_OPEN_STORE(store, "delete");
  const std::string sample = testing::read_file(testing::source_path("data/samples/usage.jsonl"));
  const std::string extra =
      R"({"id":"x1","timestamp":"2026-09-02T10:00:00Z","provider":"openai","model":"gpt-4o","project_id":"search","usage":{"input_tokens":1000000}})"
      "\n"
      R"({"id":"x2","timestamp":"2026-09-02T11:00:00Z","provider":"acme","model":"acme-1","usage":{"input_tokens":5}})"
      "\n";
  ASSERT_EQ(ingest_text(*store, sample, "usage.jsonl").stored, 3524u);
  std::vector<AggregateQuery> queries(3);
  queries[1].group_by = {*GroupKey::parse("provider"), *GroupKey::parse("day")};  // the totals
  queries[2].group_by = {*GroupKey::parse("user"), *GroupKey::parse("hour")};     // the records
  std::vector<std::vector<AggregateRow>> before;
  for (const auto& q : queries) before.push_back(*store->aggregate(q));
  ASSERT_EQ(ingest_text(*store, extra, "extra.jsonl").stored, 2u);
  // The input's records, as a query sees them (--source).
  AggregateQuery from_extra;
  from_extra.source = "extra.jsonl";
  auto extra_rows = store->aggregate(from_extra);
  ASSERT_TRUE(extra_rows.has_value());
  ASSERT_EQ(extra_rows->size(), 1u);
  EXPECT_EQ(extra_rows->front().records, 2u);
  EXPECT_EQ(extra_rows->front().unpriced, 1u);
  EXPECT_EQ(extra_rows->front().cost.at("USD").to_string(), "2.5");
  // A prefix of a name is not the input: "extra" is no source of "extra.jsonl:1".
  AggregateQuery prefix;
  prefix.source = "extra";
  EXPECT_EQ(*store->delete_records(prefix), 0u);
  EXPECT_EQ(*store->delete_records(from_extra), 2u);
  for (size_t i = 0; i < queries.size(); ++i)
    EXPECT_EQ(*store->aggregate(queries[i]), before[i]) << i;
  EXPECT_EQ(ingest_text(*store, extra, "extra.jsonl").stored, 2u);  // stored anew
  EXPECT_EQ(*store->delete_records(from_extra), 2u);

  // A period and filters: one day of one provider.
  AggregateQuery day;
  day.from = *parse_timestamp("2026-09-10T00:00:00Z");
  day.to = *parse_timestamp("2026-09-11T00:00:00Z");
  day.filters = {*Filter::parse("provider=anthropic")};
  const auto selected = store->aggregate(day);
  ASSERT_TRUE(selected.has_value());
  ASSERT_EQ(selected->size(), 1u);
  const uint64_t n = selected->front().records;
  ASSERT_GT(n, 0u);
  EXPECT_EQ(*store->delete_records(day), n);
  EXPECT_TRUE(store->aggregate(day)->empty());
  AggregateQuery by_provider_day = queries[1];
  by_provider_day.group_by = {*GroupKey::parse("provider"), *GroupKey::parse("hour")};
  // The totals path (by day) and the records path (by hour) still agree.
  uint64_t totals = 0, records = 0;
  const auto by_day = store->aggregate(queries[1]);
  const auto by_hour = store->aggregate(by_provider_day);
  ASSERT_TRUE(by_day.has_value() && by_hour.has_value());
  for (const auto& r : *by_day) totals += r.records;
  for (const auto& r : *by_hour) records += r.records;
  EXPECT_EQ(totals, 3524u - n);
  EXPECT_EQ(records, 3524u - n);
  // A filter value no record has deletes nothing.
  AggregateQuery none;
  none.filters = {*Filter::parse("model=no-such-model")};
  EXPECT_EQ(*store->delete_records(none), 0u);
}

// A store reopened on a database that never held a priced record must create the currency
// dimension while repricing (no write() has run in this process).
TEST_P(StoreTest, RepricingInAFreshProcessCreatesNewDimensions) {
  std::string url;
  {
    COSTOPS_OPEN_STORE(store, "reprice_fresh");
    const std::string text =
        R"({"id":"u1","timestamp":"2026-09-02T10:00:00Z","provider":"acme","model":"acme-1","usage":{"input_tokens":1000000}})"
        "\n";
    EXPECT_EQ(ingest_text(*store, text, "u.jsonl").unpriced, 1u);
    url = store->url();
  }
  auto reopened = storage::Store::open(url);
  ASSERT_TRUE(reopened.has_value()) << reopened.status_or_ok().to_string();
  AggregateQuery q;
  q.unpriced_only = true;
  std::vector<PricedRecord> todo = scan_all(**reopened, q);
  ASSERT_EQ(todo.size(), 1u);
  CostRecord c;
  c.total_cost = c.input_cost = Money{*Decimal::parse("0.5"), Currency::usd()};
  todo[0].cost = c;
  auto n = (*reopened)->update_costs(todo);
  ASSERT_TRUE(n.has_value()) << n.status_or_ok().to_string();
  EXPECT_EQ(*n, 1u);
  auto total = (*reopened)->aggregate({});
  ASSERT_EQ(total->size(), 1u);
  EXPECT_EQ(total->front().cost.at("USD").to_string(), "0.5");
  EXPECT_EQ(total->front().unpriced, 0u);
}

TEST_P(StoreTest, MigratesAndRefusesANewerSchema) {
  std::string url;
  {
    COSTOPS_OPEN_STORE(store, "migrate");
    EXPECT_EQ(store->schema_version(), storage::kSchemaVersion);
    url = store->url();
  }
  // A database written by a newer cost-ops.
  if (std::string(GetParam()) == "sqlite") {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(url.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  } else {
    PGconn* c = PQconnectdb(url.c_str());
    PGresult* r = PQexec(c, "UPDATE costops_schema SET version = 99");
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
  }
  auto again = storage::Store::open(url);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(again.status().message().find("schema version 99 is newer than this cost-ops"),
            std::string::npos)
      << again.status().message();
}

// A schema 1 database (records unique by key alone) opens migrated to the newest schema (through
// schema 2's (day, key), schema 3's (timestamp, key) and schema 4's request counts, read from the
// stored usage) with every record, the same totals, and idempotent re-ingest; records without a
// timestamp stay idempotent too.
TEST_P(StoreTest, MigratesSchemaOneDataAndKeepsIngestIdempotent) {
  std::string url;
  const std::string text = testing::read_file(testing::source_path("data/samples/usage.jsonl"));
  const std::string report =  // rows of many requests
      testing::read_file(testing::source_path("tests/testdata/usage_report_openai.json"));
  // Totals from daily_totals (by model) and from the records (by user).
  std::vector<AggregateQuery> queries(3);
  queries[1].group_by = {*GroupKey::parse("model")};
  queries[2].group_by = {*GroupKey::parse("user")};
  std::vector<std::vector<AggregateRow>> before;
  {
    COSTOPS_OPEN_STORE(store, "schema1");
    url = store->url();
    ASSERT_EQ(ingest_text(*store, text, "usage.jsonl").stored, 3524u);
    ASSERT_EQ(ingest_text(*store, report, "openai.json").stored, 3u);
    for (const auto& q : queries) before.push_back(*store->aggregate(q));
    EXPECT_EQ(before[0].front().requests, 3524 + 20 + 2 + 100);
    // Schema 6's token parts, which the migration reads back from the stored usage.
    EXPECT_GT(before[0].front().cache_read_tokens, 0);
    EXPECT_GT(before[0].front().reasoning_tokens, 0);
  }
  // Turn it back into schema 1's shape.
  if (std::string(GetParam()) == "sqlite") {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(url.c_str(), &db), SQLITE_OK);
    const char* down =
        "CREATE TABLE v1 AS SELECT key_hi, key_lo, ts, provider, model, organization, project, "
        "user_id, input_tokens, output_tokens, priced, currency, cost_e6, cost_e15, cost_e24, "
        "tags, "
        "detail FROM usage_records; DROP TABLE usage_records; ALTER TABLE v1 RENAME TO "
        "usage_records; CREATE UNIQUE INDEX v1_key ON usage_records (key_hi, key_lo); "
        "ALTER TABLE daily_totals DROP COLUMN requests; ALTER TABLE daily_totals DROP COLUMN "
        "cache_read_tokens; ALTER TABLE daily_totals DROP COLUMN cache_write_tokens; ALTER TABLE "
        "daily_totals DROP COLUMN reasoning_tokens; DROP TABLE discounts; PRAGMA user_version = "
        "1;";
    ASSERT_EQ(sqlite3_exec(db, down, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  } else {
    PGconn* c = PQconnectdb(url.c_str());
    PGresult* r = PQexec(c,
                         "ALTER TABLE usage_records DROP COLUMN key_day, DROP COLUMN requests, "
                         "DROP COLUMN cache_read_tokens, DROP COLUMN cache_write_tokens, DROP "
                         "COLUMN reasoning_tokens; ALTER TABLE daily_totals DROP COLUMN requests, "
                         "DROP COLUMN cache_read_tokens, DROP COLUMN cache_write_tokens, DROP "
                         "COLUMN reasoning_tokens; DROP INDEX "
                         "usage_records_key; CREATE INDEX usage_records_ts ON usage_records (ts); "
                         "ALTER TABLE usage_records ADD PRIMARY KEY (key_hi, key_lo); DROP TABLE "
                         "discounts; UPDATE costops_schema SET version = 1");
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
  }
  auto store = storage::Store::open(url);
  ASSERT_TRUE(store.has_value()) << store.status().to_string();
  for (size_t i = 0; i < queries.size(); ++i)
    EXPECT_EQ(*(*store)->aggregate(queries[i]), before[i]);
  const auto again = ingest_text(**store, text, "usage.jsonl");
  EXPECT_EQ(again.stored, 0u);
  EXPECT_EQ(again.duplicates, 3524u);

  // No timestamp: stored at the ingest time, but keyed without it.
  const std::string bare =
      R"({"provider":"openai","model":"gpt-4o","usage":{"input_tokens":7}})"
      "\n"
      R"({"id":"no-ts-1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":8}})"
      "\n";
  EXPECT_EQ(ingest_text(**store, bare, "bare.jsonl", nullptr, "2026-10-01T00:00:00Z").stored, 2u);
  EXPECT_EQ(ingest_text(**store, bare, "bare.jsonl", nullptr, "2026-11-15T12:00:00Z").duplicates,
            2u);
}

// Schema 5: priced records stored by earlier versions under no provider (response bodies, gateway
// lines naming only a model) move to the provider that priced them, in the records and the daily
// totals, as they are stored now.
TEST_P(StoreTest, MigratesRecordsWithoutAProviderToTheProviderThatPricedThem) {
  std::string url;
  const std::string text =
      R"({"timestamp":"2026-09-02T10:00:00Z","body":{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","usage":{"prompt_tokens":1000000,"completion_tokens":0}}})"
      "\n"
      R"({"timestamp":"2026-09-02T11:00:00Z","model":"mystery-1","usage":{"input_tokens":5}})"
      "\n"
      R"({"timestamp":"2026-09-02T12:00:00Z","provider":"openai","model":"gpt-4o","usage":{"input_tokens":1000000}})"
      "\n"
      R"({"timestamp":"2026-09-03T12:00:00Z","model":"claude-sonnet-4-5","usage":{"input_tokens":1000000}})"
      "\n";
  std::vector<AggregateQuery> queries(3);
  queries[0].group_by = {*GroupKey::parse("provider")};  // the daily totals
  queries[1].group_by = {*GroupKey::parse("provider"), *GroupKey::parse("hour")};  // the records
  queries[2].group_by = {*GroupKey::parse("day"), *GroupKey::parse("provider"),
                         *GroupKey::parse("model")};
  std::vector<std::vector<AggregateRow>> before;
  {
    COSTOPS_OPEN_STORE(store, "schema4");
    url = store->url();
    ASSERT_EQ(ingest_text(*store, text, "p.jsonl").stored, 4u);
    for (const auto& q : queries) before.push_back(*store->aggregate(q));
    ASSERT_EQ(before[0].size(), 3u);  // -, anthropic, openai
    EXPECT_EQ(before[0][2].records, 2u);
  }
  // Back to schema 4's shape: the records that named no provider stored under none.
  const std::string down =
      "UPDATE usage_records SET provider = (SELECT id FROM dims WHERE kind = 0 AND value = '') "
      "WHERE model IN (SELECT id FROM dims WHERE kind = 1 AND value IN ('gpt-4o-2024-08-06', "
      "'claude-sonnet-4-5')); UPDATE daily_totals SET provider = (SELECT id FROM dims WHERE kind = "
      "0 AND value = '') WHERE model IN (SELECT id FROM dims WHERE kind = 1 AND value IN "
      "('gpt-4o-2024-08-06', 'claude-sonnet-4-5')); " +
      std::string(kDropTokenParts);
  if (std::string(GetParam()) == "sqlite") {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(url.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, (down + "PRAGMA user_version = 4;").c_str(), nullptr, nullptr, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  } else {
    PGconn* c = PQconnectdb(url.c_str());
    PGresult* r = PQexec(c, (down + "UPDATE costops_schema SET version = 4").c_str());
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
  }
  auto store = storage::Store::open(url);
  ASSERT_TRUE(store.has_value()) << store.status().to_string();
  EXPECT_EQ((*store)->schema_version(), storage::kSchemaVersion);
  for (size_t i = 0; i < queries.size(); ++i)
    EXPECT_EQ(*(*store)->aggregate(queries[i]), before[i]) << i;
  const auto again = ingest_text(**store, text, "p.jsonl");
  EXPECT_EQ(again.stored, 0u);
  EXPECT_EQ(again.duplicates, 4u);
}

TEST(StoreOpenTest, UnknownSchemesAndBadServersAreClearErrors) {
  auto s = storage::Store::open("mysql://x");
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.status().message().find("unknown scheme"), std::string::npos);
  auto pg = storage::Store::open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(pg.has_value());
  EXPECT_NE(pg.status().message().find("cannot connect to PostgreSQL"), std::string::npos)
      << pg.status().message();
}

TEST_P(StoreTest, BudgetsRoundTripAndReplaceByName) {
  COSTOPS_OPEN_STORE(store, "budgets");
  Budget b;
  b.name = "search-monthly";
  b.scope = {*Filter::parse("project=search"), *Filter::parse("tag:team=core")};
  b.period = "2025-Q2";
  b.amount = *Decimal::parse("12000.50");
  b.currency = "EUR";
  b.thresholds = {50, 75.5, 100};
  ASSERT_TRUE(store->put_budget(b).is_ok());
  Budget all;
  all.name = "all";
  all.amount = *Decimal::parse("100");
  ASSERT_TRUE(store->put_budget(all).is_ok());
  b.amount = *Decimal::parse("13000");  // replaces by name
  ASSERT_TRUE(store->put_budget(b).is_ok());
  auto list = store->budgets();
  ASSERT_TRUE(list.has_value()) << list.status().to_string();
  ASSERT_EQ(list->size(), 2u);
  const Budget& got = (*list)[1];
  EXPECT_EQ(got.name, "search-monthly");
  EXPECT_EQ(got.amount.to_string(), "13000");
  EXPECT_EQ(got.currency, "EUR");
  EXPECT_EQ(got.period, "2025-Q2");
  EXPECT_EQ(got.thresholds, (std::vector<double>{50, 75.5, 100}));
  ASSERT_EQ(got.scope.size(), 2u);
  EXPECT_EQ(got.scope[1].key.name(), "tag:team");
  EXPECT_EQ(got.scope[1].value, "core");
  EXPECT_TRUE((*list)[0].scope.empty());
  EXPECT_TRUE(*store->remove_budget("all"));
  EXPECT_FALSE(*store->remove_budget("all"));
  EXPECT_EQ(store->budgets()->size(), 1u);
}

TEST_P(StoreTest, DiscountsRoundTripAndReplaceByNameAndPricedRecordsKeepTheirListCost) {
  COSTOPS_OPEN_STORE(store, "discounts");
  auto day = [](const char* d) {
    return std::chrono::floor<std::chrono::days>(*parse_timestamp(d));
  };
  Discount ea{"azure-ea", "azure", {}, *Decimal::parse("12.5"), day("2026-01-01"), std::nullopt};
  Discount opus{
      "opus",       "anthropic",      {"claude-opus-*", "claude-3-opus"}, Decimal::from_int(20),
      std::nullopt, day("2026-06-30")};
  ASSERT_TRUE(store->put_discount(ea).is_ok());
  ASSERT_TRUE(store->put_discount(opus).is_ok());
  ea.percent = Decimal::from_int(15);  // replaces by name
  ASSERT_TRUE(store->put_discount(ea).is_ok());
  auto list = store->discounts();
  ASSERT_TRUE(list.has_value()) << list.status().to_string();
  EXPECT_EQ(*list, (std::vector<Discount>{ea, opus}));
  Discount bad = ea;
  bad.percent = Decimal::from_int(101);
  EXPECT_FALSE(store->put_discount(bad).is_ok());
  bad = ea;
  bad.name = " spaced";
  EXPECT_FALSE(store->put_discount(bad).is_ok());
  EXPECT_TRUE(*store->remove_discount("opus"));
  EXPECT_FALSE(*store->remove_discount("opus"));
  EXPECT_EQ(store->discounts()->size(), 1u);

  // A record priced with a discount keeps its list costs through a write and a scan.
  auto cat = pricing::Catalog::builtin_copy();
  ASSERT_TRUE(cat.has_value());
  ASSERT_TRUE(cat->set_discounts(*store->discounts()).is_ok());
  UsageRecord r;
  r.id = "d1";
  r.timestamp = *parse_timestamp("2026-02-03T10:00:00Z");
  r.has_timestamp = true;
  r.provider = "azure";
  r.model = "gpt-4o";
  r.source = "d.jsonl:1";
  r.usage.set(units::kInputTokens, 1'000'000);
  r.usage.set(units::kOutputTokens, 100'000);
  PricedRecord pr{r, std::nullopt, ""};
  auto c = engine::CostCalculator::price_record(*cat, r, Timestamp{});
  ASSERT_TRUE(c.has_value()) << c.status().to_string();
  pr.cost = *c;
  ASSERT_TRUE(store->write(std::span(&pr, 1)).has_value());
  std::vector<PricedRecord> got;
  ASSERT_TRUE(store
                  ->scan(AggregateQuery{},
                         [&](const PricedRecord& x) {
                           got.push_back(x);
                           return Status::ok();
                         })
                  .is_ok());
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].cost && got[0].cost->discount);
  EXPECT_EQ(*got[0].cost->discount, *c->discount);
  EXPECT_EQ(got[0].cost->discount->list_total.amount.to_string(), "3.5");
  EXPECT_EQ(got[0].cost->total_cost.amount.to_string(), "2.975");
  EXPECT_EQ(got[0].cost->discount->list_total.currency, Currency::usd());
}

// Connections sharing a database (processes ingesting at once, a service beside the CLI): a
// value another one stored is neither an error to store again nor missing from reads, and
// writers at once over the same days and groups all succeed (no deadlock, no lost total).
TEST_P(StoreTest, ConnectionsSharingADatabaseWriteAtOnceAndSeeEachOthersValues) {
  COSTOPS_OPEN_STORE(a, "shared");
  auto b = storage::Store::open(a->url());
  ASSERT_TRUE(b.has_value()) << b.status_or_ok().to_string();
  auto line = [](const std::string& id, int day, const std::string& model,
                 const std::string& project) {
    return R"({"id": ")" + id + R"(", "timestamp": "2026-09-)" + (day < 9 ? "0" : "") +
           std::to_string(day + 1) + R"(T10:00:00Z", "model": ")" + model +
           R"(", "project_id": ")" + project +
           R"(", "usage": {"input_tokens": 1000, "output_tokens": 100}})" + "\n";
  };
  // b stores values a has not read; a stores a record with the same ones, and reads both.
  EXPECT_EQ(counts(ingest_text(**b, line("b1", 0, "gpt-4o", "p-new"), "b.jsonl")),
            "read 1, stored 1, duplicates 0, rejected 0");
  EXPECT_EQ(counts(ingest_text(*a, line("a1", 0, "gpt-4o", "p-new"), "a.jsonl")),
            "read 1, stored 1, duplicates 0, rejected 0");
  EXPECT_EQ(counts(ingest_text(**b, line("b2", 1, "gpt-4.1", "p-newer"), "b.jsonl")),
            "read 1, stored 1, duplicates 0, rejected 0");
  AggregateQuery newer;
  newer.group_by = {*GroupKey::parse("model"), *GroupKey::parse("project")};
  newer.filters = {*Filter::parse("project=p-newer")};
  auto rows = a->aggregate(newer);
  ASSERT_TRUE(rows.has_value()) << rows.status_or_ok().to_string();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().keys, (std::vector<std::string>{"gpt-4.1", "p-newer"}));
  const auto scanned = scan_all(*a, newer);
  ASSERT_EQ(scanned.size(), 1u);
  EXPECT_EQ(scanned[0].usage.project_id, "p-newer");
  // Four writers at once, each on its own connection, over the same days, models and projects
  // in different orders, in batches of 7 records (several transactions each).
  b->reset();
  const char* models[] = {"gpt-4o", "gpt-4.1", "gpt-4o-mini", "o3"};
  std::vector<std::string> texts(4);
  for (int w = 0; w < 4; ++w)
    for (int i = 0; i < 300; ++i)
      texts[w] += line("w" + std::to_string(w) + "-" + std::to_string(i), (i * (w + 1) + w) % 10,
                       models[(i + w) % 4], "p" + std::to_string((i * 7 + w) % 3));
  std::vector<std::string> results(4);
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      auto store = storage::Store::open(a->url());
      if (!store) {
        results[w] = store.status().to_string();
        return;
      }
      results[w] = counts(ingest_text(**store, texts[w], "w.jsonl"));
    });
  for (auto& t : writers) t.join();
  for (int w = 0; w < 4; ++w)
    EXPECT_EQ(results[w], "read 300, stored 300, duplicates 0, rejected 0") << "writer " << w;
  AggregateQuery by_day;
  by_day.group_by = {*GroupKey::parse("day")};  // from the daily totals
  auto days = a->aggregate(by_day);
  ASSERT_TRUE(days.has_value()) << days.status_or_ok().to_string();
  uint64_t records = 0;
  for (const auto& r : *days) records += r.records;
  EXPECT_EQ(records, 1203u);
  EXPECT_EQ(scan_all(*a).size(), 1203u);
}

// Processes opening one new database at once (here threads, each on its own connection): each
// creates it or finds it made, and stores its records. One of them failed with "table dims
// already exists" (it read the version before another created the tables), or "database is
// locked" (turning the write-ahead log on while another did).
TEST(SqliteStoreTest, WritersCreatingOneDatabaseAtOnceAllStoreTheirRecords) {
  for (int round = 0; round < 20; ++round) {
    const std::string path = temp_db("created_at_once");
    std::vector<std::string> results(4);
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w)
      writers.emplace_back([&, w] {
        auto store = storage::Store::open(path);
        if (!store) {
          results[w] = store.status().to_string();
          return;
        }
        results[w] = counts(ingest_text(
            **store,
            R"({"id": "w)" + std::to_string(w) +
                R"(", "timestamp": "2026-09-01T10:00:00Z", "model": "gpt-4o", "usage": )"
                R"({"input_tokens": 1000}})"
                "\n",
            "w.jsonl"));
      });
    for (auto& t : writers) t.join();
    for (int w = 0; w < 4; ++w)
      EXPECT_EQ(results[w], "read 1, stored 1, duplicates 0, rejected 0")
          << "round " << round << ", writer " << w;
    auto store = storage::Store::open(path);
    ASSERT_TRUE(store.has_value()) << store.status_or_ok().to_string();
    EXPECT_EQ(scan_all(**store).size(), 4u) << "round " << round;
    store->reset();
    remove_db(path);
  }
}

// A database a command only reads where its write-ahead log cannot be made (a read-only file
// system, a directory the user cannot write; here its -wal path is taken by a directory, which
// stops root too) is read as it is; writes to it fail with an error.
TEST(SqliteStoreTest, ADatabaseWhoseLogCannotBeMadeIsReadAsItIs) {
  const std::string path = temp_db("read_only");
  {
    auto s = storage::Store::open(path);
    ASSERT_TRUE(s.has_value()) << s.status_or_ok().to_string();
    EXPECT_EQ(
        counts(ingest_text(
            **s,
            R"({"id": "r1", "timestamp": "2026-09-01T10:00:00Z", "model": "gpt-4o", "usage": {"input_tokens": 1000000}})"
            "\n",
            "r.jsonl")),
        "read 1, stored 1, duplicates 0, rejected 0");
  }
  std::filesystem::create_directory(path + "-wal");
  auto s = storage::Store::open(path, storage::OpenMode::kExisting);
  ASSERT_TRUE(s.has_value()) << s.status_or_ok().to_string();
  auto rows = (*s)->aggregate({});
  ASSERT_TRUE(rows.has_value()) << rows.status_or_ok().to_string();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().cost.at("USD").to_string(), "2.5");
  EXPECT_EQ(scan_all(**s).size(), 1u);
  Budget b;
  b.name = "b";
  b.amount = Decimal::from_int(1);
  const Status put = (*s)->put_budget(b);
  EXPECT_FALSE(put.is_ok());
  EXPECT_NE(put.message().find("readonly database"), std::string::npos) << put.to_string();
  // A command that writes opens it to write, and says why it cannot.
  auto w = storage::Store::open(path, storage::OpenMode::kCreate);
  EXPECT_FALSE(w.has_value());
  std::filesystem::remove(path + "-wal");
  remove_db(path);
}

// PostgreSQL shared with other programs: a schema holding another program's table named as one
// of cost-ops' is refused before anything is written, saying how to give cost-ops a schema of its
// own; the URL's search_path names one, which cost-ops creates and keeps every table in.
TEST(PostgresStoreTest, KeepsToItsOwnSchemaAndRefusesTablesNamedAsItsOwn) {
  const std::string url = fresh_pg_db("schema");
  if (url.empty()) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") ADD_FAILURE() << "no COSTOPS_TEST_PG_URL";
    GTEST_SKIP() << "no PostgreSQL server (COSTOPS_TEST_PG_URL)";
  }
  auto sql = [&](const std::string& q) {
    PGconn* c = PQconnectdb(url.c_str());
    PGresult* r = PQexec(c, q.c_str());
    std::string out;
    for (int i = 0; i < PQntuples(r); ++i) out += (i ? "," : "") + std::string(PQgetvalue(r, i, 0));
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return out;
  };
  sql("CREATE TABLE budgets (id INTEGER, owner TEXT)");
  auto refused = storage::Store::open(url);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find(
                "not a cost-ops database: schema public holds another program's tables named as "
                "cost-ops' (budgets); give cost-ops a database of its own, or a schema of its own "
                "in this one: add ?options=-csearch_path%3Dcostops to the URL"),
            std::string::npos)
      << refused.status().message();
  EXPECT_EQ(sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
            "budgets");  // nothing written
  {
    auto own = storage::Store::open(url + "?options=-csearch_path%3Dcostops");
    ASSERT_TRUE(own.has_value()) << own.status_or_ok().to_string();
    Budget b;
    b.name = "monthly";
    b.amount = Decimal::from_int(100);
    ASSERT_TRUE((*own)->put_budget(b).is_ok());
  }
  EXPECT_EQ(sql("SELECT count(*) FROM costops.budgets"), "1");
  EXPECT_EQ(sql("SELECT count(*) FROM public.budgets"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"),
            "1");
  // A command that only reads, given the database without the schema, is told where it is.
  auto elsewhere = storage::Store::open(url, storage::OpenMode::kExisting);
  ASSERT_FALSE(elsewhere.has_value());
  EXPECT_EQ(elsewhere.status().code(), StatusCode::kNotFound);
  EXPECT_NE(elsewhere.status().message().find(
                "no cost-ops database here (no cost-ops tables in schema public); cost-ops' "
                "tables are in schema costops: add ?options=-csearch_path%3Dcostops to the URL"),
            std::string::npos)
      << elsewhere.status().message();
  // Opened again, it is cost-ops' own schema.
  auto again =
      storage::Store::open(url + "?options=-csearch_path%3Dcostops", storage::OpenMode::kExisting);
  ASSERT_TRUE(again.has_value()) << again.status_or_ok().to_string();
  auto budgets = (*again)->budgets();
  ASSERT_TRUE(budgets.has_value());
  EXPECT_EQ(budgets->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<const char*>& i) {
                           return std::string(i.param);
                         });

}  // namespace
}  // namespace costops
