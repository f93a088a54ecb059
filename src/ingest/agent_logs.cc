#include "ingest/agent_logs.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <vector>

#include "costops/domain/json_text.h"
#include "ingest/dom_value.h"
#include "ingest/record_text.h"

namespace costops::ingest::detail {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Whether member `key` of `o` is true.
bool true_at(const Value& o, std::string_view key) {
  const Value v = at(o, key);
  bool b = false;
  return v && !v->get_bool().get(b) && b;
}

// A transcript line's shape, with or without usage.
bool transcript_shape(const Value& o) {
  if (!is_object(o)) return false;
  if (has(o, "sessionId") && has(o, "parentUuid")) return true;
  const std::string type = text_at(o, "type");
  if (type == "summary" && has(o, "leafUuid")) return true;
  return type == "file-history-snapshot" && has(o, "messageId");
}

// The largest count a token field may hold (the record parser's bound).
constexpr uint64_t kMaxCount = 1'000'000'000'000'000;

// Reads the count `v` (a whole number, or null or absent for none) of `field` into *out; else
// why not.
std::string read_count(const Value& value, const std::string& field, uint64_t* out) {
  if (!value) return {};
  const element v = *value;
  switch (v.type()) {
    case element_type::NULL_VALUE:
      return {};
    case element_type::UINT64:
    case element_type::INT64: {  // (a negative one is no uint64)
      uint64_t u = 0;
      if (!v.get_uint64().get(u) && u <= kMaxCount) {
        *out = u;
        return {};
      }
      break;
    }
    case element_type::DOUBLE: {
      const double d = v.get_double().value_unsafe();
      if (d >= 0 && d <= static_cast<double>(kMaxCount) && std::floor(d) == d) {
        *out = static_cast<uint64_t>(d);
        return {};
      }
      break;
    }
    default:
      break;
  }
  return "field \"" + field + "\": expected a whole number of tokens, got " +
         std::string(simdjson::minify(v));
}

// Reads the counts `fields` name (a key of `from` and where its count goes), while *error is
// empty: the first that is no count leaves its reason there, naming its field as `place` + key.
void read_counts(const Value& from, std::string_view place,
                 std::initializer_list<std::pair<const char*, uint64_t*>> fields,
                 std::string* error) {
  for (const auto& [key, out] : fields)
    if (error->empty()) *error = read_count(at(from, key), std::string(place) + key, out);
}

bool codex_shape(const Value& o) {
  const std::string type = text_at(o, "type");
  return (type == "session_meta" || type == "turn_context" || type == "event_msg" ||
          type == "response_item") &&
         is_object(at(o, "payload")) && has(o, "timestamp");
}

// The time a UUIDv7 was minted (milliseconds since the epoch, its first 48 bits), or none for
// another text.
std::optional<uint64_t> uuid7_millis(std::string_view id) {
  if (id.size() < 15 || id[8] != '-' || id[14] != '7') return std::nullopt;
  uint64_t ms = 0;
  for (size_t i = 0; i < 13; ++i) {
    if (i == 8) continue;
    const char c = id[i];
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) return std::nullopt;
    ms = ms * 16 + static_cast<uint64_t>(d);
  }
  return ms;
}

bool gemini_cli_shape(const Value& o) {
  if (!is_object(o)) return false;
  if (has(o, "sessionId") && has(o, "projectHash")) return true;  // the metadata
  if (is_object(at(o, "$set")) || has(o, "$rewindTo")) return true;
  return text_at(o, "type") == "gemini" && has(o, "id") && has(o, "timestamp");
}

bool qwen_code_shape(const Value& o) {
  if (!is_object(o) || !has(o, "sessionId") || !has(o, "uuid")) return false;
  if (is_object(at(o, "usageMetadata")) || has(o, "systemPayload")) return true;
  const Value parts = at(at(o, "message"), "parts");
  return (parts && parts->is_array()) || text_at(o, "type") == "tool_result";
}

bool opencode_shape(const Value& o) { return is_object(at(o, "opencode")); }

