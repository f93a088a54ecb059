#include "ingest/claude_code.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "costops/domain/json_text.h"
#include "ingest/usage_report.h"

namespace costops::ingest::detail {
namespace {

using nlohmann::json;

// A transcript line's type that holds no usage but says the file is a transcript.
bool transcript_shape(const json& o) {
  if (!o.is_object()) return false;
  const std::string type = string_member(o, "type");
  if (o.contains("sessionId") && o.contains("parentUuid")) return true;
  if (type == "summary" && o.contains("leafUuid")) return true;
  return type == "file-history-snapshot" && o.contains("messageId");
}

// The largest count a token field may hold (the record parser's bound).
constexpr double kMaxCount = 1e15;

// Reads the count `v` (a whole number, or null for none) of `field` into *out; else why not.
std::string read_count(const json& v, const std::string& field, uint64_t* out) {
  if (v.is_null()) return {};
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() <= static_cast<uint64_t>(kMaxCount)) {
      *out = v.get<uint64_t>();
      return {};
    }
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d >= 0 && d <= kMaxCount && std::floor(d) == d) {
      *out = static_cast<uint64_t>(d);
      return {};
    }
  }
  return "field \"" + field + "\": expected a whole number of tokens, got " + v.dump();
}

}  // namespace

bool looks_like_claude_code(std::string_view head) {
  // The first few complete lines: a transcript's first may be a summary or a file snapshot.
  size_t start = 0;
  for (int i = 0; i < 5 && start < head.size(); ++i) {
    const size_t nl = head.find('\n', start);
    if (nl == std::string_view::npos) break;
    const std::string_view line = head.substr(start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (transcript_shape(json::parse(line, nullptr, false))) return true;
  }
  return false;
}

void TranscriptReader::line(std::string_view text, uint64_t line_no, const Emit& emit,
                            const Bad& bad) {
  last_line_ = line_no;
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return bad(line_no, "not a JSON object (expected a Claude Code transcript line)", text);
  }
  const json& message = member(doc, "message");
  const json& usage = member(message, "usage");
  const std::string model = string_member(message, "model");
  // User turns, tool results, summaries, snapshots; and Claude Code's own synthetic messages.
  if (string_member(doc, "type") != "assistant" || !usage.is_object() || model == "<synthetic>") {
    ++without_usage_;
    return;
  }
  Message m;
  m.id = string_member(message, "id");
  if (m.id.empty()) m.id = string_member(doc, "uuid");  // (then its lines cannot be told apart)
  Counts& c = m.counts;
  std::string error;
  auto count = [&](const json& from, const char* key, const std::string& place, uint64_t* out) {
    if (error.empty()) error = read_count(member(from, key), place + key, out);
  };
  count(usage, "input_tokens", "message.usage.", &c.input);
  count(usage, "cache_read_input_tokens", "message.usage.", &c.cache_read);
  count(usage, "cache_creation_input_tokens", "message.usage.", &c.cache_write);
  count(usage, "output_tokens", "message.usage.", &c.output);
  const json& creation = member(usage, "cache_creation");
  if (creation.is_object()) {
    c.split = true;
    count(creation, "ephemeral_5m_input_tokens", "message.usage.cache_creation.", &c.write_5m);
    count(creation, "ephemeral_1h_input_tokens", "message.usage.cache_creation.", &c.write_1h);
  }
  count(member(usage, "server_tool_use"), "web_search_requests", "message.usage.server_tool_use.",
        &c.web_searches);
  if (!error.empty()) return bad(line_no, error, text);
  // (A tier the record parser does not know is left out rather than fail the call.)
  if (const std::string tier = string_member(usage, "service_tier");
      tier == "standard" || tier == "priority" || tier == "batch")
    m.service_tier = tier;
  m.model = model;
  m.time = string_member(doc, "timestamp");
  m.cwd = string_member(doc, "cwd");
  m.session = string_member(doc, "sessionId");
  m.branch = string_member(doc, "gitBranch");
  m.sidechain = member(doc, "isSidechain") == true;
  // Transcripts before Claude Code 1.0.9 logged each call's cost.
  if (const json& cost = member(doc, "costUSD"); cost.is_number()) m.logged_cost = cost.dump();
  const bool final = !member(message, "stop_reason").is_null();
  saw_final_ = saw_final_ || final;

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
