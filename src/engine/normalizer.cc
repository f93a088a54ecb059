#include "costops/engine/normalizer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "engine/normalize_dom.h"
#include "util/text.h"

namespace costops::engine {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

struct SvHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

enum : uint8_t { kTotalTokensAlias = 254, kUnknownKey = 255 };

// Canonical usage keys and the seed design's OpenAI-style aliases -> unit (or a marker), bucketed
// by key length: a lookup is one or two short memcmps, cheaper than hashing on this hot path.
class CanonicalKeys {
 public:
  CanonicalKeys() {
    for (int i = 0; i < kUnitCount; ++i) add(kUnits[i].usage_key, static_cast<uint8_t>(i));
    add("prompt_tokens", units::kInputTokens);
    add("completion_tokens", units::kOutputTokens);
    add("cached_tokens", units::kCacheReadTokens);
    add("reasoning_tokens", units::kOutputReasoningTokens);
    add("total_tokens", kTotalTokensAlias);
  }
  uint8_t find(std::string_view k) const {
    if (k.size() >= kMaxLen) return kUnknownKey;
    for (const auto& [name, id] : buckets_[k.size()])
      if (name == k) return id;
    return kUnknownKey;
  }
  /// The canonical key `k` is most likely a typo of: one within two edits, ignoring case (one
  /// for a key of up to 9 characters), or "" when none is. Not total_tokens, which is not
  /// priced, nor a key that `k` spells in another case style (Bedrock's totalTokens): a format's
  /// own naming, not a typo.
  std::string_view nearest(std::string_view k) const {
    auto letters = [](std::string_view s) {
      std::string out;
      for (char c : s)
        if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return out;
    };
    const std::string plain = letters(k);
    return util::nearest_name(k, util::typo_edits(k), [&](auto&& visit) {
      for (const auto& bucket : buckets_)
        for (const auto& [name, id] : bucket)
          if (id != kTotalTokensAlias && letters(name) != plain) visit(name);
    });
  }

