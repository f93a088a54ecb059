// Private helper: parse JSON with nlohmann while keeping every non-integer number's literal text,
// so decimal prices never pass through double.
#pragma once

#include <istream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "costops/domain/decimal.h"
#include "costops/domain/status.h"

namespace costops::detail {

/// Parses `text`; floating-point literals become JSON strings holding their exact text.
/// Errors name `source`, line and column.
Result<nlohmann::json> parse_json_exact(std::string_view text, std::string_view source);

/// Reads one JSON value from `in` as parse_json_exact parses a text, leaving `in` just after it,
/// so that values written one after another are read one at a time. Errors: nlohmann's message
/// from "syntax error" on, with *error_at set to the offset of the error from where reading began.
Result<nlohmann::json> read_json_exact(std::istream& in, size_t* error_at);

/// A decimal from a JSON integer or a decimal string (as produced by parse_json_exact).
Result<Decimal> json_decimal(const nlohmann::json& v);

/// "line L, column C" of byte offset `pos` in `text`.
std::string line_col(std::string_view text, size_t pos);

}  // namespace costops::detail
