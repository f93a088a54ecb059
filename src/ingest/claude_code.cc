#include "ingest/claude_code.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "costops/domain/json_text.h"

namespace costops::ingest::detail {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// A value, or none (simdjson's default element is no value to ask anything of).
using Value = std::optional<element>;

// Member `key` of `o`, or none when `o` is no object or has no such member.
Value at(const Value& o, std::string_view key) {
  element v;
  if (o && o->is_object() && !(*o)[key].get(v)) return v;
  return std::nullopt;
}

bool is_object(const Value& v) { return v && v->is_object(); }

// Member `key` of `o` when it is a string, else "".
std::string text_at(const Value& o, std::string_view key) {
  const Value v = at(o, key);
  std::string_view text;
  if (!v || v->get_string().get(text)) return {};
  return std::string(text);
}

bool has(const Value& o, std::string_view key) { return at(o, key).has_value(); }

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
    case element_type::INT64: {
      int64_t n = 0;
      uint64_t u = 0;
      if (!v.get_uint64().get(u) && u <= kMaxCount) {
        *out = u;
        return {};
      }
      if (!v.get_int64().get(n) && n >= 0) {  // (not reached: a non-negative is a uint64)
        *out = static_cast<uint64_t>(n);
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

}  // namespace

bool looks_like_claude_code(std::string_view head) {
  // The first few complete lines: a transcript's first may be a summary or a file snapshot.
  simdjson::dom::parser parser;
  size_t start = 0;
  for (int i = 0; i < 5 && start < head.size(); ++i) {
    const size_t nl = head.find('\n', start);
    if (nl == std::string_view::npos) break;
    const std::string_view line = head.substr(start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    element doc;
    if (!parser.parse(line.data(), line.size()).get(doc) && transcript_shape(Value(doc)))
      return true;
  }
  return false;
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
  auto count = [&](const Value& from, const char* key, const std::string& place, uint64_t* out) {
    if (error.empty()) error = read_count(at(from, key), place + key, out);
  };
  count(usage, "input_tokens", "message.usage.", &c.input);
  count(usage, "cache_read_input_tokens", "message.usage.", &c.cache_read);
  count(usage, "cache_creation_input_tokens", "message.usage.", &c.cache_write);
  count(usage, "output_tokens", "message.usage.", &c.output);
  const Value creation = at(usage, "cache_creation");
  if (is_object(creation)) {
    c.split = true;
    count(creation, "ephemeral_5m_input_tokens", "message.usage.cache_creation.", &c.write_5m);
    count(creation, "ephemeral_1h_input_tokens", "message.usage.cache_creation.", &c.write_1h);
  }
  count(at(usage, "server_tool_use"), "web_search_requests", "message.usage.server_tool_use.",
        &c.web_searches);
  if (!error.empty()) return bad(line_no, error, text);
  // (A tier the record parser does not know is left out rather than fail the call.)
  if (const std::string tier = text_at(usage, "service_tier");
      tier == "standard" || tier == "priority" || tier == "batch")
    m.service_tier = tier;
  m.model = model;
  m.time = text_at(doc, "timestamp");
  m.cwd = text_at(doc, "cwd");
  m.session = text_at(doc, "sessionId");
  m.branch = text_at(doc, "gitBranch");
  bool sidechain = false;
  const Value side = at(doc, "isSidechain");
  m.sidechain = side && !side->get_bool().get(sidechain) && sidechain;
  // Transcripts before Claude Code 1.0.9 logged each call's cost.
  if (const Value cost = at(doc, "costUSD"); cost && cost->is_number())
    m.logged_cost = simdjson::minify(*cost);
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
  open_lines_.emplace(m.id, line_no);
  open_.emplace(line_no, std::move(m));
}

TranscriptReader::TranscriptReader(bool take_streaming)
    : parser_(std::make_unique<simdjson::dom::parser>()), take_streaming_(take_streaming) {}
TranscriptReader::~TranscriptReader() = default;

void TranscriptReader::end(const Emit& emit) {
  for (const auto& [line, m] : open_) {
    // Still streaming: the input ends with its lines, and its writer ends each message with a
    // stop_reason. Its output so far would be stored for good (the final line, read later, is
    // the same record: a duplicate), so it waits for the next reading of the file.
    if (saw_final_ && m.last == last_line_ && !take_streaming_) {
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
  std::string r = "{";
  auto field = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    if (r.size() > 1) r += ',';
    append_json_string(r, key);
    r += ':';
    append_json_string(r, value);
  };
  field("id", m.id.empty() ? std::string() : "claude-code:" + m.id);
  field("timestamp", m.time);
  field("model", m.model);
  field("service_tier", m.service_tier);
  field("project_id", m.cwd);
  if (!m.logged_cost.empty()) r += (r.size() > 1 ? "," : "") + ("\"cost_usd\":" + m.logged_cost);
  std::string tags = "{";
  auto tag = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    if (tags.size() > 1) tags += ',';
    append_json_string(tags, key);
    tags += ':';
    append_json_string(tags, value);
  };
  tag("session", m.session);
  tag("branch", m.branch);
  tag("agent", m.sidechain ? "subagent" : "");
  if (tags.size() > 1) r += (r.size() > 1 ? ",\"tags\":" : "\"tags\":") + tags + "}";
  // Anthropic's input_tokens leave out the cache's; the canonical input is the whole.
  const Counts& c = m.counts;
  r += r.size() > 1 ? "," : "";
  r += "\"usage\":{\"input_tokens\":" + std::to_string(c.input + c.cache_read + c.cache_write) +
       ",\"output_tokens\":" + std::to_string(c.output);
  auto count = [&](const char* key, uint64_t n) {
    if (n > 0) r += std::string(",\"") + key + "\":" + std::to_string(n);
  };
  count("cache_read_tokens", c.cache_read);
  count("cache_write_tokens", c.cache_write);
  // The split only when it accounts for the writes (older lines have cache_creation zeros) and
  // has 1-hour writes: 5-minute writes are what cache_write_tokens prices.
  if (c.split && c.write_1h > 0 && c.write_5m + c.write_1h == c.cache_write) {
    count("cache_write_5m_tokens", c.write_5m);
    count("cache_write_1h_tokens", c.write_1h);
  }
  count("web_searches", c.web_searches);
  r += "}}";
  emit(r, line, text);
}

}  // namespace costops::ingest::detail
