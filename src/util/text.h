// Small text helpers shared by the readers. Private to the library.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace costops::util {

// A UTF-8 byte order mark, which some Windows tools (PowerShell 5, Excel's "CSV UTF-8") write
// before the text. It is not part of the first line.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The length of the byte order mark `text` begins with (0 when none).
inline size_t utf8_bom_length(std::string_view text) {
  return text.starts_with(kUtf8Bom) ? kUtf8Bom.size() : 0;
}

// A "file:" URI of `path` as SQLite reads one (SQLITE_OPEN_URI): its %, ? and # escaped, so that
// parameters (?mode=ro, ?immutable=1) can follow.
inline std::string sqlite_file_uri(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (const char ch : path) {
    if (ch == '%' || ch == '?' || ch == '#') {
      uri += '%';
      uri += kHex[static_cast<unsigned char>(ch) >> 4];
      uri += kHex[static_cast<unsigned char>(ch) & 15];
    } else {
      uri += ch;
    }
  }
  return uri;
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

// Whether `head` (an input's first bytes, decoded to UTF-8) is binary data rather than text (an
// executable, an image, an archive of a kind not read): it holds a NUL, or more than one in 16 of
// its first 4096 bytes are other control characters (text in another encoding has none).
inline bool looks_binary(std::string_view head) {
  head = head.substr(0, 4096);
  size_t odd = 0;
  for (size_t i = 0; i < head.size(); ++i) {
    const auto c = static_cast<unsigned char>(head[i]);
    if (c == 0) return true;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f)
      ++odd;
  }
  return odd * 16 > head.size();
}

// ASCII lower case, without std::tolower's locale (a call per character).
// Whether `pattern` matches `v` whole, each '*' in it matching any run of characters and the
// rest as written (case-sensitive): "claude-*", "*mini*".
inline bool star_match(std::string_view pattern, std::string_view v) {
  // The parts between stars appear in order, the first at the start and the last at the end
  // (greedy leftmost matching is exact for this pattern language).
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return v == pattern;
  if (!v.starts_with(pattern.substr(0, star))) return false;
  v.remove_prefix(star);
  pattern.remove_prefix(star + 1);
  while ((star = pattern.find('*')) != std::string_view::npos) {
    const std::string_view part = pattern.substr(0, star);
    const size_t at = v.find(part);
    if (at == std::string_view::npos) return false;
    v.remove_prefix(at + part.size());
    pattern.remove_prefix(star + 1);
  }
  return v.size() >= pattern.size() && v.ends_with(pattern);
}

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `s` in ASCII lower case (other bytes as they are).
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Levenshtein distance of a and b, ignoring ASCII case: how close a mistyped name is to one
// that exists, for "did you mean" hints. When it is more than `limit`, some value above `limit`
// (found sooner: lengths further apart than that, or a row of the table all beyond it), so a
// search for the closest of many names costs little for the far ones.
inline size_t edit_distance(std::string_view a, std::string_view b,
                            size_t limit = static_cast<size_t>(-1)) {
  const size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (gap > limit) return limit + 1;
  constexpr size_t kOnStack = 128;
  size_t stack_row[kOnStack + 1];
  std::vector<size_t> heap_row;
  size_t* row = stack_row;
  if (b.size() > kOnStack) {
    heap_row.resize(b.size() + 1);
    row = heap_row.data();
  }
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    size_t lowest = row[0];
    const char ai = ascii_lower(a[i - 1]);
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = ai == ascii_lower(b[j - 1]);
      const size_t next = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = row[j];
      row[j] = next;
      lowest = std::min(lowest, next);
    }
    if (lowest > limit) return limit + 1;  // every later row is at least this
  }
  return row[b.size()];
}

// How many edits a mistyped name as long as `k` is taken to have at most: one, or two from 10
// characters on.
inline size_t typo_edits(std::string_view k) { return k.size() < 10 ? 1 : 2; }

// Of the names `each(visit)` visits, the closest to `k` within `most` edits (edit_distance; the
// first of equally close ones), or "" when none is. The names must outlive the result.
template <typename Each>
std::string_view nearest_name(std::string_view k, size_t most, const Each& each) {
  std::string_view best;
  size_t best_d = most + 1;
  each([&](std::string_view name) {
    if (const size_t d = edit_distance(k, name, best_d - 1); d < best_d) {
      best_d = d;
      best = name;
    }
  });
  return best;
}

}  // namespace costops::util
