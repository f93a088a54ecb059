// TimeZone: the only user of the date library's tz database (a heavy header kept out of others).
#include <date/tz.h>

#include "costops/domain/time.h"

namespace costops {

Result<TimeZone> TimeZone::locate(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "utc" || name == "Z") return TimeZone();
  try {
    TimeZone tz;
    tz.zone_ = date::locate_zone(std::string(name));
    return tz;
  } catch (const std::exception& e) {
    return not_found("unknown time zone \"" + std::string(name) +
                     "\" (use an IANA name such as Europe/Paris)");
  }
}

std::string TimeZone::name() const {
  return zone_ == nullptr ? "UTC" : std::string(static_cast<const date::time_zone*>(zone_)->name());
}

Timestamp TimeZone::to_local(Timestamp t) const {
  if (zone_ == nullptr) return t;
  const auto* z = static_cast<const date::time_zone*>(zone_);
  const auto local = z->to_local(t);
  return Timestamp{local.time_since_epoch()};
}

Timestamp TimeZone::from_local(Timestamp local) const {
  if (zone_ == nullptr) return local;
  const auto* z = static_cast<const date::time_zone*>(zone_);
  const date::local_time<Timestamp::duration> wall{local.time_since_epoch()};
  const date::local_info info = z->get_info(wall);
  if (info.result == date::local_info::nonexistent) {
    return std::chrono::time_point_cast<Timestamp::duration>(info.second.begin);  // the change
  }
  return z->to_sys(wall, date::choose::earliest);
}

}  // namespace costops
