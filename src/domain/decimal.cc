#include "costops/domain/decimal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "costops/domain/json_text.h"

namespace costops {
namespace {

constexpr int128 kMax = std::numeric_limits<int128>::max();

int128 pow10(int n) {
  int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

bool mul_overflows(int128 a, int128 b, int128* out) { return __builtin_mul_overflow(a, b, out); }

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes the 12 decimal digits of v (< 10^12, zero-padded) at out, two at a time.
void twelve_digits(uint64_t v, char* out) {
  for (int i = 10; i >= 0; i -= 2) {
    const auto r = static_cast<size_t>(v % 100) * 2;
    v /= 100;
    out[i] = kDigitPairs[r];
    out[i + 1] = kDigitPairs[r + 1];
  }
}

// q = (hi * 2^64 + lo) / d and *rem the remainder. REQUIRES: hi < d (the quotient fits 64 bits).
inline uint64_t div_128_by_64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t* rem) {
#if defined(__x86_64__)
  uint64_t q, r;
  __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
  *rem = r;
  return q;
#else
  const unsigned __int128 n = (static_cast<unsigned __int128>(hi) << 64) | lo;
  *rem = static_cast<uint64_t>(n % d);
  return static_cast<uint64_t>(n / d);
#endif
}

// Formatting divides 64-bit halves: 128-bit division is a libgcc call per digit otherwise.
// Costs computed from per-million prices rarely use the last 12 digits; they are skipped when 0.
void append_raw(std::string& out, int128 raw, int min_places, bool strip) {
  const unsigned __int128 mag =
      raw < 0 ? -static_cast<unsigned __int128>(raw) : static_cast<unsigned __int128>(raw);
  constexpr uint64_t k12 = 1'000'000'000'000ULL;
  // mag = (ip * 10^12 + fh) * 10^12 + fl, by long division in 64-bit steps.
  const auto mhi = static_cast<uint64_t>(mag >> 64), mlo = static_cast<uint64_t>(mag);
  const uint64_t qhi = mhi / k12;
  uint64_t fl, fh;
  const uint64_t qlo = div_128_by_64(mhi % k12, mlo, k12, &fl);  // q12 = qhi * 2^64 + qlo
  const uint64_t ip = div_128_by_64(qhi, qlo, k12, &fh);         // q12 < 1.8e26, ip < 1.8e14
  // Built in a local buffer and appended once: this runs three times per priced line.
  char buf[64];
  char* w = buf;
  if (raw < 0 && mag != 0) *w++ = '-';
  char digits[20];
  char* d = digits + sizeof(digits);
  uint64_t v = ip;
  do {
    *--d = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  const auto nint = static_cast<size_t>(digits + sizeof(digits) - d);
  std::memcpy(w, d, nint);
  w += nint;
  char frac[Decimal::kScaleDigits];
  int n = Decimal::kScaleDigits;
  if (fl == 0 && strip) {
    n = 12;
    if (fh == 0) {
      n = 0;
    } else {
      twelve_digits(fh, frac);
    }
  } else {
    twelve_digits(fh, frac);
    twelve_digits(fl, frac + 12);
  }
  if (strip) {
    while (n > min_places && frac[n - 1] == '0') --n;
  } else {
    n = min_places;
  }
  if (n > 0) {
    *w++ = '.';
    std::memcpy(w, frac, static_cast<size_t>(n));
    w += n;
  }
  out.append(buf, static_cast<size_t>(w - buf));
}

// Whether a quotient whose remainder is not zero rounds away from zero under `mode`: `above`
// and `at` say whether twice the remainder is above or at the divisor (past or at the half),
// `odd` whether the truncated quotient is odd, `neg` whether the quotient is negative.
bool rounds_away(RoundingMode mode, bool above, bool at, bool odd, bool neg) {
  switch (mode) {
    case RoundingMode::kHalfEven:
      return above || (at && odd);
    case RoundingMode::kHalfUp:
      return above || at;
    case RoundingMode::kDown:
      return false;
    case RoundingMode::kUp:
      return true;
    case RoundingMode::kFloor:
      return neg;
    case RoundingMode::kCeiling:
      return !neg;
  }
  return false;
}

}  // namespace

int128 div_round(int128 n, int128 d, RoundingMode mode) {
  int128 q = n / d;
  int128 r = n % d;
  if (r == 0) return q;
  const bool neg = (n < 0);
  const int128 ar = r < 0 ? -r : r;
  const int128 twice = ar * 2;  // d <= kMax/2 in all our uses
  if (rounds_away(mode, twice > d, twice == d, q % 2 != 0, neg)) q += neg ? -1 : 1;
  return q;
}

Result<Decimal> Decimal::parse(std::string_view s) {
  const std::string_view orig = s;
  auto bad = [&] {
    return invalid_argument("expected a decimal number, got " + quoted_excerpt(orig));
  };
  if (s.empty()) return bad();
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  unsigned __int128 mant = 0;
  int digits = 0;       // significant digits accumulated (after leading zeros)
  int frac_digits = 0;  // digits after the point that went into mant
  bool any = false, point = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (mant == 0 && c == '0') {
        if (point) ++frac_digits;
        continue;
      }
      if (digits >= 38)
        return out_of_range("decimal literal has too many digits: \"" + std::string(orig) + "\"");
      mant = mant * 10 + static_cast<unsigned>(c - '0');
      ++digits;
      if (point) ++frac_digits;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return bad();
  int exp = 0;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return bad();
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      eneg = s[i] == '-';
      ++i;
    }
    if (i >= s.size()) return bad();
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return bad();
      if (exp > 10000)
        return out_of_range("decimal exponent too large: \"" + std::string(orig) + "\"");
      exp = exp * 10 + (s[i] - '0');
    }
    if (eneg) exp = -exp;
  }
  // value = mant * 10^(exp - frac_digits); we want raw = value * 10^24.
  int shift = kScaleDigits + exp - frac_digits;
  int128 raw = 0;
  if (mant == 0) return Decimal(0);
  if (shift >= 0) {
    if (shift > 38) return out_of_range("decimal out of range: \"" + std::string(orig) + "\"");
    if (mant > static_cast<unsigned __int128>(kMax))
      return out_of_range("decimal out of range: \"" + std::string(orig) + "\"");
    if (mul_overflows(static_cast<int128>(mant), pow10(shift), &raw))
      return out_of_range("decimal out of range: \"" + std::string(orig) + "\"");
  } else {
    // Only exact when the dropped digits are zeros.
    unsigned __int128 m = mant;
    for (int k = 0; k < -shift; ++k) {
      if (m % 10 != 0)
        return out_of_range("decimal needs more than 24 fractional digits: \"" + std::string(orig) +
                            "\"");
      m /= 10;
    }
    raw = static_cast<int128>(m);
  }
  return Decimal(neg ? -raw : raw);
}

