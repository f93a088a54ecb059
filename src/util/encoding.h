// Text in other encodings read as UTF-8. Windows PowerShell 5 writes UTF-16 with `>` and Out-File,
// and Excel's "Unicode Text" is UTF-16: the readers take such files, told by their byte order
// mark, as if they had been saved as UTF-8; and input of a named encoding (TextEncoding: UTF-16
// without a mark, Windows-1252) likewise. Private to the library.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "costops/domain/status.h"
#include "costops/domain/text_encoding.h"
#include "util/peek.h"

namespace costops::util {

enum class Utf16 { kNone, kLittleEndian, kBigEndian };

/// The UTF-16 byte order mark `text` begins with: FF FE little-endian, FE FF big-endian.
Utf16 utf16_bom(std::string_view text);

/// The byte order of UTF-16 text without a byte order mark (as some Windows tools write it), told
/// by its first characters (up to 32): at least two and half of them Latin-1 ones, a NUL byte
/// beside another, most on the same side ("{\0\"\0" is little-endian), and no NUL character.
/// kNone for anything else (UTF-8 text has no NUL byte).
Utf16 utf16_without_bom(std::string_view head);

/// Decodes UTF-16 (after its byte order mark) to UTF-8, piece by piece. Errors ("line N: invalid
/// UTF-16: ...", lines counted from 1 at the start of the text) say what is wrong: a surrogate
/// without its pair, or an odd number of bytes.
class Utf16Decoder : public Transform {
 public:
  explicit Utf16Decoder(Utf16 order) : little_(order == Utf16::kLittleEndian) {}
  Status write(std::string_view in, std::string& out) override;
  Status finish(std::string& out) override;

 private:
  Status unit(uint32_t u, std::string& out);
  Status bad(std::string_view what) const;
  bool little_;
  int pending_ = -1;   // the first byte of a unit split between pieces
  uint32_t high_ = 0;  // a high surrogate waiting for the low one
  uint64_t line_ = 1;
};

/// Decodes Windows-1252 to UTF-8: each byte one character (bytes 0x81, 0x8D, 0x8F, 0x90 and
/// 0x9D, which it leaves undefined, the control characters of those numbers, as the web's
/// standard maps them). Never fails.
class Windows1252Decoder : public Transform {
 public:
  Status write(std::string_view in, std::string& out) override;
  Status finish(std::string&) override { return Status::ok(); }
};

/// When `text` is UTF-16 (see utf16_bom and utf16_without_bom), decodes it into *storage and points
/// `text` there; otherwise leaves both. Errors are Utf16Decoder's, prefixed with "SOURCE: ".
Status utf16_to_utf8(std::string_view& text, std::string& storage, std::string_view source);

/// A stream that reads `in` from its start as UTF-8: decoded from `encoding` (kAuto: when it is
/// UTF-16, see utf16_bom and utf16_without_bom), else `in` as it is (see peek). A decoding error
/// fails reading with its message in *error; a read error of `in` is the reader's to meet.
Result<FilePtr> open_utf8(std::FILE* in, std::shared_ptr<std::string> error,
                          TextEncoding encoding = TextEncoding::kAuto);

// The whole of the file at `path` (its bytes as they are), for the inputs read whole (catalogs,
// series, exchange rates). Errors (kIoError) name it: a directory ("PATH: is a directory;
// expected EXPECTED"), a file that cannot be opened ("PATH: cannot open WHAT"), a read error.
Result<std::string> read_whole_file(const std::string& path, std::string_view expected,
                                    std::string_view what = "for reading");

}  // namespace costops::util
