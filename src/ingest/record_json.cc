#include "costops/ingest/record_json.h"

#include <strings.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>

#include "costops/domain/json_text.h"
#include "costops/domain/text_encoding.h"
#include "engine/normalize_dom.h"

namespace costops::ingest {

using costops::engine::detail::member;
using simdjson::dom::element;
using simdjson::dom::element_type;

struct RecordParser::Impl {
  explicit Impl(engine::Normalizer& n) : normalizer(n) {}
  engine::Normalizer& normalizer;
  simdjson::dom::parser parser;
  std::string copy;
};

RecordParser::RecordParser(engine::Normalizer& n) : impl_(std::make_unique<Impl>(n)) {}
RecordParser::~RecordParser() = default;

size_t RecordParser::padding() { return simdjson::SIMDJSON_PADDING; }

namespace {

Status type_error(std::string_view field, std::string_view want, element v) {
  std::string got;
  switch (v.type()) {
    case element_type::ARRAY:
      got = "an array";
      break;
    case element_type::OBJECT:
      got = "an object";
      break;
    case element_type::STRING:
      got = "a string";
      break;
    case element_type::BOOL:
      got = "a boolean";
      break;
    case element_type::NULL_VALUE:
      got = "null";
      break;
    default:
      got = "a number";
      break;
  }
  return invalid_argument("field \"" + std::string(field) + "\": expected " + std::string(want) +
                          ", got " + got);
}

Status get_string(element v, std::string_view field, std::string* out) {
  if (v.is_null()) return Status::ok();
  if (!v.is_string()) return type_error(field, "a string", v);
  out->assign(v.get_string().value_unsafe());
  return Status::ok();
}

// Scalars become their text; ids and tag values may be numbers in real logs.
Status get_scalar_text(element v, std::string_view field, std::string* out) {
  switch (v.type()) {
    case element_type::STRING:
      out->assign(v.get_string().value_unsafe());
      return Status::ok();
    case element_type::INT64:
      *out = std::to_string(v.get_int64().value_unsafe());
      return Status::ok();
    case element_type::UINT64:
      *out = std::to_string(v.get_uint64().value_unsafe());
      return Status::ok();
    case element_type::BOOL:
      *out = v.get_bool().value_unsafe() ? "true" : "false";
      return Status::ok();
    case element_type::NULL_VALUE:
      return Status::ok();
    default:
      return type_error(field, "a string", v);
  }
}

Status get_timestamp(element v, std::string_view field, UsageRecord* r) {
  if (v.is_null()) return Status::ok();
  if (v.is_string()) {
    auto t = parse_timestamp(v.get_string().value_unsafe());
    if (!t) return t.status().with_context("field \"" + std::string(field) + "\"");
    r->timestamp = *t;
    r->has_timestamp = true;
    return Status::ok();
  }
  if (v.is_number()) {
    // Epoch seconds, or milliseconds when the value is too large to be seconds (after 5138 AD).
    double d = v.is_int64()    ? static_cast<double>(v.get_int64().value_unsafe())
               : v.is_uint64() ? static_cast<double>(v.get_uint64().value_unsafe())
                               : v.get_double().value_unsafe();
    if (!std::isfinite(d) || d < 0)
      return type_error(field, "an RFC 3339 time or epoch seconds", v);
    if (d > 1e11) d /= 1000.0;
    // RFC 3339 writes four-digit years: a later time is no time (nor fits a timestamp).
    if (d >= 253402300800.0) {  // 10000-01-01T00:00:00Z
      return invalid_argument("field \"" + std::string(field) +
                              "\": " + std::string(simdjson::minify(v)) +
                              " is after the year 9999 as epoch seconds or milliseconds");
    }
    r->timestamp =
        Timestamp{std::chrono::microseconds{static_cast<int64_t>(std::llround(d * 1e6))}};
    r->has_timestamp = true;
    return Status::ok();
  }
  return type_error(field, "an RFC 3339 time or epoch seconds", v);
}

// `field` names the tags in errors ("tags", or the field read as tags). With `labels`, a string of
// a list without "=" is a label, the tag of its name set to "true" (as Langfuse tags traces).
Status get_tags(element v, UsageRecord* r, std::string_view field = "tags", bool labels = false) {
  if (v.is_null()) return Status::ok();
  auto add = [&](std::string k, std::string val) -> Status {
    if (k.empty()) return invalid_argument("field \"" + std::string(field) + "\": empty tag key");
    for (auto& [ek, ev] : r->tags)
      if (ek == k) {
        ev = std::move(val);
        return Status::ok();
      }
    r->tags.emplace_back(std::move(k), std::move(val));
    return Status::ok();
  };
  if (v.is_object()) {
    for (auto f : simdjson::dom::object(v.get_object().value_unsafe())) {
      std::string val;
      if (f.value.is_string()) {  // the common case, without building the field's name
        val = f.value.get_string().value_unsafe();
      } else {
        COSTOPS_RETURN_IF_ERROR(
            get_scalar_text(f.value, std::string(field) + "." + std::string(f.key), &val));
      }
      COSTOPS_RETURN_IF_ERROR(add(std::string(f.key), std::move(val)));
    }
    return Status::ok();
  }
  if (v.is_array()) {
    size_t i = 0;
    for (element e : simdjson::dom::array(v.get_array().value_unsafe())) {
      const std::string item = std::string(field) + "[" + std::to_string(i++) + "]";
      if (!e.is_string()) return type_error(item, "a \"key=value\" string", e);
      std::string_view s = e.get_string().value_unsafe();
      const auto eq = s.find('=');
      if (eq == std::string_view::npos && labels) {
        COSTOPS_RETURN_IF_ERROR(add(std::string(s), "true"));
        continue;
      }
      if (eq == std::string_view::npos)
        return invalid_argument("field \"" + item + "\": expected \"key=value\", got " +
                                quoted_excerpt(s));
      COSTOPS_RETURN_IF_ERROR(add(std::string(s.substr(0, eq)), std::string(s.substr(eq + 1))));
    }
    return Status::ok();
  }
  return type_error(field, "an object or a list of \"key=value\" strings", v);
}

// ": message" of an error object ({"message"} or {"error": {"message"}}), or "".
std::string error_text(std::optional<element> err) {
  if (!err) return "";
  for (const auto& holder : {err, member(*err, "error")}) {
    if (const auto m = holder ? member(*holder, "message") : std::nullopt; m && m->is_string())
      return ": " + std::string(m->get_string().value_unsafe());
  }
  return "";
}

// A line of a batch job's results, which holds a response body: OpenAI's Batch API output
// ({"custom_id", "response": {"status_code", "body"}}, Azure OpenAI's too) and Anthropic's Message
// Batches results ({"custom_id", "result": {"type": "succeeded", "message"}}), Google's: the
// Gemini API's batch mode ({"key", "response" | "error"}) and Vertex AI's batch prediction
// ({"request", "response", "status", "processed_time"}), whose responses are Gemini bodies of
// provider google. Sets *body to the body and marks the record a batch call (batch prices), with
// the body's id and time when the line gives none. A request that failed, expired or was
// canceled is not billed: an error that says so. Returns false when `doc` is not such a line.
Result<bool> batch_result(element doc, UsageRecord* r, element* body) {
  const auto custom_id = member(doc, "custom_id");
  const auto response = member(doc, "response");
  std::string_view id_key = "id", time_key = "created";  // in the body
  std::optional<element> time_holder;
  if (!custom_id || !custom_id->is_string()) {
    const auto key = member(doc, "key");
    const auto request = member(doc, "request");
    const auto status = member(doc, "status");
    const auto error = member(doc, "error");
    // The Gemini API's {"key", "response" | "error"}, Vertex AI's {"request", "status",
    // "processed_time", ...} (status "" when it succeeded): not a gateway's own lines of a
    // request and its response.
    const bool gemini = key && key->is_string() && (response || error);
    const bool vertex = request && request->is_object() && status && status->is_string() &&
                        member(doc, "processed_time");
    if (!gemini && !vertex) return false;
    std::string why;
    if (status && status->is_string() && !status->get_string().value_unsafe().empty()) {
      why = ": " + std::string(status->get_string().value_unsafe());  // Vertex AI's error
    } else if (!response || !response->is_object()) {
      why = error_text(error);
      if (why.empty()) why = ": no response";
    }
    if (!why.empty()) return invalid_argument("not billed: the batch request failed" + why);
    *body = *response;
    if (r->provider.empty()) r->provider = "google";
    id_key = "responseId";
    time_key = "processed_time";
    time_holder = doc;
  } else if (response) {  // OpenAI
    const auto status = member(*response, "status_code");
    const auto b = member(*response, "body");
    const int64_t code = status && status->is_int64() ? status->get_int64().value_unsafe() : 0;
    if (code != 200 || !b || !b->is_object()) {
      std::string why = error_text(member(doc, "error"));
      if (why.empty() && b) why = error_text(member(*b, "error"));
      return invalid_argument("not billed: the batch request failed" +
                              (code != 0 ? " (status " + std::to_string(code) + ")" : "") + why);
    }
    *body = *b;
  } else if (const auto result = member(doc, "result")) {  // Anthropic
    const auto type = member(*result, "type");
    const auto message = member(*result, "message");
    const std::string t =
        type && type->is_string() ? std::string(type->get_string().value_unsafe()) : "";
    if (t != "succeeded" || !message || !message->is_object()) {
      return invalid_argument("not billed: the batch request " +
                              (t.empty() ? "did not succeed" : t) +
                              error_text(member(*result, "error")));
    }
    *body = *message;
  } else {
    return false;
  }
  r->batch = true;
  if (r->id.empty()) {
    if (const auto id = member(*body, id_key); id && id->is_string())
      r->id = std::string(id->get_string().value_unsafe());
  }
  if (!r->has_timestamp) {
    const auto created = member(time_holder.value_or(*body), time_key);
    if (created && (created->is_number() || created->is_string())) {
      COSTOPS_RETURN_IF_ERROR(get_timestamp(
          *created, time_holder ? std::string(time_key) : "response.body." + std::string(time_key),
          r));
    }
  }
  return true;
}

// LiteLLM's spend logs keep the call's whole usage in metadata.usage_object, in OpenAI's shape
// (LiteLLM's Usage, whatever the provider): prompt_tokens include cache reads
// (prompt_tokens_details.cached_tokens, or cache_read_input_tokens) and writes
// (cache_creation_input_tokens, or prompt_tokens_details.cache_creation_tokens);
// completion_tokens include reasoning. Nullopt when the metadata holds none, or one without
// prompt_tokens (as LiteLLM's older rows have). A count of another type is an error naming it.
Result<std::optional<Usage>> litellm_usage_object(element metadata) {
  const auto object = member(metadata, "usage_object");
  if (!object || !object->is_object()) return std::optional<Usage>();
  const auto prompt = member(*object, "prompt_tokens");
  if (!prompt || !prompt->is_number()) return std::optional<Usage>();
  const auto in = member(*object, "prompt_tokens_details");
  const auto out = member(*object, "completion_tokens_details");
  struct Count {
    UnitId unit;
    const std::optional<element>* owner;
    const char* path;  // under metadata.usage_object
  };
  static constexpr std::string_view kWhere = "metadata.usage_object.";
  const Count counts[] = {
      {units::kInputTokens, &object, "prompt_tokens"},
      {units::kOutputTokens, &object, "completion_tokens"},
      {units::kCacheReadTokens, &in, "prompt_tokens_details.cached_tokens"},
      {units::kCacheReadTokens, &object, "cache_read_input_tokens"},
      {units::kCacheWriteTokens, &object, "cache_creation_input_tokens"},
      {units::kCacheWriteTokens, &in, "prompt_tokens_details.cache_creation_tokens"},
      {units::kInputAudioTokens, &in, "prompt_tokens_details.audio_tokens"},
      {units::kOutputAudioTokens, &out, "completion_tokens_details.audio_tokens"},
      {units::kOutputReasoningTokens, &out, "completion_tokens_details.reasoning_tokens"}};
  Usage u;
  for (const auto& c : counts) {
    const std::string_view path = c.path;
    const std::optional<element>& owner = *c.owner;
    if (!owner || owner->is_null() || u.get(c.unit) != 0) continue;  // the first given counts
    if (!owner->is_object()) {
      return invalid_argument("field \"" + std::string(kWhere) +
                              std::string(path.substr(0, path.find('.'))) +
                              "\": expected an object");
    }
    const auto v = member(*owner, path.substr(path.rfind('.') + 1));
    if (!v || v->is_null()) continue;
    auto n = engine::detail::token_count(*v, std::string(kWhere) + std::string(path));
    if (!n) return n.status();
    if (*n != 0 || c.unit == units::kInputTokens || c.unit == units::kOutputTokens)
      u.set(c.unit, *n);
  }
  return std::optional<Usage>(u);
}

// The unit a Langfuse usage type counts, told by the words of its name: Langfuse names its types
// freely ("input", "input_cached_tokens", "cache_read_input_tokens", "output_reasoning_tokens",
// "input_cache_creation_1h", ...) and counts a type whose name holds "input" as input, one holding
// "output" as output. A cache type ("cache_read", "cached", "cache_hit"; "cache_creation",
// "cache_write", "ephemeral", with "5m" or "1h") is input; "reasoning" or "thought" is output; a
// modality (text, audio, image, video) is its part. Nullopt for a type of neither direction.
std::optional<UnitId> observation_unit(std::string_view key) {
  std::string k(key);
  for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto has = [&](std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(),
                       [&](std::string_view w) { return k.find(w) != std::string::npos; });
  };
  auto at = [&](std::initializer_list<std::string_view> words) {
    size_t first = std::string::npos;
    for (std::string_view w : words) first = std::min(first, k.find(w));
    return first;
  };
  const bool read = has({"cache_read", "cached", "cache_hit", "cacheread"});
  const bool write = has({"cache_creation", "cache_write", "ephemeral", "cachewrite"});
  const bool reasoning = has({"reasoning", "thought", "thinking"});
  const size_t in = at({"input", "prompt"}), out = at({"output", "completion"});
  bool input = in < out;
  if (in == std::string::npos && out == std::string::npos) {
    if (!read && !write && !reasoning) return std::nullopt;
    input = !reasoning;
  }
  std::string modality;
  for (std::string_view m : {"audio", "image", "video", "text"})
    if (k.find(m) != std::string::npos) {
      modality = std::string(m) + "_";
      break;
    }
  std::string name;
  if (input && (read || write)) {
    name = "cache_" + modality + (read ? "read" : "write");
    if (write && k.find("1h") != std::string::npos) name += "_1h";
    if (write && k.find("5m") != std::string::npos) name += "_5m";
    name += "_tokens";
  } else {
    name = std::string(input ? "input_" : "output_") + modality +
           (!input && reasoning ? "reasoning_" : "") + "tokens";
  }
  if (const auto u = unit_by_usage_key(name)) return u;
  return input ? units::kInputTokens : units::kOutputTokens;
}

// A Langfuse observation, as its public API (GET /api/public/observations, v1 and v2) and its
// exports give them: {"id", "traceId", "type", "name", "startTime", "model" (v2:
// "providedModelName"), "usageDetails", "costDetails", "environment", "userId", "projectId",
// "promptName", "traceName", "tags", "metadata", ...}. Langfuse keeps its usage types apart:
// the details it flattens out of a provider's usage are taken off "input" and "output" (OpenAI's
// cached tokens become "input_cached_tokens" and leave "input"), and "total" is their sum. So
// input_tokens is the sum of every input type and output_tokens of every output type; each
// detail is also counted in the parts it belongs to. Usage given the other way, with "input" and
// "output" already holding their details (its "total" their sum alone), is read as given. Its
// costDetails' total, Langfuse's own price, is the logged cost (parse_doc). `details` is
// usageDetails (or usage_details, as a CSV header's usageDetails column is named); `dated`: the
// record gave its "timestamp".
Status langfuse_observation(element doc, element details, std::string_view details_key, bool dated,
                            UsageRecord* r) {
  auto text = [&](std::initializer_list<std::string_view> keys, std::string* out) -> Status {
    for (std::string_view k : keys)
      if (const auto v = member(doc, k); v && !v->is_null() && out->empty())
        COSTOPS_RETURN_IF_ERROR(get_scalar_text(*v, k, out));
    return Status::ok();
  };
  COSTOPS_RETURN_IF_ERROR(text({"providedModelName", "provided_model_name"}, &r->model));
  // The call's start is its time (v2 also gives createdAt, when Langfuse stored it).
  for (std::string_view k : {"startTime", "start_time"})
    if (const auto v = member(doc, k); v && !v->is_null() && !dated)
      COSTOPS_RETURN_IF_ERROR(get_timestamp(*v, k, r));
  COSTOPS_RETURN_IF_ERROR(text({"userId"}, &r->user_id));
  COSTOPS_RETURN_IF_ERROR(text({"projectId"}, &r->project_id));
  // Its names as tags, unless its tags name them: environment, name, trace_name, prompt_name.
  static constexpr std::pair<std::string_view, std::string_view> kTags[] = {
      {"environment", "environment"}, {"name", "name"},
      {"traceName", "trace_name"},    {"trace_name", "trace_name"},
      {"promptName", "prompt_name"},  {"prompt_name", "prompt_name"}};
  for (const auto& [field, tag] : kTags) {
    const auto v = member(doc, field);
    if (!v || v->is_null()) continue;
    std::string value;
    COSTOPS_RETURN_IF_ERROR(get_scalar_text(*v, field, &value));
    if (!value.empty()) r->tag_if_absent(tag, value);
  }
  std::string type;
  if (const auto t = member(doc, "type"); t && t->is_string())
    type = t->get_string().value_unsafe();
  const std::string where(details_key);
  if (!details.is_null() && !details.is_object()) return type_error(where, "an object", details);
  Usage& u = r->usage;
  int64_t total = -1, sum = 0;
  int64_t base_input = 0, base_output = 0;  // "input" and "output" themselves
  bool any = false;
  if (details.is_object()) {
    for (auto f : simdjson::dom::object(details.get_object().value_unsafe())) {
      if (f.value.is_null()) continue;
      const std::string field = where + "." + std::string(f.key);
      auto n = engine::detail::token_count(f.value, field);
      if (!n) return n.status();
      const auto unit = observation_unit(f.key);
      if (!unit) {
        if (f.key.size() >= 5 && strncasecmp(f.key.data(), "total", 5) == 0) {
          total = *n;
          continue;
        }
        return invalid_argument("field \"" + field +
                                "\": a usage type of neither input nor output (Langfuse counts a "
                                "type whose name holds \"input\" or \"output\" as one); its "
                                "units cannot be priced");
      }
      any = true;
      if (__builtin_add_overflow(sum, *n, &sum))
        return invalid_argument("field \"" + where + "\": the counts overflow");
      if (*unit == units::kInputTokens) base_input += *n;
      if (*unit == units::kOutputTokens) base_output += *n;
      if (!u.add(*unit, *n))
        return invalid_argument("field \"" + field + "\": the counts overflow");
      for (uint64_t m = kAncestorMasks[*unit]; m != 0; m &= m - 1)
        if (!u.add(static_cast<UnitId>(std::countr_zero(m)), *n))
          return invalid_argument("field \"" + field + "\": the counts overflow");
    }
  }
  // Older observations may have only Langfuse's summary: "usage", input and output in tokens.
  const auto summary = details.is_object() ? std::nullopt : member(doc, "usage");
  if (!any && summary && summary->is_object()) {
    const auto unit = member(*summary, "unit");
    if (!unit || unit->is_null() ||
        (unit->is_string() && unit->get_string().value_unsafe() == std::string_view("TOKENS"))) {
      for (const auto& [key, id] :
           {std::pair{"input", units::kInputTokens}, std::pair{"output", units::kOutputTokens}}) {
        const auto v = member(*summary, key);
        if (!v || v->is_null()) continue;
        auto n = engine::detail::token_count(*v, std::string("usage.") + key);
        if (!n) return n.status();
        u.set(id, *n);
        any = true;
      }
    }
  }
  if (!any) {
    if (r->model.empty())
      return invalid_argument("not billed: a Langfuse " + (type.empty() ? "" : type + " ") +
                              "observation without a model or usage, not a model call");
    return invalid_argument("field \"" + where +
                            "\": no usage (Langfuse recorded no token counts for this call)");
  }
  // Details given inside "input" and "output": their total is the two alone. (Each base is at
  // most the sum, which did not overflow.)
  if (const int64_t base = base_input + base_output; total >= 0 && total == base && base != sum) {
    u.set(units::kInputTokens, base_input);
    u.set(units::kOutputTokens, base_output);
  }
  return Status::ok();
}

// A line of Amazon Bedrock's model invocation logs (CloudWatch Logs, or S3 delivery as JSON Lines):
// {"schemaType": "ModelInvocationLog", "timestamp", "accountId", "identity": {"arn"}, "requestId",
// "modelId", "input": {"inputTokenCount", "cacheReadInputTokenCount", "cacheWriteInputTokenCount"},
// "output": {"outputTokenCount"}, "errorCode", "requestMetadata"}. Bedrock counts input without
// the cache reads and writes (as its Converse usage does). The model is modelId (an inference
// profile's or a foundation model's ARN: the id after its last '/'); the account is the
// organization, the caller's ARN the user, requestMetadata (Converse's cost-allocation pairs) the
// tags, unless the record names them. False when `doc` is no such line.
Result<bool> bedrock_invocation(element doc, UsageRecord* r) {
  const auto schema = member(doc, "schemaType");
  if (!schema || !schema->is_string() ||
      schema->get_string().value_unsafe() != std::string_view("ModelInvocationLog"))
    return false;
  if (r->model.empty()) {
    const auto model = member(doc, "modelId");
    if (!model || model->is_null()) return invalid_argument("field \"modelId\": missing");
    COSTOPS_RETURN_IF_ERROR(get_string(*model, "modelId", &r->model));
    if (r->model.starts_with("arn:")) r->model.erase(0, r->model.rfind('/') + 1);
  }
  if (r->provider.empty()) r->provider = "aws";
  if (r->organization_id.empty()) {
    if (const auto account = member(doc, "accountId"))
      COSTOPS_RETURN_IF_ERROR(get_scalar_text(*account, "accountId", &r->organization_id));
  }
  if (r->user_id.empty()) {
    const auto identity = member(doc, "identity");
    if (const auto arn = identity ? member(*identity, "arn") : std::nullopt)
      COSTOPS_RETURN_IF_ERROR(get_string(*arn, "identity.arn", &r->user_id));
  }
  if (r->tags.empty()) {
    if (const auto pairs = member(doc, "requestMetadata"); pairs && pairs->is_object())
      COSTOPS_RETURN_IF_ERROR(get_tags(*pairs, r, "requestMetadata"));
  }
  // input.{inputTokenCount, cacheReadInputTokenCount, cacheWriteInputTokenCount} and
  // output.outputTokenCount, in kUnits' order.
  static constexpr std::pair<const char*, std::array<const char*, 3>> kParts[] = {
      {"input", {"inputTokenCount", "cacheReadInputTokenCount", "cacheWriteInputTokenCount"}},
      {"output", {"outputTokenCount", nullptr, nullptr}}};
  static constexpr UnitId kUnits[] = {units::kInputTokens, units::kCacheReadTokens,
                                      units::kCacheWriteTokens, units::kOutputTokens};
  int64_t counts[4] = {};
  bool given[4] = {};
  size_t i = 0;
  for (const auto& [name, keys] : kParts) {
    const auto part = member(doc, name);
    if (part && !part->is_null() && !part->is_object()) return type_error(name, "an object", *part);
    for (const char* key : keys) {
      if (key == nullptr) break;
      const auto v = part ? member(*part, key) : std::nullopt;
      if (v && !v->is_null()) {
        auto count = engine::detail::token_count(*v, std::string(name) + "." + key);
        if (!count) return count.status();
        counts[i] = *count;
        given[i] = true;
      }
      ++i;
    }
  }
  if (!given[0] && !given[3]) {
    // A failed invocation (throttled, invalid) logs its error and no counts: not billed.
    if (const auto error = member(doc, "errorCode"); error && error->is_string())
      return invalid_argument("not billed: the invocation failed (" +
                              std::string(error->get_string().value_unsafe()) + ")");
    return invalid_argument(
        "field \"input.inputTokenCount\": missing (an image or video invocation? cost-ops prices "
        "token counts)");
  }
  for (size_t u = 1; u < 4; ++u) {
    if (given[u]) r->usage.set(kUnits[u], counts[u]);
  }
  int64_t input = 0;  // Bedrock's input count leaves out the cache reads and writes
  for (size_t u = 0; u < 3; ++u) {
    if (__builtin_add_overflow(input, counts[u], &input))
      return invalid_argument("field \"input.inputTokenCount\": the input counts overflow");
  }
  r->usage.set(units::kInputTokens, input);
  return true;
}

// The index of the alias named `k` in `table` (N when none is).
template <size_t N>
size_t alias_index(const FieldAlias (&table)[N], std::string_view k) {
  return static_cast<size_t>(std::find_if(std::begin(table), std::end(table),
                                          [&](const FieldAlias& a) { return a.name == k; }) -
                             std::begin(table));
}

// Fills each of `slots` (the fields table's aliases name) that is empty with the alias's value,
// when the record has one.
template <size_t N>
Status take_aliases(const FieldAlias (&table)[N], const element (&values)[N], const bool (&has)[N],
                    std::string* const (&slots)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (!slots[i]->empty() || !has[i]) continue;
    COSTOPS_RETURN_IF_ERROR(get_scalar_text(values[i], table[i].name, slots[i]));
  }
  return Status::ok();
}

