// JSON text of domain values, written without a JSON library (hot in `cost-ops price`).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "costops/domain/usage.h"

namespace costops {

/// Appends {"input_tokens":1200,...}: non-zero counts in registry order.
void append_usage_json(std::string& out, const Usage& usage);
/// Appends `s` as a JSON string literal (quoted, escaped). Bytes that are not UTF-8 (a byte no
/// sequence starts or continues, a sequence cut short, overlong or a surrogate) are written as
/// \ufffd each, so the literal is valid JSON whatever `s` holds.
void append_json_string(std::string& out, std::string_view s);
/// Appends {"key":"value",...}: string members in the order given (a record's tags).
void append_json_object(std::string& out,
                        std::span<const std::pair<std::string, std::string>> members);
/// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs, no
/// surrogates, at most U+10FFFF), or 0 when there is none.
size_t utf8_sequence(std::string_view s);
/// Whether `s` is well-formed UTF-8 (RFC 3629).
bool is_utf8(std::string_view s);
/// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence (for
/// messages that quote the start of an input).
std::string_view utf8_prefix(std::string_view s, size_t max);
/// An input's text as a message quotes it: its utf8_prefix of `max` bytes as a JSON string
/// literal (control bytes and bytes that are not UTF-8 escaped, so binary input prints as text),
/// with "..." inside the quotes when there was more: "v[\ufffd\ufffd0w(...".
std::string quoted_excerpt(std::string_view s, size_t max = 80);

}  // namespace costops
