// Providers' organization usage reports as records: pages of OpenAI's usage API
// (/v1/organization/usage/completions and /embeddings) and of Anthropic's messages usage report
// (/v1/organizations/usage_report/messages). Internal to ingest.
//
// Each result row of a time bucket is one record: the usage of many requests, summed. Its time is
// the bucket's start; its id names the provider, the bucket and the row's grouping values, so
// that fetching the same report again stores nothing twice. A long-context price tier applies per
// request, so a row never takes a tier by its summed input:
//   - OpenAI rows count their requests (num_model_requests -> usage `requests`): the tier is
//     chosen by the mean input per request (CostCalculator::price).
//   - Anthropic rows say which context window their requests used when the report is grouped by
//     context_window ("200k-1M" prices at the tier above 200k); without it they are priced at the
//     base rates (tier_input_tokens 0).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "costops/domain/records.h"
#include "costops/domain/status.h"
#include "costops/domain/time.h"

namespace costops::ingest::detail {

/// Member `k` of `o`, or null when `o` is not an object or has no such member.
inline const nlohmann::json& member(const nlohmann::json& o, const char* k) {
  static const nlohmann::json kNull;
  if (!o.is_object()) return kNull;
  const auto it = o.find(k);
  return it == o.end() ? kNull : *it;
}

/// Member `k` of `o` when it is a string, else "".
inline std::string string_member(const nlohmann::json& o, const char* k) {
  const nlohmann::json& v = member(o, k);
  return v.is_string() ? v.get<std::string>() : std::string();
}

/// Whether the start of an input looks like a usage report page (or lines or a list of pages), or
/// a cost report's: OpenAI's by its rows' "object", Anthropic's as its usage report's (the reader
/// rejects their rows, naming cost-ops reconcile).
bool looks_like_usage_report(std::string_view head);

/// A time bucket of a report as its rows' ids name it: the report (`kind`, the ids' first part:
/// "openai-usage:completions", "anthropic-usage:messages"), its start and end as the page gives
/// them and as times, and the dimensions its rows are grouped by (as a mask of the kind's id
/// fields: those with a value in any row; a fetch grouped by a dimension no row has a value of
/// looks grouped without it, so a stored bucket that shares a row's id with it is grouped alike).
struct ReportBucket {
  std::string kind;
  std::string start_text, end_text;
  Timestamp start{}, end{};
  uint32_t grouping = 0;
  std::vector<std::string> ids;  // its rows' ids (as their records have them)
  bool whole = true;  // every row of the page's bucket was made a record (none reported bad)
};

/// The records stored at exactly some times whose id starts with a prefix (Store::records_at).
using StoredRecordsFn =
    std::function<Result<std::vector<PricedRecord>>(std::span<const Timestamp>, std::string_view)>;

/// What BucketLedger::check says of a bucket.
struct BucketVerdict {
  std::string refused;               // why its rows are not taken, or "" to take them
  std::vector<PricedRecord> stored;  // when taken: its rows stored (a fetch again), else none
};

/// Keeps a report's usage from being counted twice. Every fetch of a report splits a bucket's
/// usage among its rows by the fetch's group_by; two fetches of one bucket grouped differently, or
/// of overlapping buckets of two widths (1h and 1d), have rows with different ids, and storing
/// both would count the usage twice. So a bucket is refused when a bucket of the same report, read
/// earlier in the input or stored, overlaps it, unless it is the same bucket grouped the same way:
/// a fetch again, which comes with its stored rows, for the caller to replace them when the fetch
/// revised them (usage the provider recorded late, or a bucket that had not ended) and else to
/// take its rows as duplicates. Stored buckets are found by the records at the bucket's start, at
/// each hour within it, and at the starts of the hour and day it begins in (a bucket of minutes is
/// compared with stored minutes by its start alone).
class BucketLedger {
 public:
  explicit BucketLedger(StoredRecordsFn stored) : stored_(std::move(stored)) {}
  /// Whether the rows of `b` may be stored. Errors are the store's.
  Result<BucketVerdict> check(const ReportBucket& b);

 private:
  StoredRecordsFn stored_;
  std::multimap<Timestamp, ReportBucket> seen_;  // taken in this input, by start
  Timestamp::duration widest_{};                 // of those
};

/// Calls record(text, where, row, base_rates) for each result row of `doc` (a page, or a list of
/// pages): the row as a record in the JSON form, its place ("data[0].results[2]", "[1].data[0]..."
/// in a list), the row as given, and whether it takes the base rates for want of a context window
/// (an Anthropic row of a report not grouped by context_window). Calls bad(where, reason, part)
/// for each row that cannot be a record (no model, an unknown kind of result, a count that is no
/// count) and for each part of a page that is not the shape the API gives it: its place ("" for
/// the document), why, and that part as given.
using ReportRowFn = std::function<void(const std::string& text, const std::string& where,
                                       const std::string& row, bool base_rates)>;
using ReportBadFn = std::function<void(const std::string& where, const std::string& reason,
                                       const std::string& part)>;
/// `check`, when given, is asked about each bucket, with its rows as records, before they are
/// passed on: it returns why they are not taken, or "" to take them; the rows of a bucket it
/// refuses are reported bad with its reason.
using ReportCheckFn = std::function<std::string(const ReportBucket& bucket,
                                                std::span<const std::string_view> records)>;
void for_each_report_row(const nlohmann::json& doc, const ReportRowFn& record,
                         const ReportBadFn& bad, const ReportCheckFn& check = {});

}  // namespace costops::ingest::detail
