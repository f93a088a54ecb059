// Providers' bills: the pages of their cost reports (OpenAI's /v1/organization/costs, Anthropic's
// /v1/organizations/cost_report), read as bill lines to reconcile with stored spend.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "costops/engine/reconcile.h"
#include "costops/ingest/ingest.h"

namespace costops::ingest {

struct BillRead {
  engine::Bill bill;
  /// Rows and pages that are no bill's (each with the line its page starts on and its place in
  /// it): every result row is either a bill line or a reject of its own.
  std::vector<Reject> rejects;
  uint64_t rows = 0;           // result rows read: bill lines plus rejected rows
  uint64_t rejected_rows = 0;  // of the rejects, those of rows (the others are pages or buckets)
};

/// Reads cost report pages from `text` (a file named `source`): one page, a list of pages, or
/// pages one after another (one per line as `curl ... >> costs.jsonl` leaves them, or
/// pretty-printed).
///   - OpenAI: buckets of `start_time`/`end_time` (epoch seconds; a bucket without an end is a
///     day), rows of `amount` {`value`, `currency`} (the value a JSON number, read as
///     written, never through a double, or numeric text), `line_item` ("gpt-4o-2024-08-06,
///     input": the model is the text before the first comma) and `project_id`.
///   - Anthropic: buckets of `starting_at`/`ending_at` (RFC 3339), rows of `amount` (a decimal
///     text, or number, in cents: "123.45" is 1.2345 USD), `currency`, `model`, `workspace_id` (the
///     project) and `description` (else `cost_type`).
/// A page that is an API error, a usage report's row (usage is ingested, not reconciled), a row
/// without an amount or with an amount that is no number, and a bucket without a valid start are
/// rejected with the reason. Invalid JSON rejects the rest of the text from its line on (named).
BillRead read_bill(std::string_view text, std::string_view source);

}  // namespace costops::ingest