// The service tier a provider's response reports, for a record that names none: a body's
// "service_tier" (OpenAI's "default", "flex", "priority") or its usage's (Anthropic's "standard",
// "priority", "batch"). Other shapes are the provider's business, not an error.
void take_reported_tier(std::optional<element> body, std::optional<element> usage, UsageRecord* r) {
  if (!r->service_tier.empty() || r->batch) return;
  for (const auto& holder : {body, usage}) {
    if (!holder || !holder->is_object()) continue;
    if (const auto t = member(*holder, "service_tier"); t && t->is_string()) {
      r->service_tier = std::string(t->get_string().value_unsafe());
      return;
    }
  }
}

// `v` as a logged cost: a number or numeric text, else nullopt (text that is no number is quoted
// in *unread). Null and other shapes are not read: the logged cost is only compared, and the
// record is priced without it. A float's digits past 24 decimal places (a value below 10^-12 in
// exponent form) are rounded.
std::optional<Decimal> logged_cost_of(element v, std::string* unread) {
  if (v.is_string()) {
    const std::string_view text = v.get_string().value_unsafe();
    if (auto d = Decimal::parse(text)) return *d;
    if (!text.empty()) *unread = quoted_excerpt(text, 40);
    return std::nullopt;
  }
  if (v.is_int64()) return Decimal::from_int(v.get_int64().value_unsafe());
  if (!v.is_double()) return std::nullopt;
  // The float's shortest text, which reads back as the same float: what the gateway wrote.
  const double d = v.get_double().value_unsafe();
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return std::nullopt;
  if (auto e = Decimal::parse(std::string_view(buf, static_cast<size_t>(end - buf)))) return *e;
  if (auto f = Decimal::from_double(d)) return *f;
  return std::nullopt;
}

