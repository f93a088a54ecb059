// The character encoding of input text: what the readers of usage input (ingest, price) decode
// to UTF-8 before reading it.
#pragma once

#include <string_view>

#include "costops/domain/status.h"

namespace costops {

/// kAuto: UTF-8, or UTF-16 when a byte order mark begins the text (as Windows PowerShell 5 and
/// Excel's "Unicode Text" write it). The others name the encoding: UTF-8 as it is; UTF-16 of
/// either byte order, with or without a mark (a mark of that order is dropped); Windows-1252,
/// what Excel's plain "CSV" writes in Western locales (ISO-8859-1 text reads the same, but for
/// bytes 0x80-0x9F, which are control characters there and letters and signs here: the mapping
/// the web's standard gives both names).
enum class TextEncoding { kAuto, kUtf8, kUtf16Le, kUtf16Be, kWindows1252 };

/// Parses "auto", "utf-8", "utf-16le", "utf-16be" and "windows-1252" (also "cp1252", "latin1",
/// "latin-1", "iso-8859-1"), in any case, the hyphens optional ("UTF8", "utf16le").
Result<TextEncoding> parse_text_encoding(std::string_view name);

/// What the readers add to an error of text that is not UTF-8: how to name its encoding (the
/// command line's --encoding; IngestOptions::encoding in the library).
inline constexpr const char* kOtherEncodingHint =
    "(in another encoding? --encoding names it, such as windows-1252)";

}  // namespace costops