// An OpenCode provider's id as the catalog names the provider, or "" for one that resells or
// hosts others' models (its model names their provider).
std::string catalog_provider(const std::string& id) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"amazon-bedrock", "aws"},
      {"google-vertex", "google"},
      {"google-vertex-anthropic", "anthropic"},
      {"fireworks-ai", "fireworks"},
      {"togetherai", "together"},
      {"xai", "x-ai"}};
  for (const auto& [opencode, catalog] : kNames)
    if (id == opencode) return std::string(catalog);
  static constexpr std::string_view kSame[] = {
      "anthropic", "openai",  "google", "azure",     "openrouter", "deepseek",   "groq",
      "cerebras",  "mistral", "x-ai",   "cohere",    "perplexity", "moonshotai", "zai",
      "zhipuai",   "minimax", "novita", "fireworks", "together"};
  for (const std::string_view same : kSame)
    if (id == same) return id;
  return {};
}

}  // namespace

bool any_first_line(std::string_view head, bool (*is)(const Value&)) {
  simdjson::dom::parser parser;
  size_t start = 0;
  for (int i = 0; i < 5 && start < head.size(); ++i) {
    const size_t nl = head.find('\n', start);
    if (nl == std::string_view::npos) break;
    const std::string_view line = head.substr(start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    element doc;
    if (!parser.parse(line.data(), line.size()).get(doc) && is(Value(doc))) return true;
  }
  return false;
}

bool looks_like_codex(std::string_view head) { return any_first_line(head, codex_shape); }

bool looks_like_opencode(std::string_view head) { return any_first_line(head, opencode_shape); }

bool looks_like_gemini_cli(std::string_view head) {
  if (any_first_line(head, gemini_cli_shape)) return true;
  // An older version's session-*.json: {"sessionId": ..., "projectHash": ..., "startTime": ...,
  // "messages": [...]}, pretty-printed.
  const size_t i = head.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || head[i] != '{') return false;
  const std::string_view start = head.substr(i, 1024);
  const size_t nl = start.find('\n');
  return nl != std::string_view::npos && start.substr(0, nl).find('}') == std::string_view::npos &&
         start.find("\"sessionId\"") != std::string_view::npos &&
         start.find("\"projectHash\"") != std::string_view::npos;
}

bool looks_like_qwen_code(std::string_view head) { return any_first_line(head, qwen_code_shape); }

bool looks_like_claude_code(std::string_view head) {
  // A transcript's first line may be a summary or a file snapshot.
  return any_first_line(head, transcript_shape);
}