// Sets the record's logged cost from `v` (see logged_cost_of), unless it has one; text that is no
// number is kept in unread_logged_cost, to be said in the price's warnings.
void take_logged_cost(element v, UsageRecord* r) {
  if (r->logged_cost) return;
  std::string unread;
  r->logged_cost = logged_cost_of(v, &unread);
  if (!unread.empty() && r->unread_logged_cost.empty()) r->unread_logged_cost = std::move(unread);
}

// Member `key` of `doc` as a token count (read as usage counts are): nullopt when it is absent or
// null; an error names the field.
Result<std::optional<int64_t>> count_member(element doc, const char* key) {
  const auto v = member(doc, key);
  if (!v || v->is_null()) return std::optional<int64_t>();
  auto count = engine::detail::token_count(*v, key);
  if (!count) return count.status();
  return std::optional<int64_t>(*count);
}

// Whether `v` is a string that is `word` in any case ("USD", "True").
bool text_is(element v, std::string_view word) {
  if (!v.is_string()) return false;
  const std::string_view t = v.get_string().value_unsafe();
  return t.size() == word.size() && strncasecmp(t.data(), word.data(), t.size()) == 0;
}

// Whether member `key` of `obj` is the JSON boolean `value` (a flag a provider or gateway sets).
bool flag_is(element obj, std::string_view key, bool value) {
  const auto v = member(obj, key);
  return v && v->is_bool() && v->get_bool().value_unsafe() == value;
}

