// UTC time points and RFC 3339 text.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "costops/domain/status.h"

namespace costops {

/// A UTC instant with microsecond resolution.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// Parses RFC 3339 / ISO 8601: "2026-11-02T10:15:00Z", "2026-11-02T10:15:00.123+02:00",
/// "2026-11-02 10:15:00" (UTC assumed), or a date "2026-11-02" (midnight UTC).
/// Errors (kInvalidArgument) name the text.
Result<Timestamp> parse_timestamp(std::string_view text);

/// "2026-11-02T10:15:00Z", with ".ffffff" (trailing zeros trimmed to millis) when sub-second.
std::string format_timestamp(Timestamp t);
/// Appends format_timestamp(t) to `out`.
void append_timestamp(std::string& out, Timestamp t);

/// Seconds since midnight UTC of `t`, 0..86399.
int seconds_of_day(Timestamp t);

/// A time zone for calendar buckets: UTC, an IANA zone from the system's tz database, or a fixed
/// offset from UTC. Regular value type (a pointer to the process-wide database entry);
/// thread-safe.
class TimeZone {
 public:
  /// UTC.
  TimeZone() = default;
  /// "UTC", "Europe/Paris", "America/New_York", ..., or a fixed offset: "+05:30", "-08:00",
  /// "+0530", "UTC+5", "GMT-3:30" (quarter hours, up to 14 hours). Errors (kNotFound) for unknown
  /// names.
  static Result<TimeZone> locate(std::string_view name);

  bool is_utc() const { return zone_ == nullptr && offset_minutes_ == 0; }
  std::string name() const;
  /// The local wall-clock time of `t`, expressed on the UTC time line (t + the zone's offset then).
  Timestamp to_local(Timestamp t) const;
  /// The local calendar day `t` falls on.
  std::chrono::sys_days local_day(Timestamp t) const {
    return std::chrono::floor<std::chrono::days>(to_local(t));
  }
  /// The inverse: the instant whose local wall-clock time is `local` (on the UTC time line, as
  /// to_local gives it). A time skipped by a clock change maps to the instant of the change, and
  /// one that occurs twice to its first occurrence.
  Timestamp from_local(Timestamp local) const;

 private:
  const void* zone_ = nullptr;  // const date::time_zone*
  int offset_minutes_ = 0;      // without a zone: the fixed offset east of UTC
};

}  // namespace costops
