#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <tuple>
#include <vector>

#include "costops/domain/aggregate.h"
#include "costops/domain/decimal.h"
#include "costops/domain/json_text.h"
#include "costops/domain/money.h"
#include "costops/domain/records.h"
#include "costops/domain/time.h"
#include "costops/domain/units.h"
#include "test_util.h"

namespace costops {
namespace {

Decimal D(const char* s) {
  auto r = Decimal::parse(s);
  EXPECT_TRUE(r.has_value()) << s << ": " << r.status_or_ok().to_string();
  return r ? *r : Decimal();
}

TEST(DecimalTest, ParsesAndFormatsExactly) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"0", "0"},
      {"12", "12"},
      {"-0.5", "-0.5"},
      {"+3.25", "3.25"},
      {"0.0793410", "0.079341"},
      {"2.5e-06", "0.0000025"},
      {"3.0001999999999996e-07", "0.00000030001999999999996"},
      {"1E3", "1000"},
      {"1.5e+2", "150"},
      {"0.000000000000000000000001", "0.000000000000000000000001"},
      {"100000000000000", "100000000000000"},
      {"-0", "0"},
      {".5", "0.5"},
  };
  for (const auto& c : cases) {
    auto d = Decimal::parse(c.in);
    ASSERT_TRUE(d.has_value()) << c.in;
    EXPECT_EQ(d->to_string(), c.want) << c.in;
  }
}

