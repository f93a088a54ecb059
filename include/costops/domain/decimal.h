// Exact decimal arithmetic for money: a signed 128-bit count of 10^-24 units.
// Never binary floating point; rounding happens only where a caller names a mode.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "costops/domain/status.h"

namespace costops {

using int128 = __int128;

/// How to round when a value has more digits than wanted.
enum class RoundingMode {
  kHalfEven,  // banker's rounding: ties to the even neighbour (the default for display)
  kHalfUp,    // ties away from zero
  kDown,      // toward zero (truncate)
  kUp,        // away from zero
  kFloor,     // toward negative infinity
  kCeiling,   // toward positive infinity
};

/// An exact decimal number with 24 fractional digits, range about +/-1.7e14.
///
/// Catalog prices (up to 23 decimals in LiteLLM's per-token prices) and their products with
/// integer token counts are represented exactly. Sums of a billion records of up to $100,000
/// each stay in range; checked operations report overflow instead of wrapping.
/// Regular value type; thread-compatible.
class Decimal {
 public:
  static constexpr int kScaleDigits = 24;
  static constexpr int128 kScale = static_cast<int128>(1'000'000'000'000) * 1'000'000'000'000;

  constexpr Decimal() = default;

  /// The integer `v` exactly.
  static constexpr Decimal from_int(int64_t v) { return Decimal(static_cast<int128>(v) * kScale); }
  /// The value raw * 10^-24.
  static constexpr Decimal from_raw(int128 raw) { return Decimal(raw); }

  /// Parses a decimal literal: optional sign, digits with an optional fraction, optional
  /// exponent ("12", "-0.5", "2.5e-06", "1E3"). Errors (kInvalidArgument) on anything else,
  /// and (kOutOfRange) when the value needs more than 24 fractional digits or is too large;
  /// never rounds silently and never goes through double.
  static Result<Decimal> parse(std::string_view text);

  /// Converts a double rounded to `places` fractional digits (half-even). The one sanctioned
  /// bridge from floating point (forecasts) back to money. Errors on NaN, infinity, overflow.
  static Result<Decimal> from_double(double v, int places = 12);

  constexpr int128 raw() const { return raw_; }
  constexpr bool is_zero() const { return raw_ == 0; }
  constexpr bool is_negative() const { return raw_ < 0; }
  constexpr auto operator<=>(const Decimal&) const = default;

  /// Unchecked arithmetic. REQUIRES: the result is in range (use the checked forms otherwise).
  constexpr Decimal operator+(Decimal o) const { return Decimal(raw_ + o.raw_); }
  constexpr Decimal operator-(Decimal o) const { return Decimal(raw_ - o.raw_); }
  constexpr Decimal operator-() const { return Decimal(-raw_); }
  constexpr Decimal& operator+=(Decimal o) {
    raw_ += o.raw_;
    return *this;
  }
  constexpr Decimal& operator-=(Decimal o) {
    raw_ -= o.raw_;
    return *this;
  }

  /// Checked arithmetic: false (and `out` untouched) on overflow.
  [[nodiscard]] static bool add_checked(Decimal a, Decimal b, Decimal* out);
  [[nodiscard]] static bool mul_int_checked(Decimal a, int64_t n, Decimal* out);

  /// this * n exactly. Errors (kOutOfRange) on overflow.
  Result<Decimal> mul_int(int64_t n) const;
  /// this * num / den, rounded to 24 digits with `mode` only if the quotient is inexact.
  /// REQUIRES: den > 0. Errors on overflow.
  Result<Decimal> mul_div(int64_t num, int64_t den,
                          RoundingMode mode = RoundingMode::kHalfEven) const;
  /// Exact product of two decimals when it fits in 24 fractional digits; otherwise rounded
  /// with `mode`. Errors on overflow.
  Result<Decimal> mul(Decimal o, RoundingMode mode = RoundingMode::kHalfEven) const;

  /// this / o rounded to `places` fractional digits (0..24) with `mode`, by long division (no
  /// binary floating point). Errors when `o` is zero or the quotient is out of range.
  Result<Decimal> div(Decimal o, int places, RoundingMode mode = RoundingMode::kHalfEven) const;
  /// this as a percentage of `whole` (this / whole * 100), rounded to `places` (0..22) fractional
  /// digits with `mode`: a share or a change in percent of money, exactly. Errors as div().
  Result<Decimal> as_percent_of(Decimal whole, int places,
                                RoundingMode mode = RoundingMode::kHalfEven) const;

  /// Rounds to `places` fractional digits (0..24) with `mode`.
  Decimal round(int places, RoundingMode mode = RoundingMode::kHalfEven) const;

  /// Shortest exact text without exponent: "0.0793410" -> "0.079341", "12", "-0.5".
  std::string to_string() const;
  /// Text with exactly `places` fractional digits after rounding with `mode`: "0.08".
  std::string to_string_fixed(int places, RoundingMode mode = RoundingMode::kHalfEven) const;
  /// Appends to_string() to `out` without temporary allocations beyond `out`'s growth.
  void append_to(std::string& out) const;

  /// Nearest double; for statistics and charts only, never for money arithmetic.
  double to_double() const;

 private:
  constexpr explicit Decimal(int128 raw) : raw_(raw) {}
  int128 raw_ = 0;
};

/// Divides with rounding: n / d rounded by `mode`. REQUIRES: d > 0.
int128 div_round(int128 n, int128 d, RoundingMode mode);

}  // namespace costops