void TranscriptReader::line(std::string_view text, uint64_t line_no, const Emit& emit,
                            const Bad& bad) {
  last_line_ = line_no;
  element parsed;
  if (parser_->parse(text.data(), text.size()).get(parsed) || !parsed.is_object()) {
    return bad(line_no, "not a JSON object (expected a Claude Code transcript line)", text);
  }
  const Value doc = parsed;
  const Value message = at(doc, "message");
  const Value usage = at(message, "usage");
  const std::string model = text_at(message, "model");
  // User turns, tool results, summaries, snapshots; and Claude Code's own synthetic messages.
  if (text_at(doc, "type") != "assistant" || !is_object(usage) || model == "<synthetic>") {
    ++without_usage_;
    return;
  }
  Message m;
  m.id = text_at(message, "id");
  if (m.id.empty()) m.id = text_at(doc, "uuid");  // (then its lines cannot be told apart)
  Counts& c = m.counts;
  std::string error;
  read_counts(usage, "message.usage.",
              {{"input_tokens", &c.input},
               {"cache_read_input_tokens", &c.cache_read},
               {"cache_creation_input_tokens", &c.cache_write},
               {"output_tokens", &c.output}},
              &error);
  const Value creation = at(usage, "cache_creation");
  if (is_object(creation)) {
    c.split = true;
    read_counts(
        creation, "message.usage.cache_creation.",
        {{"ephemeral_5m_input_tokens", &c.write_5m}, {"ephemeral_1h_input_tokens", &c.write_1h}},
        &error);
  }
  read_counts(at(usage, "server_tool_use"), "message.usage.server_tool_use.",
              {{"web_search_requests", &c.web_searches}}, &error);
  if (!error.empty()) return bad(line_no, error, text);
  if (model.empty()) return bad(line_no, "field \"message.model\": missing", text);
  // (A tier the record parser does not know is left out rather than fail the call.)
  if (const std::string tier = text_at(usage, "service_tier");
      tier == "standard" || tier == "priority" || tier == "batch")
    m.service_tier = tier;
  m.model = model;
  m.time = text_at(doc, "timestamp");
  m.cwd = text_at(doc, "cwd");
  m.session = text_at(doc, "sessionId");
  m.branch = text_at(doc, "gitBranch");
  m.sidechain = true_at(doc, "isSidechain");
  // Transcripts before Claude Code 1.0.9 logged each call's cost.
  if (const Value cost = at(doc, "costUSD"); cost && cost->is_number())
    m.logged_cost = json_of(cost);
  const Value stop = at(message, "stop_reason");
  const bool final = stop && !stop->is_null();
  saw_final_ = saw_final_ || final;

  if (m.id.empty()) return emit_message(m, line_no, text, emit);  // nothing to merge it by
  if (done_.contains(m.id)) {  // a line after the one with the stop_reason: already counted
    ++merged_;
    return;
  }
  if (const auto it = open_lines_.find(m.id); it != open_lines_.end()) {
    // Another line of a message begun above: its counts so far, the largest of each.
    ++merged_;
    const uint64_t first = it->second;
    Message& o = open_.at(first);
    o.last = line_no;
    o.last_time = std::move(m.time);
    Counts& k = o.counts;
    k.input = std::max(k.input, c.input);
    k.cache_read = std::max(k.cache_read, c.cache_read);
    k.cache_write = std::max(k.cache_write, c.cache_write);
    k.write_5m = std::max(k.write_5m, c.write_5m);
    k.write_1h = std::max(k.write_1h, c.write_1h);
    k.output = std::max(k.output, c.output);
    k.web_searches = std::max(k.web_searches, c.web_searches);
    k.split = k.split || c.split;
    if (!m.logged_cost.empty()) o.logged_cost = std::move(m.logged_cost);  // the latest line's
    if (!final) return;
    emit_message(o, first, o.text, emit);
    done_.insert(o.id);
    open_lines_.erase(it);
    open_.erase(first);
    return;
  }
  if (final) {
    emit_message(m, line_no, text, emit);
    done_.insert(std::move(m.id));
    return;
  }
  m.text.assign(text);
  m.last = line_no;
  m.last_time = m.time;
  open_lines_.emplace(m.id, line_no);
  open_.emplace(line_no, std::move(m));
}

TranscriptReader::TranscriptReader(bool take_streaming, Timestamp now)
    : parser_(std::make_unique<simdjson::dom::parser>()),
      take_streaming_(take_streaming),
      now_(now) {}
TranscriptReader::~TranscriptReader() = default;

void TranscriptReader::end(const Emit& emit) {
  for (const auto& [line, m] : open_) {
    // Still streaming: the input ends with its lines, and its writer ends each message with a
    // stop_reason, or it was written a moment ago (a session's first message, before any other
    // has ended). Its output so far would be stored for good (the final line, read later, is the
    // same record: a duplicate), so it waits for the next reading of the file.
    const auto written = parse_timestamp(m.last_time);
    const bool recent = written && *written < now_ + std::chrono::hours(1) &&
                        now_ - *written < std::chrono::hours(1);
    if (m.last == last_line_ && (saw_final_ || recent) && !take_streaming_) {
      ++streaming_;
      continue;
    }
    emit_message(m, line, m.text, emit);
  }
  open_.clear();
  open_lines_.clear();
  done_.clear();
}