 private:
  static constexpr size_t kMaxLen = 48;
  void add(std::string_view k, uint8_t id) { buckets_[k.size()].emplace_back(k, id); }
  std::array<std::vector<std::pair<std::string_view, uint8_t>>, kMaxLen> buckets_;
};

const CanonicalKeys& canonical_keys() {
  static const CanonicalKeys keys;
  return keys;
}

std::string_view type_name(element v) {
  switch (v.type()) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "value";
}

std::string path_text(const pricing::Path& p, size_t upto, size_t from = 0) {
  std::string s;
  for (size_t i = from; i < upto && i < p.size(); ++i) {
    if (!s.empty()) s += '.';
    if (p[i].array_match) {
      s += "[" + p[i].field + " matching]";
    } else {
      s += p[i].key;
    }
  }
  return s;
}

enum class Walk { kFound, kMissing, kError };

// Follows `path` from `v`, from its step `from` on. Null or absent values are missing; a
// non-container on the way is an error (reported in *err).
Walk walk(element v, const pricing::Path& path, std::string_view where, element* out,
          std::string* err, size_t from = 0) {
  for (size_t i = from; i < path.size(); ++i) {
    const auto& step = path[i];
    if (v.is_null()) return Walk::kMissing;
    if (step.array_match) {
      if (!v.is_array()) {
        *err = "field \"" + std::string(where) + path_text(path, i, from) +
               "\": expected an array, got " + std::string(type_name(v));
        return Walk::kError;
      }
      bool found = false;
      for (element item : simdjson::dom::array(v.get_array().value_unsafe())) {
        if (!item.is_object()) continue;
        element f;
        if (item.get_object().value_unsafe().at_key(step.field).get(f) != simdjson::SUCCESS ||
            !f.is_string())
          continue;
        if (step.match->matches(f.get_string().value_unsafe())) {
          v = item;
          found = true;
          break;
        }
      }
      if (!found) return Walk::kMissing;
    } else {
      if (!v.is_object()) {
        *err = "field \"" + std::string(where) + path_text(path, i, from) +
               "\": expected an object, got " + std::string(type_name(v));
        return Walk::kError;
      }
      element next;
      if (v.get_object().value_unsafe().at_key(step.key).get(next) != simdjson::SUCCESS)
        return Walk::kMissing;
      v = next;
    }
  }
  if (v.is_null()) return Walk::kMissing;
  *out = v;
  return Walk::kFound;
}

// Follows `ex`'s root in a response body into *root. Where a root of several steps is missing, a
// tail of it may be there: the body is then the object inside the envelope the root goes through
// (a Realtime response.done event's response, its usage under "usage", not "response.usage").
// *skipped: the root's steps not followed.
Walk walk_root(element body, const pricing::Extractor& ex, element* root, std::string* err,
               size_t* skipped) {
  Walk w = walk(body, ex.root, "body.", root, err);
  *skipped = 0;
  for (size_t k = 1; w == Walk::kMissing && k < ex.root.size(); ++k) {
    w = walk(body, ex.root, "body.", root, err, k);
    if (w != Walk::kMissing) *skipped = k;
  }
  return w;
}

std::string with_dot(std::string_view where) {
  return where.empty() ? std::string() : std::string(where) + ".";
}

// A transcription's usage billed by the duration of its audio (OpenAI's whisper-1: {"type":
// "duration", "seconds": 2.5}): its seconds, to the nearest whole one as OpenAI bills them (half
// up), as input_audio_seconds, which a model priced by the hour of audio (input_audio_hours)
// bills. No tokens.
Result<Usage> duration_usage(element usage_obj, const std::string& prefix) {
  const std::string field = prefix + "seconds";
  element v;
  if (usage_obj["seconds"].get(v) != simdjson::SUCCESS)
    return invalid_argument("field \"" + field + "\": a usage billed by duration (" +
                            simdjson::minify(usage_obj) + ") needs its seconds");
  double d = 0;
  if (v.is_number() && v.get(d) == simdjson::SUCCESS && d < 0)
    return invalid_argument("field \"" + field +
                            "\": expected the audio's duration in seconds, got " +
                            simdjson::minify(v));
  Result<int64_t> seconds = int64_t{0};
  if (v.type() == element_type::DOUBLE && d < 1e15 && std::floor(d) != d) {
    seconds = static_cast<int64_t>(std::floor(d + 0.5));
  } else {
    seconds = detail::token_count(v, field);
    if (!seconds) return seconds.status();
  }
  Usage u;
  u.set(units::kInputAudioSeconds, *seconds);
  return u;
}

Result<Usage> apply_mappings(const pricing::Extractor& ex, element usage_obj,
                             std::string_view where) {
  const std::string prefix = with_dot(where);
  std::string_view type;
  if (usage_obj.is_object() && usage_obj["type"].get(type) == simdjson::SUCCESS &&
      type == "duration")
    return duration_usage(usage_obj, prefix);
  Usage u;
  bool any = false;
  // Reads one mapping's value into u, if the object has it.
  auto read = [&](const pricing::ExtractorMapping& m) -> Status {
    element v;
    std::string err;
    switch (walk(usage_obj, m.path, prefix, &v, &err)) {
      case Walk::kError:
        return invalid_argument(err);
      case Walk::kMissing:
        if (m.required)
          return invalid_argument("field \"" + prefix + path_text(m.path, m.path.size()) +
                                  "\": required by the " + ex.api_flavor +
                                  " usage format, missing");
        return Status::ok();
      case Walk::kFound:
        break;
    }
    auto n = detail::token_count(v, where);  // the field's whole name for its error only
    if (!n) return detail::token_count(v, prefix + path_text(m.path, m.path.size())).status();
    if (!u.add(m.dest, *n))
      return out_of_range("field \"" + prefix + path_text(m.path, m.path.size()) +
                          "\": sum overflows");
    any = true;
    return Status::ok();
  };
  bool fallbacks = false;
  for (const auto& m : ex.mappings) {
    fallbacks |= m.fallback;
    if (!m.fallback) COSTOPS_RETURN_IF_ERROR(read(m));
  }
  // Then the fallbacks, each where the others found no value for its dest.
  for (size_t i = 0; fallbacks && i < ex.mappings.size(); ++i) {
    const auto& m = ex.mappings[i];
    if (m.fallback && !u.has(m.dest)) COSTOPS_RETURN_IF_ERROR(read(m));
  }
  if (!any)
    return invalid_argument("no usage found in \"" + std::string(where) + "\" for the " +
                            ex.api_flavor + " format");
  return u;
}

// The key `k` of a usage object read with `ex` is most likely a typo of, or "" when none: a
// canonical key (CanonicalKeys::nearest), or one that `ex` reads at the top of the object, within
// as many edits ("cache_read_input_tokns" for Anthropic's "cache_read_input_tokens"). A key that
// is canonical or that `ex` reads is none.
std::string_view typo_of(const pricing::Extractor& ex, std::string_view k) {
  const auto& keys = canonical_keys();
  if (keys.find(k) != kUnknownKey) return {};
  for (const auto& m : ex.mappings)
    if (m.top_key() == k) return {};
  if (const std::string_view near = keys.nearest(k); !near.empty()) return near;
  return util::nearest_name(k, util::typo_edits(k), [&](auto&& visit) {
    for (const auto& m : ex.mappings)
      if (const std::string_view name = m.top_key(); !name.empty()) visit(name);
  });
}

// How many mappings of `ex` find a value in `obj`; -1 when a required one is missing.
int fit_score(const pricing::Extractor& ex, element obj) {
  int found = 0;
  for (const auto& m : ex.mappings) {
    element v;
    std::string err;
    const Walk w = walk(obj, m.path, "", &v, &err);
    if (w == Walk::kError) return -1;
    if (w == Walk::kMissing && m.required) return -1;
    found += w == Walk::kFound ? 1 : 0;
  }
  return found;
}

// Of `p`'s formats, the one whose mappings find the most values in its usage object (the first
// on a tie), or nullptr when none finds any; `usage_of(e, &obj)` locates a format's object (false:
// it has none there).
template <typename UsageOf>
const pricing::Extractor* best_fit(const pricing::Provider& p, const UsageOf& usage_of) {
  const pricing::Extractor* best = nullptr;
  int best_score = 0;
  for (const auto& e : p.extractors) {
    element obj;
    if (!usage_of(e, &obj)) continue;
    if (const int score = fit_score(e, obj); score > best_score) {
      best_score = score;
      best = &e;
    }
  }
  return best;
}

}  // namespace