Result<Decimal> Decimal::from_double(double v, int places) {
  if (!std::isfinite(v)) return out_of_range("cannot convert a non-finite number to a decimal");
  if (places < 0 || places > 17) places = 17;
  char buf[128];
  int n = std::snprintf(buf, sizeof buf, "%.*f", places, v);
  if (n <= 0 || n >= static_cast<int>(sizeof buf))
    return out_of_range("number too large for a decimal");
  return parse(std::string_view(buf, static_cast<size_t>(n)));
}

bool Decimal::add_checked(Decimal a, Decimal b, Decimal* out) {
  int128 r;
  if (__builtin_add_overflow(a.raw_, b.raw_, &r)) return false;
  *out = Decimal(r);
  return true;
}

bool Decimal::mul_int_checked(Decimal a, int64_t n, Decimal* out) {
  int128 r;
  if (__builtin_mul_overflow(a.raw_, static_cast<int128>(n), &r)) return false;
  *out = Decimal(r);
  return true;
}

Result<Decimal> Decimal::mul_int(int64_t n) const {
  Decimal r;
  if (!mul_int_checked(*this, n, &r)) return out_of_range("decimal multiplication overflows");
  return r;
}

Result<Decimal> Decimal::mul_div(int64_t num, int64_t den, RoundingMode mode) const {
  assert(den > 0);
  int128 p;
  if (mul_overflows(raw_, num, &p)) {
    // Divide first when the product would overflow; exact when den divides raw_.
    int128 q = raw_ / den, r = raw_ % den;
    int128 a, b;
    if (mul_overflows(q, num, &a) || mul_overflows(r, num, &b))
      return out_of_range("decimal multiplication overflows");
    return Decimal(a + div_round(b, den, mode));
  }
  return Decimal(div_round(p, den, mode));
}