void TranscriptReader::emit_message(const Message& m, uint64_t line, std::string_view text,
                                    const Emit& emit) const {
  RecordText r;
  r.field("id", m.id.empty() ? std::string() : "claude-code:" + m.id);
  r.field("timestamp", m.time);
  r.field("model", m.model);
  r.field("service_tier", m.service_tier);
  r.field("project_id", m.cwd);
  r.json("cost_usd", m.logged_cost);
  r.tag("service", "claude-code");  // (as its OpenTelemetry events name it)
  r.tag("session", m.session);
  r.tag("branch", m.branch);
  r.tag("agent", m.sidechain ? "subagent" : "");
  // The cloud that served it, as Anthropic's API names its message ids there: Claude Code on
  // Amazon Bedrock or Google Vertex AI (priced at the model's Anthropic prices all the same).
  r.tag("platform", m.id.starts_with("msg_bdrk_")   ? "bedrock"
                    : m.id.starts_with("msg_vrtx_") ? "vertex"
                                                    : "");
  // Anthropic's input_tokens leave out the cache's; the canonical input is the whole.
  const Counts& c = m.counts;
  r.count("input_tokens", c.input + c.cache_read + c.cache_write, true);
  r.count("output_tokens", c.output, true);
  r.count("cache_read_tokens", c.cache_read);
  r.count("cache_write_tokens", c.cache_write);
  // The split only when it accounts for the writes (older lines have cache_creation zeros) and
  // has 1-hour writes: 5-minute writes are what cache_write_tokens prices.
  if (c.split && c.write_1h > 0 && c.write_5m + c.write_1h == c.cache_write) {
    r.count("cache_write_5m_tokens", c.write_5m);
    r.count("cache_write_1h_tokens", c.write_1h);
  }
  r.count("web_searches", c.web_searches);
  emit(r.text(), line, text);
}

CodexReader::CodexReader() : parser_(std::make_unique<simdjson::dom::parser>()) {}
CodexReader::~CodexReader() = default;

void CodexReader::line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad) {
  element parsed;
  if (parser_->parse(text.data(), text.size()).get(parsed) || !parsed.is_object()) {
    return bad(line_no, "not a JSON object (expected a Codex rollout line)", text);
  }
  const Value doc = parsed;
  const std::string type = text_at(doc, "type");
  const Value payload = at(doc, "payload");
  if (type == "session_meta") {
    // The file's own session is its first; a fork replays its parent's session_meta after it.
    if (session_.empty() && is_object(payload)) {
      session_ = text_at(payload, "id");
      cwd_ = text_at(payload, "cwd");
      branch_ = text_at(at(payload, "git"), "branch");
      provider_ = text_at(payload, "model_provider");
      const Value spawn = at(at(at(payload, "source"), "subagent"), "thread_spawn");
      const bool fork = !text_at(payload, "forked_from_id").empty() ||
                        !text_at(spawn, "parent_thread_id").empty();
      if (fork) replaying_until_ = uuid7_millis(session_);
    }
    ++without_usage_;
    return;
  }
  if (type == "turn_context") {
    if (std::string model = text_at(payload, "model"); !model.empty()) model_ = std::move(model);
    turn_ = text_at(payload, "turn_id");
    // A turn begun at or after the fork is the fork's own: the parent's replay has ended.
    const auto turn_time = uuid7_millis(turn_);
    if (replaying_until_ && turn_time && *turn_time >= *replaying_until_) replaying_until_.reset();
    ++without_usage_;
    return;
  }
  const Value info = at(payload, "info");
  if (type != "event_msg" || text_at(payload, "type") != "token_count" || !is_object(info)) {
    ++without_usage_;  // messages, tool calls, reasoning, rate limits alone
    return;
  }
  std::string error;
  auto usage_of = [&](const char* key) -> std::optional<Usage> {
    const Value u = at(info, key);
    if (!is_object(u) || !error.empty()) return std::nullopt;
    Usage n;
    read_counts(u, std::string("payload.info.") + key + ".",
                {{"input_tokens", &n.input},
                 {"cached_input_tokens", &n.cached},
                 {"output_tokens", &n.output},
                 {"reasoning_output_tokens", &n.reasoning},
                 {"total_tokens", &n.total}},
                &error);
    return n;
  };
  const std::optional<Usage> total = usage_of("total_token_usage");
  const std::optional<Usage> last = usage_of("last_token_usage");
  if (!error.empty()) return bad(line_no, error, text);
  Usage call;
  std::string id;
  if (total) {
    if (sum_ && *total == *sum_) {  // repeated, unchanged
      ++merged_;
      return;
    }
    const std::optional<Usage> before = std::exchange(sum_, total);
    if (replaying_until_) {  // the parent's call, replayed
      ++merged_;
      return;
    }
    if (last) {
      call = *last;
    } else if (before && total->input >= before->input && total->cached >= before->cached &&
               total->output >= before->output && total->reasoning >= before->reasoning) {
      call = {total->input - before->input, total->cached - before->cached,
              total->output - before->output, total->reasoning - before->reasoning, 0};
    } else {
      call = *total;
    }
    const std::string& scope = turn_.empty() ? session_ : turn_;
    if (!scope.empty()) {
      id = "codex:" + scope + ":" + std::to_string(total->input) + "+" +
           std::to_string(total->output);
    }
  } else if (last && !replaying_until_) {
    call = *last;
    if (!session_.empty()) id = "codex:" + session_ + ":line" + std::to_string(line_no);
  } else {
    ++(replaying_until_ ? merged_ : without_usage_);
    return;
  }
  if (call.input == 0 && call.output == 0) {
    ++without_usage_;
    return;
  }
  if (model_.empty()) {
    return bad(line_no,
               "a model call's token count before any turn_context names its model (field "
               "\"payload.model\")",
               text);
  }
  RecordText r;
  r.field("id", id);
  r.field("timestamp", text_at(doc, "timestamp"));
  // Codex's own provider id for OpenAI; another's model names its provider (or --provider).
  r.field("provider", provider_ == "openai" ? provider_ : std::string());
  r.field("model", model_);
  r.field("project_id", cwd_);
  r.tag("service", "codex");
  r.tag("session", session_);
  r.tag("branch", branch_);
  r.count("input_tokens", call.input, true);
  r.count("output_tokens", call.output, true);
  r.count("cache_read_tokens", call.cached);
  r.count("output_reasoning_tokens", call.reasoning);
  emit(r.text(), line_no, text);
}

