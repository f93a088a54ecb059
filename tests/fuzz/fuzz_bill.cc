// Fuzz target: any bytes as a provider's bill (cost report pages), read as `cost-ops reconcile`
// reads it and reconciled with stored spend made of the bill's own days. Checks: no crash, no
// sanitizer report, every result row is a bill line or a reject (each line in its bucket), each
// row's difference is its computed less its billed amount, and the bill given twice bills the
// same.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "costops/engine/reconcile.h"
#include "costops/ingest/bill.h"
#include "costops/pricing/catalog.h"

using namespace costops;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ingest::BillRead read = ingest::read_bill(text, "fuzz.json");
  if (read.rows != read.bill.lines.size() + read.rejected_rows) std::abort();
  if (read.rejected_rows > read.rejects.size()) std::abort();
  for (const auto& l : read.bill.lines) {
    if (l.bucket >= read.bill.buckets.size() || read.bill.buckets[l.bucket].start != l.start)
      std::abort();
  }
  // Stored spend: a record of 0.5 on every day asked, under the first line's model.
  const std::string model = read.bill.lines.empty() ? "" : read.bill.lines[0].model;
  const auto stored = [&](const AggregateQuery& q) -> Result<std::vector<AggregateRow>> {
    std::vector<AggregateRow> rows;
    if (!q.from || !q.to) std::abort();
    AggregateRow r;
    r.keys = {format_timestamp(*q.from).substr(0, 10)};
    for (size_t i = 1; i < q.group_by.size(); ++i) r.keys.push_back(model);
    r.records = 1;
    r.cost["USD"] = *Decimal::parse("0.5");
    rows.push_back(r);
    return rows;
  };
  // The bill twice: every bucket again with the same lines, counted once.
  engine::Bill twice = read.bill;
  twice.append(read.bill);
  for (const auto& by : {"day", "model", "day,model,project", ""}) {
    engine::ReconcileOptions o;
    o.by = engine::parse_reconcile_keys(by).value();
    const auto rec = engine::reconcile(read.bill, stored, pricing::Catalog::builtin(), o);
    if (!rec) continue;
    for (const auto& r : rec->rows) {
      if (r.difference() + r.billed != r.computed) std::abort();
    }
    const auto rec2 = engine::reconcile(twice, stored, pricing::Catalog::builtin(), o);
    if (!rec2 || rec2->rows.size() != rec->rows.size()) std::abort();
    for (size_t i = 0; i < rec->rows.size(); ++i) {
      if (rec2->rows[i].billed != rec->rows[i].billed) std::abort();
    }
  }
  return 0;
}
