// Streamed responses' server-sent events as records (see sse.h and
// costops/ingest/streamed_response.h).
#include "sse.h"

#include <zlib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ingest/usage_report.h"

namespace costops::ingest {
namespace {

using detail::string_member;

// A non-empty object member `key` of `j`, or nullptr.
const nlohmann::json* object_member(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = detail::member(j, key);
  return v.is_object() && !v.empty() ? &v : nullptr;
}

// An error event's text: its error's type and message ("overloaded_error: Overloaded").
std::string error_text(const nlohmann::json& event) {
  const nlohmann::json* e = object_member(event, "error");
  if (e == nullptr) return "an error";
  std::string type = string_member(*e, "type"), message = string_member(*e, "message");
  if (type.empty()) type = string_member(*e, "code");
  return type.empty() ? message : message.empty() ? type : type + ": " + message;
}

// Whether an event is a part of a response (its chunks, its message's or its response's events,
// an error), not a ping or another event between responses.
bool of_a_response(const nlohmann::json& event, const std::string& type) {
  if (type.starts_with("message") || type.starts_with("content_block") ||
      type.starts_with("response.") || type == "error")
    return true;
  for (const char* key :
       {"id", "responseId", "choices", "candidates", "usage", "usageMetadata", "x_groq"}) {
    if (type.empty() && event.contains(key)) return true;
  }
  return false;
}

constexpr const char* kDataNotJson = "an event's data is not JSON";

}  // namespace

struct StreamedResponse::State {
  nlohmann::json body;  // null until usage is taken
  std::string id, error;
  bool anthropic = false, started = false;
};

StreamedResponse::StreamedResponse() : s_(std::make_unique<State>()) {}
StreamedResponse::~StreamedResponse() = default;
StreamedResponse::StreamedResponse(StreamedResponse&&) noexcept = default;
StreamedResponse& StreamedResponse::operator=(StreamedResponse&&) noexcept = default;

bool StreamedResponse::started() const { return s_->started; }
bool StreamedResponse::has_usage() const { return !s_->body.is_null(); }
const std::string& StreamedResponse::id() const { return s_->id; }

Result<StreamedResponse::Step> StreamedResponse::add(std::string_view data) {
  State& s = *s_;
  if (data == "[DONE]") return Step::kEnd;  // Chat Completions' end
  const auto j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded()) return invalid_argument(kDataNotJson);
  if (!j.is_object()) return Step::kReadPast;
  const std::string type = string_member(j, "type");
  if (!of_a_response(j, type)) return Step::kReadPast;
  if (type == "message_start") {  // Anthropic's
    if (s.started) return Step::kNext;
    s.started = true;
    const nlohmann::json* message = object_member(j, "message");
    if (message == nullptr || object_member(*message, "usage") == nullptr) return Step::kReadPast;
    s.body = *message;
    s.body.erase("content");
    s.id = string_member(*message, "id");
    s.anthropic = true;
    return Step::kUsage;
  }
  if (type == "message_delta") {
    const nlohmann::json* usage = object_member(j, "usage");
    if (usage == nullptr) {
      s.started = true;
      return Step::kReadPast;
    }
    if (!s.anthropic) {
      return invalid_argument(
          "an Anthropic message_delta without its message_start: the message's model and input "
          "counts are unknown");
    }
    for (const auto& [key, value] : usage->items()) s.body["usage"][key] = value;
    return Step::kUsage;
  }
  if (type == "message_stop") return Step::kEnd;
  if (type == "error" || type == "response.error") {
    s.started = true;
    s.error = error_text(j);
    return Step::kEnd;
  }
  if (type == "response.completed" || type == "response.incomplete" ||
      type == "response.failed") {  // OpenAI's Responses: the whole response
    const nlohmann::json* response = object_member(j, "response");
    if (has_usage()) return Step::kNext;
    s.started = true;
    if (response == nullptr || object_member(*response, "usage") == nullptr) {
      if (type == "response.failed" && response != nullptr) s.error = error_text(*response);
      return Step::kEnd;
    }
    s.body = *response;
    s.id = string_member(*response, "id");
    return Step::kUsageEnd;
  }
  // A chunk with the usage so far: Chat Completions' (usage, or Groq's x_groq.usage), Gemini's
  // (usageMetadata).
  const nlohmann::json* usage = object_member(j, "usage");
  if (usage == nullptr) {
    if (const nlohmann::json* groq = object_member(j, "x_groq"))
      usage = object_member(*groq, "usage");
  }
  const bool gemini = usage == nullptr && object_member(j, "usageMetadata") != nullptr;
  if (usage == nullptr && !gemini) {
    s.started = true;
    return Step::kReadPast;
  }
  std::string id = string_member(j, gemini ? "responseId" : "id");
  if (has_usage() && (s.anthropic || s.id != id)) return Step::kNext;
  s.started = true;
  s.body = j;
  if (!j.contains("usage") && !gemini) s.body["usage"] = *usage;  // Groq's
  s.id = std::move(id);
  return Step::kUsage;
}