GeminiCliReader::GeminiCliReader(std::string project)
    : parser_(std::make_unique<simdjson::dom::parser>()),
      project_(std::move(project)),
      project_given_(!project_.empty()) {}
GeminiCliReader::~GeminiCliReader() = default;

void GeminiCliReader::read(std::string_view text, uint64_t line_no, const LineOf& line_of,
                           const Emit& emit, const Bad& bad) {
  element parsed;
  if (parser_->parse(text.data(), text.size()).get(parsed) || !parsed.is_object()) {
    // Not one document: JSON Lines whose first line is broken, when its next line is a line of
    // a session (else an older version's document, cut short, is one reject).
    const size_t nl = text.find('\n');
    if (nl != std::string_view::npos) {
      std::string_view rest = text.substr(nl + 1);
      const size_t next = rest.find_first_not_of(" \t\r\n");
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
      const std::string_view second = rest.substr(0, rest.find('\n'));
      if (!second.empty() && !parser_->parse(second.data(), second.size()).get(parsed) &&
          parsed.is_object()) {
        uint64_t n = line_no;
        for (size_t start = 0; start < text.size(); ++n) {
          size_t end = text.find('\n', start);
          if (end == std::string_view::npos) end = text.size();
          std::string_view one = text.substr(start, end - start);
          start = end + 1;
          if (!one.empty() && one.back() == '\r') one.remove_suffix(1);
          if (one.find_first_not_of(" \t") != std::string_view::npos)
            read(one, n, line_of, emit, bad);
        }
        return;
      }
    }
    return bad(line_no,
               nl == std::string_view::npos
                   ? "not a JSON object (expected a Gemini CLI session line)"
                   : "not a JSON object (expected a Gemini CLI session document)",
               utf8_prefix(text, 200));
  }
  const Value doc = parsed;
  // The metadata: the first line's, a document's, or an update's.
  const Value set = at(doc, "$set");
  const Value meta = is_object(set) ? set : doc;
  if (std::string id = text_at(meta, "sessionId"); !id.empty()) session_ = std::move(id);
  if (std::string hash = text_at(meta, "projectHash"); !hash.empty() && !project_given_)
    project_ = std::move(hash);
  if (const std::string kind = text_at(meta, "kind"); !kind.empty()) subagent_ = kind == "subagent";
  if (has(doc, "id") && !is_object(set)) return message(parsed, line_no, text, emit, bad);
  // A document's messages, or an update's list of them again.
  simdjson::dom::array messages;
  const Value list = at(meta, "messages");
  if (!list || list->get_array().get(messages)) {
    ++without_usage_;  // metadata, an update, a rewind
    return;
  }
  const bool whole = text.find('\n') != std::string_view::npos;
  size_t i = 0;
  for (const element m : messages) {
    const uint64_t line = whole ? line_of("messages[" + std::to_string(i) + "]") : line_no;
    ++i;
    if (!m.is_object()) {
      bad(line, "field \"messages[" + std::to_string(i - 1) + "]\": not a message object",
          utf8_prefix(simdjson::minify(m), 200));
      continue;
    }
    const std::string own = whole ? simdjson::minify(m) : std::string();
    message(m, line, whole ? std::string_view(own) : text, emit, bad);
  }
}

