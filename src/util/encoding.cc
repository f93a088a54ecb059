#include "util/encoding.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace costops::util {
namespace {

// Appends code point `cp` (at most U+10FFFF, no surrogate) as UTF-8.
void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

Utf16 utf16_bom(std::string_view text) {
  if (text.starts_with("\xFF\xFE")) return Utf16::kLittleEndian;
  if (text.starts_with("\xFE\xFF")) return Utf16::kBigEndian;
  return Utf16::kNone;
}

Utf16 utf16_without_bom(std::string_view head) {
  const size_t chars = std::min<size_t>(head.size() / 2, 32);
  size_t little = 0, big = 0;  // characters whose high byte is NUL, in either order
  for (size_t i = 0; i < chars; ++i) {
    const char a = head[2 * i], b = head[2 * i + 1];
    if (a == 0 && b == 0) return Utf16::kNone;  // text has no NUL character
    little += a != 0 && b == 0;
    big += a == 0 && b != 0;
  }
  if (little >= 2 && little > big && 2 * little >= chars) return Utf16::kLittleEndian;
  if (big >= 2 && big > little && 2 * big >= chars) return Utf16::kBigEndian;
  return Utf16::kNone;
}

Status Utf16Decoder::bad(std::string_view what) const {
  return invalid_argument("line " + std::to_string(line_) +
                          ": invalid UTF-16: " + std::string(what));
}

Status Utf16Decoder::unit(uint32_t u, std::string& out) {
  uint32_t cp = u;
  if (high_ != 0) {
    if (u < 0xDC00 || u > 0xDFFF) return bad("a high surrogate without its low one");
    cp = 0x10000 + ((high_ - 0xD800) << 10) + (u - 0xDC00);
    high_ = 0;
  } else if (u >= 0xD800 && u <= 0xDBFF) {
    high_ = u;
    return Status::ok();
  } else if (u >= 0xDC00 && u <= 0xDFFF) {
    return bad("a low surrogate without its high one");
  }
  if (cp == '\n') ++line_;
  append_utf8(cp, out);
  return Status::ok();
}

Status Utf16Decoder::write(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() / 2 * 3);
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(in[i])); };
  auto join = [this](uint32_t first, uint32_t second) {
    return little_ ? first | second << 8 : first << 8 | second;
  };
  size_t i = 0;
  if (pending_ >= 0 && !in.empty()) {
    COSTOPS_RETURN_IF_ERROR(unit(join(static_cast<uint32_t>(pending_), byte(0)), out));
    pending_ = -1;
    i = 1;
  }
  for (; i + 1 < in.size(); i += 2) {
    const uint32_t u = join(byte(i), byte(i + 1));
    if (u < 0x80 && u != '\n' && high_ == 0) {
      out.push_back(static_cast<char>(u));  // most of a usage log's text
    } else {
      COSTOPS_RETURN_IF_ERROR(unit(u, out));
    }
  }
  if (i < in.size()) pending_ = static_cast<int>(byte(i));
  return Status::ok();
}

Status Utf16Decoder::finish(std::string&) {
  if (pending_ >= 0) return bad("the text ends in half a character (an odd number of bytes)");
  if (high_ != 0) return bad("the text ends in a high surrogate without its low one");
  return Status::ok();
}

Status Windows1252Decoder::write(std::string_view in, std::string& out) {
  // 0x80-0x9F: the characters Windows-1252 puts there (0 where it has none: the control
  // character of the byte's number).
  static constexpr char16_t kHigh[32] = {
      0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
  out.reserve(out.size() + in.size());
  for (const char c : in) {
    const auto b = static_cast<unsigned char>(c);
    append_utf8(b >= 0x80 && b < 0xA0 && kHigh[b - 0x80] != 0 ? kHigh[b - 0x80] : b, out);
  }
  return Status::ok();
}

Status utf16_to_utf8(std::string_view& text, std::string& storage, std::string_view source) {
  const Utf16 mark = utf16_bom(text);
  const Utf16 order = mark != Utf16::kNone ? mark : utf16_without_bom(text);
  if (order == Utf16::kNone) return Status::ok();
  Utf16Decoder d(order);
  storage.clear();
  Status st = d.write(text.substr(mark != Utf16::kNone ? 2 : 0), storage);
  if (st.is_ok()) st = d.finish(storage);
  if (!st.is_ok()) return st.with_context(std::string(source));
  text = storage;
  return Status::ok();
}

Result<FilePtr> open_utf8(std::FILE* in, std::shared_ptr<std::string> error,
                          TextEncoding encoding) {
  if (encoding == TextEncoding::kUtf8) return borrowed(in);
  if (encoding == TextEncoding::kWindows1252) {
    return open_transformed(borrowed(in), std::make_unique<Windows1252Decoder>(), std::move(error));
  }
  std::string head;
  auto again = peek(in, 64, &head);
  // A read error before the first byte is left to the reader, which says it as its others.
  if (!again) return borrowed(in);
  // The byte order named, else the one the mark tells (auto), else the one the first characters
  // tell; none: UTF-8, as it is.
  const Utf16 mark = utf16_bom(head);
  const Utf16 order = encoding == TextEncoding::kUtf16Le   ? Utf16::kLittleEndian
                      : encoding == TextEncoding::kUtf16Be ? Utf16::kBigEndian
                      : mark != Utf16::kNone               ? mark
                                                           : utf16_without_bom(head);
  if (order == Utf16::kNone) return again;
  if (mark == order) {  // a mark of the text's order is no character of it
    char skipped[2];
    if (std::fread(skipped, 1, 2, again->get()) != 2) return io_error("read error");
  }
  return open_transformed(std::move(*again), std::make_unique<Utf16Decoder>(order),
                          std::move(error));
}

Result<std::string> read_whole_file(const std::string& path, std::string_view expected,
                                    std::string_view what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return io_error(path + ": is a directory; expected " + std::string(expected));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path + ": cannot open " + std::string(what));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error(path + ": read error");
  return std::move(ss).str();
}

}  // namespace costops::util
