#include "costops/ingest/ingest.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/json_text.h"
#include "costops/domain/text_encoding.h"
#include "costops/engine/cost_calculator.h"
#include "costops/engine/normalizer.h"
#include "costops/ingest/record_json.h"
#include "ingest/agent_logs.h"
#include "ingest/realtime.h"
#include "ingest/sse.h"
#include "ingest/usage_report.h"
#include "util/csv.h"
#include "util/encoding.h"
#include "util/text.h"

namespace costops::ingest {

void count_unpriced(std::vector<UnpricedModel>& models, std::string_view provider,
                    std::string_view model, std::string_view reason, uint64_t records) {
  for (auto& m : models) {
    if (m.model == model && m.provider == provider) {
      m.records += records;
      return;
    }
  }
  if (models.size() < IngestStats::kMaxUnpricedModels) {
    models.push_back({std::string(provider), std::string(model), std::string(reason), records});
  }
}

Status RecordDefaults::add(std::string_view text) {
  const auto quoted = [&] { return "\"" + std::string(text) + "\""; };
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq + 1 == text.size()) {
    return invalid_argument(quoted() +
                            ": expected KEY=VALUE with a value, such as project=search "
                            "or tag:env=prod");
  }
  auto key = GroupKey::parse(text.substr(0, eq));
  const std::string value(text.substr(eq + 1));
  std::string* field = nullptr;
  if (key) {
    switch (key->kind) {
      case GroupKey::Kind::kOrganization:
        field = &organization;
        break;
      case GroupKey::Kind::kProject:
        field = &project;
        break;
      case GroupKey::Kind::kUser:
        field = &user;
        break;
      case GroupKey::Kind::kTag:
        for (const auto& [k, v] : tags) {
          if (k == key->tag) return invalid_argument(quoted() + ": tag:" + k + " is given twice");
        }
        tags.emplace_back(key->tag, value);
        return Status::ok();
      default:
        break;
    }
  }
  if (field == nullptr) {
    return invalid_argument(quoted() + ": KEY is organization, project, user or tag:KEY" +
                            (key && key->kind == GroupKey::Kind::kProvider
                                 ? std::string(" (--provider gives the provider)")
                                 : std::string()));
  }
  if (!field->empty()) return invalid_argument(quoted() + ": " + key->name() + " is given twice");
  *field = value;
  return Status::ok();
}

void RecordDefaults::apply(UsageRecord& r) const {
  for (const auto& [mine, given] :
       {std::pair{&r.organization_id, &organization}, std::pair{&r.project_id, &project},
        std::pair{&r.user_id, &user}}) {
    if (mine->empty()) *mine = *given;
  }
  for (const auto& [k, v] : tags) r.tag_if_absent(k, v);
}

Result<InputFormat> parse_input_format(std::string_view n) {
  if (n == "auto") return InputFormat::kAuto;
  if (n == "jsonl" || n == "ndjson") return InputFormat::kJsonl;
  if (n == "json") return InputFormat::kJson;
  if (n == "csv") return InputFormat::kCsv;
  if (n == "otel" || n == "otlp") return InputFormat::kOtel;
  if (n == "usage-report") return InputFormat::kUsageReport;
  if (n == "claude-code") return InputFormat::kClaudeCode;
  if (n == "codex") return InputFormat::kCodex;
  if (n == "gemini-cli") return InputFormat::kGeminiCli;
  if (n == "qwen-code") return InputFormat::kQwenCode;
  if (n == "opencode") return InputFormat::kOpenCode;
  if (n == "sse") return InputFormat::kSse;
  if (n == "realtime") return InputFormat::kRealtime;
  return invalid_argument("unknown input format \"" + std::string(n) +
                          "\"; use auto, jsonl, json, csv, otel, usage-report, claude-code, codex, "
                          "gemini-cli, qwen-code, opencode, sse or realtime");
}

bool is_agent_log(InputFormat f) {
  return f == InputFormat::kClaudeCode || f == InputFormat::kCodex ||
         f == InputFormat::kGeminiCli || f == InputFormat::kQwenCode || f == InputFormat::kOpenCode;
}

namespace {

constexpr size_t kChunk = 1 << 20;

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

// The longest CSV record read across lines: a quote still open after this many bytes is taken
// as never closed (so one stray quote costs a bounded re-read, not the rest of the input).
constexpr size_t kMaxCsvRecord = 8 << 20;

// The members of a JSON document that hold its list of records: "records"; an API's page of them,
// "data" (Langfuse's observations: {"data": [...], "meta": {...}}; Helicone's requests) or
// "result" (Cloudflare's API: {"result": [...], "result_info": {...}, "success": true}); or
// CloudWatch Logs' events, whose "message" texts are the lines logged (`aws logs
// filter-log-events` and get-log-events output "events", a subscription's payload "logEvents").
constexpr std::string_view kDocumentLists[] = {"records", "data", "result", "events", "logEvents"};

// The member of a JSON document (kDocumentLists) that holds its records, or "" when it has none.
// (An empty page reads no record; a record, which has a model, is not a page.)
std::string_view document_list(const nlohmann::json& doc) {
  if (!doc.is_object()) return {};
  for (const std::string_view key : kDocumentLists) {
    const auto it = doc.find(key);
    if (it == doc.end()) continue;
    if (key == "records") return key;
    const bool events = key == "events" || key == "logEvents";
    if (!it->is_array() || doc.contains("model") ||
        (!it->empty() &&
         (!it->front().is_object() || (events && !it->front().contains("message")))))
      continue;
    return key;
  }
  return {};
}

// Whether `text` (a first line, a line) names one of kDocumentLists' members: it may be a page
// of records, which document_list tells once it is parsed.
bool names_document_list(std::string_view text) {
  return std::any_of(std::begin(kDocumentLists), std::end(kDocumentLists), [&](auto key) {
    return text.find("\"" + std::string(key) + "\"") != std::string_view::npos;
  });
}

// Whether a CSV cell holds one JSON object (a `usage`, `body` or `metadata` column).
bool json_object_text(std::string_view v) {
  const size_t i = v.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && v[i] == '{' && nlohmann::json::accept(v);
}

// A count in a CSV cell as a record's JSON field value: the digits as they are, anything else as
// text, which the parser reports as a bad count.
void append_count(std::string& j, std::string_view v) {
  if (v.find_first_not_of("0123456789") == std::string_view::npos) {
    j += v;
  } else {
    append_json_string(j, v);
  }
}

// Whether a CSV column is usage: a unit of the registry or an OpenAI-style count.
bool usage_column(std::string_view k) {
  return unit_by_usage_key(k) || k == "prompt_tokens" || k == "completion_tokens" ||
         k == "cached_tokens" || k == "reasoning_tokens" || k == "total_tokens";
}

// Whether a CSV column is one tag: tag:KEY or tags.KEY.
bool tag_column(std::string_view k) { return k.starts_with("tag:") || k.starts_with("tags."); }

// Whether a CSV column holds a JSON object: usage, a response body, metadata or a Langfuse
// observation's usage details.
bool json_column(std::string_view k) {
  return k == "usage" || k == "body" || k == "metadata" || k == "usage_details";
}

// A Langfuse observation's columns the record reads, in a CSV of observations (one with a
// usage_details column) only: its model's name in Langfuse's API v2, its type, and the names
// kept as tags.
bool observation_column(std::string_view k) {
  return k == "provided_model_name" || k == "type" || k == "environment" || k == "name" ||
         k == "trace_name" || k == "prompt_name";
}

// Whether a CSV column holds one line: a record key read as text, a usage count, a tag or batch.
// JSON cells and the columns a record does not read (prompt text) may hold line breaks.
bool one_line_column(std::string_view k) {
  return tag_column(k) || k == "tags" || k == "batch" || k == "tier_input_tokens" ||
         usage_column(k) || one_line_record_key(k);
}

// Whether the record reads a CSV column (the others, such as prompt text, are ignored).
bool read_column(std::string_view k) { return one_line_column(k) || json_column(k); }

// A CSV header cell without the blanks around it (and a line's \r).
std::string_view trimmed_cell(std::string_view c) {
  while (!c.empty() && (c.back() == ' ' || c.back() == '\r')) c.remove_suffix(1);
  while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
  return c;
}

// A CSV header cell as the record key it names: trimmed, and but for a tag column in snake case,
// with spaces and hyphens as underscores and a word break in camel case as one ("Input Tokens" and
// "inputTokens" are input_tokens, "createdAt" created_at).
std::string column_name(std::string_view c) {
  c = trimmed_cell(c);
  if (tag_column(c)) return std::string(c);
  std::string k;
  for (size_t i = 0; i < c.size(); ++i) {
    const auto ch = static_cast<unsigned char>(c[i]);
    if (ch == ' ' || ch == '-') {
      k += '_';
      continue;
    }
    const auto before = i > 0 ? static_cast<unsigned char>(c[i - 1]) : 0;
    if (std::isupper(ch) && (std::islower(before) || std::isdigit(before))) k += '_';
    k += static_cast<char>(std::tolower(ch));
  }
  return k;
}

// The token count column that an unread column `k` most likely misspells (within one edit, or
// two for a name of 10 or more characters), or "" when none does: its tokens would go unpriced.
// Only token counts: exports hold other columns a letter from a unit's name ("request").
std::string_view misspelled_usage_column(std::string_view k) {
  if (k.find("tok") == std::string_view::npos) return {};
  return util::nearest_name(k, util::typo_edits(k), [](auto&& visit) {
    for (const auto& u : kUnits)
      if (u.usage_key.ends_with("_tokens")) visit(u.usage_key);
    for (std::string_view alias : {"prompt_tokens", "completion_tokens", "cached_tokens",
                                   "reasoning_tokens"})  // total_tokens is not priced
      visit(alias);
  });
}

// ---- Cursor's usage export ------------------------------------------------------------------

// Cursor's dashboard exports its usage events as CSV ("Date, Kind, Model, Max Mode, Input (w/
// Cache Write), Input (w/o Cache Write), Cache Read, Output Tokens, Total Tokens, Cost", some
// exports with User, Cloud Agent ID, Automation ID or Requests): its token columns, as
// column_name makes them, which name no usage key.
constexpr std::string_view kCursorInputWithWrites = "input_(w/_cache_write)";
constexpr std::string_view kCursorInput = "input_(w/o_cache_write)";

// A model as Cursor names it, as the catalog does: its thinking mode is the model's reasoning
// (priced as the model), and Claude 4 and later are "claude-4.5-sonnet" there, not
// "claude-sonnet-4-5".
std::string cursor_model(std::string m) {
  if (m.ends_with("-thinking")) m.resize(m.size() - 9);
  if (!m.starts_with("claude-") || m.size() < 9 || m[7] < '4' || m[7] > '9') return m;
  const size_t dash = m.find('-', 7);
  if (dash == std::string::npos) return m;
  std::string version = m.substr(7, dash - 7);  // "4.5"
  if (version.find_first_not_of("0123456789.") != std::string::npos) return m;
  std::replace(version.begin(), version.end(), '.', '-');
  return "claude-" + m.substr(dash + 1) + "-" + version;
}

// ---- OpenTelemetry GenAI spans -------------------------------------------------------------

using json = nlohmann::json;

// An integer from its decimal text, or nullopt (never throws).
std::optional<long long> parse_int(const std::string& t) {
  long long v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return v;
}

// An OTLP AnyValue ({"stringValue": ...}, {"intValue": "12"}, ...) or a plain JSON value.
json any_value(const json& v) {
  if (!v.is_object()) return v;
  if (v.contains("stringValue")) return v["stringValue"];
  if (v.contains("intValue")) {
    const json& i = v["intValue"];
    if (i.is_string()) {
      const auto n = parse_int(i.get<std::string>());
      return n ? json(*n) : i;
    }
    return i;
  }
  if (v.contains("doubleValue")) return v["doubleValue"];
  if (v.contains("boolValue")) return v["boolValue"];
  return v;
}

// Attributes as a flat object: OTLP's [{"key", "value": AnyValue}] or already an object.
json flat_attributes(const json& a) {
  json out = json::object();
  if (a.is_array()) {
    for (const auto& kv : a)
      if (kv.is_object() && kv.contains("key") && kv["key"].is_string())
        out[kv["key"].get<std::string>()] = any_value(kv.value("value", json()));
  } else if (a.is_object()) {
    for (const auto& [k, v] : a.items()) out[k] = any_value(v);
  }
  return out;
}

// The semantic conventions' provider names, mapped to catalog provider ids where they differ.
std::string otel_provider(std::string p) {
  if (p.starts_with("az.") || p.starts_with("azure")) return "azure";
  if (p == "gcp.gemini" || p == "gcp.vertex_ai" || p == "gcp.gen_ai") return "google";
  if (p == "aws.bedrock") return "aws";
  if (p == "x_ai") return "xai";
  if (p == "mistral_ai" || p == "mistralai") return "mistral";  // OpenInference: mistralai
  if (p == "vertexai") return "google";
  return p;
}

using detail::member;
using detail::string_member;

// A whole count among OTLP attributes: a number, or digits as text (as some exporters write
// every attribute); nullopt otherwise.
std::optional<long long> attribute_count(const json& v) {
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_string()) return parse_int(v.get<std::string>());
  return std::nullopt;
}