void GeminiCliReader::message(const element& m, uint64_t line, std::string_view text,
                              const Emit& emit, const Bad& bad) {
  const Value msg = m;
  const Value tokens = at(msg, "tokens");
  // User turns, the CLI's notes (info, error, warning), a reply before its token counts.
  if (text_at(msg, "type") != "gemini" || !is_object(tokens)) {
    ++without_usage_;
    return;
  }
  const std::string id = text_at(msg, "id");
  if (!id.empty() && taken_.contains(id)) {  // written again (its tool calls, a history update)
    ++merged_;
    return;
  }
  uint64_t input = 0, cached = 0, output = 0, thoughts = 0, tool = 0;
  std::string error;
  read_counts(tokens, "tokens.",
              {{"input", &input},
               {"cached", &cached},
               {"output", &output},
               {"thoughts", &thoughts},
               {"tool", &tool}},
              &error);
  if (!error.empty()) return bad(line, error, text);
  if (input == 0 && output == 0 && thoughts == 0 && tool == 0) {
    ++without_usage_;  // (a call that failed before its response)
    return;
  }
  const std::string model = text_at(msg, "model");
  if (model.empty()) return bad(line, "field \"model\": missing", text);
  if (!id.empty()) taken_.insert(id);
  RecordText r;
  r.field("id", id.empty() ? std::string() : "gemini-cli:" + id);
  r.field("timestamp", text_at(msg, "timestamp"));
  // Google's, for its models (a fork of Gemini CLI that writes its files, as older Qwen Code
  // did, calls others: their provider is the one the model names).
  r.field("provider", model.starts_with("gemini") || model.starts_with("gemma") ? "google" : "");
  r.field("model", model);
  r.field("project_id", project_);
  r.tag("service", "gemini-cli");
  r.tag("session", session_);
  r.tag("agent", subagent_ ? "subagent" : "");
  // As genai-prices reads Google's usage metadata: the tool-use prompt is input, thoughts output.
  r.count("input_tokens", input + tool, true);
  r.count("output_tokens", output + thoughts, true);
  r.count("cache_read_tokens", cached);
  r.count("output_reasoning_tokens", thoughts);
  emit(r.text(), line, text);
}

QwenCodeReader::QwenCodeReader() : parser_(std::make_unique<simdjson::dom::parser>()) {}
QwenCodeReader::~QwenCodeReader() = default;

