// Money: an exact Decimal amount in a currency. Amounts in different currencies never add.
#pragma once

#include <array>
#include <compare>
#include <string>
#include <string_view>

#include "costops/domain/decimal.h"

namespace costops {

/// An ISO 4217 style code of three upper-case letters ("USD"). Regular value type.
class Currency {
 public:
  /// USD, the currency of every built-in catalog.
  constexpr Currency() : code_{'U', 'S', 'D'} {}
  /// Parses three ASCII letters (case-insensitive). Errors (kInvalidArgument) otherwise.
  static Result<Currency> parse(std::string_view code);
  static constexpr Currency usd() { return Currency(); }

  std::string_view code() const { return {code_.data(), 3}; }
  constexpr auto operator<=>(const Currency&) const = default;

 private:
  std::array<char, 3> code_;
};

/// An amount of money. Regular value type.
struct Money {
  Decimal amount;
  Currency currency;

  constexpr auto operator<=>(const Money&) const = default;
  /// Sum of two amounts. Errors (kInvalidArgument) on different currencies, kOutOfRange on
  /// overflow.
  Result<Money> plus(const Money& other) const;
  /// "0.079341 USD".
  std::string to_string() const;
};

}  // namespace costops
