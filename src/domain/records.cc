#include "costops/domain/records.h"

namespace costops {

bool LoggedCosts::is_off(const Decimal& logged, const Decimal& exact) {
  constexpr Decimal kMillionth = Decimal::from_raw(Decimal::kScale / 1'000'000);
  Decimal diff = logged - exact, hundred_times;
  if (diff.is_negative()) diff = -diff;
  const Decimal size = exact.is_negative() ? -exact : exact;
  return diff >= kMillionth &&
         (!Decimal::mul_int_checked(diff, 100, &hundred_times) || hundred_times > size);
}

bool LoggedCosts::add(const Decimal& logged_cost, const Decimal& exact_cost, Currency currency) {
  if (!comparable(currency)) {
    ++uncompared;
    return true;
  }
  ++records;
  if (is_off(logged_cost, exact_cost)) ++off;
  return Decimal::add_checked(logged, logged_cost, &logged) &&
         Decimal::add_checked(exact, exact_cost, &exact);
}

bool LoggedCosts::add(const LoggedCosts& o) {
  records += o.records;
  off += o.off;
  uncompared += o.uncompared;
  return Decimal::add_checked(logged, o.logged, &logged) &&
         Decimal::add_checked(exact, o.exact, &exact);
}

}  // namespace costops
