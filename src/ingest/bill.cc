#include "costops/ingest/bill.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "ingest/usage_report.h"
#include "util/json_exact.h"

namespace costops::ingest {
namespace {

using json = nlohmann::json;
using detail::member;
using detail::string_member;

// Epoch seconds beyond this (year 9999) are no bucket start.
constexpr uint64_t kMaxEpochSeconds = 253402300799;

// A bucket bound: epoch seconds (OpenAI, a number or its text) or RFC 3339 (Anthropic).
std::optional<Timestamp> bound(const json& v) {
  if (v.is_number_unsigned()) {
    const auto e = v.get<uint64_t>();
    if (e > kMaxEpochSeconds) return std::nullopt;
    return Timestamp{std::chrono::seconds{static_cast<int64_t>(e)}};
  }
  if (!v.is_string()) return std::nullopt;
  const std::string text = v.get<std::string>();
  uint64_t e = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), e);
  if (ec == std::errc() && p == text.data() + text.size()) {
    if (e > kMaxEpochSeconds) return std::nullopt;
    return Timestamp{std::chrono::seconds{static_cast<int64_t>(e)}};
  }
  auto t = parse_timestamp(text);
  return t ? std::optional<Timestamp>(*t) : std::nullopt;
}

// An amount: a JSON integer, or a decimal as text (read_json_exact keeps a number's literal text
// so, and the reports write some amounts as text).
std::optional<Decimal> decimal_of(const json& v) {
  if (!v.is_number_integer() && !v.is_string()) return std::nullopt;
  auto d = costops::detail::json_decimal(v);
  return d ? std::optional<Decimal>(*d) : std::nullopt;
}

// The currency `o` names (upper case: OpenAI writes "usd"), USD when it names none.
std::string currency_of(const json& o) {
  std::string c = string_member(o, "currency");
  for (char& ch : c) ch = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
  return c.empty() ? "USD" : c;
}

class Reader {
 public:
  Reader(std::string_view source, BillRead& out) : source_(source), out_(out) {}

  void document(const json& doc, uint64_t line) {
    line_ = line;
    if (!doc.is_array()) return page(doc, "");
    for (size_t i = 0; i < doc.size(); ++i) page(doc[i], "[" + std::to_string(i) + "]");
  }

  void reject(const std::string& where, const std::string& reason, const json& part) {
    out_.rejects.push_back(
        {std::string(source_), line_, where.empty() ? reason : where + ": " + reason, part.dump()});
  }
  void row_reject(const std::string& where, const std::string& reason, const json& row) {
    ++out_.rejected_rows;
    reject(where, reason, row);
  }

 private:
  static std::string place(const std::string& at, const std::string& part) {
    return at.empty() ? part : at + "." + part;
  }
  std::string where(const std::string& at) const {
    return std::string(source_) + ":" + std::to_string(line_) + (at.empty() ? "" : ": " + at);
  }

  void page(const json& p, const std::string& at) {
    if (!p.is_object()) {
      reject(at, "expected a cost report page (an object), got " + std::string(p.type_name()), p);
      return;
    }
    if (const json& e = member(p, "error"); !e.is_null()) {
      const std::string m = string_member(e, "message");
      reject(at, "an API error response, not a cost report: " + (m.empty() ? e.dump() : m), p);
      return;
    }
    const json& data = member(p, "data");
    if (!data.is_array()) {
      reject(
          at,
          "field \"data\": expected the list of time buckets, got " + std::string(data.type_name()),
          p);
      return;
    }
    for (size_t b = 0; b < data.size(); ++b)
      bucket(data[b], place(at, "data[" + std::to_string(b) + "]"));
  }

