// Small text helpers shared by the readers. Private to the library.
#pragma once

#include <string_view>

namespace costops::util {

// A UTF-8 byte order mark, which some Windows tools (PowerShell 5, Excel's "CSV UTF-8") write
// before the text. It is not part of the first line.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The length of the byte order mark `text` begins with (0 when none).
inline size_t utf8_bom_length(std::string_view text) {
  return text.starts_with(kUtf8Bom) ? kUtf8Bom.size() : 0;
}

}  // namespace costops::util