struct Normalizer::Impl {
  std::unordered_map<std::string, const pricing::Provider*, SvHash, std::equal_to<>> providers;
  // Per usage format, keys of native usage objects that typo_of found to be no typo: formats
  // repeat their unread counts (Groq's queue_time, ...) on every record.
  std::unordered_map<const pricing::Extractor*,
                     std::unordered_set<std::string, SvHash, std::equal_to<>>>
      plain_keys;
  simdjson::dom::parser parser;  // for usage() and body(); reused across calls
};

Normalizer::Normalizer(const pricing::Catalog& catalog)
    : catalog_(catalog), impl_(std::make_unique<Impl>()) {}
Normalizer::~Normalizer() = default;
Normalizer::Normalizer(Normalizer&&) noexcept = default;

namespace {

// The provider whose extractors read `provider`'s responses (nullptr when none has any).
const pricing::Provider* extractor_provider(Normalizer& n, std::string_view provider) {
  auto& impl = n.impl();
  auto it = impl.providers.find(provider);
  if (it != impl.providers.end()) return it->second;
  const pricing::Provider* p = n.catalog().find_provider(provider);
  if (p == nullptr || p->extractors.empty()) {
    const auto& b = pricing::Catalog::builtin();
    // A LiteLLM catalog's provider reads usage as the built-in provider of its name does
    // (find_provider knows LiteLLM's names: azure_ai, fireworks_ai, ...).
    const pricing::Provider* q = b.find_provider(provider);
    if (q != nullptr && !q->extractors.empty()) p = q;
  }
  if (p != nullptr && p->extractors.empty()) p = nullptr;
  impl.providers.emplace(std::string(provider), p);
  return p;
}

// Providers unknown to every catalog still have recognisable API flavors.
const pricing::Extractor* generic_extractor(std::string_view flavor) {
  const auto& b = pricing::Catalog::builtin();
  std::string_view pid = "openai", fl = flavor;
  if (flavor == "anthropic") {
    pid = "anthropic";
    fl = "default";
  } else if (flavor.empty() || flavor == "default") {
    fl = "chat";
  }
  const pricing::Provider* p = b.find_provider(pid);
  if (p == nullptr) return nullptr;
  auto e = p->extractor(fl);
  return e ? *e : nullptr;
}

}  // namespace

