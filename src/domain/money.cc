#include "costops/domain/money.h"

#include "costops/domain/json_text.h"

namespace costops {

Result<Currency> Currency::parse(std::string_view code) {
  if (code.size() != 3)
    return invalid_argument("currency code must have 3 letters, got " + quoted_excerpt(code));
  Currency c;
  for (size_t i = 0; i < 3; ++i) {
    char ch = code[i];
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch < 'A' || ch > 'Z')
      return invalid_argument("currency code must have 3 letters, got " + quoted_excerpt(code));
    c.code_[i] = ch;
  }
  return c;
}

Result<Money> Money::plus(const Money& other) const {
  if (currency != other.currency) {
    return invalid_argument("cannot add " + std::string(other.currency.code()) + " to " +
                            std::string(currency.code()));
  }
  Decimal sum;
  if (!Decimal::add_checked(amount, other.amount, &sum)) return out_of_range("money sum overflows");
  return Money{sum, currency};
}

std::string Money::to_string() const {
  std::string s = amount.to_string();
  s += ' ';
  s += currency.code();
  return s;
}

}  // namespace costops
