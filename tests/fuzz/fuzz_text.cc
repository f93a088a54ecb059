// Fuzz target: the short texts of a command line and of records' fields: timestamps, dates,
// periods, decimal amounts, time zones, group keys, filters, model swaps, currencies, and model
// names resolved in the built-in catalog (with its "did you mean" suggestions). Checks: no crash,
// no sanitizer report, and decimals and timestamps that parse print as text that parses back to
// the same value.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "costops/domain/aggregate.h"
#include "costops/domain/decimal.h"
#include "costops/domain/money.h"
#include "costops/domain/time.h"
#include "costops/engine/whatif.h"
#include "costops/forecasting/budget.h"
#include "costops/forecasting/series.h"
#include "costops/pricing/catalog.h"

using namespace costops;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Two texts: before and after the first line break (a provider and a model, two amounts).
  const size_t nl = text.find('\n');
  const std::string_view a = text.substr(0, nl);
  const std::string_view b =
      nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);

  if (auto t = parse_timestamp(a)) {
    auto again = parse_timestamp(format_timestamp(*t));
    if (!again || *again != *t) std::abort();
  }
  if (auto d = Decimal::parse(a)) {
    auto again = Decimal::parse(d->to_string());
    if (!again || *again != *d) std::abort();
    if (auto e = Decimal::parse(b)) {
      (void)d->mul(*e);
      (void)d->div(*e, 12);
      (void)d->as_percent_of(*e, 6);
      Decimal sum;
      (void)Decimal::add_checked(*d, *e, &sum);
    }
    (void)d->to_string_fixed(2);
  }
  if (auto date = forecasting::parse_date(a)) {
    (void)forecasting::format_date(*date);
    (void)forecasting::resolve_period(b, *date);
  }
  if (auto tz = TimeZone::locate(a)) {
    if (auto t = parse_timestamp(b)) (void)tz->from_local(tz->to_local(*t));
  }
  (void)GroupKey::parse(a);
  (void)Filter::parse(a);
  (void)engine::ModelSwap::parse(a);
  (void)Currency::parse(a);
  (void)pricing::Catalog::builtin().resolve(a, b);
  return 0;
}
