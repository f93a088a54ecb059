#include "ingest/realtime.h"

#include <cstdint>

#include "ingest/dom_value.h"
#include "ingest/record_text.h"

namespace costops::ingest::detail {
namespace {

using simdjson::dom::element;

// Whether `type` is a Realtime event's: a server's or a client's.
bool realtime_type(std::string_view type) {
  for (const std::string_view p :
       {"session.", "transcription_session.", "input_audio_buffer.", "output_audio_buffer.",
        "conversation.", "response.", "rate_limits."})
    if (type.starts_with(p)) return true;
  return type == "error";
}

bool realtime_shape(const Value& o) {
  const std::string type = text_at(o, "type");
  if (type.starts_with("response.") || type == "error") {
    // (The Responses API's stream events are response.* too, with a sequence_number.)
    return type == "response.done" || (has(o, "event_id") && !has(o, "sequence_number"));
  }
  return realtime_type(type);
}

}  // namespace

bool looks_like_realtime(std::string_view head) { return any_first_line(head, realtime_shape); }

RealtimeReader::RealtimeReader() : parser_(std::make_unique<simdjson::dom::parser>()) {}
RealtimeReader::~RealtimeReader() = default;

void RealtimeReader::line(std::string_view text, uint64_t line_no, const Emit& emit,
                          const Bad& bad) {
  element parsed;
  if (parser_->parse(text.data(), text.size()).get(parsed) || !parsed.is_object())
    return bad(line_no, "not a JSON object (expected an OpenAI Realtime API event)", text);
  const Value event = parsed;
  if (const Value t = at(event, "type"); t && !t->is_string())
    return bad(line_no, "field \"type\": expected a string (an OpenAI Realtime API event's)", text);
  const std::string type = text_at(event, "type");
  const bool response = type == "response.done";
  const bool transcription = type == "conversation.item.input_audio_transcription.completed";
  if (!response && !transcription) {
    if ((type.starts_with("session.") || type.starts_with("transcription_session.")) &&
        (type.ends_with(".created") || type.ends_with(".updated"))) {
      // A session created begins anew (another session of the log); one updated keeps what its
      // update does not name.
      const bool created = type.ends_with(".created");
      const Value s = at(event, "session");
      const auto take = [created](std::string value, std::string* to) {
        if (created || !value.empty()) *to = std::move(value);
      };
      take(text_at(s, "id"), &session_);
      take(text_at(s, "model"), &model_);
      std::string t = text_at(at(at(at(s, "audio"), "input"), "transcription"), "model");
      if (t.empty()) t = text_at(at(s, "input_audio_transcription"), "model");
      take(std::move(t), &transcription_model_);
    }
    if (!realtime_type(type)) {
      return bad(line_no,
                 type.empty()
                     ? "field \"type\": missing (expected an OpenAI Realtime API event)"
                     : "an event of type \"" + type + "\", which is no OpenAI Realtime API event's",
                 text);
    }
    ++read_past_;  // client events, deltas, items, rate limits, errors
    return;
  }
  const Value from = response ? at(event, "response") : event;
  const Value usage = at(from, "usage");
  const std::string where = response ? "response.usage" : "usage";
  if (!is_object(from)) {
    return bad(line_no,
               from ? "field \"response\": expected an object" : "field \"response\": missing",
               text);
  }
  if (usage && !usage->is_null() && !usage->is_object())
    return bad(line_no, "field \"" + where + "\": expected an object", text);
  if (!is_object(usage)) {
    const std::string status = text_at(from, "status");
    if (response && (status == "failed" || status == "cancelled")) {
      ++read_past_;  // nothing billed
      return;
    }
    return bad(
        line_no,
        "field \"" + where + "\": missing (" +
            (response ? "a response " + (status.empty() ? "" : status + " ") + "without usage"
                      : "a transcription without usage, logged by an API version that "
                        "did not report it: its tokens are unknown") +
            ")",
        text);
  }
  std::string model = response ? text_at(event, "model") : std::string();
  if (model.empty() && response) model = text_at(from, "model");
  if (model.empty()) model = response ? model_ : transcription_model_;
  if (model.empty()) {
    return bad(line_no,
               std::string("the session's ") + (response ? "model" : "transcription model") +
                   " is unknown: no session.created or session.updated event before this one "
                   "names it (log the session's events from its start" +
                   (response ? ", or put \"model\" on the event's line)" : ")"),
               text);
  }
  RecordText r;
  if (response) {
    r.field("id", text_at(from, "id"));
  } else if (std::string item = text_at(event, "item_id"); !item.empty()) {
    int64_t index = 0;
    const Value i = at(event, "content_index");
    r.field("id", item + ":transcription" +
                      (i && !i->get_int64().get(index) ? ":" + std::to_string(index) : ""));
  }
  r.field("model", model);
  for (const std::string_view key : {"timestamp", "created_at", "start_time", "created"})
    r.json(key, json_of(at(event, key)));
  r.tag("session", session_);
  r.json("usage", json_of(usage));
  if (response && is_object(at(from, "metadata")))
    r.json("metadata", json_of(at(from, "metadata")));
  emit(r.text(), line_no, text);
}

}  // namespace costops::ingest::detail
