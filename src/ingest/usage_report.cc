#include "ingest/usage_report.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_set>

namespace costops::ingest::detail {
namespace {

using json = nlohmann::json;

// A row's text value for an id or a dimension: a string as is, a number or boolean as its JSON,
// null or absent as "".
std::string text_of(const json& row, const char* k) {
  const json& v = member(row, k);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump();
}

// Reads the rows' token counts, reporting the first that is not a non-negative integer.
class Counts {
 public:
  explicit Counts(const std::function<void(const std::string&)>& bad) : bad_(bad) {}

  // row[k] (at `path`, for the message), or 0 when absent or null; nullopt (reported) when it is
  // something else.
  std::optional<int64_t> get(const json& row, const char* k, const std::string& path) {
    const json& v = member(row, k);
    if (v.is_null()) return 0;
    if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX) &&
        v.get<int64_t>() >= 0)
      return v.get<int64_t>();
    if (ok_) bad_("field \"" + path + "\": expected a non-negative integer, got " + v.dump());
    ok_ = false;
    return std::nullopt;
  }
  std::optional<int64_t> get(const json& row, const char* k) { return get(row, k, k); }

  // The sum of `parts`, reported on overflow.
  int64_t sum(std::initializer_list<int64_t> parts) {
    int64_t s = 0;
    for (int64_t p : parts) {
      if (__builtin_add_overflow(s, p, &s)) {
        if (ok_) bad_("the input token counts overflow");
        ok_ = false;
        return 0;
      }
    }
    return s;
  }
  bool ok() const { return ok_; }

 private:
  const std::function<void(const std::string&)>& bad_;
  bool ok_ = true;
};

// The lower bound of a context window ("200k-1M" -> 200000), or nullopt when it is not of that
// form.
std::optional<int64_t> window_start(const std::string& w) {
  int64_t n = 0;
  size_t i = 0;
  for (; i < w.size() && w[i] >= '0' && w[i] <= '9'; ++i) {
    if (n > 1'000'000'000) return std::nullopt;  // no window is that large (nor overflows below)
    n = n * 10 + (w[i] - '0');
  }
  if (i == 0) return std::nullopt;
  if (i < w.size() && (w[i] == 'k' || w[i] == 'K')) {
    n *= 1000;
    ++i;
  } else if (i < w.size() && (w[i] == 'm' || w[i] == 'M')) {
    n *= 1000000;
    ++i;
  }
  if (i >= w.size() || w[i] != '-') return std::nullopt;
  return n;
}

// The fields of a row whose values tell it from the others of its bucket, in its id's order: the
// dimensions a report can be grouped by.
constexpr const char* kOpenAIFields[] = {"model",      "project_id", "user_id",
                                         "api_key_id", "batch",      "service_tier"};
constexpr const char* kAnthropicFields[] = {"model",          "workspace_id",       "api_key_id",
                                            "account_id",     "service_account_id", "service_tier",
                                            "context_window", "inference_geo",      "speed"};
constexpr std::string_view kAnthropicKind = "anthropic-usage:messages";
// The latest OpenAI bucket bound taken as epoch seconds (a record's time reads larger numbers as
// milliseconds: get_timestamp); one beyond it has no bucket to compare.
constexpr uint64_t kMaxEpochSeconds = 100'000'000'000;

// A bucket's start or end as its rows' ids give it: a string as is, else its JSON.
std::string bound_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The time of a bucket bound so written: Anthropic's RFC 3339, OpenAI's epoch seconds (up to
// kMaxEpochSeconds); nullopt when it is not one.
std::optional<Timestamp> bound_time(bool anthropic, std::string_view text) {
  if (anthropic) {
    auto t = parse_timestamp(text);
    return t ? std::optional<Timestamp>(*t) : std::nullopt;
  }
  uint64_t e = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), e);
  if (ec != std::errc() || p != text.data() + text.size() || e > kMaxEpochSeconds)
    return std::nullopt;
  return Timestamp{std::chrono::seconds{static_cast<int64_t>(e)}};
}

