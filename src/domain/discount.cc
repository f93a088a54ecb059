#include "costops/domain/discount.h"

#include <string>
#include <utility>
#include <vector>

namespace costops {

std::string Discount::day_text(const std::optional<std::chrono::sys_days>& day) {
  return day ? format_timestamp(Timestamp(*day)).substr(0, 10) : std::string();
}

Result<std::optional<std::chrono::sys_days>> Discount::parse_day(std::string_view text) {
  if (text.empty()) return std::optional<std::chrono::sys_days>();
  auto t = parse_timestamp(text);
  if (!t || text.size() != 10)
    return invalid_argument("a day is YYYY-MM-DD, not \"" + std::string(text) + "\"");
  return std::optional(std::chrono::floor<std::chrono::days>(*t));
}

void Discount::put_by_name(std::vector<Discount>& list, Discount d) {
  std::erase_if(list, [&](const Discount& x) { return x.name == d.name; });
  list.push_back(std::move(d));
}

bool Discount::active(Timestamp at) const {
  const auto day = std::chrono::floor<std::chrono::days>(at);
  return (!from || *from <= day) && (!to || day <= *to);
}

std::string Discount::describe() const {
  std::string s = percent.to_string() + "% off " + provider + " ";
  if (models.empty()) s += "all models";
  for (size_t i = 0; i < models.size(); ++i) s += (i == 0 ? "" : ", ") + models[i];
  if (from) s += " from " + day_text(*from);
  if (to) s += " to " + day_text(*to);
  if (!from && !to) s += ", always";
  return s;
}

Status Discount::check() const {
  COSTOPS_RETURN_IF_ERROR(check_stored_name("discount", name));
  auto fail = [&](const std::string& what) {
    return invalid_argument("discount \"" + name + "\": " + what);
  };
  if (provider.empty()) return fail("it needs a provider");
  if (percent <= Decimal() || percent > Decimal::from_int(100))
    return fail("the percentage off must be more than 0 and at most 100, not " +
                percent.to_string());
  if (from && to && *to < *from)
    return fail("its first day " + day_text(*from) + " is after its last " + day_text(*to));
  return Status::ok();
}

}  // namespace costops