void QwenCodeReader::line(std::string_view text, uint64_t line_no, const Emit& emit,
                          const Bad& bad) {
  element parsed;
  if (parser_->parse(text.data(), text.size()).get(parsed) || !parsed.is_object()) {
    return bad(line_no, "not a JSON object (expected a Qwen Code session record)", text);
  }
  const Value doc = parsed;
  const Value usage = at(doc, "usageMetadata");
  if (text_at(doc, "type") != "assistant" || !is_object(usage)) {
    ++without_usage_;  // user turns, tool results, system records; a reply without usage
    return;
  }
  const std::string uuid = text_at(doc, "uuid");
  if (!uuid.empty() && taken_.contains(uuid)) {
    ++merged_;
    return;
  }
  uint64_t prompt = 0, cached = 0, candidates = 0, thoughts = 0, tool = 0, total = 0;
  std::string error;
  read_counts(usage, "usageMetadata.",
              {{"promptTokenCount", &prompt},
               {"cachedContentTokenCount", &cached},
               {"candidatesTokenCount", &candidates},
               {"thoughtsTokenCount", &thoughts},
               {"toolUsePromptTokenCount", &tool},
               {"totalTokenCount", &total}},
              &error);
  if (!error.empty()) return bad(line_no, error, text);
  if (prompt == 0 && candidates == 0 && thoughts == 0 && tool == 0) {
    if (total == 0) {
      ++without_usage_;  // (a call that failed before its response)
      return;
    }
    return bad(line_no,
               "field \"usageMetadata.promptTokenCount\": missing (only a totalTokenCount: the "
               "input and output it sums cannot be told apart to price them)",
               text);
  }
  const std::string model = text_at(doc, "model");
  if (model.empty()) return bad(line_no, "field \"model\": missing", text);
  if (!uuid.empty()) taken_.insert(uuid);
  // Gemini's candidates leave the thoughts out; an OpenAI-compatible completion count holds them.
  const bool thoughts_apart =
      (thoughts > 0 && total == prompt + tool + candidates + thoughts) || thoughts > candidates;
  RecordText r;
  r.field("id", uuid.empty() ? std::string() : "qwen-code:" + uuid);
  r.field("timestamp", text_at(doc, "timestamp"));
  r.field("model", model);
  r.field("project_id", text_at(doc, "cwd"));
  r.tag("service", "qwen-code");
  r.tag("session", text_at(doc, "sessionId"));
  r.tag("branch", text_at(doc, "gitBranch"));
  r.tag("agent", true_at(doc, "isSidechain") ? "subagent" : "");
  r.count("input_tokens", prompt + tool, true);
  r.count("output_tokens", thoughts_apart ? candidates + thoughts : candidates, true);
  r.count("cache_read_tokens", cached);
  r.count("output_reasoning_tokens", thoughts);
  emit(r.text(), line_no, text);
}

OpenCodeReader::OpenCodeReader() : parser_(std::make_unique<simdjson::dom::parser>()) {}
OpenCodeReader::~OpenCodeReader() = default;