// Claude Code's claude_code.api_request event (an OTLP log record, its body the event's name or
// its event.name "api_request"): its counts as the Anthropic API gives them, input_tokens
// without the cache reads and writes, into `usage`; its user, organization, session and logged
// cost into `rec`. False when the record is no such event.
bool claude_code_request(const json& record, const json& a, json& usage, json& rec) {
  const json body = any_value(member(record, "body"));
  const std::string name = string_member(a, "event.name");
  if (!(name == "api_request" || name == "claude_code.api_request" ||
        (body.is_string() && body.get<std::string>() == "claude_code.api_request")))
    return false;
  const std::pair<const char*, const char*> parts[] = {
      {"input_tokens", "input_tokens"},
      {"cache_read_tokens", "cache_read_tokens"},
      {"cache_creation_tokens", "cache_write_tokens"},
      {"output_tokens", "output_tokens"}};
  long long input = 0;
  bool whole = true;  // every input count a whole number (their sum in range), so input sums them
  for (const auto& [attr, key] : parts) {
    if (!a.contains(attr) || a[attr].is_null()) continue;
    usage[key] = a[attr];
    const auto n = attribute_count(a[attr]);
    whole =
        whole && n.has_value() &&
        (std::string_view(key) == "output_tokens" || !__builtin_add_overflow(input, *n, &input));
  }
  if (whole && usage.contains("input_tokens")) usage["input_tokens"] = input;
  for (const auto& [attr, key] : {std::pair{"user.email", "user_id"},
                                  {"user.id", "user_id"},
                                  {"user.account_uuid", "user_id"},
                                  {"organization.id", "organization_id"}}) {
    if (std::string v = string_member(a, attr); !v.empty() && !rec.contains(key)) rec[key] = v;
  }
  if (const json& cost = member(a, "cost_usd"); cost.is_number() || cost.is_string())
    rec["cost_usd"] = cost;
  if (std::string t = string_member(a, "event.timestamp"); !t.empty()) rec["timestamp"] = t;
  const std::string session = string_member(a, "session.id");
  const json& sequence = member(a, "event.sequence");
  if (!session.empty() && (sequence.is_number_integer() || sequence.is_string()))
    rec["id"] = "claude-code:" + session + ":" +
                (sequence.is_string() ? sequence.get<std::string>() : sequence.dump());
  return true;
}

// A GenAI span (OpenTelemetry's gen_ai.* attributes, else OpenInference's llm.* on an LLM span),
// or a log record (`log`: an OTLP log record with gen_ai.* attributes, or Claude Code's
// claude_code.api_request event), as a record in the JSON form, or "" when it has no usage.
std::string span_record(const json& span, const json& resource, bool log = false) {
  const json a = flat_attributes(member(span, "attributes"));
  json usage = json::object();
  json rec = json::object();
  const std::pair<const char*, const char*> keys[] = {
      {"gen_ai.usage.input_tokens", "input_tokens"},
      {"gen_ai.usage.prompt_tokens", "input_tokens"},
      {"gen_ai.usage.output_tokens", "output_tokens"},
      {"gen_ai.usage.completion_tokens", "output_tokens"},
      {"gen_ai.usage.cache_read.input_tokens", "cache_read_tokens"},
      {"gen_ai.usage.cache_read_input_tokens", "cache_read_tokens"},
      {"gen_ai.usage.cache_creation.input_tokens", "cache_write_tokens"},
      {"gen_ai.usage.cache_creation_input_tokens", "cache_write_tokens"},
      {"gen_ai.usage.reasoning.output_tokens", "output_reasoning_tokens"},
  };
  for (const auto& [attr, key] : keys)
    if (a.contains(attr) && !usage.contains(key)) usage[key] = a[attr];
  const bool claude_code = log && usage.empty() && claude_code_request(span, a, usage, rec);
  // OpenInference's (Arize Phoenix) LLM spans: the prompt count holds its details.
  const std::string kind = string_member(a, "openinference.span.kind");
  const bool openinference = !log && usage.empty() && (kind.empty() || kind == "LLM");
  if (openinference) {
    const std::pair<const char*, const char*> oi_keys[] = {
        {"llm.token_count.prompt", "input_tokens"},
        {"llm.token_count.completion", "output_tokens"},
        {"llm.token_count.prompt_details.cache_read", "cache_read_tokens"},
        {"llm.token_count.prompt_details.cache_write", "cache_write_tokens"},
        {"llm.token_count.prompt_details.audio", "input_audio_tokens"},
        {"llm.token_count.completion_details.reasoning", "output_reasoning_tokens"},
        {"llm.token_count.completion_details.audio", "output_audio_tokens"},
    };
    for (const auto& [attr, key] : oi_keys)
      if (a.contains(attr)) usage[key] = a[attr];
  }
  if (usage.empty()) return "";
  rec["usage"] = usage;
  std::string provider = string_member(a, "gen_ai.provider.name");
  if (provider.empty()) provider = string_member(a, "gen_ai.system");
  // OpenInference: the hosting provider (azure, aws, google), else the AI system.
  if (provider.empty() && openinference) provider = string_member(a, "llm.provider");
  if (provider.empty() && openinference) provider = string_member(a, "llm.system");
  if (!provider.empty()) rec["provider"] = otel_provider(provider);
  std::string model = string_member(a, "gen_ai.response.model");
  if (model.empty()) model = string_member(a, "gen_ai.request.model");
  if (model.empty() && claude_code) model = string_member(a, "model");
  for (const char* attr : {"llm.response.model_name", "llm.model_name", "llm.request.model_name"})
    if (model.empty() && openinference) model = string_member(a, attr);
  if (!model.empty()) rec["model"] = model;
  // The cost the instrumentation priced the call at (OpenLIT's), compared with the exact price.
  if (const json& cost = member(a, "gen_ai.usage.cost"); cost.is_number() || cost.is_string())
    rec["cost_usd"] = cost;
  // The tier the call was billed at (OpenAI's conventions): the response's, else the requested.
  for (const char* attr : {"openai.response.service_tier", "gen_ai.openai.response.service_tier",
                           "openai.request.service_tier", "gen_ai.openai.request.service_tier"}) {
    if (std::string tier = string_member(a, attr); !tier.empty()) {
      rec["service_tier"] = tier;
      break;
    }
  }
  // A span's start; a log record's time (else the time the collector observed it).
  const char* time_key =
      !log ? (span.contains("startTimeUnixNano") ? "startTimeUnixNano" : "start_time_unix_nano")
      : span.contains("timeUnixNano") && member(span, "timeUnixNano") != "0"
          ? "timeUnixNano"
          : "observedTimeUnixNano";
  const json& start = member(span, time_key);
  // Nanoseconds since the epoch; 0 when not given.
  const long long ns = attribute_count(start).value_or(0);
  if (rec.contains("timestamp")) {
    // (the event's own time)
  } else if (ns > 0) {
    rec["timestamp"] = format_timestamp(Timestamp{std::chrono::microseconds{ns / 1000}});
  } else if (const json& t = member(span, "start_time"); t.is_string()) {
    rec["timestamp"] = t;
  }
  std::string trace = string_member(span, "traceId");
  if (trace.empty()) trace = string_member(span, "trace_id");
  std::string id = string_member(span, "spanId");
  if (id.empty()) id = string_member(span, "span_id");
  // A span's ids name it; a span may log several events, told apart by their times.
  if (!id.empty() && !rec.contains("id"))
    rec["id"] = "otel:" + trace + ":" + id + (log ? ":" + std::to_string(ns) : "");
  json tags = json::object();
  if (std::string service = string_member(flat_attributes(resource), "service.name");
      !service.empty())
    tags["service"] = service;
  if (std::string op = string_member(a, "gen_ai.operation.name"); !op.empty())
    tags["operation"] = op;
  if (std::string session = string_member(a, "session.id"); claude_code && !session.empty())
    tags["session"] = session;
  if (!tags.empty()) rec["tags"] = tags;
  return rec.dump();
}

