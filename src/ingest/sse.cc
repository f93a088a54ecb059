// Streamed responses' server-sent events as records (see sse.h).
#include "sse.h"

#include <string>

namespace costops::ingest::detail {
namespace {

// The value of the field `name` ("data", "event", ...) of an event line, or nullopt when the line
// is another field. A space after the colon is not part of the value.
std::optional<std::string_view> field(std::string_view line, std::string_view name) {
  if (!line.starts_with(name) || line.size() == name.size() || line[name.size()] != ':')
    return std::nullopt;
  line.remove_prefix(name.size() + 1);
  if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}

bool is_ignored_field(std::string_view line) {
  return line.front() == ':' || field(line, "event") || field(line, "id") || field(line, "retry");
}

// A non-empty object member `key` of `j`, or nullptr.
const nlohmann::json* object_member(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_object() && !it->empty() ? &*it : nullptr;
}

std::string string_member(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool looks_like_sse(std::string_view head) {
  size_t at = 0;
  while (at < head.size()) {
    const size_t nl = head.find('\n', at);
    std::string_view line = head.substr(at, nl == std::string_view::npos ? head.npos : nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (field(line, "data") || field(line, "event")) return true;
    if (!line.empty() && line.find_first_not_of(" \t") != std::string_view::npos &&
        line.front() != ':' && !field(line, "id") && !field(line, "retry"))
      return false;
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return false;
}

void SseReader::line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad) {
  const auto data = field(text, "data");
  if (!data) {
    if (is_ignored_field(text)) return;
    return bad(line_no, "not a server-sent event's line (data:, event:, id:, retry: or a comment)",
               text);
  }
  if (*data == "[DONE]") {  // Chat Completions' end
    ++read_past_;
    return finish(emit);
  }
  const auto j = nlohmann::json::parse(*data, nullptr, false);
  if (j.is_discarded()) return bad(line_no, "an event's data is not JSON", text);
  if (!j.is_object()) {
    ++read_past_;
    return;
  }
  event(j, text, line_no, emit, bad);
}

void SseReader::event(const nlohmann::json& data, std::string_view text, uint64_t line_no,
                      const Emit& emit, const Bad& bad) {
  const std::string type = string_member(data, "type");
  if (type == "message_start") {  // Anthropic's
    finish(emit);
    const nlohmann::json* message = object_member(data, "message");
    if (message == nullptr || object_member(*message, "usage") == nullptr) {
      return bad(line_no, "an Anthropic message_start without its message's usage", text);
    }
    Response r{*message, string_member(*message, "id"), line_no, std::string(text), true};
    r.body.erase("content");
    open_ = std::move(r);
    return;
  }
  if (type == "message_delta") {
    const nlohmann::json* usage = object_member(data, "usage");
    if (usage == nullptr) {
      ++read_past_;
      return;
    }
    if (!open_ || !open_->anthropic) {
      return bad(line_no,
                 "an Anthropic message_delta without its message_start: the message's model and "
                 "input counts are unknown",
                 text);
    }
    for (const auto& [key, value] : usage->items()) open_->body["usage"][key] = value;
    ++read_past_;
    return;
  }
  if (type == "message_stop") {
    ++read_past_;
    return finish(emit);
  }
  if (type == "response.completed" || type == "response.incomplete" ||
      type == "response.failed") {  // OpenAI's Responses: the whole response
    const nlohmann::json* response = object_member(data, "response");
    if (response == nullptr || object_member(*response, "usage") == nullptr) {
      ++read_past_;
      return;
    }
    finish(emit);
    open_ = Response{*response, string_member(*response, "id"), line_no, std::string(text)};
    return finish(emit);
  }
  // A chunk with the usage so far: Chat Completions' (usage, or Groq's x_groq.usage), Gemini's
  // (usageMetadata).
  const nlohmann::json* usage = object_member(data, "usage");
  if (usage == nullptr) {
    if (const nlohmann::json* groq = object_member(data, "x_groq"))
      usage = object_member(*groq, "usage");
  }
  const bool gemini = usage == nullptr && object_member(data, "usageMetadata") != nullptr;
  if (usage == nullptr && !gemini) {
    ++read_past_;
    return;
  }
  std::string id = string_member(data, gemini ? "responseId" : "id");
  if (open_ && (open_->anthropic || open_->id != id)) finish(emit);
  if (open_) {
    ++read_past_;  // the same response's usage so far: this chunk's supersedes it
    open_->body = data;
  } else {
    open_ = Response{data, std::move(id), line_no, std::string(text)};
  }
  if (usage != nullptr && !data.contains("usage")) open_->body["usage"] = *usage;  // Groq's
}

void SseReader::finish(const Emit& emit) {
  if (!open_) return;
  Response r = std::move(*open_);
  open_.reset();
  nlohmann::json record = {{"body", std::move(r.body)}};
  if (!r.id.empty()) record["id"] = r.id;
  // Its time, when the response has one (seconds since the epoch).
  for (const char* key : {"created", "created_at"}) {
    const auto it = record["body"].find(key);
    if (it != record["body"].end() && it->is_number_integer()) {
      record["created"] = *it;
      break;
    }
  }
  emit(record.dump(), r.line, r.text);
}

void SseReader::end(const Emit& emit) { finish(emit); }

}  // namespace costops::ingest::detail