// The grouping values of a row that tell it from the others of its bucket, for its id.
std::string id_of(std::string_view kind, const json& bucket_start, const json& bucket_end,
                  const json& row, std::span<const char* const> keys) {
  std::string id(kind);
  id += ':';
  id += bound_text(bucket_start);
  id += '/';
  id += bound_text(bucket_end);
  for (const char* k : keys) {
    id += ':';
    id += text_of(row, k);
  }
  return id;
}

// Whether a row names its model and its bucket a start (`start`: OpenAI's epoch seconds, else
// Anthropic's RFC 3339 time); else reported: without them it has no price or no time.
bool priceable(const json& row, const json& bucket, const char* start, std::string_view group_by,
               const std::function<void(const std::string&)>& bad) {
  if (string_member(row, "model").empty()) {
    bad("no model: fetch the report grouped by model (" + std::string(group_by) + ")");
    return false;
  }
  const json& t = member(bucket, start);
  if (std::string_view(start) == "start_time" ? !t.is_number_integer() : !t.is_string()) {
    bad(std::string("its bucket has no ") + start + ": the row has no time");
    return false;
  }
  return true;
}

// An OpenAI usage row (completions, embeddings or moderations) as a record, or null (reported).
json openai_row(const json& row, const json& bucket,
                const std::function<void(const std::string&)>& bad) {
  const std::string object = string_member(row, "object");
  const std::string_view kind = std::string_view(object).substr(sizeof "organization.usage." - 1);
  if (kind != "completions.result" && kind != "embeddings.result" && kind != "moderations.result") {
    bad("a usage row of kind \"" + object +
        "\" is not token usage and is not read (read: completions, embeddings, moderations)");
    return {};
  }
  if (!priceable(row, bucket, "start_time", "group_by=model", bad)) return {};
  Counts c(bad);
  json usage = json::object();
  const std::pair<const char*, const char*> keys[] = {
      {"input_tokens", "input_tokens"},
      {"output_tokens", "output_tokens"},
      {"input_cached_tokens", "cache_read_tokens"},
      {"input_audio_tokens", "input_audio_tokens"},
      {"input_cached_audio_tokens", "cache_audio_read_tokens"},
      {"output_audio_tokens", "output_audio_tokens"},
      {"input_image_tokens", "input_image_tokens"},
      {"input_cached_image_tokens", "cache_image_read_tokens"},
      {"output_image_tokens", "output_image_tokens"},
      {"num_model_requests", "requests"},
  };
  for (const auto& [from, to] : keys) {
    if (!row.contains(from) || row[from].is_null()) continue;
    const auto n = c.get(row, from);
    if (!n) return {};
    usage[to] = *n;
  }
  if (!usage.contains("input_tokens")) usage["input_tokens"] = 0;
  json rec = {{"provider", "openai"},
              {"model", row["model"]},
              {"timestamp", member(bucket, "start_time")},
              {"usage", usage}};
  rec["id"] = id_of("openai-usage:" + std::string(kind.substr(0, kind.find('.'))),
                    member(bucket, "start_time"), member(bucket, "end_time"), row, kOpenAIFields);
  if (const std::string p = text_of(row, "project_id"); !p.empty()) rec["project_id"] = p;
  if (const std::string u = text_of(row, "user_id"); !u.empty()) rec["user_id"] = u;
  if (const std::string k = text_of(row, "api_key_id"); !k.empty()) rec["tags"]["api_key"] = k;
  if (member(row, "batch").is_boolean()) rec["batch"] = row["batch"];
  if (const std::string t = string_member(row, "service_tier"); !t.empty()) rec["service_tier"] = t;
  return rec;
}

