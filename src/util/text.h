// Small text helpers shared by the readers. Private to the library.
#pragma once

#include <cstring>
#include <string_view>

namespace costops::util {

// A UTF-8 byte order mark, which some Windows tools (PowerShell 5, Excel's "CSV UTF-8") write
// before the text. It is not part of the first line.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The length of the byte order mark `text` begins with (0 when none).
inline size_t utf8_bom_length(std::string_view text) {
  return text.starts_with(kUtf8Bom) ? kUtf8Bom.size() : 0;
}

// For a reader that fills a buffer from the start of its input: once buf[0, *have) holds enough
// bytes to tell (three, or the whole input at `eof`), drops a byte order mark from its front and
// clears *at_start. Returns the bytes dropped.
inline size_t drop_leading_bom(char* buf, size_t* have, bool eof, bool* at_start) {
  if (!*at_start || (*have < kUtf8Bom.size() && !eof)) return 0;
  *at_start = false;
  const size_t bom = utf8_bom_length(std::string_view(buf, *have));
  std::memmove(buf, buf + bom, *have - bom);
  *have -= bom;
  return bom;
}

}  // namespace costops::util
