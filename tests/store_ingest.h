// Ingesting into a Store as `cost-ops ingest` does (each batch written, usage reports' buckets
// compared with the stored ones and replaced), for the storage tests and the fuzz targets. No
// gtest here: the fuzz targets include it too. (The CLI pipelines its writes instead.)
#pragma once

#include <span>
#include <string_view>

#include "costops/ingest/ingest.h"
#include "costops/storage/store.h"

namespace costops::testing {

// Points `opt`'s usage report hooks at `store`. `store` must outlive the ingest.
inline void compare_reports_with(ingest::IngestOptions& opt, storage::Store& store) {
  opt.stored_reports.records_at = [&store](std::span<const Timestamp> times,
                                           std::string_view prefix) {
    return store.records_at(times, prefix);
  };
  opt.stored_reports.remove = [&store](std::span<const PricedRecord> records) {
    return store.delete_stored(records);
  };
}

// A sink writing each batch to `store` (which must outlive it), one transaction each.
inline ingest::BatchSink writing_to(storage::Store& store) {
  return [&store](std::span<const PricedRecord> batch) -> Result<ingest::BatchResult> {
    auto w = store.write(batch);
    if (!w) return w.status();
    return ingest::BatchResult{w->stored, w->duplicates, w->unpriced};
  };
}

}  // namespace costops::testing