// An Anthropic messages usage row as a record, or null (reported).
json anthropic_row(const json& row, const json& bucket,
                   const std::function<void(const std::string&)>& bad) {
  if (!priceable(row, bucket, "starting_at", "group_by[]=model", bad)) return {};
  Counts c(bad);
  const json& creation = member(row, "cache_creation");
  if (!creation.is_null() && !creation.is_object()) {
    bad("field \"cache_creation\": expected an object, got " + creation.dump());
    return {};
  }
  const auto uncached = c.get(row, "uncached_input_tokens");
  const auto read = c.get(row, "cache_read_input_tokens");
  // Nested as the API gives it, or flat as some exports write it.
  const auto w5m = creation.is_object() ? c.get(creation, "ephemeral_5m_input_tokens",
                                                "cache_creation.ephemeral_5m_input_tokens")
                                        : c.get(row, "cache_creation_5m_input_tokens");
  const auto w1h = creation.is_object() ? c.get(creation, "ephemeral_1h_input_tokens",
                                                "cache_creation.ephemeral_1h_input_tokens")
                                        : c.get(row, "cache_creation_1h_input_tokens");
  const auto output = c.get(row, "output_tokens");
  const auto searches = c.get(member(row, "server_tool_use"), "web_search_requests",
                              "server_tool_use.web_search_requests");
  if (!c.ok()) return {};
  const int64_t write = c.sum({*w5m, *w1h});
  const int64_t input = c.sum({*uncached, *read, write});
  if (!c.ok()) return {};
  json usage = {{"input_tokens", input}, {"output_tokens", *output}};
  if (*read != 0) usage["cache_read_tokens"] = *read;
  if (write != 0) usage["cache_write_tokens"] = write;
  if (*w5m != 0) usage["cache_write_5m_tokens"] = *w5m;
  if (*w1h != 0) usage["cache_write_1h_tokens"] = *w1h;
  if (*searches != 0) usage["web_searches"] = *searches;
  json rec = {{"provider", "anthropic"},
              {"model", row["model"]},
              {"timestamp", member(bucket, "starting_at")},
              {"usage", usage}};
  rec["id"] = id_of(kAnthropicKind, member(bucket, "starting_at"), member(bucket, "ending_at"), row,
                    kAnthropicFields);
  // A window says where every request of the row was; without one, the base rates (see header).
  int64_t tier = 0;
  if (const std::string w = string_member(row, "context_window"); !w.empty()) {
    const auto start = window_start(w);
    if (!start) {
      bad("field \"context_window\": expected a range such as \"0-200k\", got \"" + w + "\"");
      return {};
    }
    tier = *start == 0 ? 0 : *start + 1;
  } else if (!member(row, "context_window").is_null()) {
    bad("field \"context_window\": expected a string, got " + row["context_window"].dump());
    return {};
  }
  rec["tier_input_tokens"] = tier;
  if (const std::string w = text_of(row, "workspace_id"); !w.empty()) rec["project_id"] = w;
  std::string user = text_of(row, "account_id");
  if (user.empty()) user = text_of(row, "service_account_id");
  if (!user.empty()) rec["user_id"] = user;
  for (const auto& [k, tag] :
       {std::pair{"api_key_id", "api_key"}, {"inference_geo", "inference_geo"}, {"speed", "speed"}})
    if (const std::string v = text_of(row, k); !v.empty()) rec["tags"][tag] = v;
  if (const std::string t = string_member(row, "service_tier"); t == "batch") {
    rec["batch"] = true;
  } else if (!t.empty() && t != "standard") {
    rec["service_tier"] = t;
  }
  return rec;
}

// The id fields of a report's rows (kOpenAIFields or kAnthropicFields).
std::span<const char* const> fields_of(std::string_view kind) {
  if (kind == kAnthropicKind) return kAnthropicFields;
  return kOpenAIFields;
}

