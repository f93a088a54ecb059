#include "util/json_exact.h"

namespace costops::detail {
namespace {

using json = nlohmann::json;

// Forwards to nlohmann's DOM builder, except that floats keep their literal text.
class ExactSax {
 public:
  explicit ExactSax(json& root) : dom_(root, false) {}
  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t, const json::string_t& s) {
    json::string_t copy = s;
    return dom_.string(copy);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) {
    error_pos = pos;
    error = ex.what();
    return false;
  }
  size_t error_pos = 0;
  std::string error;

 private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
};

}  // namespace

std::string line_col(std::string_view text, size_t pos) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

Result<json> parse_json_exact(std::string_view text, std::string_view source) {
  json root;
  ExactSax sax(root);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const std::exception& e) {
    return invalid_argument(std::string(source) + ": invalid JSON: " + e.what());
  }
  if (!ok) {
    std::string msg = sax.error;
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 1, column 2: "
    if (auto p = msg.find("syntax error"); p != std::string::npos) msg = msg.substr(p);
    return invalid_argument(std::string(source) + ":" +
                            line_col(text, sax.error_pos > 0 ? sax.error_pos - 1 : 0) +
                            ": invalid JSON: " + msg);
  }
  return root;
}

Result<json> read_json_exact(std::istream& in, size_t* error_at) {
  json root;
  ExactSax sax(root);
  bool ok = false;
  try {
    ok = json::sax_parse(in, &sax, json::input_format_t::json, /*strict=*/false);
  } catch (const std::exception& e) {
    *error_at = 0;
    return invalid_argument(e.what());
  }
  if (!ok) {
    std::string msg = sax.error;
    if (auto p = msg.find("syntax error"); p != std::string::npos) msg = msg.substr(p);
    *error_at = sax.error_pos > 0 ? sax.error_pos - 1 : 0;
    return invalid_argument(msg);
  }
  return root;
}

Result<Decimal> json_decimal(const json& v) {
  // Integers through their text: parse checks Decimal's range (about 1.7e14), which an int64
  // passes (Decimal::from_int would overflow).
  if (v.is_number_unsigned()) return Decimal::parse(std::to_string(v.get<uint64_t>()));
  if (v.is_number_integer()) return Decimal::parse(std::to_string(v.get<int64_t>()));
  if (v.is_string()) return Decimal::parse(v.get_ref<const std::string&>());
  return invalid_argument(std::string("expected a decimal number, got ") + v.type_name());
}

}  // namespace costops::detail