// Calls fn with each GenAI span of an OTLP export or a flattened span, as record text (and its
// place in the export: "resourceSpans[0].scopeSpans[1].spans[2]", "" for a flattened span), and
// bad(reason) for each part of an export that is not the shape OTLP gives it (a list that is not
// a list, a span that is not an object), which may have held spans.
template <typename Fn, typename Bad>
void for_each_span(const json& doc, Fn&& fn, Bad&& bad) {
  if (!doc.contains("resourceSpans") && !doc.contains("resourceLogs")) {
    if (std::string r = span_record(doc, member(doc, "resource")); !r.empty()) fn(r, "");
    return;
  }
  // The elements of `v` (at `where`) as objects: none, reported, when `v` is not a list (null is
  // no list at all); an element that is not an object is reported and skipped.
  auto objects = [&](const json& v, const std::string& where, auto&& each) {
    if (!v.is_array()) {
      if (!v.is_null()) bad("field \"" + where + "\": expected a list, got " + v.type_name());
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string at = where + "[" + std::to_string(i) + "]";
      if (v[i].is_object()) {
        each(v[i], at);
      } else {
        bad("field \"" + at + "\": expected an object, got " + v[i].type_name());
      }
    }
  };
  // Spans, and log records (events): resource, scope (or instrumentation library), then each.
  for (const bool log : {false, true}) {
    const char* resources = log ? "resourceLogs" : "resourceSpans";
    objects(member(doc, resources), resources, [&](const json& rs, const std::string& at) {
      const json& resource = member(member(rs, "resource"), "attributes");
      const char* scopes =
          log ? (rs.contains("scopeLogs") ? "scopeLogs" : "instrumentationLibraryLogs")
              : (rs.contains("scopeSpans") ? "scopeSpans" : "instrumentationLibrarySpans");
      objects(member(rs, scopes), at + "." + scopes, [&](const json& ss, const std::string& at_ss) {
        const char* items = log ? "logRecords" : "spans";
        objects(member(ss, items), at_ss + "." + items,
                [&](const json& item, const std::string& at_item) {
                  if (std::string r = span_record(item, resource, log); !r.empty()) fn(r, at_item);
                });
      });
    });
  }
}

// Where a scan through JSON text is in a string: `open` from its opening quote on; closes()
// takes each next character, escapes included, and says whether it ends the string.
struct JsonString {
  bool open = false, escape = false;
  bool closes(char c) {
    if (escape) {
      escape = false;
    } else if (c == '\\') {
      escape = true;
    } else if (c == '"') {
      open = false;
      return true;
    }
    return false;
  }
};

// The elements of a JSON document that is a list, read piece by piece rather than held whole:
// each element's text and the line (from 1) it begins on. Text before the '[' is whitespace;
// brackets and braces inside strings do not count. Lists one after another (pages of an export
// put together, or one list per line) are read as one.
class ListElements {
 public:
  // What a call to `element` gets: the text of one element, the line it begins on, and its index
  // in its list.
  using Element = std::function<void(std::string_view text, uint64_t line, size_t index)>;
  // Problems that are not an element: `reason`, the line it is on, and the text it is about.
  using Problem = std::function<void(std::string_view reason, uint64_t line, std::string_view)>;

  // Reads the next piece of the document.
  void feed(std::string_view text, const Element& element, const Problem& problem) {
    for (const char c : text) {
      if (c == '\n') ++line_;  // (no line is taken at a line break itself)
      if (state_ == kBetween) {
        if (c == '[' && after_line_ == 0) {  // the first list, or one after another
          state_ = kIn;
          seen_comma_ = false;
          index_ = 0;
          continue;
        }
        if (!space(c) && after_line_ == 0) after_line_ = line_;
        if (after_line_ != 0 && after_.size() < 200) after_.push_back(c);
        continue;
      }
      if (string_.open) {
        string_.closes(c);
        text_.push_back(c);
        continue;
      }
      if (depth_ == 0 && (c == ',' || c == ']')) {
        if (!blank(text_)) {
          element(text_, start_line_, index_);
        } else if (c == ',' || seen_comma_) {
          problem("invalid JSON: an empty element in the list", line_, "");
        }
        ++index_;
        text_.clear();
        seen_comma_ = c == ',';
        if (c == ']') state_ = kBetween;
        continue;
      }
      if (text_.empty()) {
        if (space(c)) continue;
        start_line_ = line_;
      }
      if (c == '"') string_.open = true;
      if (c == '{' || c == '[') ++depth_;
      if ((c == '}' || c == ']') && depth_ > 0) --depth_;
      text_.push_back(c);
    }
  }

  // At the input's end: a list that does not end (the input cut short, or a bracket missing) has
  // its last element, if any, read as it is, then the problem; text after the list's ']' is one.
  void end(const Element& element, const Problem& problem) {
    if (state_ == kIn) {
      if (!blank(text_)) element(text_, start_line_, index_);
      problem("invalid JSON: the list does not end (its \"]\" is missing: is the input cut short?)",
              line_, "");
    } else if (after_line_ != 0) {
      while (space(after_.back())) after_.pop_back();
      problem("invalid JSON: text after the end of the list", after_line_, after_);
    }
  }

 private:
  static bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  static bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return space(c); });
  }
  // Between lists: before the first (only whitespace: detect_input_format saw the '['), or
  // after one, where another may begin.
  enum State { kBetween, kIn } state_ = kBetween;
  std::string text_;   // the element being read
  std::string after_;  // text after the last list's end (its first 200 bytes)
  uint64_t line_ = 1, start_line_ = 1, after_line_ = 0;  // after_line_: 0 without such text
  int64_t depth_ = 0;  // brackets and braces open within the element
  JsonString string_;  // within the element
  bool seen_comma_ = false;
  size_t index_ = 0;  // of the next element in its list
};

// The line (from 1) on which each element of the lists of a JSON document begins, by its place:
// member names joined by dots, list elements by [i] ("[3]", "records[3]", "data[0].results[2]"),
// for the lists up to `max_depth` levels deep (the document's own list is 1 deep, its
// "records" list 2). Assumes valid JSON (parsed already).
std::unordered_map<std::string, uint64_t> element_lines(std::string_view text, size_t max_depth) {
  struct Frame {
    bool list;
    int64_t index;     // the element being read, in a list
    std::string path;  // the container's place ("" for the document and those too deep)
  };
  std::unordered_map<std::string, uint64_t> lines;
  std::vector<Frame> stack;
  uint64_t line = 1;
  JsonString string;
  bool string_is_key = false;
  bool value_next = true;  // a value may begin: at the start, after '[', ',' in a list, or ':'
  bool key_next = false;   // in an object, the next string is a member's name
  std::string key;
  size_t string_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (string.open) {
      if (string.closes(c) && string_is_key) {
        key.assign(text.substr(string_start, i - string_start));
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':') {
      if (c == ':') value_next = true;
      continue;
    }
    if (c == ',') {
      if (!stack.empty()) (stack.back().list ? value_next : key_next) = true;
      continue;
    }
    if (c == ']' || c == '}') {
      if (!stack.empty()) stack.pop_back();
      value_next = key_next = false;
      continue;
    }
    if (c == '"' && key_next) {
      string.open = string_is_key = true;
      key_next = false;
      string_start = i + 1;
      continue;
    }
    // A value begins here (a scalar's later characters are passed over: value_next is false).
    const bool container = c == '{' || c == '[';
    const bool shallow = stack.size() <= max_depth;
    std::string path;
    if (value_next) {
      value_next = false;
      if (!stack.empty() && stack.back().list) {
        Frame& f = stack.back();
        ++f.index;
        if (shallow) {
          path = f.path + "[" + std::to_string(f.index) + "]";
          lines.emplace(path, line);
        }
      } else if (!stack.empty() && container && shallow) {
        path = stack.back().path.empty() ? key : stack.back().path + "." + key;
      }
    }
    if (c == '"') {
      string.open = true;
      string_is_key = false;
    } else if (container) {
      stack.push_back({c == '[', -1, std::move(path)});
      (c == '[' ? value_next : key_next) = true;
    }
  }
  return lines;
}

// Batches on their way to the sink: the one being filled and, with overlap_sink, up to
// kBatchesInFlight handed to one worker thread that runs the sink on them in order. Two in
// flight let parsing go on while the sink takes longer than usual on one batch (a SQLite
// checkpoint). Record places are reused batch after batch, so a record's strings and vectors keep
// their capacity (no allocation per record once warm).
class BatchQueue {
 public:
  static constexpr size_t kBatchesInFlight = 2;

