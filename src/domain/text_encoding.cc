#include "costops/domain/text_encoding.h"

#include <cctype>
#include <string>

namespace costops {

Result<TextEncoding> parse_text_encoding(std::string_view name) {
  std::string key;  // lower case, without hyphens and underscores
  for (char c : name) {
    if (c != '-' && c != '_') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (key == "auto") return TextEncoding::kAuto;
  if (key == "utf8") return TextEncoding::kUtf8;
  if (key == "utf16le") return TextEncoding::kUtf16Le;
  if (key == "utf16be") return TextEncoding::kUtf16Be;
  if (key == "windows1252" || key == "cp1252" || key == "latin1" || key == "iso88591") {
    return TextEncoding::kWindows1252;
  }
  return invalid_argument("unknown text encoding \"" + std::string(name) +
                          "\" (valid: auto, utf-8, utf-16le, utf-16be, windows-1252)");
}

}  // namespace costops