namespace {

// The provider's extractor for `flavor`; a flavor the provider lacks but that names a wire
// format ("anthropic" for the Messages API, "chat", "responses") uses that format's extractor.
Result<const pricing::Extractor*> flavor_extractor(const pricing::Provider& p,
                                                   std::string_view flavor) {
  auto e = p.extractor(flavor);
  if (!e && !flavor.empty() && flavor != "default") {
    if (const auto* g = generic_extractor(flavor)) return g;
  }
  return e;
}

}  // namespace

Result<const pricing::Extractor*> Normalizer::extractor(std::string_view provider,
                                                        std::string_view flavor) {
  const pricing::Provider* p = extractor_provider(*this, provider);
  if (p == nullptr) {
    if (const auto* g = generic_extractor(flavor)) return g;
    return not_found("no usage extractor for provider \"" + std::string(provider) + "\"");
  }
  return flavor_extractor(*p, flavor);
}

Result<int64_t> detail::token_count(element v, std::string_view field) {
  auto bad = [&](const std::string& got) {
    return invalid_argument("field \"" + std::string(field) +
                            "\": expected a non-negative integer, got " + got);
  };
  // A count no call or usage report row comes near (a quadrillion tokens): sums of many stay
  // far from overflowing.
  constexpr int64_t kMax = 1'000'000'000'000'000;
  auto too_large = [&](const std::string& got) {
    return invalid_argument("field \"" + std::string(field) + "\": " + got +
                            " is more than a usage count can be (at most 10^15)");
  };
  switch (v.type()) {
    case element_type::INT64: {
      const int64_t n = v.get_int64().value_unsafe();
      if (n < 0) return bad(std::to_string(n));
      if (n > kMax) return too_large(std::to_string(n));
      return n;
    }
    case element_type::UINT64:
      return too_large(std::to_string(v.get_uint64().value_unsafe()));
    case element_type::DOUBLE: {
      const double d = v.get_double().value_unsafe();
      if (d >= 0 && d <= static_cast<double>(kMax) && std::floor(d) == d)
        return static_cast<int64_t>(d);
      if (d > static_cast<double>(kMax) && std::floor(d) == d)
        return too_large(simdjson::minify(v));
      return bad(simdjson::minify(v));
    }
    case element_type::STRING: {
      // A count written as text, as JSON encoders of 64-bit integers do ("1000"): digits only.
      const std::string_view s = v.get_string().value_unsafe();
      const bool digits =
          !s.empty() && s.size() <= 19 &&
          std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) return bad(simdjson::minify(v));
      uint64_t n = 0;
      for (char c : s) n = n * 10 + static_cast<uint64_t>(c - '0');
      if (n > static_cast<uint64_t>(kMax)) return too_large(std::string(s));
      return static_cast<int64_t>(n);
    }
    default:
      return bad(simdjson::minify(v));
  }
}

namespace {

// The field's name in errors: `where`.`key`, or `key` at a record's top level (where "").
std::string field_name(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
}

// Reads the canonical keys (and OpenAI-style aliases) of `obj` into *out, skipping its other
// fields. total_tokens is informational: providers disagree on what it includes.
Status canonical_counts(element obj, std::string_view where, Usage* out) {
  const auto& keys = canonical_keys();
  Usage& u = *out;
  for (auto field : simdjson::dom::object(obj.get_object().value_unsafe())) {
    const uint8_t id = keys.find(field.key);
    if (id == kUnknownKey || field.value.is_null()) continue;
    auto cnt = detail::token_count(field.value, where);
    if (!cnt) return detail::token_count(field.value, field_name(where, field.key)).status();
    if (id == kTotalTokensAlias) continue;
    if (u.has(id)) {
      return invalid_argument("field \"" + field_name(where, field.key) +
                              "\": " + std::string(kUnits[id].usage_key) +
                              " given twice (directly and by an alias)");
    }
    u.set(id, *cnt);
  }
  return Status::ok();
}

}  // namespace