  BatchQueue(const IngestOptions& opt, const BatchSink& sink)
      : opt_(opt), sink_(sink), buffers_(opt.overlap_sink ? kBatchesInFlight + 1 : 1) {
    for (auto& b : buffers_) b.records.reserve(opt.batch_size);
  }
  ~BatchQueue() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_one();
    if (worker_.joinable()) worker_.join();
  }

  // The next record's place in the batch being filled; it counts only once take() says so.
  PricedRecord& next_slot() {
    Buffer& b = buffers_[current_];
    if (b.used == b.records.size()) b.records.emplace_back();
    return b.records[b.used];
  }
  // Takes the record in next_slot() into the batch. Returns true when the batch is full.
  bool take() { return ++buffers_[current_].used >= batch_size_; }

  // Hands the batch being filled (if any) to the sink, after opt.prepare; `wait` also waits for
  // every batch in flight. Returns the first sink error.
  Status flush(bool wait) {
    Buffer& b = buffers_[current_];
    if (b.used != 0 && error().is_ok()) {
      const std::span<const PricedRecord> batch(b.records.data(), b.used);
      note_time_order(batch);
      if (opt_.prepare) opt_.prepare(batch);
      if (!opt_.overlap_sink) {
        Result<BatchResult> r = sink_(batch);
        std::lock_guard lock(mu_);
        account(r);
        b.used = 0;
      } else {
        std::unique_lock lock(mu_);
        if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
        // Waiting here also frees the buffer filled next: it is the oldest in flight.
        done_cv_.wait(lock, [&] { return in_flight_ < kBatchesInFlight; });
        queue_.push_back(current_);
        ++in_flight_;
        work_cv_.notify_one();
        current_ = (current_ + 1) % buffers_.size();
      }
    }
    if (wait) {
      std::unique_lock lock(mu_);
      done_cv_.wait(lock, [&] { return in_flight_ == 0; });
    }
    return error();
  }

  // Waits for the batches in flight (not the one being filled): the sink's store is then idle.
  // Returns the first sink error.
  Status drain() {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return in_flight_ == 0; });
    return error_;
  }

  // The first sink error (cheap when there is none: checked per record).
  Status error() const {
    if (!failed_.load(std::memory_order_acquire)) return Status::ok();
    std::lock_guard lock(mu_);
    return error_;
  }
  // What the sink did with the batches written so far.
  BatchResult totals() const {
    std::lock_guard lock(mu_);
    return totals_;
  }

 private:
  struct Buffer {
    std::vector<PricedRecord> records;  // [0, used) is the batch; the rest are spare places
    size_t used = 0;
  };

  // Once a batch begins before the end of an earlier one, the input is out of time order: the
  // batches after it take opt.out_of_order_batch_size records.
  void note_time_order(std::span<const PricedRecord> batch) {
    auto [first, last] = std::minmax_element(batch.begin(), batch.end(),
                                             [](const PricedRecord& a, const PricedRecord& b) {
                                               return a.usage.timestamp < b.usage.timestamp;
                                             });
    if (seen_end_ && first->usage.timestamp < *seen_end_) {
      batch_size_ = std::max(batch_size_, opt_.out_of_order_batch_size);
    }
    if (!seen_end_ || *seen_end_ < last->usage.timestamp) seen_end_ = last->usage.timestamp;
  }

  // The worker: the sink on each queued batch, in order. After a sink error the rest are
  // dropped (the run stops with that error).
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Buffer& b = buffers_[queue_.front()];
      queue_.pop_front();
      if (error_.is_ok()) {
        lock.unlock();
        Result<BatchResult> r = sink_(std::span<const PricedRecord>(b.records.data(), b.used));
        lock.lock();
        account(r);
      }
      b.used = 0;
      --in_flight_;
      done_cv_.notify_all();
    }
  }

  // REQUIRES: mu_ held.
  void account(const Result<BatchResult>& r) {
    if (!r) {
      if (error_.is_ok()) error_ = r.status();
      failed_.store(true, std::memory_order_release);
      return;
    }
    totals_.stored += r->stored;
    totals_.duplicates += r->duplicates;
    totals_.unpriced += r->unpriced;
  }

  const IngestOptions& opt_;
  const BatchSink& sink_;
  size_t batch_size_ = opt_.batch_size;  // out_of_order_batch_size once out of order
  std::optional<Timestamp> seen_end_;    // the latest time of the batches so far
  std::vector<Buffer> buffers_;
  size_t current_ = 0;  // the buffer being filled (never in flight)
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<size_t> queue_;  // buffers handed over, oldest first
  size_t in_flight_ = 0;      // queued or being written
  bool stop_ = false;
  Status error_;
  std::atomic<bool> failed_{false};
  BatchResult totals_;
  std::thread worker_;  // last: joined (by the destructor) before the rest goes away
};

class Pipeline {
 public:
  struct ModelName {
    std::string provider, model;
  };

  Pipeline(std::string_view source, const IngestOptions& opt, const BatchSink& sink,
           const RejectSink& on_reject)
      : source_(source),
        opt_(opt),
        on_reject_(on_reject),
        normalizer_(*opt.catalog),
        parser_(normalizer_),
        batches_(opt, sink),
        buckets_([this](auto times, auto prefix) { return stored_reports(times, prefix); }),
        transcript_(opt.take_streaming, opt.default_time),
        gemini_(opt.agent_project) {}

  // One JSON record's text (JSON Lines, or an element of a JSON array).
  // `original` is what a reject reports (the input as given, when `text` was derived from it).
  // `*model`, when given, is set to the record's provider and model (when it parses).
  void json_record(std::string_view text, uint64_t line, bool padded,
                   std::string_view original = {}, ModelName* model = nullptr) {
    ++stats_.read;
    if (original.empty()) original = text;
    PricedRecord& pr = next_slot();
    Status st = padded ? parser_.parse_padded_into(text, &pr.usage) : parse_copy(text, &pr.usage);
    if (!st.is_ok()) return reject(line, st.message(), original);
    if (model != nullptr) *model = {pr.usage.provider, pr.usage.model};
    finish(pr, line, original);
  }

  // An element of a JSON document's list (ListElements), `index` in it: a reject names it
  // ("[3]: ...", for lines of many elements, as an API gives a list). One with an id (keyed by
  // it) is read as it is; another as the whole document's reading gave it, in nlohmann's compact
  // form (keys sorted), so that its key, which hashes its metadata's text, stays as it was; one
  // that does not parse, as it is, for the parser to say why.
  void list_element(std::string_view text, uint64_t line, size_t index) {
    element_index_ = index;
    PricedRecord& pr = next_slot();
    if (parse_copy(text, &pr.usage).is_ok() && !pr.usage.id.empty()) {
      ++stats_.read;
      finish(pr, line, text);
    } else if (const auto e = nlohmann::json::parse(text, nullptr, false); e.is_discarded()) {
      json_record(text, line, false);
    } else {
      json_record(e.dump(), line, false);
    }
    element_index_.reset();
  }
  // A problem of a JSON document's list that is no element of it: one record read, rejected.
  void list_problem(std::string_view reason, uint64_t line, std::string_view text) {
    ++stats_.read;
    reject(line, std::string(reason), text);
  }

  // A log event's message, the line it logged (CloudWatch Logs): read as a JSON Lines record,
  // its rejects naming the event (`at`).
  void log_event(std::string_view message, uint64_t line, const std::string& at) {
    record_at(message, line, at + ".message");
  }
  // A record of a document on a line of many (`at` names it there for its rejects).
  void record_at(std::string_view text, uint64_t line, const std::string& at) {
    reject_context_ = at;
    json_record(text, line, false);
    reject_context_.clear();
  }

  // A document that holds many records (a line, or the whole input, which begins on `line`): an
  // OTLP export or flattened span (`text` is what its rejects report), or usage report pages (a
  // rejected row reports itself). A record or row of a document spread over lines is reported by
  // the line it begins on.
  void document(InputFormat format, std::string_view text, uint64_t line) {
    if (format == InputFormat::kGeminiCli) return gemini_document(text, line);
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    std::unordered_map<std::string, uint64_t> lines;
    if (!doc.is_discarded() && text.find('\n') != std::string_view::npos)
      lines = element_lines(text, 6);  // deep enough for an OTLP span
    auto line_of = [&](const std::string& at) {
      const auto it = lines.find(at);
      return it == lines.end() ? line : line + it->second - 1;
    };
    if (format == InputFormat::kUsageReport) {
      if (doc.is_discarded()) {
        ++stats_.read;
        return reject(line, "invalid JSON (expected a usage report page)", text);
      }
      return detail::for_each_report_row(
          doc,
          [&](const std::string& record, const std::string& at, const std::string& row,
              bool base_rates) {
            reject_context_ = at;
            const uint64_t rejected = stats_.rejected;
            ModelName taken;
            json_record(record, line_of(at), false, row, base_rates ? &taken : nullptr);
            reject_context_.clear();
            if (base_rates && stats_.rejected == rejected && has_tiers(taken.provider, taken.model))
              ++stats_.base_rate_rows;
          },
          [&](const std::string& at, const std::string& reason, const std::string& part) {
            ++stats_.read;
            reject(line_of(at), at.empty() ? reason : at + ": " + reason, part);
          },
          [&](const detail::ReportBucket& bucket, std::span<const std::string_view> records) {
            return check_bucket(bucket, records);
          });
    }
    if (doc.is_discarded() || !doc.is_object()) {
      ++stats_.read;
      return reject(line, "invalid JSON (expected an OTLP JSON trace export or a span)", text);
    }
    for_each_span(
        doc,
        [&](const std::string& record, const std::string& at) {
          reject_context_ = at;  // an export holds many spans: a reject names which
          json_record(record, line_of(at), false, text);
          reject_context_.clear();
        },
        [&](const std::string& reason) {
          ++stats_.read;
          reject(line, reason, text);
        });
  }

