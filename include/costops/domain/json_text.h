// JSON text of domain values, written without a JSON library (hot in `cost-ops price`).
#pragma once

#include <string>
#include <string_view>

#include "costops/domain/usage.h"

namespace costops {

/// Appends {"input_tokens":1200,...}: non-zero counts in registry order.
void append_usage_json(std::string& out, const Usage& usage);
/// Appends `s` as a JSON string literal (quoted, escaped).
void append_json_string(std::string& out, std::string_view s);

}  // namespace costops