// The bucket of `bucket` whose rows are `results`, of which `ids` are those made records (the
// first's report is the bucket's: the ids' first part), or nullopt when the bucket has no times
// (its rows are reported). REQUIRES: `ids` is not empty.
std::optional<ReportBucket> bucket_of(const json& bucket, const json& results,
                                      std::vector<std::string> ids) {
  ReportBucket b;
  const std::string& first = ids.front();
  b.kind = first.substr(0, first.find(':', first.find(':') + 1));
  const bool anthropic = b.kind == kAnthropicKind;
  const json& start = member(bucket, anthropic ? "starting_at" : "start_time");
  const json& end = member(bucket, anthropic ? "ending_at" : "end_time");
  auto time_of = [&](const json& v) -> std::optional<Timestamp> {
    if (!(anthropic ? v.is_string() : v.is_number_unsigned())) return std::nullopt;
    return bound_time(anthropic, bound_text(v));
  };
  const auto s = time_of(start), e = time_of(end);
  if (!s || !e || !(*s < *e)) return std::nullopt;
  b.start = *s;
  b.end = *e;
  b.start_text = bound_text(start);
  b.end_text = bound_text(end);
  const auto fields = fields_of(b.kind);
  for (const json& row : results) {
    for (size_t i = 0; i < fields.size(); ++i)
      if (!text_of(row, fields[i]).empty()) b.grouping |= 1u << i;
  }
  b.whole = ids.size() == results.size();
  b.ids = std::move(ids);
  return b;
}