  // A line of a coding agent's log read line by line (Claude Code's transcript, whose messages'
  // records come at their final lines or at agent_end; Codex's rollout; Qwen Code's session;
  // OpenCode's messages), or of streamed responses' events or a Realtime session's.
  void agent_line(InputFormat format, std::string_view text, uint64_t line) {
    if (format == InputFormat::kClaudeCode) transcript_.line(text, line, agent_emit_, agent_bad_);
    if (format == InputFormat::kCodex) codex_.line(text, line, agent_emit_, agent_bad_);
    if (format == InputFormat::kQwenCode) qwen_.line(text, line, agent_emit_, agent_bad_);
    if (format == InputFormat::kOpenCode) opencode_.line(text, line, agent_emit_, agent_bad_);
    if (format == InputFormat::kSse) sse_.line(text, line, agent_emit_, agent_bad_);
    if (format == InputFormat::kRealtime) realtime_.line(text, line, agent_emit_, agent_bad_);
  }
  // A line of a Gemini CLI session, or a whole session document (an older version's file).
  void gemini_document(std::string_view text, uint64_t line) {
    std::optional<std::unordered_map<std::string, uint64_t>> lines;  // once the text has parsed
    const auto line_of = [&](const std::string& at) {
      if (!lines) lines = element_lines(text, 2);
      const auto it = lines->find(at);
      return it == lines->end() ? line : line + it->second - 1;
    };
    gemini_.read(text, line, line_of, agent_emit_, agent_bad_);
  }
  // The end of a coding agent's log: Claude Code's messages without a final line, and the counts
  // of the lines that were no call or repeated one.
  void agent_end(InputFormat format) {
    const auto counts = [this](const auto& reader) {
      stats_.without_usage += reader.without_usage();
      stats_.merged += reader.merged();
    };
    if (format == InputFormat::kClaudeCode) {
      transcript_.end(agent_emit_);
      counts(transcript_);
      stats_.streaming += transcript_.streaming();
    }
    if (format == InputFormat::kCodex) counts(codex_);
    if (format == InputFormat::kGeminiCli) counts(gemini_);
    if (format == InputFormat::kQwenCode) counts(qwen_);
    if (format == InputFormat::kOpenCode) counts(opencode_);
    if (format == InputFormat::kSse) {
      sse_.end(agent_emit_, agent_bad_);
      stats_.stream_events += sse_.read_past();
    }
    if (format == InputFormat::kRealtime) stats_.stream_events += realtime_.read_past();
  }

  // A CSV line: the header's, or all or part of a record's (a quoted field may span lines).
  // Errors stop the run: a header that does not end.
  Status csv_line(std::string_view line, uint64_t line_no) {
    if (csv_.open()) {
      csv_.resume(line);
      csv_text_.push_back('\n');
      csv_text_.append(line);
    } else {
      if (header_.empty()) {
        csv_separator_ = util::csv_separator(line);
        csv_.set_separator(csv_separator_);
      }
      csv_.start(line);
      csv_text_.assign(line);
      csv_first_ = line_no;
    }
    if (!csv_.open()) {
      std::vector<std::string>& cells = csv_.fields();
      // A record across lines without the header's columns, or with a line break in a column
      // that holds one line: most likely a quote that never closed, closed by a stray one lines
      // later. The lines between are records of their own.
      if (!header_.empty() && line_no != csv_first_) {
        const std::string to = "a quoted field runs to line " + std::to_string(line_no);
        const std::string taken = ": taken as a quote that does not close";
        if (cells.size() != header_.size()) {
          return csv_unterminated(to + " and leaves " + std::to_string(cells.size()) +
                                  " columns, not the header's " + std::to_string(header_.size()) +
                                  taken);
        }
        for (size_t i = 0; i < cells.size(); ++i) {
          if (cells[i].find('\n') != std::string::npos &&
              (one_line_column(header_[i]) || reads_observation(header_[i]))) {
            return csv_unterminated(to + " in column \"" + header_[i] +
                                    "\", which holds no line breaks" + taken);
          }
        }
      }
      return csv_record(cells, csv_text_, csv_first_);
    }
    if (csv_text_.size() > kMaxCsvRecord || csv_rereading_) return csv_unterminated();
    return Status::ok();
  }

  // The end of the input: a record still open there is unterminated.
  Status csv_end() {
    while (csv_.open()) COSTOPS_RETURN_IF_ERROR(csv_unterminated());
    return Status::ok();
  }

  bool csv_open() const { return csv_.open(); }

  // The input's last line, cut short by a read error: rejected, whatever it holds (a CSV record
  // open across lines ends here too).
  void cut_short(std::string_view line, uint64_t line_no) {
    ++stats_.read;
    if (csv_.open()) {
      csv_.drop();
      line_no = csv_first_;
      line = csv_text_;
    }
    reject(line_no, "the input ends inside this record (" + stats_.input_error + ")", line);
  }

 private:
  // A record whose quote is not closed (by the end of the input, or within kMaxCsvRecord bytes,
  // or only by a stray quote lines later): its first line is rejected, and the lines read after
  // it are read again, each on its own.
  Status csv_unterminated(const std::string& reason = "unterminated quoted field") {
    csv_.drop();
    const std::string text = std::move(csv_text_);
    const uint64_t first = csv_first_;
    size_t end = text.find('\n');
    if (header_.empty()) {
      return invalid_argument(std::string(source_) + ":" + std::to_string(first) +
                              ": unterminated quote in the header");
    }
    ++stats_.read;
    reject(first, reason, std::string_view(text).substr(0, end));
    const bool outer = std::exchange(csv_rereading_, true);  // (a line re-read may be one too)
    Status st;
    for (uint64_t n = first + 1; end != std::string::npos && st.is_ok(); ++n) {
      const size_t start = end + 1;
      end = text.find('\n', start);
      const std::string_view line = std::string_view(text).substr(start, end - start);
      if (!blank(line)) st = csv_line(line, n);
    }
    csv_rereading_ = outer;
    return st;
  }

  // Whether the record reads CSV column `k`: its own, or a Langfuse observation's in a CSV of them.
  bool reads_observation(std::string_view k) const {
    return observations_ && observation_column(k);
  }
  bool reads(std::string_view k) const { return read_column(k) || reads_observation(k); }

  // A whole CSV record (`text` as read, for rejects): the header, or a row. Errors stop the run:
  // a header without which no row can be a record.
  Status csv_record(std::vector<std::string>& cells, std::string_view text, uint64_t line_no) {
    if (!header_.empty()) {
      csv_row(cells, text, line_no);
      return Status::ok();
    }
    header_ = std::move(cells);
    header_written_.clear();
    for (auto& c : header_) {
      header_written_.emplace_back(trimmed_cell(c));
      c = column_name(c);
    }
    observations_ = std::find(header_.begin(), header_.end(), "usage_details") != header_.end();
    // Cursor's usage export, by either of its input columns.
    cursor_ = std::find(header_.begin(), header_.end(), kCursorInput) != header_.end() ||
              std::find(header_.begin(), header_.end(), kCursorInputWithWrites) != header_.end();
    if (cursor_) return Status::ok();  // its columns are cursor_row's
    // LiteLLM's spend log columns (kGatewayFields), read as its JSON lines' fields are: they
    // name the provider and project when no column of the header does.
    for (const auto& [alias, key] : kGatewayFields) {
      if (std::find(header_.begin(), header_.end(), key) != header_.end() ||
          (key == "provider" &&
           std::find(header_.begin(), header_.end(), "provider_id") != header_.end()))
        continue;
      if (auto c = std::find(header_.begin(), header_.end(), alias); c != header_.end()) *c = key;
    }
    for (size_t i = 0; i < header_.size(); ++i) {
      const std::string& k = header_[i];
      if (!reads(k)) continue;
      for (size_t j = 0; j < i; ++j) {
        if (header_[j] == k) {
          return invalid_argument(std::string(source_) + ":" + std::to_string(line_no) +
                                  ": the CSV header names \"" + k + "\" in columns " +
                                  std::to_string(j + 1) + " and " + std::to_string(i + 1) +
                                  " (names match in any case): which one holds it?");
        }
      }
    }
    // A misspelled usage column would be ignored as a column the record does not read.
    for (size_t i = 0; i < header_.size(); ++i) {
      if (reads(header_[i])) continue;
      const std::string_view near = misspelled_usage_column(header_[i]);
      if (near.empty() || std::find(header_.begin(), header_.end(), near) != header_.end())
        continue;
      return invalid_argument(std::string(source_) + ":" + std::to_string(line_no) +
                              ": the CSV header's column " + std::to_string(i + 1) + " \"" +
                              header_[i] + "\" is no usage column (did you mean " +
                              std::string(near) + "?); its tokens would go unpriced");
    }
    // Columns that may hold counts no key names (an export of a form not read yet): said by
    // csv_row when one does. Those named as tokens are said per record (UsageRecord::
    // unread_counts).
    unread_candidates_.clear();
    for (size_t i = 0; i < header_.size(); ++i) {
      const std::string& k = header_[i];
      if (reads(k) || reads_record_key(k) || k.find("tok") != std::string::npos) continue;
      if (k.find("cache") != std::string::npos || k.starts_with("input") ||
          k.starts_with("output") || k.find("prompt") != std::string::npos ||
          k.find("completion") != std::string::npos) {
        unread_candidates_.push_back(i);
      }
    }
    const auto has = [&](std::string_view c) {
      return std::find(header_.begin(), header_.end(), c) != header_.end();
    };
    if (has("generation_id") && has("byok_usage_inference") && !has("requests")) {
      return invalid_argument(std::string(source_) + ":" + std::to_string(line_no) + ": " +
                              std::string(kOpenRouterExportNotRead));
    }
    if (!has("model") && !has("body") && !(observations_ && has("provided_model_name"))) {
      return invalid_argument(std::string(source_) + ":" + std::to_string(line_no) +
                              ": the CSV header has no \"model\" (or \"body\") column, got " +
                              quoted_excerpt(text) +
                              " (not CSV? --format names the input's format)");
    }
    return Status::ok();
  }

