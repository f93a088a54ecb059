#include "costops/domain/json_text.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace costops {

void append_json_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  });
  if (plain) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  out.push_back('"');
  for (char c : s) {
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