// A usage object's "cost", what the service charged: OpenRouter's, a number; Perplexity's, an
// object whose total_cost is the sum, in its currency (read when USD). A call OpenRouter routed
// with the caller's own provider key ("is_byok": true) is billed by the provider, and its cost is
// OpenRouter's fee alone: the call's cost is then cost_details.upstream_inference_cost.
void take_usage_cost(element usage, UsageRecord* r) {
  if (flag_is(usage, "is_byok", true)) {
    const auto details = member(usage, "cost_details");
    if (const auto upstream = details ? member(*details, "upstream_inference_cost") : std::nullopt)
      take_logged_cost(*upstream, r);
    return;
  }
  const auto cost = member(usage, "cost");
  if (!cost || !cost->is_object()) {
    if (cost) take_logged_cost(*cost, r);
    return;
  }
  if (const auto currency = member(*cost, "currency"); currency && !text_is(*currency, "usd"))
    return;
  if (const auto total = member(*cost, "total_cost")) take_logged_cost(*total, r);
}

// Langfuse's costDetails: its "total" is the observation's cost.
void take_cost_details(element v, UsageRecord* r) {
  if (const auto total = member(v, "total")) take_logged_cost(*total, r);
}

// A gateway's name for the record's provider as the catalog's: `names` maps the gateway's own
// names to catalog ids; a name the catalog does not know (a gateway or host such as
// Helicone's LOCAL or Cloudflare's workers-ai, mapped to "") is cleared, leaving the model to name
// the provider.
using ProviderNames = std::initializer_list<std::pair<std::string_view, std::string_view>>;
void gateway_provider(engine::Normalizer& n, ProviderNames names, UsageRecord* r) {
  for (const auto& [name, id] : names) {
    if (r->provider == name) {
      r->provider = id;
      break;
    }
  }
  if (!r->provider.empty() && n.catalog().find_provider(r->provider) == nullptr)
    r->provider.clear();
}