  // A CSV row, mapped by column name into a JSON record and parsed like one.
  void csv_row(std::vector<std::string>& cells, std::string_view text, uint64_t line_no) {
    ++stats_.read;
    if (cells.size() != header_.size()) {
      return reject(line_no,
                    "expected " + std::to_string(header_.size()) +
                        " columns (as the header), got " + std::to_string(cells.size()),
                    text);
    }
    // A count in a column no key names: its name said once (IngestStats::unread_columns).
    for (auto it = unread_candidates_.begin(); it != unread_candidates_.end();) {
      const std::string& v = cells[*it];
      if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos &&
          v.find_first_not_of('0') != std::string::npos) {
        stats_.unread_columns.push_back(header_written_[*it]);
        it = unread_candidates_.erase(it);
      } else {
        ++it;
      }
    }
    if (cursor_) return cursor_row(cells, text, line_no);
    std::string j = "{", tags = "{";
    auto field = [](std::string& out, std::string_view k) {
      if (out.size() > 1) out += ',';
      append_json_string(out, k);
      out += ':';
    };
    for (size_t i = 0; i < header_.size(); ++i) {
      const std::string& k = header_[i];
      const std::string& v = cells[i];
      if (v.empty()) {
        // An observation without usage (a span's) is still one, which says why it is no record.
        if (observations_ && k == "usage_details") {
          field(j, k);
          j += "null";
        }
        continue;
      }
      // (A column the record does not read may hold any bytes: its text is not kept.)
      if (reads(k) && !is_utf8(v)) {
        return reject(line_no, "field \"" + k + "\": not UTF-8 text " + kOtherEncodingHint, text);
      }
      if (tag_column(k)) {
        field(tags, k.substr(k.find_first_of(":.") + 1));
        append_json_string(tags, v);
      } else if (k == "tags") {
        // "team=search;env=prod"
        size_t start = 0;
        while (start <= v.size()) {
          size_t end = v.find(';', start);
          if (end == std::string::npos) end = v.size();
          const std::string_view kv = std::string_view(v).substr(start, end - start);
          const size_t eq = kv.find('=');
          if (!kv.empty()) {
            field(tags, kv.substr(0, eq));
            append_json_string(tags, eq == std::string_view::npos ? "" : kv.substr(eq + 1));
          }
          start = end + 1;
        }
      } else if (json_column(k)) {
        if (!json_object_text(v)) {
          return reject(line_no,
                        "field \"" + k + "\": expected a JSON object in the cell, got " +
                            quoted_excerpt(v, 40),
                        text);
        }
        field(j, k);
        j += v;
      } else if (k == "cost_details" && observations_ && json_object_text(v)) {
        field(j, k);  // Langfuse's costs, compared with the exact price
        j += v;
      } else if (k == "batch") {
        field(j, k);
        j += (v == "true" || v == "1" || v == "TRUE" || v == "True") ? "true" : "false";
      } else if (csv_separator_ != ',' && logged_cost_key(k)) {
        // A cost with a decimal comma, as a spreadsheet in such a locale writes it beside ';'.
        field(j, k);
        append_json_string(j, util::decimal_point(v, csv_separator_));
      } else if (usage_column(k) || k == "tier_input_tokens") {
        // Beside the other fields, as a gateway's JSON line counts (LiteLLM's spend logs, whose
        // metadata.usage_object is then read as it is there).
        field(j, k);
        append_count(j, v);
      } else {
        field(j, k);
        append_json_string(j, v);
      }
    }
    if (tags.size() > 1) {
      field(j, "tags");
      j += tags + "}";
    }
    j += '}';
    parse_row(j, text, line_no);
  }

  // A row of Cursor's usage export as the record it is: the input is the one with cache writes
  // plus the cache reads, the cache writes what the input with them has beyond the one without
  // (none known in an export with one of the two); dated at Date, of Cursor's Model
  // (cursor_model), by its User; Kind (Included, Errored, No Charge, ...) and Max Mode as tags,
  // with service "cursor"; Cost, when an amount, the cost Cursor logged.
  void cursor_row(const std::vector<std::string>& cells, std::string_view text, uint64_t line_no) {
    auto column = [&](std::string_view key) {
      return static_cast<size_t>(std::find(header_.begin(), header_.end(), key) - header_.begin());
    };
    auto cell = [&](std::string_view key) -> const std::string* {
      const size_t i = column(key);
      return i < cells.size() ? &cells[i] : nullptr;
    };
    auto name = [&](std::string_view key) { return header_written_[column(key)]; };
    long long counts[4] = {};  // with writes, without, cache reads, output
    const std::string_view names[4] = {kCursorInputWithWrites, kCursorInput, "cache_read",
                                       "output_tokens"};
    for (int i = 0; i < 4; ++i) {
      const std::string* v = cell(names[i]);  // (none, or empty: 0)
      const auto n = v && !v->empty() ? parse_int(*v) : std::optional<long long>(0);
      if (!n || *n < 0) {
        return reject(line_no,
                      "field \"" + name(names[i]) + "\": expected a count of tokens, got " +
                          quoted_excerpt(*v, 40),
                      text);
      }
      counts[i] = *n;
    }
    // With one of the two inputs only, no cache writes are known.
    if (!cell(kCursorInputWithWrites)) counts[0] = counts[1];
    if (!cell(kCursorInput)) counts[1] = counts[0];
    if (counts[0] < counts[1]) {
      return reject(line_no,
                    "field \"" + name(kCursorInputWithWrites) + "\": " + std::to_string(counts[0]) +
                        " is less than \"" + name(kCursorInput) + "\", " +
                        std::to_string(counts[1]),
                    text);
    }
    std::string j = "{\"usage\":{\"input_tokens\":" + std::to_string(counts[0] + counts[2]) +
                    ",\"cache_read_tokens\":" + std::to_string(counts[2]) +
                    ",\"cache_write_tokens\":" + std::to_string(counts[0] - counts[1]) +
                    ",\"output_tokens\":" + std::to_string(counts[3]);
    if (const std::string* v = cell("requests"); v && !v->empty()) {
      j += ",\"requests\":";
      append_count(j, *v);
    }
    j += "}";
    auto text_field = [&](std::string_view key, std::string_view value) {
      j += ',';
      append_json_string(j, key);
      j += ':';
      append_json_string(j, value);
    };
    if (const std::string* v = cell("date"); v && !v->empty()) text_field("timestamp", *v);
    if (const std::string* v = cell("model"); v && !v->empty())
      text_field("model", cursor_model(*v));
    if (const std::string* v = cell("user"); v && !v->empty()) text_field("user_id", *v);
    j += ",\"tags\":{\"service\":\"cursor\"";
    for (const char* tag : {"kind", "max_mode"}) {
      if (const std::string* v = cell(tag); v && !v->empty()) text_field(tag, *v);
    }
    j += '}';
    // "$0.12" or "0.12"; "Included", "Free" and the like are no amount.
    if (const std::string* v = cell("cost")) {
      std::string_view amount = *v;
      if (amount.starts_with('$')) amount.remove_prefix(1);
      if (!amount.empty() && Decimal::parse(amount)) {
        j += ",\"cost_usd\":";
        append_json_string(j, amount);
      }
    }
    j += '}';
    parse_row(j, text, line_no);
  }

  // A CSV row's record, as JSON: parsed, then priced and kept, or rejected.
  void parse_row(std::string_view j, std::string_view text, uint64_t line_no) {
    PricedRecord& pr = next_slot();
    if (Status st = parse_copy(j, &pr.usage); !st.is_ok())
      return reject(line_no, st.message(), text);
    finish(pr, line_no, text);
  }

 public:
  // Hands the batch to the sink; `wait` waits for every batch in flight and brings the sink's
  // counts into stats_. Returns the first sink error.
  Status flush(bool wait = false) {
    Status st = batches_.flush(wait);
    if (wait) {
      const BatchResult t = batches_.totals();
      stats_.stored = t.stored;
      stats_.duplicates = t.duplicates;
      stats_.unpriced = t.unpriced;
    }
    return st;
  }

  Status sink_error() const { return batches_.error(); }
  IngestStats stats_;

 private:
  // Whether the catalog's `model` of `provider` has a long-context tier in any of its prices.
  bool has_tiers(const std::string& provider, const std::string& model) const {
    auto ref = opt_.catalog->resolve(provider, model);
    if (!ref) return false;
    auto tiered = [](const std::vector<pricing::ConditionalPrice>& prices) {
      return std::any_of(prices.begin(), prices.end(),
                         [](const auto& cp) { return cp.prices.has_tiers(); });
    };
    if (tiered(ref->model->prices)) return true;
    return std::any_of(ref->model->variants.begin(), ref->model->variants.end(),
                       [&](const auto& v) { return tiered(v.prices); });
  }

  Status parse_copy(std::string_view text, UsageRecord* out) {
    copy_.assign(text);
    copy_.append(RecordParser::padding(), ' ');
    return parser_.parse_padded_into(std::string_view(copy_.data(), text.size()), out);
  }

  PricedRecord& next_slot() { return batches_.next_slot(); }

  // opt_.stored_reports' records_at (none without it), once the sink, whose store it asks, has
  // written the batches in flight.
  Result<std::vector<PricedRecord>> stored_reports(std::span<const Timestamp> times,
                                                   std::string_view prefix) {
    if (!opt_.stored_reports.records_at) return std::vector<PricedRecord>();
    COSTOPS_RETURN_IF_ERROR(batches_.drain());
    return opt_.stored_reports.records_at(times, prefix);
  }

  // Whether a usage report bucket's rows as records (`records`) revise `stored`, its rows stored
  // by a fetch before: a row whose counts (or tier, batch, service tier) differ, one not stored,
  // or a stored one the fetch no longer has. Never when a row of the fetch was rejected or does
  // not parse (rejected when read): the stored rows are kept rather than lose one.
  bool revises(const detail::ReportBucket& bucket, std::span<const std::string_view> records,
               const std::vector<PricedRecord>& stored) {
    if (!bucket.whole) return false;
    std::unordered_map<std::string_view, const UsageRecord*> by_id;
    for (const PricedRecord& pr : stored) by_id.emplace(pr.usage.id, &pr.usage);
    size_t matched = 0;
    UsageRecord r;
    for (std::string_view text : records) {
      if (!parse_copy(text, &r).is_ok()) return false;
      const auto s = by_id.find(r.id);
      if (s == by_id.end()) return true;
      const UsageRecord& o = *s->second;
      // Counts, not their presence: zero counts are not stored.
      if (o.usage.counts != r.usage.counts || o.usage.requests() != r.usage.requests() ||
          o.tier_input_tokens != r.tier_input_tokens || o.batch != r.batch ||
          o.service_tier != r.service_tier)
        return true;
      ++matched;
    }
    return matched < stored.size();
  }

  // A usage report bucket's check (BucketLedger), with its rows as records: why they are not
  // taken, or "" (after replacing its stored rows when these revise them).
  std::string check_bucket(const detail::ReportBucket& bucket,
                           std::span<const std::string_view> records) {
    auto verdict = buckets_.check(bucket);
    if (!verdict) {
      return "its bucket could not be compared with those stored: " + verdict.status().message();
    }
    if (!verdict->refused.empty()) return std::move(verdict->refused);
    if (verdict->stored.empty() || !opt_.stored_reports.remove ||
        !revises(bucket, records, verdict->stored))
      return {};
    // Revised: the stored rows go, and these are stored in their place.
    auto removed = opt_.stored_reports.remove(verdict->stored);
    if (!removed) {
      return "its stored rows, which this fetch revises, could not be replaced: " +
             removed.status().message();
    }
    stats_.replaced += *removed;
    return {};
  }

  // Prices the record in its place and takes it into the batch (or rejects it).
  void finish(PricedRecord& pr, uint64_t line, std::string_view text) {
    UsageRecord& r = pr.usage;
    if (r.provider.empty()) r.provider = opt_.default_provider;
    opt_.defaults.apply(r);
    // Stored at the default time, but still without a timestamp of its own: that keeps its
    // storage key independent of when it was ingested (see storage::record_key).
    if (!r.has_timestamp) r.timestamp = opt_.default_time;
    if (r.source.empty()) {
      r.source.assign(source_).append(1, ':');
      char digits[24];
      r.source.append(digits, std::to_chars(digits, digits + sizeof digits, line).ptr);
    }
    if (!pr.cost) pr.cost.emplace();
    Status st =
        engine::CostCalculator::price_record_into(*opt_.catalog, r, opt_.default_time, &*pr.cost);
    if (st.is_ok()) {
      pr.unpriced_reason.clear();
      if (!pr.cost->warnings.empty()) note_warnings(r.source, pr.cost->warnings);
      if (r.logged_cost && stats_.logged_fits) {
        stats_.logged_fits = stats_.logged.add(*r.logged_cost, pr.cost->list_cost().amount,
                                               opt_.catalog->currency());
      }
    } else if (st.code() == StatusCode::kNotFound) {
      pr.cost.reset();
      pr.unpriced_reason = st.message();  // stored unpriced, never as $0
      count_unpriced(stats_.unpriced_models, r.provider, r.model, pr.unpriced_reason);
    } else {
      return reject(line, st.message(), text);
    }
    if (!r.has_timestamp) ++stats_.untimed;
    if (opt_.on_record) opt_.on_record(pr, line);
    if (batches_.take()) (void)flush();
  }

  void note_warnings(std::string_view source, const std::vector<std::string>& warnings) {
    stats_.note_warnings(source, warnings);
  }

  void reject(uint64_t line, std::string reason, std::string_view text) {
    if (!reject_context_.empty()) reason = reject_context_ + ": " + reason;
    if (element_index_) reason = "[" + std::to_string(*element_index_) + "]: " + reason;
    ++stats_.rejected;
    on_reject_(Reject{std::string(source_), line, std::move(reason), std::string(text)});
  }

  std::string_view source_;
  const IngestOptions& opt_;
  const RejectSink& on_reject_;
  engine::Normalizer normalizer_;
  RecordParser parser_;
  std::vector<std::string> header_;          // column_name's of the CSV header's cells
  std::vector<std::string> header_written_;  // as written
  std::string
      reject_context_;  // where in its input the record being read is, when a line holds many
  std::optional<size_t> element_index_;  // of the list element being read (ListElements)
  util::CsvSplitter csv_;
  char csv_separator_ = ',';
  std::string csv_text_;        // the record being read, as read (its lines joined by \n)
  uint64_t csv_first_ = 0;      // its first line
  bool csv_rereading_ = false;  // re-reading an unterminated record's lines: each is one record
  bool observations_ = false;   // the header's columns are a Langfuse observation's (usage_details)
  bool cursor_ = false;         // the header is Cursor's usage export's (cursor_row)
  std::vector<size_t> unread_candidates_;  // columns that may hold counts no key names
  std::string copy_;
  BatchQueue batches_;
  detail::BucketLedger buckets_;  // a usage report's buckets, read and stored
  detail::TranscriptReader transcript_;
  detail::CodexReader codex_;
  detail::GeminiCliReader gemini_;
  detail::QwenCodeReader qwen_;
  detail::SseReader sse_;
  detail::RealtimeReader realtime_;
  detail::OpenCodeReader opencode_;
  // The agents' logs' records and bad lines.
  const detail::TranscriptReader::Emit agent_emit_ = [this](const std::string& record,
                                                            uint64_t line, std::string_view text) {
    json_record(record, line, false, text);
  };
  const detail::TranscriptReader::Bad agent_bad_ = [this](uint64_t line, const std::string& reason,
                                                          std::string_view text) {
    ++stats_.read;
    reject(line, reason, text);
  };
};

}  // namespace

