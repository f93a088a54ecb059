#include <mutex>
#include <utility>

#include "costops/storage/store.h"
#include "storage/sql_common.h"

namespace costops::storage {

EncodedRecords::EncodedRecords() = default;
EncodedRecords::~EncodedRecords() = default;
EncodedRecords::EncodedRecords(EncodedRecords&&) noexcept = default;
EncodedRecords& EncodedRecords::operator=(EncodedRecords&&) noexcept = default;

void EncodedRecords::encode(std::span<const PricedRecord> records) {
  records_ = records;
  if (rows_.size() < records.size()) rows_.resize(records.size());
  for (size_t i = 0; i < records.size(); ++i) detail::make_row(records[i], &rows_[i]);
}

std::span<const detail::Row> EncodedRecords::rows() const {
  return {rows_.data(), records_.size()};
}

Result<WriteStats> Store::write(std::span<const PricedRecord> records) {
  EncodedRecords e;
  e.encode(records);
  return write(e);
}

void PipelinedWriter::encode(std::span<const PricedRecord> batch) {
  EncodedRecords e;
  {
    std::lock_guard lock(mu_);
    if (!spare_.empty()) {
      e = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  e.encode(batch);
  std::lock_guard lock(mu_);
  encoded_.push_back(std::move(e));
}

namespace {

// Whether `e` is the encoding of `batch`: the same records, and still their rows (a batch that
// was encoded but never written leaves an encoding behind, whose records' memory may since hold
// another batch: its first and last keys tell).
bool encodes(const EncodedRecords& e, std::span<const PricedRecord> batch) {
  if (e.records().data() != batch.data() || e.records().size() != batch.size()) return false;
  if (batch.empty()) return true;
  for (size_t i : {size_t{0}, batch.size() - 1}) {
    const detail::Row& row = e.rows()[i];
    int64_t hi = 0, lo = 0;
    detail::key_hash(batch[i].usage, &hi, &lo);
    if (row.key_hi != hi || row.key_lo != lo ||
        row.ts != batch[i].usage.timestamp.time_since_epoch().count())
      return false;
  }
  return true;
}

}  // namespace

Result<WriteStats> PipelinedWriter::write(std::span<const PricedRecord> batch) {
  EncodedRecords e;
  bool found = false;
  {
    // The oldest encoding of this batch; older ones were never written and are dropped.
    std::lock_guard lock(mu_);
    while (!found && !encoded_.empty()) {
      e = std::move(encoded_.front());
      encoded_.pop_front();
      found = encodes(e, batch);
      if (!found) spare_.push_back(std::exchange(e, EncodedRecords()));
    }
  }
  if (!found) e.encode(batch);
  auto w = store_.write(e);
  std::lock_guard lock(mu_);
  spare_.push_back(std::move(e));
  return w;
}

}  // namespace costops::storage