TEST(DecimalTest, RejectsMalformedAndInexactInput) {
  for (const char* bad : {"", "-", "abc", "1.2.3", "1e", "1e+", "0x10", "1,5", "12a", " 1"}) {
    auto d = Decimal::parse(bad);
    EXPECT_FALSE(d.has_value()) << bad;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  auto tiny = Decimal::parse("1e-25");
  ASSERT_FALSE(tiny.has_value());
  EXPECT_EQ(tiny.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(tiny.status().message().find("24 fractional digits"), std::string::npos);
  EXPECT_FALSE(Decimal::parse("1e20").has_value());  // beyond the range of 1.7e14
  EXPECT_TRUE(
      Decimal::parse("1.000000000000000000000000000").has_value());  // trailing zeros are exact
}

TEST(DecimalTest, ArithmeticIsExactAndNeverDrifts) {
  // 0.1 + 0.2 == 0.3, the classic binary floating-point failure.
  EXPECT_EQ((D("0.1") + D("0.2")).to_string(), "0.3");
  // A billion additions of a millionth of a cent stay exact.
  Decimal unit = D("0.00000001");
  auto big = unit.mul_int(1'000'000'000);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->to_string(), "10");
  Decimal sum;
  for (int i = 0; i < 1000; ++i) sum += D("0.000001");
  EXPECT_EQ(sum.to_string(), "0.001");
  EXPECT_EQ(D("2.5").mul(D("0.4"))->to_string(), "1");
  // Products past 170 (1000 USD at 0.92 a dollar), exact to the 24th place, rounded half-even
  // beyond it, either sign; past the range an error.
  EXPECT_EQ(D("1000").mul(D("0.92"))->to_string(), "920");
  EXPECT_EQ(
      D("98765.432109876543210987654321").mul(D("1234.000000000000000000000001"))->to_string(),
      "121876543.223587654322358765530879");
  EXPECT_EQ(D("-1000.5").mul(D("0.333333333333333333333333"))->to_string(),
            "-333.499999999999999999999666");
  EXPECT_EQ(D("0.000000000000000000000001").mul(D("0.5"))->to_string(), "0");
  EXPECT_EQ(D("0.000000000000000000000003").mul(D("-0.5"))->to_string(),
            "-0.000000000000000000000002");
  EXPECT_EQ(D("0.000000000000000000000003").mul(D("0.5"), RoundingMode::kFloor)->to_string(),
            "0.000000000000000000000001");
  EXPECT_EQ(D("-0.000000000000000000000003").mul(D("0.5"), RoundingMode::kFloor)->to_string(),
            "-0.000000000000000000000002");
  EXPECT_EQ(D("100000000000000").mul(D("1.5"))->to_string(), "150000000000000");
  EXPECT_EQ(D("100000000000000").mul(D("2")).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(D("3").mul_div(1, 3)->to_string(), "1");
  EXPECT_EQ(D("1").mul_div(1, 3)->to_string(), "0.333333333333333333333333");
  EXPECT_EQ(D("2").mul_div(1, 3)->to_string(), "0.666666666666666666666667");
}

TEST(DecimalTest, OverflowIsReportedNotWrapped) {
  Decimal big = D("100000000000000");
  Decimal out;
  const Decimal huge = Decimal::from_raw(static_cast<int128>(1) << 126);
  EXPECT_FALSE(Decimal::add_checked(huge, huge, &out));
  EXPECT_FALSE(big.mul_int(1'000'000).has_value());
  EXPECT_EQ(big.mul_int(1'000'000).status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(Decimal::add_checked(big, big, &out));  // 2e14 is past the 1.7e14 range
  EXPECT_TRUE(Decimal::add_checked(D("50000000000000"), D("50000000000000"), &out));
  EXPECT_EQ(out.to_string(), "100000000000000");
}

TEST(DecimalTest, NamedRounding) {
  struct Case {
    const char* in;
    int places;
    RoundingMode mode;
    const char* want;
  } cases[] = {
      {"0.125", 2, RoundingMode::kHalfEven, "0.12"},
      {"0.135", 2, RoundingMode::kHalfEven, "0.14"},
      {"0.125", 2, RoundingMode::kHalfUp, "0.13"},
      {"-0.125", 2, RoundingMode::kHalfUp, "-0.13"},
      {"0.129", 2, RoundingMode::kDown, "0.12"},
      {"0.121", 2, RoundingMode::kUp, "0.13"},
      {"-0.121", 2, RoundingMode::kFloor, "-0.13"},
      {"-0.129", 2, RoundingMode::kCeiling, "-0.12"},
      {"2.5", 0, RoundingMode::kHalfEven, "2"},
      {"3.5", 0, RoundingMode::kHalfEven, "4"},
      {"0.0793410", 4, RoundingMode::kHalfEven, "0.0793"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(D(c.in).round(c.places, c.mode).to_string(), c.want) << c.in;
  EXPECT_EQ(D("1.005").to_string_fixed(2), "1.00");
  EXPECT_EQ(D("12").to_string_fixed(2), "12.00");
  EXPECT_EQ(D("-0.001").to_string_fixed(2), "0.00");
}

// Division by long division, rounded like round(): shares and changes in percent of money
// without binary floating point.
TEST(DecimalTest, DivisionAndPercentagesAreExact) {
  EXPECT_EQ(D("1").div(D("3"), 6)->to_string(), "0.333333");
  EXPECT_EQ(D("2").div(D("3"), 6)->to_string(), "0.666667");
  EXPECT_EQ(D("-2").div(D("3"), 6)->to_string(), "-0.666667");
  EXPECT_EQ(D("1").div(D("-8"), 2)->to_string(), "-0.12");  // a tie: to even
  EXPECT_EQ(D("1").div(D("8"), 2, RoundingMode::kHalfUp)->to_string(), "0.13");
  EXPECT_EQ(D("1").div(D("8"), 2, RoundingMode::kFloor)->to_string(), "0.12");
  EXPECT_EQ(D("-1").div(D("8"), 2, RoundingMode::kFloor)->to_string(), "-0.13");
  EXPECT_EQ(D("0.000000000000000000000001").div(D("3"), 24)->to_string(), "0");
  EXPECT_EQ(D("85000000000000").div(D("0.5"), 0)->to_string(), "170000000000000");
  EXPECT_FALSE(D("170000000000000").div(D("0.5"), 0).has_value());  // out of range
  EXPECT_EQ(D("170000000000000").div(D("170000000000000"), 24)->to_string(), "1");
  EXPECT_FALSE(D("170000000000000").div(D("0.001"), 0).has_value());  // out of range
  EXPECT_FALSE(D("1").div(D("0"), 2).has_value());
  // Where doubles round 0.3 / 0.300000000000000001 to 1, and 1e-18 to 0.
  EXPECT_EQ(D("0.3").as_percent_of(D("0.300000000000000001"), 1)->to_string_fixed(1), "100.0");
  EXPECT_EQ(D("0.2").as_percent_of(D("0.300000000000000001"), 1)->to_string_fixed(1), "66.7");
  EXPECT_EQ(D("0.000000000000000001").as_percent_of(D("0.3"), 1)->to_string_fixed(1), "0.0");
  EXPECT_EQ(D("-0.3").as_percent_of(D("0.3"), 2)->to_string(), "-100");
  EXPECT_EQ(D("1").as_percent_of(D("3"), 2)->to_string(), "33.33");
}

TEST(DecimalTest, DoubleBridgeIsExplicitAndRejectsNonFinite) {
  EXPECT_EQ(Decimal::from_double(1234.5678, 2)->to_string(), "1234.57");
  EXPECT_FALSE(Decimal::from_double(std::nan(""), 2).has_value());
  EXPECT_FALSE(Decimal::from_double(1e300, 2).has_value());
  EXPECT_DOUBLE_EQ(D("0.25").to_double(), 0.25);
  // The nearest double, so its shortest text is the decimal's.
  EXPECT_EQ(D("0.03557152").to_double(), 0.03557152);
  EXPECT_EQ(D("7695.82").to_double(), 7695.82);
  EXPECT_EQ(D("-123456789.000000000000000001").to_double(), -123456789.0);
  EXPECT_EQ(D("0.000000000000000000000001").to_double(), 1e-24);
}

// A filter value with '*' is a pattern: each star any run of characters, the rest as written.
TEST(FilterTest, PatternsMatchWholeValues) {
  auto accepts = [](const char* filter, const char* value) {
    return Filter::parse(filter)->accepts(value);
  };
  EXPECT_TRUE(accepts("model=gpt-4o", "gpt-4o"));
  EXPECT_FALSE(accepts("model=gpt-4o", "gpt-4o-mini"));
  EXPECT_TRUE(accepts("model=gpt-4o*", "gpt-4o-mini"));
  EXPECT_TRUE(accepts("model=gpt-4o*", "gpt-4o"));
  EXPECT_FALSE(accepts("model=gpt-4o*", "chatgpt-4o"));
  EXPECT_TRUE(accepts("model=*mini*", "o4-mini-2025"));
  EXPECT_TRUE(accepts("model=*", ""));
  EXPECT_TRUE(accepts("model=a*b*c", "aXbYbc"));
  EXPECT_FALSE(accepts("model=*ab*ab", "ab"));  // the two parts may not overlap
  EXPECT_TRUE(accepts("model=*ab*ab", "abab"));
  EXPECT_FALSE(accepts("model=Claude-*", "claude-3"));        // case-sensitive, like equality
  EXPECT_TRUE(accepts("tag:team=100%_[x]?*", "100%_[x]?!"));  // no other special characters
  // "!=": the records the value or pattern does not match.
  const Filter not_openai = *Filter::parse("provider!=openai");
  EXPECT_TRUE(not_openai.negated);
  EXPECT_EQ(not_openai.text(), "provider!=openai");
  EXPECT_FALSE(not_openai.accepts("openai"));
  EXPECT_TRUE(not_openai.accepts("anthropic"));
  EXPECT_TRUE(accepts("tag:team!=*x*", ""));
  EXPECT_FALSE(accepts("model!=gpt-*", "gpt-4o"));
  EXPECT_FALSE(Filter::parse("model").has_value());
  EXPECT_FALSE(Filter::parse("!=x").has_value());
}

// Filters combine by key: one of a key's KEY=VALUE filters, none of its KEY!=VALUE ones, and every
// key filtered.
TEST(FilterTest, FiltersCombineByKey) {
  auto passes = [](std::vector<const char*> texts, const char* provider, const char* model,
                   const char* team = "") {
    AggregateQuery q;
    for (const char* t : texts) q.filters.push_back(*Filter::parse(t));
    PricedRecord r;
    r.usage.provider = provider;
    r.usage.model = model;
    if (*team != '\0') r.usage.tags = {{"team", team}};
    return matches(r, q);
  };
  const std::vector<const char*> two = {"provider=openai", "provider=anthropic"};
  EXPECT_TRUE(passes(two, "openai", "gpt-4o"));
  EXPECT_TRUE(passes(two, "anthropic", "claude-3"));
  EXPECT_FALSE(passes(two, "google", "gemini"));
  // A key's != filters all hold, beside its = ones.
  const std::vector<const char*> but = {"model=claude-*", "model!=*haiku*", "model!=*opus*"};
  EXPECT_TRUE(passes(but, "anthropic", "claude-sonnet-4"));
  EXPECT_FALSE(passes(but, "anthropic", "claude-haiku-4"));
  EXPECT_FALSE(passes(but, "anthropic", "claude-opus-4"));
  EXPECT_FALSE(passes(but, "openai", "gpt-4o"));
  // Different keys must all hold, a tag included (an absent tag is the empty value).
  const std::vector<const char*> keys = {"provider=openai", "tag:team=a", "provider=google",
                                         "tag:team=b"};
  EXPECT_TRUE(passes(keys, "google", "gemini", "b"));
  EXPECT_FALSE(passes(keys, "google", "gemini", "c"));
  EXPECT_FALSE(passes(keys, "anthropic", "claude-3", "a"));
  EXPECT_FALSE(passes(keys, "openai", "gpt-4o"));
  EXPECT_TRUE(passes({"tag:team!=a", "tag:team!=b"}, "openai", "gpt-4o"));

  const auto groups = group_filters({*Filter::parse("model=a"), *Filter::parse("tag:x=1"),
                                     *Filter::parse("model!=b"), *Filter::parse("model=c")});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].key.name(), "model");
  EXPECT_EQ(filters_text(groups[0].any_of), "model=a or model=c");
  EXPECT_EQ(filters_text(groups[0].none_of), "model!=b");
  // As text, a key's alternatives are said to be.
  EXPECT_EQ(filters_text({*Filter::parse("model=a"), *Filter::parse("tag:x=1"),
                          *Filter::parse("model!=b"), *Filter::parse("model=c")}),
            "model=a or model=c, model!=b, tag:x=1");
  EXPECT_EQ(groups[1].key.name(), "tag:x");
}

// A budget's scope within a report's selection: every record it keeps, the selection keeps.
TEST(FilterTest, ScopeWithinASelection) {
  auto within = [](std::vector<const char*> scope, std::vector<const char*> selection) {
    std::vector<Filter> a, b;
    for (const char* t : scope) a.push_back(*Filter::parse(t));
    for (const char* t : selection) b.push_back(*Filter::parse(t));
    return scope_within(a, b);
  };
  EXPECT_TRUE(within({}, {}));
  EXPECT_TRUE(within({"project=search"}, {}));
  EXPECT_FALSE(within({}, {"project=search"}));  // all spend is more than the project's
  EXPECT_TRUE(within({"project=search"}, {"project=search"}));
  EXPECT_TRUE(within({"project=search", "provider=openai"}, {"project=search"}));
  EXPECT_FALSE(within({"project=ads"}, {"project=search"}));
  EXPECT_FALSE(within({"project=search", "project=ads"}, {"project=search"}));
  EXPECT_TRUE(within({"project=search", "project=ads"}, {"project=search", "project=ads"}));
  EXPECT_TRUE(within({"project=search-eu"}, {"project=search-*"}));
  EXPECT_FALSE(within({"project=search-eu"}, {"project=search-*", "project!=*-eu"}));
  EXPECT_TRUE(within({"project=search-*"}, {"project=search-*"}));
  EXPECT_FALSE(within({"project=search-*"}, {"project=search-eu"}));
  EXPECT_FALSE(within({"project=search-*"}, {"project=*"}));  // (patterns: the same one only)
  EXPECT_TRUE(within({"project!=ads"}, {"project!=ads"}));
  EXPECT_TRUE(within({"project!=ads", "project!=test"}, {"project!=ads"}));
  EXPECT_FALSE(within({"project!=ads"}, {"project!=ads", "project!=test"}));
  EXPECT_FALSE(within({"provider=openai"}, {"provider=openai", "project=search"}));
}

// JSON text is valid UTF-8 whatever the input was: a rejected line's text may hold any bytes, and
// a message cut to a length must not cut a character in two.
TEST(JsonTextTest, StringsAreValidUtf8) {
  auto quoted = [](std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
  };
  EXPECT_EQ(quoted("gpt-4o"), "\"gpt-4o\"");
  EXPECT_EQ(quoted("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");  // 2, 3 and 4 bytes kept
  EXPECT_EQ(quoted("a\xff"
                   "b"),
            "\"a\\ufffdb\"");                                      // not UTF-8
  EXPECT_EQ(quoted("\xc3"), "\"\\ufffd\"");                        // cut short
  EXPECT_EQ(quoted("\xc0\xaf"), "\"\\ufffd\\ufffd\"");             // overlong '/'
  EXPECT_EQ(quoted("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(utf8_prefix("caf\xc3\xa9", 4), "caf");
  EXPECT_EQ(utf8_prefix("caf\xc3\xa9", 5), "caf\xc3\xa9");
  EXPECT_EQ(utf8_prefix("abc", 10), "abc");
}

TEST(MoneyTest, SameCurrencyAddsDifferentCurrenciesDoNot) {
  Money a{D("1.10"), Currency::usd()};
  Money b{D("2.20"), Currency::usd()};
  EXPECT_EQ(a.plus(b)->to_string(), "3.3 USD");
  auto eur = Currency::parse("eur");
  ASSERT_TRUE(eur.has_value());
  EXPECT_EQ(eur->code(), "EUR");
  auto mixed = a.plus(Money{D("1"), *eur});
  ASSERT_FALSE(mixed.has_value());
  EXPECT_EQ(mixed.status().message(), "cannot add EUR to USD");
  EXPECT_FALSE(Currency::parse("US").has_value());
  EXPECT_FALSE(Currency::parse("U$D").has_value());
}

TEST(TimeTest, ParsesRfc3339Forms) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"2026-11-02T10:15:00Z", "2026-11-02T10:15:00Z"},
      {"2026-11-02T10:15:00.123Z", "2026-11-02T10:15:00.123Z"},
      {"2026-11-02T10:15:00.123456Z", "2026-11-02T10:15:00.123456Z"},
      {"2026-11-02T12:15:00+02:00", "2026-11-02T10:15:00Z"},
      {"2026-11-02T00:15:00-01:30", "2026-11-02T01:45:00Z"},
      {"2026-11-02 10:15:00", "2026-11-02T10:15:00Z"},
      {"2026-11-02", "2026-11-02T00:00:00Z"},
      {"2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"},
  };
  for (const auto& c : cases) {
    auto t = parse_timestamp(c.in);
    ASSERT_TRUE(t.has_value()) << c.in;
    EXPECT_EQ(format_timestamp(*t), c.want) << c.in;
  }
  for (const char* bad : {"", "2026-13-01", "2025-02-29", "2026-11-02T25:00:00Z", "yesterday",
                          "2026-11-02T10:15:00Q"})
    EXPECT_FALSE(parse_timestamp(bad).has_value()) << bad;
  // A date or clock time that does not exist says which part is wrong.
  EXPECT_EQ(parse_timestamp("2025-02-29").status().message(),
            "expected an RFC 3339 timestamp like 2026-11-02T10:15:00Z, got \"2025-02-29\": the "
            "month has no such day");
  EXPECT_THAT(parse_timestamp("2026-13-01").status().message(),
              ::testing::EndsWith(": no such month"));
  EXPECT_THAT(parse_timestamp("2026-11-02T10:61:00Z").status().message(),
              ::testing::EndsWith(": the time of day is out of range"));
  EXPECT_EQ(seconds_of_day(*parse_timestamp("2026-11-02T00:30:01Z")), 1801);
}

TEST(TimeTest, ZonesShiftCalendarBuckets) {
  auto paris = TimeZone::locate("Europe/Paris");
  ASSERT_TRUE(paris.has_value());
  EXPECT_EQ(paris->name(), "Europe/Paris");
  const Timestamp t = *parse_timestamp("2026-03-29T00:30:00Z");  // DST starts at 01:00 UTC that day
  EXPECT_EQ(format_timestamp(paris->to_local(t)), "2026-03-29T01:30:00Z");
  EXPECT_EQ(format_timestamp(paris->to_local(*parse_timestamp("2026-03-29T01:30:00Z"))),
            "2026-03-29T03:30:00Z");
  auto nepal = TimeZone::locate("Asia/Kathmandu");  // +05:45
  EXPECT_EQ(format_timestamp(nepal->to_local(*parse_timestamp("2026-11-02T18:15:00Z"))),
            "2026-11-03T00:00:00Z");
  // from_local inverts to_local; a wall time the clocks skip (02:30 in Paris that day) is the
  // instant of the change, and one they repeat (02:30 on October 25th) its first occurrence.
  auto local = [&](const TimeZone& z, const char* wall) {
    return format_timestamp(z.from_local(*parse_timestamp(wall)));
  };
  EXPECT_EQ(local(*nepal, "2026-11-03T00:00:00Z"), "2026-11-02T18:15:00Z");
  EXPECT_EQ(local(*paris, "2026-03-29T01:30:00Z"), "2026-03-29T00:30:00Z");
  EXPECT_EQ(local(*paris, "2026-03-29T02:30:00Z"), "2026-03-29T01:00:00Z");
  EXPECT_EQ(local(*paris, "2026-03-29T03:30:00Z"), "2026-03-29T01:30:00Z");
  EXPECT_EQ(local(*paris, "2026-10-25T02:30:00Z"), "2026-10-25T00:30:00Z");
  EXPECT_EQ(local(TimeZone(), "2026-10-25T02:30:00Z"), "2026-10-25T02:30:00Z");
  EXPECT_TRUE(TimeZone().is_utc());
  EXPECT_TRUE(TimeZone::locate("UTC")->is_utc());
  auto bad = TimeZone::locate("Mars/Olympus");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("unknown time zone \"Mars/Olympus\""), std::string::npos);
}

// A fixed offset from UTC is a zone too: "+05:30", "-0800", "UTC+5", "GMT-3:30".
TEST(TimeTest, FixedOffsetsAreZones) {
  const Timestamp t = *parse_timestamp("2026-11-02T20:00:00Z");
  for (const auto& [name, shown, local] :
       std::vector<std::tuple<const char*, const char*, const char*>>{
           {"+05:30", "UTC+05:30", "2026-11-03T01:30:00Z"},
           {"+0530", "UTC+05:30", "2026-11-03T01:30:00Z"},
           {"UTC+5", "UTC+05:00", "2026-11-03T01:00:00Z"},
           {"-08:00", "UTC-08:00", "2026-11-02T12:00:00Z"},
           {"GMT-3:30", "UTC-03:30", "2026-11-02T16:30:00Z"},
           {"+14:00", "UTC+14:00", "2026-11-03T10:00:00Z"}}) {
    auto z = TimeZone::locate(name);
    ASSERT_TRUE(z.has_value()) << name;
    EXPECT_EQ(z->name(), shown);
    EXPECT_FALSE(z->is_utc());
    EXPECT_EQ(format_timestamp(z->to_local(t)), local) << name;
    EXPECT_EQ(z->from_local(z->to_local(t)), t) << name;
  }
  EXPECT_TRUE(TimeZone::locate("+00:00")->is_utc());
  for (const char* bad : {"+15:00", "+5:3", "+05:60", "+05:07", "+", "UTC+", "05:30", "+5x"})
    EXPECT_FALSE(TimeZone::locate(bad).has_value()) << bad;
}

// The compiled-in unit registry must equal the shipped units.yml (the v2 contract).
TEST(UnitsTest, RegistryMatchesUnitsYml) {
  const std::string text =
      testing::read_file(testing::source_path("data/pricing/genai-prices/units.yml"));
  ASSERT_FALSE(text.empty());
  std::map<std::string, std::map<std::string, std::string>> yml;
  std::string cur;
  std::istringstream in(text);
  std::string line;
  const std::regex top(R"(^([a-z0-9_]+):\s*$)"), kv(R"(^\s+(per|price_key):\s*(\S+))"),
      dims(R"(^\s+dimensions:\s*\{(.*)\})");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, top)) {
      cur = m[1];
      yml[cur]["price_key"] = cur;
    } else if (!cur.empty() && std::regex_search(line, m, kv)) {
      std::string v = m[2];
      v.erase(std::remove(v.begin(), v.end(), '_'), v.end());
      yml[cur][m[1]] = m[1] == "price_key" ? std::string(m[2]) : v;
    } else if (!cur.empty() && std::regex_search(line, m, dims)) {
      yml[cur]["dims"] = m[1];
    }
  }
  ASSERT_EQ(static_cast<int>(yml.size()), kUnitCount);
  const char* dim_names[] = {"family",    "direction", "modality", "token_type",
                             "cache_ttl", "page_type", "tool_type"};
  for (int i = 0; i < kUnitCount; ++i) {
    const UnitDef& u = kUnits[i];
    auto it = yml.find(std::string(u.usage_key));
    ASSERT_NE(it, yml.end()) << u.usage_key;
    EXPECT_EQ(it->second["price_key"], u.price_key) << u.usage_key;
    EXPECT_EQ(it->second["per"], std::to_string(u.per)) << u.usage_key;
    std::string want;
    for (int d = 0; d < kDimensionCount; ++d) {
      if (u.dims[d].empty()) continue;
      if (!want.empty()) want += ", ";
      want += std::string(dim_names[d]) + ": " + std::string(u.dims[d]);
    }
    std::string got = it->second["dims"];
    got.erase(0, got.find_first_not_of(' '));
    got.erase(got.find_last_not_of(' ') + 1);
    // Same set of "k: v" pairs, order-insensitive.
    auto split = [](std::string s) {
      std::vector<std::string> v;
      std::stringstream ss(s);
      std::string x;
      while (std::getline(ss, x, ',')) {
        x.erase(0, x.find_first_not_of(' '));
        x.erase(x.find_last_not_of(' ') + 1);
        v.push_back(x);
      }
      std::sort(v.begin(), v.end());
      return v;
    };
    EXPECT_EQ(split(got), split(want)) << u.usage_key;
  }
}

TEST(UnitsTest, AncestryFollowsDimensions) {
  using namespace units;
  EXPECT_TRUE(is_descendant_or_self(kInputTokens, kCacheReadTokens));
  EXPECT_TRUE(is_descendant_or_self(kInputTokens, kCacheAudioReadTokens));
  EXPECT_TRUE(is_descendant_or_self(kCacheReadTokens, kCacheAudioReadTokens));
  EXPECT_TRUE(is_descendant_or_self(kCacheWriteTokens, kCacheWrite1hTokens));
  EXPECT_FALSE(is_descendant_or_self(kCacheReadTokens, kInputTokens));
  EXPECT_FALSE(is_descendant_or_self(kInputTokens, kOutputTokens));
  EXPECT_FALSE(is_descendant_or_self(kInputTokens, kRequests));
  EXPECT_EQ(kUnits[kCacheWrite1hTokens].depth(), 3);
}

// Rows ordered by a measure, largest first, ties by keys; cost in the currency most is spent in.
TEST(AggregateTest, RowsOrderByAMeasureAndCostByTheMainCurrency) {
  auto row = [](std::string key, uint64_t records, int64_t requests, const char* usd,
                const char* eur) {
    AggregateRow r;
    r.keys = {std::move(key)};
    r.records = records;
    r.requests = requests;
    r.input_tokens = static_cast<int64_t>(records) * 10;
    if (usd) r.cost["USD"] = *Decimal::parse(usd);
    if (eur) r.cost["EUR"] = *Decimal::parse(eur);
    return r;
  };
  const std::vector<AggregateRow> rows{row("a", 1, 50, "1", nullptr), row("b", 3, 3, "0.5", "9"),
                                       row("c", 3, 7, nullptr, "2"), row("d", 2, 2, "3", "1")};
  EXPECT_EQ(main_currency(rows), "EUR");  // 12 EUR against 4.5 USD
  EXPECT_EQ(main_currency({}), "USD");
  // Totals are exact; one past Decimal's range (about 1.7e14: here 2e14 USD) outranks the others
  // (1.5e14 EUR).
  EXPECT_EQ(main_currency({row("x", 1, 1, "100000000000000", "5"),
                           row("y", 1, 1, "100000000000000", "150000000000000")}),
            "USD");
  auto keys = [&](RowOrder order, const std::string& currency) {
    std::vector<AggregateRow> r = rows;
    order_rows(r, order, currency);
    std::string out;
    for (const auto& x : r) out += x.keys[0];
    return out;
  };
  EXPECT_EQ(keys(RowOrder::kCost, "EUR"), "bcda");
  EXPECT_EQ(keys(RowOrder::kCost, "USD"), "dabc");
  EXPECT_EQ(keys(RowOrder::kRecords, "USD"), "bcda");  // b and c tie: by key
  EXPECT_EQ(keys(RowOrder::kRequests, "USD"), "acbd");
  EXPECT_EQ(keys(RowOrder::kTokens, "USD"), "bcda");
  EXPECT_EQ(keys(RowOrder::kKeys, "USD"), "abcd");
  EXPECT_EQ(*parse_row_order("requests"), RowOrder::kRequests);
  EXPECT_FALSE(parse_row_order("price").has_value());
}

// Cost per request and per million tokens, rounded half-even once to 9 decimals; none where the
// row's cost is not one known amount or there is nothing to divide by.
TEST(AggregateTest, UnitCostsPerRequestAndPerMillionTokens) {
  auto row = [](int64_t requests, int64_t in, int64_t out, const char* usd) {
    AggregateRow r;
    r.records = 1;
    r.requests = requests;
    r.input_tokens = in;
    r.output_tokens = out;
    if (usd) r.cost["USD"] = *Decimal::parse(usd);
    return r;
  };
  auto text = [](const std::optional<Decimal>& d) { return d ? d->to_string() : "none"; };
  UnitCosts u = unit_costs(row(491, 2984752, 389782, "11.9163006"));
  EXPECT_EQ(u.currency, "USD");
  EXPECT_EQ(text(u.per_request), "0.024269451");  // 0.02426945132...
  EXPECT_EQ(text(u.per_mtok), "3.531243306");     // 3.53124330577...
  // Ties go to the even digit: 0.0000000025 is 0.000000002, 0.0000000035 is 0.000000004, per
  // request and per million tokens (cost * 1e6 / tokens, rounded once).
  u = unit_costs(row(2, 2000000, 0, "0.000000005"));
  EXPECT_EQ(text(u.per_request), "0.000000002");
  EXPECT_EQ(text(u.per_mtok), "0.000000002");
  u = unit_costs(row(2, 2000000, 0, "0.000000007"));
  EXPECT_EQ(text(u.per_request), "0.000000004");
  EXPECT_EQ(text(u.per_mtok), "0.000000004");
  // Exact where the quotient is: a million tokens for 2.5.
  u = unit_costs(row(4, 600000, 400000, "2.5"));
  EXPECT_EQ(text(u.per_request), "0.625");
  EXPECT_EQ(text(u.per_mtok), "2.5");
  // Nothing to divide by, and no cost known.
  u = unit_costs(row(0, 100, 0, "1"));
  EXPECT_EQ(text(u.per_request), "none");
  EXPECT_EQ(text(u.per_mtok), "10000");
  u = unit_costs(row(0, 0, 0, "1"));
  EXPECT_EQ(u.currency, "");
  EXPECT_EQ(text(u.per_mtok), "none");
  AggregateRow unpriced = row(2, 10, 10, "1");
  unpriced.unpriced = 1;
  EXPECT_EQ(unit_costs(unpriced).currency, "");
  AggregateRow two = row(2, 10, 10, "1");
  two.cost["EUR"] = Decimal::from_int(1);
  EXPECT_FALSE(unit_costs(two).per_request.has_value());
  EXPECT_FALSE(unit_costs(row(2, 10, 10, nullptr)).per_request.has_value());
  // A cost near Decimal's range per token still has its rate (the product alone would overflow).
  u = unit_costs(row(1, 1000000000, 0, "100000000000000"));
  EXPECT_EQ(text(u.per_mtok), "100000000000");

  // Ordered by a unit cost, largest first: rows without one in the currency last, by key.
  auto keyed = [&](std::string key, AggregateRow r) {
    r.keys = {std::move(key)};
    return r;
  };
  AggregateRow eur = row(1, 10, 0, nullptr);
  eur.cost["EUR"] = Decimal::from_int(9);
  std::vector<AggregateRow> rows{keyed("a", row(4, 1000, 0, "1")),    // 0.25 a call, 1000 per 1M
                                 keyed("b", row(1, 4000, 0, "0.5")),  // 0.5, 125
                                 keyed("c", unpriced), keyed("d", eur),
                                 keyed("e", row(2, 2000, 0, "0.5"))};  // 0.25, 250
  auto order = [&](RowOrder o) {
    std::vector<AggregateRow> r = rows;
    order_rows(r, o, "USD");
    std::string out;
    for (const auto& x : r) out += x.keys[0];
    return out;
  };
  EXPECT_EQ(order(RowOrder::kPerRequest), "baecd");
  EXPECT_EQ(order(RowOrder::kPerMtok), "aebcd");
  EXPECT_EQ(*parse_row_order("per-mtok"), RowOrder::kPerMtok);
}

// Shared costs spread over the rows that agree on the other keys: in proportion to their cost,
// or evenly; exact, the shares adding up to what was spread; counts stay.
TEST(AggregateTest, SpreadSharedCosts) {
  auto row = [](std::string team, std::string month, const char* usd, const char* eur = nullptr) {
    AggregateRow r;
    r.keys = {std::move(team), std::move(month)};
    r.records = 1;
    if (usd) r.cost["USD"] = *Decimal::parse(usd);
    if (eur) r.cost["EUR"] = *Decimal::parse(eur);
    return r;
  };
  auto shared = [](const AggregateRow& r, const char* cur) {
    const auto it = r.shared.find(cur);
    return it == r.shared.end() ? std::string("none") : it->second.to_string();
  };
  const std::vector<AggregateRow> rows{
      row("", "2026-09", "10", "3"),  // spread over ads and search, September's
      row("ads", "2026-09", "1"), row("search", "2026-09", "3", "0"),
      row("", "2026-10", "1"),  // October: nobody to take it
      row("web", "2026-11", "2")};
  std::vector<AggregateRow> r = rows;
  ASSERT_TRUE(spread_shared(r, 0, SpreadBy::kCost).is_ok());
  EXPECT_EQ(shared(r[0], "USD"), "-10");
  EXPECT_EQ(shared(r[1], "USD"), "2.5");  // 10 * 1/4
  EXPECT_EQ(shared(r[2], "USD"), "7.5");
  // No EUR cost among the takers: evenly, the remainder of 3/2 exact.
  EXPECT_EQ(shared(r[0], "EUR"), "-3");
  EXPECT_EQ(shared(r[1], "EUR"), "1.5");
  EXPECT_EQ(shared(r[2], "EUR"), "1.5");
  EXPECT_EQ(shared(r[3], "USD"), "none");
  EXPECT_TRUE(r[4].shared.empty());
  EXPECT_EQ(r[1].records, 1u);  // counts stay
  // Evenly, and a third: the shares add up to the amount exactly, the remainder to the first
  // of the largest weights.
  r = rows;
  ASSERT_TRUE(spread_shared(r, 0, SpreadBy::kEven).is_ok());
  EXPECT_EQ(shared(r[1], "USD"), "5");
  std::vector<AggregateRow> thirds{row("", "m", "1"), row("a", "m", "1"), row("b", "m", "1"),
                                   row("c", "m", "1")};
  ASSERT_TRUE(spread_shared(thirds, 0, SpreadBy::kCost).is_ok());
  EXPECT_EQ(shared(thirds[1], "USD"), "0.333333333333333333333334");
  EXPECT_EQ(shared(thirds[2], "USD"), "0.333333333333333333333333");
  EXPECT_EQ(shared(thirds[3], "USD"), "0.333333333333333333333333");
  // Amounts of a large team's month (a shared 1,000,000 over 400,000 and 200,000): the shares
  // were an overflow error past a product of 170 (Decimal::mul).
  std::vector<AggregateRow> large{row("", "m", "1000000"), row("a", "m", "400000"),
                                  row("b", "m", "200000")};
  ASSERT_TRUE(spread_shared(large, 0, SpreadBy::kCost).is_ok());
  EXPECT_EQ(shared(large[1], "USD"), "666666.666666666666666667");
  EXPECT_EQ(shared(large[2], "USD"), "333333.333333333333333333");
  // Spread by the second key: the rows of a team, over its months.
  r = rows;
  ASSERT_TRUE(spread_shared(r, 1, SpreadBy::kCost).is_ok());
  EXPECT_TRUE(r[0].shared.empty());
  // Ordered by cost, the allocated cost counts: search 3 + 7.5 before ads 1 + 2.5 and the
  // September shared row (10 - 10).
  r = rows;
  ASSERT_TRUE(spread_shared(r, 0, SpreadBy::kCost).is_ok());
  order_rows(r, RowOrder::kCost, "USD");
  EXPECT_EQ(r[0].keys[0], "search");
  EXPECT_EQ(r[1].keys[0], "ads");
  EXPECT_EQ(*parse_spread_by("even"), SpreadBy::kEven);
  EXPECT_FALSE(parse_spread_by("cots").has_value());

  // Random rows (a fixed seed): per currency, the shares add up to zero exactly, no taker's share
  // is negative, and every row without a team gave all or nothing.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<AggregateRow> many;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      const std::string team = i == 0 || rng() % 3 == 0 ? "" : "t" + std::to_string(i);
      AggregateRow x = row(team, "m" + std::to_string(rng() % 2), nullptr);
      if (rng() % 4)
        x.cost["USD"] = Decimal::from_raw(static_cast<int128>(rng() % 1'000'000'007) * 1'000'003);
      if (rng() % 3 == 0) x.cost["EUR"] = Decimal::from_int(static_cast<int64_t>(rng() % 100));
      many.push_back(std::move(x));
    }
    // Keys must be unique per row: drop the later duplicates.
    std::vector<AggregateRow> unique;
    for (auto& x : many) {
      if (std::none_of(unique.begin(), unique.end(),
                       [&](const AggregateRow& u) { return u.keys == x.keys; }))
        unique.push_back(std::move(x));
    }
    const SpreadBy by = rng() % 2 ? SpreadBy::kCost : SpreadBy::kEven;
    ASSERT_TRUE(spread_shared(unique, 0, by).is_ok());
    std::map<std::string, Decimal> sum;
    for (const auto& x : unique) {
      for (const auto& [cur, d] : x.shared) {
        sum[cur] += d;
        if (!x.keys[0].empty()) {
          EXPECT_FALSE(d.is_negative()) << round;
        } else {
          EXPECT_EQ(d, -cost_in(x.cost, cur)) << round;
        }
      }
    }
    for (const auto& [cur, d] : sum) EXPECT_TRUE(d.is_zero()) << round << " " << cur;
  }
}

}  // namespace
}  // namespace costops