InputFormat detect_input_format(std::string_view source, std::string_view head) {
  // "usage.jsonl.gz" is JSON Lines: the compression suffix says nothing about the format.
  for (std::string_view suffix : {".gz", ".zst", ".zstd", ".zz", ".deflate"}) {
    if (source.ends_with(suffix)) {
      source.remove_suffix(suffix.size());
      break;
    }
  }
  // Content first: coding agents' logs (their messages may quote anything, a usage report's
  // fields too), usage reports, then OpenTelemetry, whose exports are JSON Lines files too.
  if (detail::looks_like_qwen_code(head)) return InputFormat::kQwenCode;  // (before Claude Code's)
  if (detail::looks_like_claude_code(head)) return InputFormat::kClaudeCode;
  if (detail::looks_like_codex(head)) return InputFormat::kCodex;
  if (detail::looks_like_gemini_cli(head)) return InputFormat::kGeminiCli;
  if (detail::looks_like_opencode(head)) return InputFormat::kOpenCode;
  if (detail::looks_like_realtime(head)) return InputFormat::kRealtime;
  if (detail::looks_like_usage_report(head)) return InputFormat::kUsageReport;
  if (detail::looks_like_sse(head)) return InputFormat::kSse;
  const std::string_view start = head.substr(0, 4096);
  if (start.find("\"resourceSpans\"") != std::string_view::npos ||
      start.find("\"resourceLogs\"") != std::string_view::npos ||
      (start.find("\"attributes\"") != std::string_view::npos &&
       (start.find("\"gen_ai.") != std::string_view::npos ||
        start.find("\"llm.token_count.") != std::string_view::npos)))
    return InputFormat::kOtel;
  if (source.ends_with(".csv")) return InputFormat::kCsv;
  if (source.ends_with(".jsonl") || source.ends_with(".ndjson")) return InputFormat::kJsonl;
  const size_t i = head.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos) return InputFormat::kJsonl;
  if (head[i] == '[') return InputFormat::kJson;
  if (head[i] == '{') {
    // A single JSON document {"records": [...]} spans lines; JSON Lines has one object per line.
    const size_t nl = head.find('\n', i);
    const std::string_view first =
        head.substr(i, nl == std::string_view::npos ? head.npos : nl - i);
    // (So is one of CloudWatch Logs' pages of events, on one line or many; and, under any name,
    // an API's page of records on a line, as curl gives it, or pages one per line.)
    if (names_document_list(first) &&
        (source.ends_with(".json") ||
         !document_list(nlohmann::json::parse(first, nullptr, false)).empty()))
      return InputFormat::kJson;
    // A first line that is not a whole object is a document spread over lines (pretty-printed);
    // one that does not parse at all is read line by line after all (see kJson).
    if (nl != std::string_view::npos && !nlohmann::json::accept(first)) return InputFormat::kJson;
    return InputFormat::kJsonl;
  }
  return InputFormat::kCsv;
}

Status check_text_input(std::string_view source, std::string_view head) {
  if (head.starts_with({"SQLite format 3", 16})) {
    return invalid_argument(std::string(source) +
                            ": a SQLite database read as a stream (from stdin, or compressed); "
                            "give the database file's path instead (OpenCode's opencode.db is "
                            "read from its file)");
  }
  if (!util::looks_binary(head)) return Status::ok();
  if (detail::looks_like_aws_event_stream(head)) {
    return invalid_argument(std::string(source) +
                            ": an AWS event stream (Amazon Bedrock's InvokeModelWithResponseStream "
                            "or ConverseStream response, binary), which is not read; Bedrock's "
                            "model invocation logs are, with each call's usage");
  }
  return invalid_argument(std::string(source) +
                          ": binary data, not text (gzip, zstd and zlib files are read as what "
                          "they hold; UTF-16 text without a byte order mark needs --encoding "
                          "utf-16le or utf-16be)");
}

void IngestStats::note_warnings(std::string_view source, const std::vector<std::string>& given) {
  ++warned;
  for (const auto& w : given) {
    if (warnings.size() >= kMaxWarnings) return;
    const bool seen = std::any_of(warnings.begin(), warnings.end(), [&](const std::string& s) {
      return s.size() > w.size() + 2 && s.ends_with(w) &&
             s.compare(s.size() - w.size() - 2, 2, ": ") == 0;
    });
    if (!seen) warnings.push_back(std::string(source) + ": " + w);
  }
}