void OpenCodeReader::line(std::string_view text, uint64_t line_no, const Emit& emit,
                          const Bad& bad) {
  element parsed;
  if (parser_->parse(text.data(), text.size()).get(parsed) || !parsed.is_object()) {
    // (A message whose data in the database is no JSON: name it.)
    const std::string_view lead = "{\"opencode\":{\"id\":\"";
    if (text.starts_with(lead)) {
      const std::string_view id =
          text.substr(lead.size(), text.find('"', lead.size()) - lead.size());
      return bad(line_no, "message " + std::string(id) + ": its data is not JSON", text);
    }
    return bad(line_no, "not a JSON object (expected an OpenCode message)", text);
  }
  const Value o = at(Value(parsed), "opencode");
  if (!is_object(o)) {
    return bad(line_no,
               "field \"opencode\": missing (expected a message of OpenCode's database as cost-ops "
               "reads it: give the database, opencode.db)",
               text);
  }
  const Value msg = at(o, "message");
  const std::string id = text_at(o, "id");
  const std::string where = "message " + id + ": ";
  if (!is_object(msg)) return bad(line_no, where + "its data is not a JSON object", text);
  if (text_at(msg, "role") != "assistant") {
    ++without_usage_;  // (the user's messages)
    return;
  }
  const std::string model = text_at(msg, "modelID");
  const std::string provider_id = text_at(msg, "providerID");
  std::string app = text_at(o, "app");  // (Kilo Code's database is OpenCode's)
  if (app.empty()) app = "opencode";
  const Value created = at(at(msg, "time"), "created");  // epoch milliseconds
  std::string cwd = text_at(at(msg, "path"), "cwd");
  if (cwd.empty()) cwd = text_at(o, "directory");
  std::string mode = text_at(msg, "agent");
  if (mode.empty()) mode = text_at(msg, "mode");  // (older versions' name for it)
  // One call per step; a message without step parts (older data) is one of its own tokens.
  std::vector<Value> calls;
  const Value steps = at(o, "steps");
  simdjson::dom::array list;
  if (steps && !steps->get_array().get(list)) {
    for (const element step : list)
      if (text_at(Value(step), "type") == "step-finish") calls.emplace_back(step);
  }
  const bool own = calls.empty();
  if (own) calls.push_back(msg);
  for (size_t n = 0; n < calls.size(); ++n) {
    const Value tokens = at(calls[n], "tokens");
    const std::string place = own ? "tokens." : "steps[" + std::to_string(n) + "].tokens.";
    if (!is_object(tokens)) {
      if (own) {
        ++without_usage_;  // (a reply still in progress, or one that failed)
        continue;
      }
      bad(line_no, where + "field \"" + place.substr(0, place.size() - 1) + "\": missing", text);
      continue;
    }
    uint64_t input = 0, output = 0, reasoning = 0, read = 0, write = 0, total = 0;
    std::string error;
    read_counts(
        tokens, place,
        {{"input", &input}, {"output", &output}, {"reasoning", &reasoning}, {"total", &total}},
        &error);
    read_counts(at(tokens, "cache"), place + "cache.", {{"read", &read}, {"write", &write}},
                &error);
    if (!error.empty()) {
      bad(line_no, where + error, text);
      continue;
    }
    if (input == 0 && output == 0 && reasoning == 0 && read == 0 && write == 0) {
      ++without_usage_;  // (a call that failed before its response)
      continue;
    }
    if (model.empty()) {
      bad(line_no, where + "field \"message.modelID\": missing", text);
      continue;
    }
    const uint64_t in = input + read + write;
    // Reasoning apart from the output: when the total is nearer the sum with it than without (a
    // total that is neither, nearer); without a total, for Google's models as AI SDK 5 read them.
    const bool apart = reasoning > output ||
                       (total != 0 ? 2 * total >= 2 * (in + output) + reasoning
                                   : provider_id == "google" || provider_id == "google-vertex");
    // The call's id: what a fork's copy keeps (the message's time, the step's place, the counts).
    const std::string key = created ? app + ":" + std::string(simdjson::minify(*created)) + ":" +
                                          std::to_string(n) + ":" + std::to_string(input) + "-" +
                                          std::to_string(output) + "-" + std::to_string(reasoning) +
                                          "-" + std::to_string(read) + "-" + std::to_string(write)
                                    : app + ":" + id + ":" + std::to_string(n);
    if (!taken_.insert(key).second) {
      ++merged_;  // (a forked session's copy)
      continue;
    }
    RecordText r;
    r.field("id", key);
    // (The record form reads an epoch number's unit by its size, and bounds it.)
    if (double ms = -1; created && !created->get_double().get(ms) && ms >= 0)
      r.json("timestamp", json_of(created));
    r.field("provider", catalog_provider(provider_id));
    r.field("model", model);
    r.field("project_id", cwd);
    const Value cost = at(calls[n], "cost");
    double logged = 0;
    if (cost && !cost->get_double().get(logged) && logged > 0) r.json("cost_usd", json_of(cost));
    r.tag("service", app);
    r.tag("session", text_at(o, "session"));
    r.tag("agent", text_at(o, "parent").empty() ? "" : "subagent");
    r.tag("mode", mode);
    r.tag("platform", provider_id);
    r.count("input_tokens", in, true);
    r.count("output_tokens", apart ? output + reasoning : output, true);
    r.count("cache_read_tokens", read);
    r.count("cache_write_tokens", write);
    r.count("output_reasoning_tokens", reasoning);
    emit(r.text(), line_no, text);
  }
}

}  // namespace costops::ingest::detail
