// TimeZone: the only user of the date library's tz database (a heavy header kept out of others).
#include <date/tz.h>

#include <cstdio>
#include <string>

#include "costops/domain/time.h"

namespace costops {

namespace {

// Whether `name` is a fixed offset ("+05:30", "-0800", "UTC+5", "GMT-3:30", up to 14 hours, in
// quarter hours), with the minutes east of UTC it names in *east.
bool fixed_offset(std::string_view name, int* east) {
  for (std::string_view prefix : {"UTC", "utc", "GMT", "gmt"}) {
    if (name.starts_with(prefix) && name.size() > prefix.size()) {
      name.remove_prefix(prefix.size());
      break;
    }
  }
  if (name.size() < 2 || (name[0] != '+' && name[0] != '-')) return false;
  const int sign = name[0] == '-' ? -1 : 1;
  name.remove_prefix(1);
  auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  std::string_view h = name, m;
  if (const size_t colon = name.find(':'); colon != std::string_view::npos) {
    h = name.substr(0, colon);
    m = name.substr(colon + 1);
    if (m.size() != 2) return false;
  } else if (name.size() == 4) {
    h = name.substr(0, 2);
    m = name.substr(2);
  }
  if (!digits(h) || h.size() > 2 || (!m.empty() && !digits(m))) return false;
  const int hours = std::stoi(std::string(h));
  const int minutes = m.empty() ? 0 : std::stoi(std::string(m));
  // (Whole quarter hours, as every zone's offset is: stores bucket time by quarter hours.)
  if (minutes > 59 || minutes % 15 != 0 || hours * 60 + minutes > 14 * 60) return false;
  *east = sign * (hours * 60 + minutes);
  return true;
}

}  // namespace

Result<TimeZone> TimeZone::locate(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "utc" || name == "Z") return TimeZone();
  if (int east = 0; fixed_offset(name, &east)) {
    TimeZone tz;
    tz.offset_minutes_ = east;
    return tz;
  }
  try {
    TimeZone tz;
    tz.zone_ = date::locate_zone(std::string(name));
    return tz;
  } catch (const std::exception& e) {
    return not_found("unknown time zone \"" + std::string(name) +
                     "\" (use an IANA name such as Europe/Paris, or an offset such as +05:30)");
  }
}

std::string TimeZone::name() const {
  if (zone_ != nullptr) return std::string(static_cast<const date::time_zone*>(zone_)->name());
  if (offset_minutes_ == 0) return "UTC";
  const int m = offset_minutes_ < 0 ? -offset_minutes_ : offset_minutes_;
  char buf[16];
  std::snprintf(buf, sizeof buf, "UTC%c%02d:%02d", offset_minutes_ < 0 ? '-' : '+', m / 60, m % 60);
  return buf;
}

Timestamp TimeZone::to_local(Timestamp t) const {
  if (zone_ == nullptr) return t + std::chrono::minutes(offset_minutes_);
  const auto* z = static_cast<const date::time_zone*>(zone_);
  const auto local = z->to_local(t);
  return Timestamp{local.time_since_epoch()};
}

Timestamp TimeZone::from_local(Timestamp local) const {
  if (zone_ == nullptr) return local - std::chrono::minutes(offset_minutes_);
  const auto* z = static_cast<const date::time_zone*>(zone_);
  const date::local_time<Timestamp::duration> wall{local.time_since_epoch()};
  const date::local_info info = z->get_info(wall);
  if (info.result == date::local_info::nonexistent) {
    return std::chrono::time_point_cast<Timestamp::duration>(info.second.begin);  // the change
  }
  return z->to_sys(wall, date::choose::earliest);
}

}  // namespace costops
