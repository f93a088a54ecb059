// Reading simdjson DOM values that may be absent: the log readers' (agent_logs.cc, realtime.cc)
// small steps. Internal to ingest.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

namespace costops::ingest::detail {

// A value, or none (simdjson's default element is no value to ask anything of).
using Value = std::optional<simdjson::dom::element>;

// Member `key` of `o`, or none when `o` is no object or has no such member.
inline Value at(const Value& o, std::string_view key) {
  simdjson::dom::element v;
  if (o && o->is_object() && !(*o)[key].get(v)) return v;
  return std::nullopt;
}

inline bool is_object(const Value& v) { return v && v->is_object(); }

// Member `key` of `o` when it is a string, else "".
inline std::string text_at(const Value& o, std::string_view key) {
  const Value v = at(o, key);
  std::string_view text;
  if (!v || v->get_string().get(text)) return {};
  return std::string(text);
}

inline bool has(const Value& o, std::string_view key) { return at(o, key).has_value(); }

// A value's JSON text, "" for none.
inline std::string json_of(const Value& v) {
  return v ? std::string(simdjson::minify(*v)) : std::string();
}

// Calls `is(line)` on the first few complete lines of `head`, parsed, until one says yes.
bool any_first_line(std::string_view head, bool (*is)(const Value&));

}  // namespace costops::ingest::detail