Result<Decimal> Decimal::mul(Decimal o, RoundingMode mode) const {
  // (a * b) / 10^24 where a, b are raw: the 256-bit product of their magnitudes in four 64-bit
  // limbs (least significant first), divided by 10^12 twice. (Splitting b at 10^12 instead
  // overflowed 128 bits once a * b passed about 170: 1000 USD times 0.92.)
  using u128 = unsigned __int128;
  const bool neg = (raw_ < 0) != (o.raw_ < 0);
  const u128 a = raw_ < 0 ? -static_cast<u128>(raw_) : static_cast<u128>(raw_);
  const u128 b = o.raw_ < 0 ? -static_cast<u128>(o.raw_) : static_cast<u128>(o.raw_);
  const uint64_t a0 = static_cast<uint64_t>(a), a1 = static_cast<uint64_t>(a >> 64);
  const uint64_t b0 = static_cast<uint64_t>(b), b1 = static_cast<uint64_t>(b >> 64);
  const u128 p00 = static_cast<u128>(a0) * b0, p01 = static_cast<u128>(a0) * b1;
  const u128 p10 = static_cast<u128>(a1) * b0, p11 = static_cast<u128>(a1) * b1;
  uint64_t limb[4];
  limb[0] = static_cast<uint64_t>(p00);
  const u128 mid = (p00 >> 64) + static_cast<uint64_t>(p01) + static_cast<uint64_t>(p10);
  limb[1] = static_cast<uint64_t>(mid);
  const u128 high = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + static_cast<uint64_t>(p11);
  limb[2] = static_cast<uint64_t>(high);
  limb[3] = static_cast<uint64_t>((high >> 64) + (p11 >> 64));
  // Divides the limbs by d (< 2^64) in place; returns the remainder.
  auto divide = [&limb](uint64_t d) {
    u128 r = 0;
    for (int i = 3; i >= 0; --i) {
      const u128 cur = (r << 64) | limb[i];  // r < d < 2^40 here: no overflow
      limb[i] = static_cast<uint64_t>(cur / d);
      r = cur % d;
    }
    return static_cast<uint64_t>(r);
  };
  constexpr uint64_t k12 = 1'000'000'000'000;
  const uint64_t r1 = divide(k12), r2 = divide(k12);
  if (limb[3] != 0 || limb[2] != 0) return out_of_range("decimal multiplication overflows");
  u128 q = (static_cast<u128>(limb[1]) << 64) | limb[0];
  const u128 rem = static_cast<u128>(r2) * k12 + r1;  // < 10^24
  const u128 twice = rem * 2, scale = static_cast<u128>(kScale);
  if (rem != 0 && rounds_away(mode, twice > scale, twice == scale, q % 2 != 0, neg)) ++q;
  if (q > static_cast<u128>(kMax)) return out_of_range("decimal multiplication overflows");
  return Decimal(neg ? -static_cast<int128>(q) : static_cast<int128>(q));
}

Result<Decimal> Decimal::div(Decimal o, int places, RoundingMode mode) const {
  using u128 = unsigned __int128;
  if (o.raw_ == 0) return invalid_argument("decimal division by zero");
  places = std::clamp(places, 0, kScaleDigits);
  const bool neg = (raw_ < 0) != (o.raw_ < 0);
  const u128 a = raw_ < 0 ? -static_cast<u128>(raw_) : static_cast<u128>(raw_);
  const u128 b = o.raw_ < 0 ? -static_cast<u128>(o.raw_) : static_cast<u128>(o.raw_);
  // The quotient in units of 10^-places, a digit at a time: q * 10 + floor(10 r / b), the ten
  // multiples of r added one by one so that nothing exceeds 2b (b <= 2^127).
  const u128 limit = static_cast<u128>(kMax);
  u128 q = a / b, r = a % b;
  for (int i = 0; i < places; ++i) {
    u128 digit = 0, rr = 0;
    for (int k = 0; k < 10; ++k) {
      rr += r;
      if (rr >= b) rr -= b, ++digit;
    }
    if (q > (limit - digit) / 10) return out_of_range("decimal division overflows");
    q = q * 10 + digit;
    r = rr;
  }
  const u128 twice = r * 2;  // r < b <= 2^127
  const bool away = r != 0 && rounds_away(mode, twice > b, twice == b, q % 2 != 0, neg);
  q += away ? 1 : 0;
  const u128 f = static_cast<u128>(pow10(kScaleDigits - places));
  if (q > limit / f) return out_of_range("decimal division overflows");
  const int128 raw = static_cast<int128>(q * f);
  return Decimal(neg ? -raw : raw);
}

Result<Decimal> Decimal::as_percent_of(Decimal whole, int places, RoundingMode mode) const {
  auto ratio = div(whole, std::clamp(places, 0, kScaleDigits - 2) + 2, mode);
  if (!ratio) return ratio.status();
  return ratio->mul_int(100);
}

Decimal Decimal::round(int places, RoundingMode mode) const {
  if (places >= kScaleDigits) return *this;
  if (places < 0) places = 0;
  int128 f = pow10(kScaleDigits - places);
  return Decimal(div_round(raw_, f, mode) * f);
}

std::string Decimal::to_string() const {
  std::string s;
  append_to(s);
  return s;
}

void Decimal::append_to(std::string& out) const { append_raw(out, raw_, 0, true); }

std::string Decimal::to_string_fixed(int places, RoundingMode mode) const {
  if (places < 0) places = 0;
  if (places > kScaleDigits) places = kScaleDigits;
  std::string s;
  append_raw(s, round(places, mode).raw_, places, false);
  return s;
}

double Decimal::to_double() const {
  // The exact text read back is correctly rounded; converting the integer and fractional parts
  // apart rounds twice (0.03557152 became 0.035571519999999995).
  const std::string text = to_string();
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace costops