Result<IngestStats> ingest_stream(std::FILE* in, std::string_view source, const IngestOptions& opt,
                                  const BatchSink& sink, const RejectSink& on_reject) {
  assert(opt.catalog != nullptr);
  // UTF-16 input (a byte order mark tells it), or input of the encoding named, is read as UTF-8.
  auto decode_error = std::make_shared<std::string>();
  auto text = util::open_utf8(in, decode_error, opt.encoding);
  if (!text) return text.status().with_context(source);
  in = text->get();
  Pipeline p(source, opt, sink, on_reject);
  const size_t pad = RecordParser::padding();
  std::vector<char> buf(kChunk + pad);
  size_t have = 0;
  bool eof = false;
  uint64_t line_no = 0;
  uint64_t consumed = 0;  // input bytes handled
  bool at_start = true;   // a byte order mark before the first line is dropped
  InputFormat format = opt.format;
  std::string whole;       // JSON documents (and multi-line OTLP exports and usage reports) only
  bool whole_doc = false;  // OTLP or usage report: one document spread over lines
  uint64_t doc_first = 0;
  // A JSON document that is a list: its elements as they come (whole_json: one that is not).
  std::optional<ListElements> elements;
  bool whole_json = false;
  const ListElements::Element element = [&](std::string_view item, uint64_t line, size_t i) {
    if (p.sink_error().is_ok()) p.list_element(item, line, i);
  };
  const ListElements::Problem problem = [&](std::string_view reason, uint64_t line,
                                            std::string_view about) {
    if (p.sink_error().is_ok()) p.list_problem(reason, line, about);
  };
  // The number of the first non-blank line (remembered in *first).
  auto first_line_no = [](uint64_t n, uint64_t* first) {
    if (*first == 0) *first = n;
    return *first;
  };

  while (!eof) {
    if (have == buf.size() - pad) buf.resize(buf.size() * 2);
    const size_t n = std::fread(buf.data() + have, 1, buf.size() - pad - have, in);
    if (n == 0) {
      // A read error (a truncated compressed file) ends the input: what came before it counts.
      if (std::ferror(in)) {
        const auto& detail = opt.read_error_detail;
        p.stats_.input_error = std::string(source) + ": " +
                               (!decode_error->empty()       ? *decode_error
                                : detail && !detail->empty() ? *detail
                                                             : "read error");
      }
      eof = true;
    }
    have += n;
    consumed += util::drop_leading_bom(buf.data(), &have, eof, &at_start);
    std::memset(buf.data() + have, ' ', pad);
    if (consumed == 0)
      COSTOPS_RETURN_IF_ERROR(check_text_input(source, std::string_view(buf.data(), have)));
    if (format == InputFormat::kAuto)
      format = detect_input_format(source, std::string_view(buf.data(), have));
    if (format == InputFormat::kJson) {
      // A list is read element by element as it comes; another document is read whole.
      const std::string_view piece(buf.data(), have);
      if (elements) {
        elements->feed(piece, element, problem);
      } else {
        whole.append(piece);
        const size_t first = whole.find_first_not_of(" \t\r\n");
        if (!whole_json && first != std::string::npos && whole[first] == '[') {
          elements.emplace();
          elements->feed(whole, element, problem);
          std::string().swap(whole);
        } else if (first != std::string::npos) {
          whole_json = true;
        }
      }
      COSTOPS_RETURN_IF_ERROR(p.sink_error());
      consumed += have;
      if (opt.progress) opt.progress(p.stats_.read, consumed);
      have = 0;
      continue;
    }
    size_t start = 0;
    while (true) {
      const void* nl = std::memchr(buf.data() + start, '\n', have - start);
      if (nl == nullptr && !(eof && start < have)) break;
      const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) : have;
      std::string_view line(buf.data() + start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ++line_no;
      start = nl ? end + 1 : have;  // the last line, without a newline, ends the input
      // A blank line is nothing, unless a CSV record's quoted field holds it (or it is a line of
      // a document read whole, whose records are placed by counting its lines).
      if (blank(line) && !(format == InputFormat::kCsv && p.csv_open())) {
        if (whole_doc) whole.push_back('\n');
        continue;
      }
      if (!nl && !p.stats_.input_error.empty() && !whole_doc) {
        // Cut short by the read error: a row whose last field lost digits would still parse.
        p.cut_short(line, line_no);
        break;
      }
      // (A Gemini CLI session is JSON Lines now, one pretty-printed document before.)
      const bool doc_format = format == InputFormat::kOtel || format == InputFormat::kUsageReport ||
                              format == InputFormat::kGeminiCli;
      if (doc_format && !whole_doc) {
        // A pretty-printed export or page spans lines: read the whole input as one document then.
        if (line_no == first_line_no(line_no, &doc_first) && !nlohmann::json::accept(line)) {
          whole_doc = true;
          whole.assign(line);
          whole.push_back('\n');
        } else {
          p.document(format, line, line_no);
        }
      } else if (doc_format) {
        whole.append(line);
        whole.push_back('\n');
      } else if (format == InputFormat::kCsv) {
        COSTOPS_RETURN_IF_ERROR(p.csv_line(line, line_no));
      } else if (is_agent_log(format) || format == InputFormat::kSse ||
                 format == InputFormat::kRealtime) {
        // (Gemini CLI's, read as a document, is above.)
        p.agent_line(format, line, line_no);
      } else {
        p.json_record(line, line_no, true);
      }
      COSTOPS_RETURN_IF_ERROR(p.sink_error());
      if (start >= have) break;
    }
    if (start > have) start = have;
    consumed += start;
    if (opt.progress) opt.progress(p.stats_.read, consumed);
    std::memmove(buf.data(), buf.data() + start, have - start);
    have -= start;
  }
  if (format == InputFormat::kCsv) COSTOPS_RETURN_IF_ERROR(p.csv_end());
  if (whole_doc) p.document(format, whole, doc_first);
  p.agent_end(format);
  if (elements) {
    elements->end(element, problem);
  } else if (format == InputFormat::kJson) {
    // A JSON document: a list of records, {"records": [...]}, or one record. Records are
    // re-serialized and read like JSON Lines so that every path (native usage, bodies) behaves the
    // same.
    const auto doc = nlohmann::json::parse(whole, nullptr, false);
    // The list's member (kDocumentLists); log events' messages are records' lines (Bedrock's
    // invocation logs, or any JSON Lines).
    const std::string list_place(document_list(doc));
    const nlohmann::json* list = list_place.empty() ? &doc : &doc[list_place];
    // The records of a document's list (`place` its member), each reported by line_of(its index);
    // `own_place`: a reject names the element (a line holds many).
    auto read_list = [&](const nlohmann::json& items, const std::string& place, auto line_of,
                         bool own_place) -> Status {
      const bool events = place == "events" || place == "logEvents";
      for (size_t i = 0; i < items.size(); ++i) {
        const nlohmann::json& e = items[i];
        const std::string at = place + "[" + std::to_string(i) + "]";
        if (events && e.is_object() && e.contains("message") && e["message"].is_string()) {
          p.log_event(e["message"].get<std::string>(), line_of(at, i), at);
        } else if (own_place) {
          p.record_at(e.dump(), line_of(at, i), at);
        } else {
          p.json_record(e.dump(), line_of(at, i), false);
        }
        COSTOPS_RETURN_IF_ERROR(p.sink_error());
      }
      return Status::ok();
    };
    if (doc.is_discarded() && whole.find('\n') != std::string::npos) {
      // Not one document: read it as JSON Lines (so `--format json` also takes .jsonl files),
      // a line that is a page of records ({"data": [...]}, as an API's pages fetched in turn are
      // saved) read as its records.
      uint64_t i = 0;
      size_t start = 0;
      while (start < whole.size()) {
        size_t end = whole.find('\n', start);
        if (end == std::string::npos) end = whole.size();
        std::string_view line(whole.data() + start, end - start);
        ++i;
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (blank(line)) continue;
        const auto page = names_document_list(line)
                              ? nlohmann::json::parse(line, nullptr, false)
                              : nlohmann::json(nlohmann::json::value_t::discarded);
        if (const std::string place(document_list(page));
            !place.empty() && page[place].is_array()) {
          COSTOPS_RETURN_IF_ERROR(read_list(
              page[place], place, [i](const std::string&, size_t) { return i; }, true));
        } else {
          p.json_record(line, i, false);
        }
        COSTOPS_RETURN_IF_ERROR(p.sink_error());
      }
    } else if (doc.is_object() && list_place.empty()) {
      // One record, pretty-printed: reported by its first line.
      const size_t first = whole.find_first_not_of(" \t\r\n");
      p.json_record(doc.dump(), 1 + std::count(whole.begin(), whole.begin() + first, '\n'), false);
    } else if (doc.is_discarded() || !list->is_array()) {
      ++p.stats_.read;
      on_reject(Reject{std::string(source), 1,
                       "not a JSON list of records (or {\"records\": [...]})",
                       std::string(utf8_prefix(whole, 200))});
      ++p.stats_.rejected;
    } else {
      // Each record is reported (and stored) by the line its element begins on; on a document
      // of one line (an API's page as curl gives it), a reject also names its element.
      const auto lines = element_lines(whole, 2);
      const size_t first = whole.find_first_not_of(" \t\r\n");
      const bool one_line = whole.find('\n', first) > whole.find_last_not_of(" \t\r\n");
      COSTOPS_RETURN_IF_ERROR(read_list(
          *list, list_place,
          [&](const std::string& at, size_t i) {
            const auto it = lines.find(at);
            return it != lines.end() ? it->second : i + 1;
          },
          one_line));
    }
  }
  COSTOPS_RETURN_IF_ERROR(p.flush(/*wait=*/true));
  return p.stats_;
}

}  // namespace costops::ingest
