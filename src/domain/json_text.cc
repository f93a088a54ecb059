#include "costops/domain/json_text.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace costops {

size_t utf8_sequence(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

void append_json_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20 &&
           static_cast<unsigned char>(c) < 0x80;
  });
  if (plain) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const size_t n = utf8_sequence(s.substr(i));
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_json_object(std::string& out,
                        std::span<const std::pair<std::string, std::string>> members) {
  out += '{';
  for (size_t i = 0; i < members.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, members[i].first);
    out += ':';
    append_json_string(out, members[i].second);
  }
  out += '}';
}

bool is_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string_view utf8_prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  // Back off over continuation bytes to the start of the sequence the cut falls in.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string quoted_excerpt(std::string_view s, size_t max) {
  const std::string_view shown = utf8_prefix(s, max);
  std::string out;
  append_json_string(out, shown);
  if (shown.size() < s.size()) out.insert(out.size() - 1, "...");
  return out;
}

void append_usage_json(std::string& out, const Usage& u) {
  // Built in a local buffer and appended once (hot in `cost-ops price`).
  char buf[kUnitCount * 56 + 2];
  char* w = buf;
  *w++ = '{';
  bool first = true;
  uint64_t rest = u.present;
  while (rest != 0) {
    const int i = std::countr_zero(rest);
    rest &= rest - 1;
    if (u.counts[i] == 0) continue;
    if (!first) *w++ = ',';
    first = false;
    *w++ = '"';
    const std::string_view key = kUnits[i].usage_key;
    std::memcpy(w, key.data(), key.size());
    w += key.size();
    *w++ = '"';
    *w++ = ':';
    w = std::to_chars(w, w + 24, u.counts[i]).ptr;
  }
  *w++ = '}';
  out.append(buf, static_cast<size_t>(w - buf));
}

}  // namespace costops