// A log of Cloudflare's AI Gateway, as its API lists them (GET .../ai-gateway/gateways/{id}/logs:
// {"result": [...], "result_info"}, or one per line): {"id", "created_at", "provider", "model",
// "tokens_in", "tokens_out", "cost", "cached", "success", "status_code", "metadata", ...}.
// tokens_in is the request's input as the provider counted it (Cloudflare logs no cache counts:
// all of it is priced at the input rate), tokens_out its output; cost is the logged cost. A
// response the gateway served from its cache ("cached": true), and a request that failed without
// counts, were not billed. Cloudflare's provider names find the catalog's (azure-openai,
// aws-bedrock, google-ai-studio, google-vertex-ai, perplexity-ai, grok); one the catalog does not
// know (workers-ai) leaves the model to name it. Custom metadata are tags (as an object; the text
// the REST API gives is not read).
Status cloudflare_log(engine::Normalizer& n, element doc, UsageRecord* r) {
  if (flag_is(doc, "cached", true)) {
    return invalid_argument(
        "not billed: served from the gateway's cache (cached), no call to the provider");
  }
  gateway_provider(n,
                   {{"azure-openai", "azure"},
                    {"aws-bedrock", "aws"},
                    {"google-ai-studio", "google"},
                    {"google-vertex-ai", "google"},
                    {"perplexity-ai", "perplexity"},
                    {"grok", "x-ai"},
                    {"workers-ai", ""}},
                   r);
  if (r->tags.empty()) {
    if (const auto meta = member(doc, "metadata"); meta && meta->is_object())
      COSTOPS_RETURN_IF_ERROR(get_tags(*meta, r, "metadata"));
  }
  if (const auto cost = member(doc, "cost")) take_logged_cost(*cost, r);
  bool any = false;
  for (const auto& [key, unit] : {std::pair{"tokens_in", units::kInputTokens},
                                  std::pair{"tokens_out", units::kOutputTokens}}) {
    auto count = count_member(doc, key);
    if (!count) return count.status();
    if (!*count) continue;
    r->usage.set(unit, **count);
    any = true;
  }
  if ((!any ||
       (r->usage.get(units::kInputTokens) == 0 && r->usage.get(units::kOutputTokens) == 0)) &&
      flag_is(doc, "success", false)) {
    return invalid_argument("not billed: the request failed (success false) and counts no tokens");
  }
  if (!any) return invalid_argument("field \"tokens_in\": missing");
  return Status::ok();
}

// OpenRouter's provider_name, who served the call, as the tag "upstream".
void tag_upstream(element doc, UsageRecord* r) {
  const auto up = member(doc, "provider_name");
  if (up && up->is_string() && !up->get_string().value_unsafe().empty())
    r->tag_if_absent("upstream", up->get_string().value_unsafe());
}

// A generation as OpenRouter's API gives it (GET /api/v1/generation?id=...: {"data": {...}},
// parse_doc reading the object under "data"): {"id", "created_at", "model", "provider_name",
// "total_cost", "upstream_inference_cost", "usage" (the cost again, a number), "tokens_prompt" and
// "tokens_completion" (counted by one tokenizer for every model, for display),
// "native_tokens_prompt", "native_tokens_completion", "native_tokens_reasoning",
// "native_tokens_cached" (counted by the model's own tokenizer, as the call was billed),
// "external_user", "is_byok", "cancelled", ...}. The record is OpenRouter's call (its provider
// openrouter, unless the record names one), its usage the native counts: the prompt with its
// cached part, the completion with its reasoning part (OpenRouter bills reasoning as completion).
// The logged cost is total_cost, or for a call billed to the caller's own provider key (is_byok)
// upstream_inference_cost, as take_usage_cost reads a response's; the user is external_user; the
// tags are upstream (provider_name, who served it) and byok. The record's own fields win.
Status openrouter_generation(element doc, UsageRecord* r) {
  if (r->provider.empty()) r->provider = "openrouter";
  if (r->user_id.empty()) {
    const auto user = member(doc, "external_user");
    if (user && !user->is_null())
      COSTOPS_RETURN_IF_ERROR(get_scalar_text(*user, "external_user", &r->user_id));
  }
  const bool byok = flag_is(doc, "is_byok", true);
  if (const auto cost = member(doc, byok ? "upstream_inference_cost" : "total_cost"))
    take_logged_cost(*cost, r);
  tag_upstream(doc, r);
  if (byok) r->tag_if_absent("byok", "true");
  int64_t counts[4] = {};  // prompt, cached, completion, reasoning
  static constexpr const char* kKeys[] = {"native_tokens_prompt", "native_tokens_cached",
                                          "native_tokens_completion", "native_tokens_reasoning"};
  for (size_t i = 0; i < 4; ++i) {
    auto count = count_member(doc, kKeys[i]);
    if (!count) return count.status();
    if (!*count && i == 0) {
      return invalid_argument(
          "field \"native_tokens_prompt\": missing (an OpenRouter generation without the counts "
          "it was billed by)");
    }
    counts[i] = count->value_or(0);
  }
  for (const auto& [part, whole] : {std::pair{1, 0}, std::pair{3, 2}}) {
    if (counts[part] > counts[whole]) {
      return invalid_argument(std::string("field \"") + kKeys[part] + "\": " +
                              std::to_string(counts[part]) + " is more than " + kKeys[whole] +
                              ", " + std::to_string(counts[whole]) + ", of which it is a part");
    }
  }
  r->usage.set(units::kInputTokens, counts[0]);
  if (counts[1] > 0) r->usage.set(units::kCacheReadTokens, counts[1]);
  r->usage.set(units::kOutputTokens, counts[2]);
  if (counts[3] > 0) r->usage.set(units::kOutputReasoningTokens, counts[3]);
  return Status::ok();
}

// A row of OpenRouter's activity (GET /api/v1/activity, with a management key: {"data": [...]},
// the last 30 completed UTC days by day and endpoint): {"date", "model", "model_permaslug",
// "endpoint_id", "provider_name", "usage" (USD of credits spent), "byok_usage_inference" (USD of
// calls billed to the caller's own provider keys), "requests", "prompt_tokens",
// "completion_tokens", "reasoning_tokens"}. A record of the day's summed requests, as a provider's
// usage report row is (priced at the long-context tier of its mean request): provider openrouter
// (unless named), time the date's start, id from the date, endpoint and model (so that a fetch
// read again stores nothing new), input prompt_tokens, output completion_tokens with its
// reasoning part (left out where the row counts more reasoning than completion), tag upstream
// (provider_name); the logged cost is usage plus byok_usage_inference. The row counts no cached
// tokens: all of the input is priced at the input rate.
Status openrouter_activity(element doc, UsageRecord* r) {
  // The dashboard's export of the activity has a row per generation, with byok_usage_inference
  // too, and no requests; which tokenizer counted its tokens is not documented.
  if (member(doc, "generation_id") && !member(doc, "requests"))
    return invalid_argument(std::string(kOpenRouterExportNotRead));
  if (r->provider.empty()) r->provider = "openrouter";
  if (!r->has_timestamp) {
    const auto date = member(doc, "date");
    if (!date)
      return invalid_argument("field \"date\": missing (an OpenRouter activity row's day)");
    COSTOPS_RETURN_IF_ERROR(get_timestamp(*date, "date", r));
  }
  if (r->id.empty()) {
    r->id = "openrouter-activity";
    for (const char* key : {"date", "endpoint_id", "model_permaslug", "model"}) {
      std::string part;
      if (const auto v = member(doc, key); v && !v->is_null())
        COSTOPS_RETURN_IF_ERROR(get_scalar_text(*v, key, &part));
      r->id.append(1, ':').append(part);
    }
  }
  tag_upstream(doc, r);
  int64_t counts[4] = {};  // prompt, completion, reasoning, requests
  static constexpr const char* kKeys[] = {"prompt_tokens", "completion_tokens", "reasoning_tokens",
                                          "requests"};
  for (size_t i = 0; i < 4; ++i) {
    auto count = count_member(doc, kKeys[i]);
    if (!count) return count.status();
    if (!*count && i == 3)
      return invalid_argument("field \"requests\": missing (an OpenRouter activity row)");
    counts[i] = count->value_or(0);
  }
  r->usage.set(units::kInputTokens, counts[0]);
  r->usage.set(units::kOutputTokens, counts[1]);
  if (counts[2] > 0 && counts[2] <= counts[1])
    r->usage.set(units::kOutputReasoningTokens, counts[2]);
  r->usage.set(units::kRequests, counts[3]);
  // The logged cost: the credits spent and what the provider keys were billed.
  if (r->logged_cost) return Status::ok();
  for (const char* key : {"usage", "byok_usage_inference"}) {
    const auto v = member(doc, key);
    std::string unread;  // (not said: a part of the cost)
    const auto cost = v ? logged_cost_of(*v, &unread) : std::nullopt;
    if (!cost) continue;
    if (!r->logged_cost) r->logged_cost = Decimal();
    if (!Decimal::add_checked(*r->logged_cost, *cost, &*r->logged_cost))
      return invalid_argument(std::string("field \"") + key + "\": the costs overflow");
  }
  return Status::ok();
}