// A bucket's dimensions as group_by names them ("model, project_id"; "nothing").
std::string grouping_text(std::string_view kind, uint32_t grouping) {
  const auto fields = fields_of(kind);
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if ((grouping & (1u << i)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += fields[i];
  }
  return out.empty() ? "nothing" : out;
}

// A stored record's bucket, from its id (kind:start/end:values, see id_of), at `ts`; nullopt when
// the id is not of that form. Values are split from the right: only a model may hold a ':' (an
// OpenAI fine-tune's), and OpenAI's bounds never do (epoch seconds); Anthropic's model names
// never do, and its bounds (RFC 3339) do.
std::optional<ReportBucket> stored_bucket(std::string_view kind, const UsageRecord& s) {
  if (!s.id.starts_with(kind) || s.id.size() <= kind.size() || s.id[kind.size()] != ':')
    return std::nullopt;
  std::string_view rest = std::string_view(s.id).substr(kind.size() + 1);
  const auto fields = fields_of(kind);
  ReportBucket b;
  b.kind = kind;
  b.start = s.timestamp;
  for (size_t i = fields.size() - 1; i >= 1; --i) {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    if (colon + 1 < rest.size()) b.grouping |= 1u << i;
    rest = rest.substr(0, colon);
  }
  const size_t colon = kind == kAnthropicKind ? rest.rfind(':') : rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  if (colon + 1 < rest.size()) b.grouping |= 1u;  // the model
  const std::string_view bounds = rest.substr(0, colon);
  const size_t slash = bounds.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  b.start_text = bounds.substr(0, slash);
  b.end_text = bounds.substr(slash + 1);
  const auto end = bound_time(kind == kAnthropicKind, b.end_text);
  if (!end) return std::nullopt;
  b.end = *end;
  return b;
}

// Why `b` cannot be taken beside `other` (of the same report, read or stored `where`), or "".
std::string conflict(const ReportBucket& b, const ReportBucket& other, const std::string& where,
                     const std::string& undo) {
  if (!(other.start < b.end && b.start < other.end)) return {};
  const std::string span = format_timestamp(b.start) + " to " + format_timestamp(b.end);
  if (other.start_text == b.start_text && other.end_text == b.end_text) {
    if (other.grouping == b.grouping) return {};
    return "its bucket (" + span + ") is " + where + " grouped by " +
           grouping_text(b.kind, other.grouping) + "; rows grouped by " +
           grouping_text(b.kind, b.grouping) + " would count its usage twice (" + undo + ")";
  }
  return "its bucket (" + span + ") overlaps the bucket " + format_timestamp(other.start) + " to " +
         format_timestamp(other.end) + " " + where +
         "; buckets of two widths would count its usage twice (" + undo + ")";
}

// A path into a document: `at` then `part` ("data[0]", then "data[0].results[1]").
std::string place(const std::string& at, const std::string& part) {
  return at.empty() ? part : at + "." + part;
}

// The rows of one page, at `at` ("" for a page that is the document, "[i]" in a list of them).
void page_rows(const json& page, const std::string& at, const ReportRowFn& record,
               const ReportBadFn& report, const ReportCheckFn& check) {
  const auto bad = [&](const std::string& reason) { report(at, reason, page.dump()); };
  if (!page.is_object()) {
    bad("expected a usage report page (an object), got " + std::string(page.type_name()));
    return;
  }
  if (const json& e = member(page, "error"); !e.is_null()) {
    const std::string m = string_member(e, "message");
    bad("an API error response, not a usage report: " + (m.empty() ? e.dump() : m));
    return;
  }
  const json& data = member(page, "data");
  if (!data.is_array()) {
    bad("field \"data\": expected the list of time buckets, got " + std::string(data.type_name()));
    return;
  }
  for (size_t b = 0; b < data.size(); ++b) {
    const std::string bucket_at = place(at, "data[" + std::to_string(b) + "]");
    const json& bucket = data[b];
    const json& results = member(bucket, "results");
    if (!results.is_array()) {
      report(bucket_at,
             "field \"results\": expected a list, got " + std::string(results.type_name()),
             bucket.dump());
      continue;
    }
    // The rows as records (the others reported), then the bucket's check, then the records.
    struct Row {
      std::string where, text, row;
      bool base_rates;
    };
    std::vector<Row> rows;
    std::vector<std::string> ids;  // theirs
    for (size_t i = 0; i < results.size(); ++i) {
      std::string where = bucket_at + ".results[" + std::to_string(i) + "]";
      const json& row = results[i];
      std::string row_text = row.dump();
      const std::function<void(const std::string&)> bad_row = [&](const std::string& reason) {
        report(where, reason, row_text);
      };
      json rec;
      const std::string object = string_member(row, "object");
      const bool openai = object.starts_with("organization.usage.");
      if (!row.is_object()) {
        bad_row("expected an object, got " + std::string(row.type_name()));
      } else if (openai) {
        rec = openai_row(row, bucket, bad_row);
      } else if (object.starts_with("organization.costs.") || row.contains("amount")) {
        bad_row(
            "a cost report's row (an amount, not usage) is not ingested: compare the bill with "
            "the stored spend with cost-ops reconcile, and ingest the usage report "
            "(/v1/organization/usage/completions, /v1/organizations/usage_report/messages)");
      } else if (row.contains("uncached_input_tokens") || bucket.contains("starting_at")) {
        rec = anthropic_row(row, bucket, bad_row);
      } else {
        bad_row("neither an OpenAI nor an Anthropic usage row");
      }
      if (!rec.is_null()) {
        ids.push_back(rec["id"].get<std::string>());
        rows.push_back({std::move(where), rec.dump(), std::move(row_text),
                        !openai && member(row, "context_window").is_null()});
      }
    }
    std::string refused;
    if (check && !rows.empty()) {
      if (const auto made = bucket_of(bucket, results, std::move(ids))) {
        std::vector<std::string_view> texts;
        for (const Row& r : rows) texts.push_back(r.text);
        refused = check(*made, texts);
      }
    }
    for (const Row& r : rows) {
      if (refused.empty()) {
        record(r.text, r.where, r.row, r.base_rates);
      } else {
        report(r.where, refused, r.row);
      }
    }
  }
}

}  // namespace