std::optional<element> detail::member(element obj, std::string_view key) {
  element v;
  if (!obj.is_object() || obj.get_object().value_unsafe().at_key(key).get(v) != simdjson::SUCCESS)
    return std::nullopt;
  return v;
}

std::string_view detail::provider_of_model(Normalizer& n, std::string_view model) {
  if (model.empty()) return {};
  auto ref = n.catalog().resolve("", model);
  return ref.has_value() ? std::string_view(ref->provider->id) : std::string_view();
}

namespace {

// Whether a record's field `k` of no usage key is named as a count of tokens that a call used: it
// names tokens, and neither a request's limit (max_tokens), a rate (tokens_per_second) nor a
// time (time_to_first_token).
bool names_token_count(std::string_view k) {
  // Most fields of a gateway's line name no tokens: told at a glance.
  bool tok = false;
  for (size_t i = 0; i + 2 < k.size() && !tok; ++i)
    tok = (k[i] | 0x20) == 't' && (k[i + 1] | 0x20) == 'o' && (k[i + 2] | 0x20) == 'k';
  char buf[64];  // (no allocation; a longer name is no count)
  if (!tok || k.size() > sizeof buf) return false;
  for (size_t i = 0; i < k.size(); ++i)
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(k[i])));
  const std::string_view l(buf, k.size());
  auto has = [&](std::string_view w) { return l.find(w) != std::string_view::npos; };
  // Not a limit, a rate, a budget, or a time (Helicone's time_to_first_token, in ms).
  return has("token") && !l.starts_with("max") && !has("limit") && !has("per_") && !has("budget") &&
         !has("time") && !has("first_token") && !has("latency") && l != "tier_input_tokens";
}

// Whether `v` is a count other than 0: a positive integer, or a CSV cell's digits.
bool is_count(element v) {
  if (v.is_int64()) return v.get_int64().value_unsafe() > 0;
  if (v.is_uint64()) return true;
  if (!v.is_string()) return false;
  const std::string_view s = v.get_string().value_unsafe();
  return !s.empty() && s.size() < 20 &&
         s.find_first_not_of("0123456789") == std::string_view::npos &&
         s.find_first_not_of('0') != std::string_view::npos;
}

}  // namespace

Result<bool> detail::record_level_usage(element record, Usage* out, std::string* unread) {
  const auto& keys = canonical_keys();
  bool any = false;
  for (auto field : simdjson::dom::object(record.get_object().value_unsafe())) {
    const uint8_t id = keys.find(field.key);
    if (id != kUnknownKey && id != kTotalTokensAlias && !field.value.is_null()) any = true;
    // (The value first: most of a line's fields are text.)
    if (unread != nullptr && id == kUnknownKey && is_count(field.value) &&
        names_token_count(field.key)) {
      unread->append(unread->empty() ? "" : ", ").append(field.key).append("=");
      if (field.value.is_string()) {
        unread->append(field.value.get_string().value_unsafe());
      } else {
        unread->append(simdjson::minify(field.value));
      }
    }
    if (id != kUnknownKey || !field.value.is_number() ||
        field.key.find("tok") == std::string_view::npos)
      continue;
    // A count a letter or two from a usage key, as a CSV header's column is checked.
    if (const std::string_view near = keys.nearest(field.key); !near.empty()) {
      return invalid_argument("field \"" + std::string(field.key) +
                              "\": unknown usage key; did you mean " + std::string(near) +
                              "? (its tokens would go unpriced)");
    }
  }
  if (!any) return false;
  COSTOPS_RETURN_IF_ERROR(canonical_counts(record, "", out));
  return true;
}