  void bucket(const json& b, const std::string& at) {
    const bool anthropic = member(b, "start_time").is_null() && !member(b, "starting_at").is_null();
    const json& results = member(b, "results");
    // A bucket that cannot be placed in time rejects its rows, each on its own.
    const auto bad_bucket = [&](const std::string& reason) {
      if (!results.is_array() || results.empty()) return reject(at, reason, b);
      for (size_t i = 0; i < results.size(); ++i) {
        ++out_.rows;
        row_reject(at + ".results[" + std::to_string(i) + "]", "the bucket's " + reason,
                   results[i]);
      }
    };
    if (!results.is_array()) {
      bad_bucket("field \"results\": expected a list, got " + std::string(results.type_name()));
      return;
    }
    const char* start_key = anthropic ? "starting_at" : "start_time";
    const char* end_key = anthropic ? "ending_at" : "end_time";
    const auto start = bound(member(b, start_key));
    if (!start) {
      bad_bucket(std::string("field \"") + start_key + "\": expected its start, got " +
                 member(b, start_key).dump());
      return;
    }
    std::optional<Timestamp> end = *start + std::chrono::days(1);
    if (!member(b, end_key).is_null()) end = bound(member(b, end_key));
    if (!end || *end <= *start) {
      bad_bucket(std::string("field \"") + end_key + "\": expected its end, after its start, got " +
                 member(b, end_key).dump());
      return;
    }
    std::vector<engine::BillLine> lines;
    std::string provider;
    uint64_t rejected = 0;
    for (size_t i = 0; i < results.size(); ++i) {
      ++out_.rows;
      const std::string row_at = at + ".results[" + std::to_string(i) + "]";
      const json& row = results[i];
      std::optional<engine::BillLine> line;
      if (!row.is_object()) {
        row_reject(row_at, "expected an object, got " + std::string(row.type_name()), row);
      } else if (!usage_row(row, row_at)) {
        line = anthropic ? anthropic_row(row, row_at) : openai_row(row, row_at);
      }
      if (!line) {
        ++rejected;
        continue;
      }
      line->start = *start;
      line->end = *end;
      line->where = where(row_at);
      line->bucket = out_.bill.buckets.size();  // the bucket pushed below
      if (provider.empty()) provider = line->provider;
      lines.push_back(std::move(*line));
    }
    // An empty bucket is a day the provider charged nothing for: it still counts for the days
    // the bill covers. Its provider is told by its shape.
    if (provider.empty()) provider = anthropic ? "anthropic" : "openai";
    out_.bill.buckets.push_back({provider, *start, *end, where(at), rejected});
    for (auto& l : lines) out_.bill.lines.push_back(std::move(l));
  }

  // Rows that are usage, not costs, are named so: they go to ingest. The row fns below take
  // the other objects.
  bool usage_row(const json& row, const std::string& at) {
    if (string_member(row, "object").starts_with("organization.usage.") ||
        row.contains("uncached_input_tokens") || row.contains("input_tokens")) {
      row_reject(
          at,
          "a usage report's row, not a cost: ingest usage with cost-ops ingest, and reconcile "
          "the cost report (/v1/organization/costs, /v1/organizations/cost_report)",
          row);
      return true;
    }
    return false;
  }

  std::optional<engine::BillLine> openai_row(const json& row, const std::string& at) {
    const json& amount = member(row, "amount");
    const auto value = decimal_of(member(amount, "value"));
    if (!amount.is_object() || !value) {
      row_reject(at,
                 "field \"amount\": expected {\"value\": a number, \"currency\": \"usd\"}, got " +
                     amount.dump(),
                 row);
      return std::nullopt;
    }
    engine::BillLine l;
    l.provider = "openai";
    l.amount = *value;
    l.currency = currency_of(amount);
    l.item = string_member(row, "line_item");
    l.model = l.item.substr(0, l.item.find(','));
    l.project = string_member(row, "project_id");
    return l;
  }

  std::optional<engine::BillLine> anthropic_row(const json& row, const std::string& at) {
    const json& amount = member(row, "amount");
    const auto cents = decimal_of(amount);
    const auto dollars = cents ? cents->mul_div(1, 100) : Result<Decimal>(invalid_argument(""));
    if (!dollars) {
      row_reject(
          at,
          "field \"amount\": expected a decimal text in cents (\"123.45\"), got " + amount.dump(),
          row);
      return std::nullopt;
    }
    engine::BillLine l;
    l.provider = "anthropic";
    l.amount = *dollars;
    l.currency = currency_of(row);
    l.model = string_member(row, "model");
    l.project = string_member(row, "workspace_id");
    l.item = string_member(row, "description");
    if (l.item.empty()) l.item = string_member(row, "cost_type");
    return l;
  }

  std::string_view source_;
  BillRead& out_;
  uint64_t line_ = 1;
};

// The 1-based lines of bytes of a text, asked in increasing order (counted once through).
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  uint64_t at(size_t byte) {
    byte = std::min(byte, text_.size());
    if (byte > pos_) {
      line_ +=
          static_cast<uint64_t>(std::count(text_.begin() + static_cast<ptrdiff_t>(pos_),
                                           text_.begin() + static_cast<ptrdiff_t>(byte), '\n'));
      pos_ = byte;
    }
    return line_;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
};

}  // namespace

BillRead read_bill(std::string_view text, std::string_view source) {
  BillRead out;
  Reader reader(source, out);
  Lines lines(text);
  std::istringstream in{std::string(text)};
  if (text.starts_with("\xEF\xBB\xBF")) in.seekg(3);
  // Values one after another: nlohmann reads one value and leaves the stream after it.
  while (true) {
    in >> std::ws;
    if (in.peek() == std::char_traits<char>::eof()) break;
    const auto at = static_cast<size_t>(in.tellg());
    size_t error_at = 0;
    auto doc = costops::detail::read_json_exact(in, &error_at);
    if (!doc) {
      out.rejects.push_back(
          {std::string(source), lines.at(at + error_at),
           "invalid JSON: " + doc.status().message() +
               "; the rest of the input, from this line on, is not read",
           std::string(text.substr(at, std::min<size_t>(200, text.size() - at)))});
      break;
    }
    reader.document(*doc, lines.at(at));
  }
  return out;
}

}  // namespace costops::ingest