bool looks_like_usage_report(std::string_view head) {
  const std::string_view start = head.substr(0, 4096);
  auto has = [&](std::string_view s) { return start.find(s) != std::string_view::npos; };
  return has("\"organization.usage.") || has("\"organization.costs.") ||
         (has("\"results\"") && (has("\"uncached_input_tokens\"") || has("\"starting_at\"")));
}

void for_each_report_row(const json& doc, const ReportRowFn& record, const ReportBadFn& bad,
                         const ReportCheckFn& check) {
  if (!doc.is_array()) return page_rows(doc, "", record, bad, check);
  for (size_t i = 0; i < doc.size(); ++i)
    page_rows(doc[i], "[" + std::to_string(i) + "]", record, bad, check);
}

Result<BucketVerdict> BucketLedger::check(const ReportBucket& b) {
  auto refuse = [](std::string why) { return BucketVerdict{std::move(why), {}}; };
  const std::string again = "fetch the report once";
  // Those that may overlap it: begun before its end, and no longer ago than the widest.
  for (auto it = seen_.lower_bound(b.start - widest_), end = seen_.lower_bound(b.end); it != end;
       ++it) {
    const ReportBucket& seen = it->second;
    if (seen.kind != b.kind) continue;
    if (std::string why = conflict(b, seen, "read earlier in this input", again); !why.empty())
      return refuse(std::move(why));
  }
  // The starts of the hour and day the bucket begins in, and of each hour within it (a month
  // at most: the reports' buckets are a minute, an hour or a day).
  using std::chrono::hours;
  std::vector<Timestamp> times = {std::chrono::floor<std::chrono::days>(b.start),
                                  std::chrono::floor<hours>(b.start), b.start};
  for (Timestamp t = std::chrono::ceil<hours>(b.start); t < b.end && times.size() < 24 * 31 + 3;
       t += hours(1))
    times.push_back(t);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  auto records = stored_(times, b.kind + ":");
  if (!records) return records.status();
  // The stored buckets, each with the grouping of all its rows, the input it came from, and its
  // rows.
  struct Stored {
    ReportBucket bucket;
    std::string source;
    std::vector<PricedRecord> rows;
  };
  std::vector<Stored> stored;
  for (PricedRecord& pr : *records) {
    auto sb = stored_bucket(b.kind, pr.usage);
    if (!sb) continue;
    auto same = std::find_if(stored.begin(), stored.end(), [&](const Stored& e) {
      return e.bucket.start == sb->start && e.bucket.end_text == sb->end_text;
    });
    if (same == stored.end()) {
      same = stored.insert(stored.end(), {std::move(*sb), std::string(input_of(pr.usage)), {}});
    } else {
      same->bucket.grouping |= sb->grouping;
    }
    same->rows.push_back(std::move(pr));
  }
  BucketVerdict taken;
  const std::unordered_set<std::string_view> ids(b.ids.begin(), b.ids.end());
  for (Stored& s : stored) {
    // Grouped alike after all when a row is in both: the dimensions that seem to differ had no
    // value in either fetch's rows (a user_id of usage by API keys only, say).
    if (s.bucket.grouping != b.grouping &&
        std::any_of(s.rows.begin(), s.rows.end(),
                    [&](const PricedRecord& pr) { return ids.contains(pr.usage.id); }))
      s.bucket.grouping = b.grouping;
    const std::string undo =
        "fetch it as before, or first take out what is stored: cost-ops delete --source " +
        (s.source.empty() ? std::string("FILE") : s.source);
    const std::string where = "already stored" + (s.source.empty() ? "" : " from " + s.source);
    if (std::string why = conflict(b, s.bucket, where, undo); !why.empty())
      return refuse(std::move(why));
    if (s.bucket.start_text == b.start_text && s.bucket.end_text == b.end_text)
      taken.stored = std::move(s.rows);  // this bucket, grouped the same way
  }
  widest_ = std::max(widest_, b.end - b.start);
  seen_.emplace(b.start, b);
  return taken;
}

}  // namespace costops::ingest::detail