// The keys of a record that parse_doc reads.
enum class Key : uint8_t {
  kNone,
  kProvider,
  kModel,
  kUsage,
  kBody,
  kTimestamp,
  kOtherTime,  // is_timestamp_alias
  kId,
  kApiFlavor,
  kServiceTier,
  kBatch,
  kTierInputTokens,
  kOrganizationId,
  kProjectId,
  kUserId,
  kTags,
  kUsageDetails,  // a Langfuse observation's
  kMetadata,
  kSource,
  kRequestId,
  kLoggedCost,   // a gateway's or tracer's own price of the call
  kCostDetails,  // Langfuse's
  kData,
  kHeliconeUser,
  kRequestCreatedAt,
  kHeliconeCacheCount,
  kCacheHit,      // LiteLLM's: served from its response cache
  kTokensInOut,   // Cloudflare AI Gateway's tokens_in, tokens_out
  kNativeCounts,  // an OpenRouter generation's native_tokens_prompt
  kByokUsage,     // an OpenRouter activity row's byok_usage_inference
  kGateway,       // kGatewayFields
  kDimension,     // kDimensionFields
  kWholeLine,     // a key of a provider's line that is read whole
};

struct KeyName {
  std::string_view name;
  Key key;
};

// The keys parse_doc reads, sorted by length, and the index of the first of each length: most of
// a gateway line's keys are none of them, told so by their length or a compare or two.
constexpr size_t kMaxKeyLength = 32;
constexpr auto kKeysByLength = [] {
  auto names = std::to_array<KeyName>({
      {"provider", Key::kProvider},
      {"provider_id", Key::kProvider},
      {"model", Key::kModel},
      {"usage", Key::kUsage},
      {"body", Key::kBody},
      {"timestamp", Key::kTimestamp},
      {"created_at", Key::kOtherTime},
      {"createdAt", Key::kOtherTime},
      {"start_time", Key::kOtherTime},
      {"startTime", Key::kOtherTime},
      {"created", Key::kOtherTime},
      {"id", Key::kId},
      {"api_flavor", Key::kApiFlavor},
      {"service_tier", Key::kServiceTier},
      {"batch", Key::kBatch},
      {"tier_input_tokens", Key::kTierInputTokens},
      {"organization_id", Key::kOrganizationId},
      {"project_id", Key::kProjectId},
      {"user_id", Key::kUserId},
      {"tags", Key::kTags},
      {"usageDetails", Key::kUsageDetails},
      {"usage_details", Key::kUsageDetails},
      {"metadata", Key::kMetadata},
      {"source", Key::kSource},
      {"request_id", Key::kRequestId},
      {"requestId", Key::kRequestId},
      // The keys under which gateways and tracers log what they priced a call at, in USD:
      // LiteLLM's spend logs ("spend") and its standard logging payload ("response_cost"),
      // Langfuse's observations before costDetails ("calculatedTotalCost"; its CSV export's
      // calculated_total_cost), and "cost_usd" (Claude Code's events). Langfuse's
      // costDetails.total, OpenRouter's usage.cost and Helicone's costUSD are read where they are.
      {"spend", Key::kLoggedCost},
      {"response_cost", Key::kLoggedCost},
      {"cost_usd", Key::kLoggedCost},
      {"calculatedTotalCost", Key::kLoggedCost},
      {"calculated_total_cost", Key::kLoggedCost},
      {"costDetails", Key::kCostDetails},
      {"cost_details", Key::kCostDetails},
      {"data", Key::kData},
      {"helicone_user", Key::kHeliconeUser},
      {"request_created_at", Key::kRequestCreatedAt},
      {"prompt_cache_read_tokens", Key::kHeliconeCacheCount},
      {"prompt_cache_write_tokens", Key::kHeliconeCacheCount},
      {"cache_hit", Key::kCacheHit},
      {"tokens_in", Key::kTokensInOut},
      {"tokens_out", Key::kTokensInOut},
      {"native_tokens_prompt", Key::kNativeCounts},
      {"byok_usage_inference", Key::kByokUsage},
      {kGatewayFields[0].name, Key::kGateway},
      {kGatewayFields[1].name, Key::kGateway},
      {kDimensionFields[0].name, Key::kDimension},
      {kDimensionFields[1].name, Key::kDimension},
      {kDimensionFields[2].name, Key::kDimension},
      {"custom_id", Key::kWholeLine},
      {"key", Key::kWholeLine},
      {"request", Key::kWholeLine},
      {"response", Key::kWholeLine},
      {"schemaType", Key::kWholeLine},
  });
  std::sort(names.begin(), names.end(),
            [](const KeyName& a, const KeyName& b) { return a.name.size() < b.name.size(); });
  std::array<uint8_t, kMaxKeyLength + 2> first{};  // first[n]: the first name of length n or more
  size_t i = 0;
  for (size_t n = 0; n <= kMaxKeyLength + 1; ++n) {
    while (i < names.size() && names[i].name.size() < n) ++i;
    first[n] = static_cast<uint8_t>(i);
  }
  return std::pair{names, first};
}();
static_assert(std::size(kGatewayFields) == 2 && std::size(kDimensionFields) == 3,
              "kKeysByLength names each alias");
static_assert(kKeysByLength.first.back().name.size() <= kMaxKeyLength);

Key key_of(std::string_view k) {
  if (k.size() > kMaxKeyLength) return Key::kNone;
  const auto& [names, first] = kKeysByLength;
  for (size_t i = first[k.size()]; i < first[k.size() + 1]; ++i) {
    // Byte by byte: a key is short, and most differ in their first bytes (a call to memcmp for
    // each cost more than the whole compare).
    const char* name = names[i].name.data();
    size_t j = 0;
    while (j < k.size() && name[j] == k[j]) ++j;
    if (j == k.size()) return names[i].key;
  }
  return Key::kNone;
}

