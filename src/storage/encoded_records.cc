#include <mutex>

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

Result<WriteStats> PipelinedWriter::write(std::span<const PricedRecord> batch) {
  EncodedRecords e;
  {
    std::lock_guard lock(mu_);
    if (!encoded_.empty()) {
      e = std::move(encoded_.front());
      encoded_.pop_front();
    }
  }
  if (e.records().data() != batch.data() || e.records().size() != batch.size()) e.encode(batch);
  auto w = store_.write(e);
  std::lock_guard lock(mu_);
  spare_.push_back(std::move(e));
  return w;
}

}  // namespace costops::storage
