#include "costops/domain/time.h"

#include <cstdio>
#include <string>

#include "costops/domain/json_text.h"

namespace costops {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Result<Timestamp> parse_timestamp(std::string_view s) {
  using namespace std::chrono;
  auto bad = [&](const char* why = nullptr) {
    std::string m =
        "expected an RFC 3339 timestamp like 2026-11-02T10:15:00Z, got " + quoted_excerpt(s);
    if (why != nullptr) m += std::string(": ") + why;
    return invalid_argument(m);
  };
  int y, mo, d;
  if (!digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, &mo) ||
      s[7] != '-' || !digits(s, 8, 2, &d))
    return bad();
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad(ymd.month().ok() ? "the month has no such day" : "no such month");
  microseconds tod{0};
  int offset_min = 0;
  size_t i = 10;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return bad();
    int hh, mm, ss = 0;
    if (!digits(s, i + 1, 2, &hh) || s.size() < i + 6 || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, &mm))
      return bad();
    i += 6;
    if (i < s.size() && s[i] == ':') {
      if (!digits(s, i + 1, 2, &ss)) return bad();
      i += 3;
    }
    if (hh > 23 || mm > 59 || ss > 60) return bad("the time of day is out of range");
    int64_t frac_us = 0;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      int n = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (n < 6) frac_us = frac_us * 10 + (s[i] - '0');
        ++n;
        ++i;
      }
      if (n == 0) return bad();
      for (int k = n; k < 6; ++k) frac_us *= 10;
    }
    tod = hours{hh} + minutes{mm} + seconds{ss} + microseconds{frac_us};
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int oh, om = 0;
        if (!digits(s, i + 1, 2, &oh)) return bad();
        size_t j = i + 3;
        if (j < s.size() && s[j] == ':') ++j;
        if (j < s.size()) {
          if (!digits(s, j, 2, &om)) return bad();
          j += 2;
        }
        offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i = j;
      } else {
        return bad();
      }
    }
    if (i != s.size()) return bad();
  }
  return Timestamp{sys_days{ymd}} + tod - minutes{offset_min};
}

void append_timestamp(std::string& out, Timestamp t) {
  using namespace std::chrono;
  const sys_days dd = floor<days>(t);
  const year_month_day ymd{dd};
  const auto tod = t - dd;
  const auto h = duration_cast<hours>(tod);
  const auto m = duration_cast<minutes>(tod - h);
  const auto s = duration_cast<seconds>(tod - h - m);
  const auto us = duration_cast<microseconds>(tod - h - m - s).count();
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                        static_cast<int>(m.count()), static_cast<int>(s.count()));
  out.append(buf, static_cast<size_t>(n));
  if (us != 0) {
    if (us % 1000 == 0) {
      n = std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(us / 1000));
    } else {
      n = std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(us));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  out.push_back('Z');
}

std::string format_timestamp(Timestamp t) {
  std::string s;
  append_timestamp(s, t);
  return s;
}

int seconds_of_day(Timestamp t) {
  using namespace std::chrono;
  return static_cast<int>(duration_cast<seconds>(t - floor<days>(t)).count());
}

}  // namespace costops