// A request as Helicone's API gives it (POST /v1/request/query, its HeliconeRequest):
// {"request_id", "request_created_at", "provider" ("OPENAI", "ANTHROPIC", "AWS", "X", ...),
// "model", "prompt_tokens", "prompt_cache_write_tokens", "prompt_cache_read_tokens",
// "prompt_audio_tokens", "completion_tokens", "completion_audio_tokens", "reasoning_tokens",
// "costUSD", "request_user_id", "properties", "response_status", ...}. Helicone keeps its counts
// apart, as its cost calculation adds them up: prompt_tokens are the input tokens neither cached,
// written to the cache nor audio, and completion_tokens the output but audio, reasoning included.
// The time is request_created_at, the user request_user_id, the tags its custom properties; a
// provider the catalog does not know (a gateway or host: LOCAL, CLOUDFLARE, HELICONE) leaves the
// model to name it. The record's own fields win.
Status helicone_request(engine::Normalizer& n, element doc, UsageRecord* r) {
  gateway_provider(n, {{"X", "x-ai"}, {"x", "x-ai"}}, r);
  for (const char* key : {"response_model", "request_model"}) {
    const auto v = r->model.empty() ? member(doc, key) : std::nullopt;
    if (v) COSTOPS_RETURN_IF_ERROR(get_string(*v, key, &r->model));
  }
  if (!r->has_timestamp) {
    if (const auto t = member(doc, "request_created_at"))
      COSTOPS_RETURN_IF_ERROR(get_timestamp(*t, "request_created_at", r));
  }
  if (r->user_id.empty()) {
    if (const auto user = member(doc, "request_user_id"))
      COSTOPS_RETURN_IF_ERROR(get_scalar_text(*user, "request_user_id", &r->user_id));
  }
  if (r->tags.empty()) {
    for (const char* key : {"properties", "request_properties"}) {
      const auto props = member(doc, key);
      if (props && props->is_object() && r->tags.empty())
        COSTOPS_RETURN_IF_ERROR(get_tags(*props, r, key));
    }
  }
  if (const auto cost = member(doc, "costUSD")) take_logged_cost(*cost, r);
  // Its counts, in kParts' order: the input's parts, then the output's.
  static constexpr std::pair<const char*, UnitId> kParts[] = {
      {"prompt_tokens", units::kInputTokens},
      {"prompt_cache_write_tokens", units::kCacheWriteTokens},
      {"prompt_cache_read_tokens", units::kCacheReadTokens},
      {"prompt_audio_tokens", units::kInputAudioTokens},
      {"completion_tokens", units::kOutputTokens},
      {"completion_audio_tokens", units::kOutputAudioTokens},
      {"reasoning_tokens", units::kOutputReasoningTokens}};
  int64_t input = 0, output = 0;
  bool any = false;
  for (size_t i = 0; i < std::size(kParts); ++i) {
    const auto& [key, unit] = kParts[i];
    auto count = count_member(doc, key);
    if (!count) return count.status();
    if (!*count) continue;
    any = true;
    if (unit != units::kInputTokens && unit != units::kOutputTokens) r->usage.set(unit, **count);
    if (unit == units::kOutputReasoningTokens) continue;  // within completion_tokens
    int64_t& whole = i < 4 ? input : output;
    if (__builtin_add_overflow(whole, **count, &whole))
      return invalid_argument(std::string("field \"") + key + "\": the counts overflow");
  }
  if (!any) {
    // A request that failed (or was cancelled) logs its status and no counts: not billed.
    const auto status = member(doc, "response_status");
    if (status && status->is_number() &&
        !(status->is_int64() && status->get_int64().value_unsafe() >= 200 &&
          status->get_int64().value_unsafe() < 300)) {
      return invalid_argument("not billed: the request failed (response_status " +
                              simdjson::minify(*status) + ") and counts no tokens");
    }
    return invalid_argument(
        "field \"prompt_tokens\": missing (a Helicone request without its "
        "token counts)");
  }
  r->usage.set(units::kInputTokens, input);
  r->usage.set(units::kOutputTokens, output);
  return Status::ok();
}

