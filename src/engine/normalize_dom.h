// Private: the Normalizer's work on simdjson DOM elements, shared with ingest (which has the
// elements already parsed). Keeps simdjson out of public headers.
#pragma once

// GCC 12 reports false -Wmaybe-uninitialized inside simdjson's inlined result types.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <simdjson.h>

#include <optional>
#include <string_view>

#include "costops/engine/normalizer.h"

namespace costops::engine::detail {

/// A member of an object, or nullopt (not an object, or no such key).
std::optional<simdjson::dom::element> member(simdjson::dom::element obj, std::string_view key);
/// The id of the catalog provider of `model`, or "" when no provider has it: the format a body or
/// native usage object given with no provider is read in.
std::string_view provider_of_model(Normalizer& n, std::string_view model);

/// Reads `usage` into *out (which starts empty). `where` prefixes field names in errors ("usage").
Status usage_from_element(Normalizer& n, simdjson::dom::element usage, std::string_view provider,
                          std::string_view flavor, std::string_view where, Usage* out);
/// Reads the usage counts a record gives among its own fields, as a CSV row's columns or a
/// gateway's log line give them (canonical keys and the OpenAI-style aliases: input_tokens,
/// prompt_tokens, completion_tokens, ...), into *out (which starts empty), leaving its other fields
/// alone. False when it gives none. A number under a key a letter or two from a usage key is an
/// error: its tokens would go unpriced.
Result<bool> record_level_usage(simdjson::dom::element record, Usage* out,
                                std::string* unread = nullptr);
/// Reads model (unless `model_known`) and usage from a response body.
Result<Extracted> body_from_element(Normalizer& n, simdjson::dom::element body,
                                    std::string_view provider, std::string_view flavor,
                                    bool model_known);

/// A JSON number that is a non-negative integer (integral doubles accepted), else an error
/// naming `field`.
Result<int64_t> token_count(simdjson::dom::element v, std::string_view field);

}  // namespace costops::engine::detail