Status detail::usage_from_element(Normalizer& n, element obj, std::string_view provider,
                                  std::string_view flavor, std::string_view where, Usage* out) {
  if (!obj.is_object())
    return invalid_argument("field \"" + std::string(where) + "\": expected an object, got " +
                            std::string(type_name(obj)));
  const auto& keys = canonical_keys();
  bool canonical = true;
  for (auto field : simdjson::dom::object(obj.get_object().value_unsafe())) {
    if (keys.find(field.key) == kUnknownKey) {
      canonical = false;
      break;
    }
  }
  if (canonical) return canonical_counts(obj, where, out);
  // A provider-native usage object: the extractor's mappings apply to it directly.
  const pricing::Provider* p = extractor_provider(n, provider);
  const pricing::Extractor* ex = nullptr;
  if (p != nullptr) {
    if (!flavor.empty()) {
      auto e = flavor_extractor(*p, flavor);
      if (!e) return e.status();
      ex = *e;
    } else {
      // The flavor whose mappings find the most values in the object.
      ex = best_fit(*p, [&](const pricing::Extractor&, element* o) {
        *o = obj;
        return true;
      });
      if (ex == nullptr) ex = &p->extractors.front();
    }
  } else {
    ex = generic_extractor(flavor);
  }
  if (ex == nullptr) {
    std::string bad_key;
    for (auto field : simdjson::dom::object(obj.get_object().value_unsafe()))
      if (keys.find(field.key) == kUnknownKey) {
        bad_key = std::string(field.key);
        break;
      }
    return invalid_argument(
        "field \"" + std::string(where) + "." + bad_key +
        "\": not a canonical usage key, and no usage extractor is known for provider \"" +
        std::string(provider) + "\"");
  }
  auto u = apply_mappings(*ex, obj, where);
  if (!u) return u.status();
  // A count the format does not read under a near miss of a canonical key or of one it reads is
  // a typo whose tokens would go unpriced ({"input_tokns": 1000, ...} read as OpenAI's usage has
  // no input). Objects and lists are details the formats name their own ways.
  auto& plain = n.impl().plain_keys[ex];  // the format's keys known not to be typos
  for (auto field : simdjson::dom::object(obj.get_object().value_unsafe())) {
    if (!field.value.is_number()) continue;
    if (field.key == "tier_input_tokens")  // the record's, where it would be ignored
      return invalid_argument("field \"" + std::string(where) +
                              ".tier_input_tokens\": not usage but a field of the record: give "
                              "it beside \"usage\"");
    if (plain.contains(field.key)) continue;
    const std::string_view near = typo_of(*ex, field.key);
    if (near.empty()) {
      if (plain.size() >= 1024) plain.clear();  // bounded, whatever keys the input makes up
      plain.emplace(field.key);
      continue;
    }
    return invalid_argument("field \"" + std::string(where) + "." + std::string(field.key) +
                            "\": unknown usage key; did you mean " + std::string(near) + "? (the " +
                            (provider.empty() ? "" : std::string(provider) + " ") + ex->api_flavor +
                            " usage format does not read it either: its tokens would go "
                            "unpriced)");
  }
  *out = *u;
  return Status::ok();
}