Result<std::string> StreamedResponse::body() const {
  if (has_usage()) return s_->body.dump();
  if (!s_->error.empty()) {
    return not_found("the stream ended in an error before any usage (" + s_->error +
                     "): not billed");
  }
  return not_found(
      "a streamed response without usage (OpenAI's Chat Completions stream it only with "
      "stream_options: {\"include_usage\": true}; a capture cut short has none)");
}

std::optional<int64_t> StreamedResponse::created() const {
  for (const char* key : {"created", "created_at"}) {
    const auto it = s_->body.find(key);
    if (it != s_->body.end() && it->is_number_integer()) return it->get<int64_t>();
  }
  return std::nullopt;
}

namespace detail {
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

}  // namespace

bool looks_like_sse(std::string_view head) {
  size_t at = 0;
  while (at < head.size()) {
    const size_t nl = head.find('\n', at);
    std::string_view line = head.substr(at, nl == std::string_view::npos ? head.npos : nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (field(line, "data") || field(line, "event")) return true;
    if (line.find_first_not_of(" \t") != std::string_view::npos && !is_ignored_field(line))
      return false;
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return false;
}

void SseReader::line(std::string_view text, uint64_t line_no, const Emit& emit, const Bad& bad) {
  const auto data = field(text, "data");
  if (!data) {
    reject_pending(bad);
    if (is_ignored_field(text)) return;
    return bad(line_no, "not a server-sent event's line (data:, event:, id:, retry: or a comment)",
               text);
  }
  if (!pending_.lines.empty()) {
    // The data lines before were no JSON: with this one, joined by line breaks as the standard
    // joins an event's data lines, they may be. Else this line alone may be (the next event's:
    // the lines between events are not seen), or may continue them.
    pending_.data.append(1, '\n').append(*data);
    if (nlohmann::json::accept(pending_.data)) {
      Pending p = std::move(pending_);
      pending_ = Pending();
      return event(p.data, p.lines.front().first, p.lines.front().second, emit, bad);
    }
    if (pending_.lines.size() < kMaxPendingLines && !nlohmann::json::accept(*data)) {
      pending_.lines.emplace_back(line_no, std::string(text));
      return;
    }
    reject_pending(bad);
  }
  event(*data, line_no, text, emit, bad);
}

void SseReader::reject_pending(const Bad& bad) {
  for (const auto& [line_no, text] : pending_.lines) bad(line_no, kDataNotJson, text);
  pending_ = Pending();
}

void SseReader::event(std::string_view data, uint64_t line_no, std::string_view text,
                      const Emit& emit, const Bad& bad) {
  bool had_usage = open_.response.has_usage();
  auto step = open_.response.add(data);
  if (step && *step == StreamedResponse::Step::kNext) {
    finish(emit, bad);
    had_usage = false;
    step = open_.response.add(data);
  }
  if (!step && !nlohmann::json::accept(data)) {
    // Held: the next data lines may carry the rest of it.
    pending_.lines.emplace_back(line_no, std::string(text));
    pending_.data.assign(data);
    return;
  }
  if (!step) return bad(line_no, step.status().message(), text);
  using enum StreamedResponse::Step;
  // The record's line is the event that first gave usage; a response without any is rejected
  // at its first event's line. Every other event is read past.
  const bool first_usage = (*step == kUsage || *step == kUsageEnd) && !had_usage;
  if (first_usage || open_.line == 0) {
    if (open_.line != 0) ++read_past_;  // the first event, held till now
    open_.line = line_no;
    open_.text.assign(text);
  } else {
    ++read_past_;
  }
  if (*step == kEnd || *step == kUsageEnd) finish(emit, bad);
}

void SseReader::finish(const Emit& emit, const Bad& bad) {
  Open done = std::move(open_);
  open_ = Open();
  if (!done.response.started()) {  // pings, ends: no response
    if (done.line != 0) ++read_past_;
    return;
  }
  auto body = done.response.body();
  if (!body) return bad(done.line, body.status().message(), done.text);
  std::string record = "{\"body\":" + *body;
  if (!done.response.id().empty()) record += ",\"id\":" + nlohmann::json(done.response.id()).dump();
  if (const auto t = done.response.created()) record += ",\"created\":" + std::to_string(*t);
  record += "}";
  emit(record, done.line, done.text);
}

void SseReader::end(const Emit& emit, const Bad& bad) {
  reject_pending(bad);
  finish(emit, bad);
}

bool looks_like_aws_event_stream(std::string_view head) {
  // Prelude: total length, headers length (big-endian 32-bit), the CRC-32 of those 8 bytes; then
  // the headers, each a name length byte and the name (":event-type", ":content-type", ...).
  if (head.size() < 14) return false;
  auto u32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(head[at + i]);
    return v;
  };
  const uint32_t total = u32(0), headers = u32(4);
  const auto name_length = static_cast<unsigned char>(head[12]);
  const uLong crc = crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(head.data()), 8);
  return total >= 16 && headers > 0 && headers <= total - 16 && u32(8) == crc && name_length >= 2 &&
         name_length < headers && head[13] == ':';
}

}  // namespace detail
}  // namespace costops::ingest