// `unwrapped`: `doc` is the object an API's response held under "data" (read once, not again).
Status parse_doc(engine::Normalizer& n, element doc, UsageRecord* out, bool unwrapped = false) {
  if (!doc.is_object()) return type_error("(record)", "a JSON object", doc);
  out->clear();
  UsageRecord& r = *out;
  element usage, body, other_time, request_id, metadata, tags, details;
  bool has_usage = false, has_body = false, has_request_id = false, has_data_list = false;
  bool has_metadata = false, has_tags = false;
  std::string_view details_key;  // a Langfuse observation's usageDetails (read with its tags)
  // A Helicone request: its helicone_user, or its cache counts beside its request_created_at.
  bool helicone_user = false, helicone_counts = false, request_created = false;
  bool cache_hit = false;      // a gateway's line of a response it served from its own cache
  bool tokens_in_out = false;  // a Cloudflare AI Gateway log's counts
  bool native_counts = false;  // an OpenRouter generation's
  bool byok_usage = false;     // an OpenRouter activity row's
  element data;                // an object under "data": the record, as an API wraps it
  bool has_data_object = false;
  bool other_metadata = false;  // "metadata" that is no object
  bool whole_line = false;      // has a key of a provider's line that is read whole
  std::string_view other_time_key, request_id_key;
  // A gateway log line's provider and team (kGatewayFields), read with its counts; the
  // dimensions' other names (kDimensionFields).
  constexpr size_t kGateways = std::size(kGatewayFields);
  element gateway[kGateways];
  bool has_gateway[kGateways] = {};
  constexpr size_t kDimensions = std::size(kDimensionFields);
  element dimension[kDimensions];
  bool has_dimension[kDimensions] = {};
  for (auto f : simdjson::dom::object(doc.get_object().value_unsafe())) {
    const std::string_view k = f.key;
    Status st;
    switch (key_of(k)) {
      case Key::kNone:
        break;
      case Key::kProvider:
        st = get_string(f.value, k, &r.provider);
        break;
      case Key::kModel:
        st = get_string(f.value, k, &r.model);
        break;
      case Key::kUsage:
        usage = f.value;
        has_usage = !f.value.is_null();
        break;
      case Key::kBody:
        body = f.value;
        has_body = !f.value.is_null();
        break;
      case Key::kTimestamp:
        st = get_timestamp(f.value, k, &r);
        break;
      case Key::kOtherTime:
        other_time = f.value;
        other_time_key = k;
        break;
      case Key::kId:
        st = get_scalar_text(f.value, k, &r.id);
        break;
      case Key::kApiFlavor:
        st = get_string(f.value, k, &r.api_flavor);
        break;
      case Key::kServiceTier:
        st = get_string(f.value, k, &r.service_tier);
        break;
      case Key::kBatch:
        if (f.value.is_bool()) {
          r.batch = f.value.get_bool().value_unsafe();
        } else if (!f.value.is_null()) {
          st = type_error(k, "true or false", f.value);
        }
        break;
      case Key::kTierInputTokens:
        if (!f.value.is_null()) {
          auto count = engine::detail::token_count(f.value, k);  // read as usage counts are
          if (count) r.tier_input_tokens = *count;
          st = count.status_or_ok();
        }
        break;
      case Key::kOrganizationId:
        st = get_scalar_text(f.value, k, &r.organization_id);
        break;
      case Key::kProjectId:
        st = get_scalar_text(f.value, k, &r.project_id);
        break;
      case Key::kUserId:
        st = get_scalar_text(f.value, k, &r.user_id);
        break;
      case Key::kTags:
        tags = f.value;
        has_tags = true;
        break;
      case Key::kUsageDetails:
        details = f.value;
        details_key = k;
        break;
      case Key::kMetadata:
        if (f.value.is_object()) {
          r.metadata_json = simdjson::minify(f.value);
          metadata = f.value;
          has_metadata = true;
        } else if (!f.value.is_null()) {
          metadata = f.value;  // an error, but in a Cloudflare log (its API gives text)
          other_metadata = true;
        }
        break;
      case Key::kSource:
        st = get_string(f.value, k, &r.source);
        break;
      case Key::kRequestId:
        request_id = f.value;
        request_id_key = k;
        has_request_id = f.value.is_string() || f.value.is_number();
        break;
      case Key::kLoggedCost:
        take_logged_cost(f.value, &r);
        break;
      case Key::kCostDetails:
        take_cost_details(f.value, &r);
        break;
      case Key::kData:
        has_data_list = f.value.is_array();  // a usage report page's buckets, when no usage
        has_data_object = f.value.is_object();
        data = f.value;
        break;
      case Key::kHeliconeUser:
        helicone_user = true;
        break;
      case Key::kRequestCreatedAt:
        request_created = true;
        break;
      case Key::kHeliconeCacheCount:
        helicone_counts = true;
        break;
      case Key::kTokensInOut:
        tokens_in_out = true;
        break;
      case Key::kNativeCounts:
        native_counts = true;
        break;
      case Key::kByokUsage:
        byok_usage = true;
        break;
      case Key::kCacheHit:
        // true, or as LiteLLM's spend logs write it, "True" (a CSV export's cell too)
        cache_hit =
            (f.value.is_bool() && f.value.get_bool().value_unsafe()) || text_is(f.value, "true");
        break;
      case Key::kGateway: {
        const size_t g = alias_index(kGatewayFields, k);
        gateway[g] = f.value;
        has_gateway[g] = f.value.is_string() || f.value.is_number();  // other shapes: left alone
        break;
      }
      case Key::kDimension: {
        const size_t d = alias_index(kDimensionFields, k);
        dimension[d] = f.value;
        has_dimension[d] = f.value.is_string() || f.value.is_number();
        break;
      }
      case Key::kWholeLine:
        whole_line = true;  // a batch result, a Bedrock log or a request/response line, perhaps
        break;
    }
    if (!st.is_ok()) return st;
  }
  // An API's response of one record under "data" (OpenRouter's generation): the record.
  if (has_data_object && r.model.empty() && !has_usage && !has_body && !unwrapped) {
    Status st = parse_doc(n, data, out, true);
    return st.is_ok() ? st : st.with_context("data");
  }
  if (other_metadata && !tokens_in_out) return type_error("metadata", "an object", metadata);
  // A gateway's request id keys the record when it has no id (else records alike in content
  // and second would be taken for one).
  if (r.id.empty() && has_request_id) {
    COSTOPS_RETURN_IF_ERROR(get_scalar_text(request_id, request_id_key, &r.id));
  }
  const bool dated = r.has_timestamp;  // by its "timestamp"
  if (!r.has_timestamp && !other_time_key.empty()) {
    COSTOPS_RETURN_IF_ERROR(get_timestamp(other_time, other_time_key, &r));
  }
  if (has_tags) COSTOPS_RETURN_IF_ERROR(get_tags(tags, &r, "tags", !details_key.empty()));
  bool has_log = false;  // a provider's log line or a Langfuse observation, read in full
  if (!details_key.empty()) {
    // Its "usage" is Langfuse's summary of the details: input and output, not their parts.
    COSTOPS_RETURN_IF_ERROR(langfuse_observation(doc, details, details_key, dated, &r));
    has_log = true;
    has_usage = has_body = false;
  } else if (native_counts && !has_body && (!has_usage || usage.is_number())) {
    COSTOPS_RETURN_IF_ERROR(openrouter_generation(doc, &r));  // its "usage" is its cost
    has_log = true;
    has_usage = false;
  } else if (byok_usage && !has_body && (!has_usage || usage.is_number())) {
    COSTOPS_RETURN_IF_ERROR(openrouter_activity(doc, &r));  // its "usage" is its cost too
    has_log = true;
    has_usage = false;
  } else if (!has_usage && !has_body && (helicone_user || (helicone_counts && request_created))) {
    COSTOPS_RETURN_IF_ERROR(helicone_request(n, doc, &r));
    has_log = true;
  } else if (!has_usage && !has_body && tokens_in_out) {
    COSTOPS_RETURN_IF_ERROR(cloudflare_log(n, doc, &r));
    has_log = true;
  } else if (!has_usage && !has_body && whole_line) {
    auto batch = batch_result(doc, &r, &body);
    if (!batch) return batch.status();
    has_body = *batch;
    if (!has_body) {
      auto log = bedrock_invocation(doc, &r);
      if (!log) return log.status();
      has_log = *log;
    }
    // A gateway's line of a call's request and response: the response is its body.
    if (!has_body && !has_log) {
      if (const auto response = member(doc, "response"); response && response->is_object()) {
        body = *response;
        has_body = true;
      }
    }
  }
  if (has_usage) {
    // Native usage of a record that names no provider is read in the format of the provider its
    // model names (a provider's response body as a line: Anthropic's message, OpenAI's response).
    const std::string_view provider =
        r.provider.empty() ? engine::detail::provider_of_model(n, r.model) : r.provider;
    COSTOPS_RETURN_IF_ERROR(
        engine::detail::usage_from_element(n, usage, provider, r.api_flavor, "usage", &r.usage));
    take_reported_tier(std::nullopt, usage, &r);
    take_usage_cost(usage, &r);
  } else if (has_body) {
    // So is a body's, when the record names its model (the body may not).
    const std::string_view provider = r.provider.empty() && !r.model.empty()
                                          ? engine::detail::provider_of_model(n, r.model)
                                          : std::string_view(r.provider);
    auto e = engine::detail::body_from_element(n, body, provider, r.api_flavor, !r.model.empty());
    if (!e) return e.status();
    const auto body_usage = member(body, "usage");
    take_reported_tier(body, body_usage, &r);
    if (body_usage) take_usage_cost(*body_usage, &r);
    if (r.model.empty()) r.model = std::move(e->model);
    r.usage = e->usage;
  } else if (!has_log) {
    // A gateway's log line: counts beside the record's other fields, as CSV columns are read
    // (LiteLLM's spend logs: prompt_tokens, completion_tokens). One of a response LiteLLM served
    // from its response cache (cache_hit) made no call to the provider: nothing was billed.
    if (cache_hit) {
      return invalid_argument(
          "not billed: served from the gateway's response cache (cache_hit), no call to the "
          "provider");
    }
    auto counts = engine::detail::record_level_usage(doc, &r.usage, &r.unread_counts);
    if (!counts) return counts.status();
    if (has_metadata) {
      auto whole = litellm_usage_object(metadata);
      if (!whole) return whole.status();
      // The object's usage when it counts the line's own prompt and completion (or the line
      // counts none): it adds what the line's counts leave out.
      const auto& w = *whole;
      if (w && (!*counts || (w->get(units::kInputTokens) == r.usage.get(units::kInputTokens) &&
                             w->get(units::kOutputTokens) == r.usage.get(units::kOutputTokens)))) {
        r.usage = **whole;
        *counts = true;
      }
    }
    if (!*counts) {
      return invalid_argument(
          std::string("field \"usage\": missing (give \"usage\", a response \"body\", or counts "
                      "such as input_tokens and output_tokens beside the other fields)") +
          (has_data_list ? "; a page of records ({\"data\": [...]})? --format json reads them (and "
                           "cost-ops ingest a provider's usage report page)"
                         : "") +
          (r.unread_counts.empty() ? ""
                                   : "; its " + r.unread_counts +
                                         " are named by no usage key: rename them to the keys "
                                         "they count"));
    }
    // LiteLLM's provider (custom_llm_provider) and team (the project), when the record names
    // none. Only for such lines: a record read before keeps its fields, and its key.
    std::string* slots[] = {&r.provider, &r.project_id};  // kGatewayFields' keys
    COSTOPS_RETURN_IF_ERROR(take_aliases(kGatewayFields, gateway, has_gateway, slots));
  }
  std::string* dims[] = {&r.organization_id, &r.project_id, &r.user_id};  // kDimensionFields'
  COSTOPS_RETURN_IF_ERROR(take_aliases(kDimensionFields, dimension, has_dimension, dims));
  if (r.service_tier == "batch") {  // Anthropic's name for a Message Batches call
    r.batch = true;
    r.service_tier.clear();
  }
  if (r.model.empty()) return invalid_argument("field \"model\": missing");
  return Status::ok();
}

}  // namespace

bool is_timestamp_alias(std::string_view key) { return key_of(key) == Key::kOtherTime; }

bool reads_record_key(std::string_view key) { return key_of(key) != Key::kNone; }

bool logged_cost_key(std::string_view key) { return key_of(key) == Key::kLoggedCost; }

bool one_line_record_key(std::string_view key) {
  if (is_timestamp_alias(key)) return true;
  // The text keys parse_doc reads.
  static constexpr std::string_view kKeys[] = {
      "provider",   "provider_id",  "model",           "timestamp",  "id",
      "api_flavor", "service_tier", "organization_id", "project_id", "user_id",
      "source",     "request_id",   "organization",    "project",    "user"};
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

Status RecordParser::parse_padded_into(std::string_view text, UsageRecord* out) {
  element doc;
  auto err = impl_->parser.parse(text.data(), text.size(), false).get(doc);
  if (err != simdjson::SUCCESS) {
    return invalid_argument(
        std::string("invalid JSON: ") + simdjson::error_message(err) +
        (err == simdjson::UTF8_ERROR ? " " + std::string(kOtherEncodingHint) : ""));
  }
  return parse_doc(impl_->normalizer, doc, out);
}

Result<UsageRecord> RecordParser::parse_padded(std::string_view text) {
  UsageRecord r;
  COSTOPS_RETURN_IF_ERROR(parse_padded_into(text, &r));
  return r;
}

Result<UsageRecord> RecordParser::parse(std::string_view text) {
  impl_->copy.assign(text);
  impl_->copy.append(padding(), ' ');
  return parse_padded(std::string_view(impl_->copy.data(), text.size()));
}

}  // namespace costops::ingest