namespace {

// The extractor for a response body: the flavor's, or without one, of the provider's flavors the
// one whose usage the body holds (its root there, with the most of its values; the first of equal
// ones), as native usage objects are told apart.
Result<const pricing::Extractor*> body_extractor(Normalizer& n, element body,
                                                 std::string_view provider,
                                                 std::string_view flavor) {
  const pricing::Provider* p = flavor.empty() ? extractor_provider(n, provider) : nullptr;
  if (p != nullptr && p->extractors.size() > 1) {
    const pricing::Extractor* best = best_fit(*p, [&](const pricing::Extractor& e, element* root) {
      std::string err;
      size_t skipped = 0;
      return walk_root(body, e, root, &err, &skipped) == Walk::kFound && root->is_object();
    });
    if (best != nullptr) return best;
    // No flavor's usage is in the body: that is what is wrong, not a missing api_flavor (asked
    // for when a usage object is there, but no flavor reads a count from it).
    std::string flavors, roots;
    for (const auto& e : p->extractors) {
      flavors += (flavors.empty() ? "" : ", ") + e.api_flavor;
      const std::string where = "body." + path_text(e.root, e.root.size());
      element root;
      std::string err;
      if (walk(body, e.root, "", &root, &err) == Walk::kFound) {
        if (root.is_object()) return n.extractor(provider, flavor);  // no flavor reads a count
        return invalid_argument("field \"" + where + "\": expected the usage object, got " +
                                std::string(type_name(root)));
      }
      if (roots.find("\"" + where + "\"") == std::string::npos)
        roots += (roots.empty() ? "\"" : " or \"") + where + "\"";
    }
    return invalid_argument("no usage in the response body: no " + roots + " (where " + p->id +
                            "'s API flavors, " + flavors + ", have it)");
  }
  return n.extractor(provider, flavor);
}

}  // namespace

Result<Extracted> detail::body_from_element(Normalizer& n, element body, std::string_view provider,
                                            std::string_view flavor, bool model_known) {
  if (!body.is_object())
    return invalid_argument("field \"body\": expected an object, got " +
                            std::string(type_name(body)));
  // A body given with no provider is read in the format of the provider of the model it names
  // (its "model", or Gemini's "modelVersion"), as native usage objects are.
  std::string_view by = provider;
  for (const char* key : {"model", "modelVersion"}) {
    if (!by.empty() || !flavor.empty()) break;
    if (const auto m = member(body, key); m && m->is_string())
      by = provider_of_model(n, m->get_string().value_unsafe());
  }
  auto exr = body_extractor(n, body, by, flavor);
  if (!exr) return exr.status();
  const pricing::Extractor& ex = **exr;
  Extracted out;
  std::string err;
  if (!model_known) {
    element m;
    const Walk w = walk(body, ex.model_path, "body.", &m, &err);
    if (w == Walk::kError) return invalid_argument(err);
    if (w == Walk::kMissing || !m.is_string())
      return invalid_argument("field \"body." + path_text(ex.model_path, ex.model_path.size()) +
                              "\": expected the model name (a string)");
    out.model = std::string(m.get_string().value_unsafe());
  }
  element root;
  size_t skipped = 0;
  const Walk w = walk_root(body, ex, &root, &err, &skipped);
  if (w == Walk::kError) return invalid_argument(err);
  const std::string where = "body." + path_text(ex.root, ex.root.size(), skipped);
  if (w == Walk::kMissing)
    return invalid_argument("field \"" + where + "\": no usage in the response body");
  if (!root.is_object())
    return invalid_argument("field \"" + where + "\": expected an object, got " +
                            std::string(type_name(root)));
  auto u = apply_mappings(ex, root, where);
  if (!u) return u.status();
  out.usage = *u;
  return out;
}

namespace {

// Parses `text` with the Normalizer's reusable parser; `what` names it in errors.
Status parse_text(simdjson::dom::parser& parser, std::string_view text, std::string_view what,
                  element* doc) {
  if (auto e = parser.parse(text.data(), text.size(), true).get(*doc); e != simdjson::SUCCESS)
    return invalid_argument(std::string(what) + ": invalid JSON: " + simdjson::error_message(e));
  return Status::ok();
}

}  // namespace

Result<Usage> Normalizer::usage(std::string_view usage_json, std::string_view provider,
                                std::string_view flavor) {
  element doc;
  COSTOPS_RETURN_IF_ERROR(parse_text(impl_->parser, usage_json, "usage", &doc));
  Usage u;
  COSTOPS_RETURN_IF_ERROR(detail::usage_from_element(*this, doc, provider, flavor, "usage", &u));
  return u;
}

Result<Extracted> Normalizer::body(std::string_view body_json, std::string_view provider,
                                   std::string_view flavor) {
  element doc;
  COSTOPS_RETURN_IF_ERROR(parse_text(impl_->parser, body_json, "body", &doc));
  return detail::body_from_element(*this, doc, provider, flavor, false);
}

}  // namespace costops::engine
