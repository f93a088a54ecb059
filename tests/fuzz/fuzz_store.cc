// Fuzz target: any bytes as usage input (the format the first byte picks, as fuzz_input), ingested
// into a SQLite store in memory as `cost-ops ingest` stores it (usage reports' buckets replaced
// too), then read back. Checks, beyond no crash and no sanitizer report: ingest's counts add up;
// the daily totals (what most queries read) and the records themselves (what a query by user or
// tag reads) give the same records, tokens and exact costs; ingesting the input again stores
// nothing new and changes no total.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "costops/domain/aggregate.h"
#include "costops/ingest/ingest.h"
#include "costops/pricing/catalog.h"
#include "costops/report/focus.h"
#include "costops/storage/store.h"
#include "fuzz_util.h"
#include "store_ingest.h"

using namespace costops;

namespace {

// One row summing `rows`; unset when a sum overflows.
std::optional<AggregateRow> total_of(const std::vector<AggregateRow>& rows) {
  AggregateRow t;
  for (const auto& r : rows) {
    if (!add_row(t, r)) return std::nullopt;
  }
  return t;
}

// The store's totals read both ways, which must agree: from the daily totals, and from the
// records (grouped by user, which only the records hold). Unset when a sum overflows.
std::optional<AggregateRow> totals(storage::Store& store) {
  auto daily = store.aggregate({});
  AggregateQuery by_user;
  by_user.group_by.push_back(*GroupKey::parse("user"));
  auto records = store.aggregate(by_user);
  if (!daily || !records) return std::nullopt;
  const auto a = total_of(*daily), b = total_of(*records);
  if (!a || !b) return std::nullopt;
  if (!(*a == *b)) std::abort();
  // As a FOCUS dataset: the scan gives the records in the order the dataset needs (oldest
  // first), and every one is summed into a row or counted unpriced.
  size_t bytes = 0;
  report::FocusDataset focus(nullptr, [&](std::string_view text) {
    bytes += text.size();
    return Status::ok();
  });
  Status st = store.scan({}, [&](const PricedRecord& r) { return focus.add(r); });
  if (st.is_ok()) st = focus.finish();
  if (!st.is_ok()) {
    if (st.code() != StatusCode::kOutOfRange) std::abort();  // only a row's sums overflowing
  } else if (focus.records() + focus.unpriced() != a->records || a->unpriced != focus.unpriced() ||
             bytes == 0) {
    std::abort();
  }
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto format = fuzz::input_format(data[0]);
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto store = storage::Store::open(":memory:");
  if (!store) std::abort();
  storage::Store& s = **store;

  ingest::IngestOptions o;
  o.catalog = &pricing::Catalog::builtin();
  o.format = format;
  o.default_time = *parse_timestamp("2026-11-02T10:15:00Z");
  o.batch_size = 7;  // several batches from small inputs
  o.overlap_sink = false;
  testing::compare_reports_with(o, s);
  const ingest::BatchSink sink = testing::writing_to(s);
  auto ingest_once = [&] {
    auto in = fuzz::reading(text);
    return ingest::ingest_stream(in.get(), "fuzz.input", o, sink, [](const ingest::Reject&) {});
  };

  auto first = ingest_once();
  if (!first) return 0;  // a sink error: a sum beyond 64 bits, say
  if (first->read != first->stored + first->duplicates + first->rejected) std::abort();
  const auto before = totals(s);
  if (!before) return 0;

  auto again = ingest_once();
  if (!again) return 0;
  // Nothing new, but for usage report rows revised within the input (each fetch replaces the one
  // stored before it, so the last stays).
  if (again->stored > 0 && again->replaced == 0) std::abort();
  const auto after = totals(s);
  if (!after || !(*after == *before)) std::abort();
  return 0;
}
