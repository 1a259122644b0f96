// Tests conf/units.cc: squid's time and size units.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "conf/config.h"

namespace cuttle::conf {
namespace {

int64_t ms(std::string_view value, std::string_view unit, std::string_view def = "seconds") {
  auto d = parseDuration(value, unit, def);
  EXPECT_TRUE(d.has_value()) << value << " " << unit;
  return d ? d->count() : -1;
}

uint64_t bytes(std::string_view value, std::string_view unit, std::string_view def = "bytes") {
  auto s = parseSize(value, unit, def);
  EXPECT_TRUE(s.has_value()) << value << " " << unit;
  return s ? *s : 0;
}

TEST(ParseDuration, EveryTimeUnit) {
  EXPECT_EQ(ms("500", "milliseconds"), 500);
  EXPECT_EQ(ms("1", "millisecond"), 1);
  EXPECT_EQ(ms("250", "msec"), 250);
  EXPECT_EQ(ms("7", "ms"), 7);
  EXPECT_EQ(ms("15", "seconds"), 15000);
  EXPECT_EQ(ms("1", "second"), 1000);
  EXPECT_EQ(ms("2", "minutes"), 120000);
  EXPECT_EQ(ms("1", "minute"), 60000);
  EXPECT_EQ(ms("1", "hour"), 3600000);
  EXPECT_EQ(ms("3", "hours"), 10800000);
  EXPECT_EQ(ms("1", "day"), 86400000);
  EXPECT_EQ(ms("2", "days"), 172800000);
  EXPECT_EQ(ms("1", "week"), 604800000);
  EXPECT_EQ(ms("2", "weeks"), 1209600000);
  EXPECT_EQ(ms("1", "fortnight"), 1209600000);
  EXPECT_EQ(ms("2", "fortnights"), 2419200000);
  EXPECT_EQ(ms("1", "month"), 2592000000);  // squid: 30 days
  EXPECT_EQ(ms("2", "months"), 5184000000);
  EXPECT_EQ(ms("1", "year"), 31557790080);  // squid: 365.2522 days
  EXPECT_EQ(ms("2", "years"), 63115580160);
  EXPECT_EQ(ms("1", "decade"), 315577900800);
  EXPECT_EQ(ms("3", "decades"), 946733702400);
}

TEST(ParseDuration, UnitsAreCaseInsensitive) {
  EXPECT_EQ(ms("15", "SECONDS"), 15000);
  EXPECT_EQ(ms("2", "Minutes"), 120000);
  EXPECT_EQ(ms("1", "HoUr"), 3600000);
  EXPECT_EQ(ms("5", "MSEC"), 5);
}

TEST(ParseDuration, FractionsAreTruncatedExactly) {
  EXPECT_EQ(ms("1.5", "hours"), 5400000);
  EXPECT_EQ(ms("0.5", "seconds"), 500);
  EXPECT_EQ(ms("0.29", "seconds"), 290);  // no binary floating point rounding
  EXPECT_EQ(ms(".25", "minutes"), 15000);
  EXPECT_EQ(ms("2.", "seconds"), 2000);
  EXPECT_EQ(ms("1.0001", "seconds"), 1000);  // 1000.1 ms truncated
  EXPECT_EQ(ms("0", "seconds"), 0);
}

TEST(ParseDuration, MissingUnitTakesTheDefault) {
  EXPECT_EQ(ms("30", "", "seconds"), 30000);
  EXPECT_EQ(ms("30", "", "minutes"), 1800000);
  EXPECT_EQ(ms("30", "", "milliseconds"), 30);
}

TEST(ParseDuration, RejectsBadValuesAndUnits) {
  EXPECT_FALSE(parseDuration("-1", "seconds", "seconds"));
  EXPECT_FALSE(parseDuration("+1", "seconds", "seconds"));
  EXPECT_FALSE(parseDuration("abc", "seconds", "seconds"));
  EXPECT_FALSE(parseDuration("1e3", "seconds", "seconds"));
  EXPECT_FALSE(parseDuration("", "seconds", "seconds"));
  EXPECT_FALSE(parseDuration(".", "seconds", "seconds"));
  EXPECT_FALSE(parseDuration("1.2.3", "seconds", "seconds"));
  EXPECT_FALSE(parseDuration("15s", "", "seconds"));
  EXPECT_FALSE(parseDuration("1", "parsecs", "seconds"));
  EXPECT_FALSE(parseDuration("1", "s", "seconds"));  // not a squid unit
  EXPECT_FALSE(parseDuration("1", "", "bogus"));
  EXPECT_FALSE(parseDuration("1", "KB", "seconds"));  // a size unit
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_FALSE(parseDuration("99999999999999999999", "ms", "seconds"));
  EXPECT_FALSE(parseDuration("100000000", "decades", "seconds"));
  EXPECT_FALSE(parseDuration("9223372036854775808", "ms", "seconds"));  // > int64 max
  EXPECT_EQ(ms("9223372036854775807", "ms"), INT64_MAX);
}

TEST(ParseSize, EverySizeUnit) {
  EXPECT_EQ(bytes("100", "bytes"), 100u);
  EXPECT_EQ(bytes("1", "byte"), 1u);
  EXPECT_EQ(bytes("64", "KB"), 65536u);
  EXPECT_EQ(bytes("64", "KBytes"), 65536u);
  EXPECT_EQ(bytes("1", "KByte"), 1024u);
  EXPECT_EQ(bytes("1", "MB"), 1048576u);
  EXPECT_EQ(bytes("2", "MBytes"), 2097152u);
  EXPECT_EQ(bytes("2", "GB"), 2147483648u);
  EXPECT_EQ(bytes("1", "GBytes"), 1073741824u);
  EXPECT_EQ(bytes("1", "GByte"), 1073741824u);
}

TEST(ParseSize, UnitsAreCaseInsensitive) {
  EXPECT_EQ(bytes("64", "kb"), 65536u);
  EXPECT_EQ(bytes("1", "mb"), 1048576u);
  EXPECT_EQ(bytes("1", "Gb"), 1073741824u);
  EXPECT_EQ(bytes("3", "BYTES"), 3u);
  EXPECT_EQ(bytes("1", "kbytes"), 1024u);
}

TEST(ParseSize, FractionsAndDefaults) {
  EXPECT_EQ(bytes("1.5", "KB"), 1536u);
  EXPECT_EQ(bytes("0.5", "MB"), 524288u);
  EXPECT_EQ(bytes("1.1", "bytes"), 1u);
  EXPECT_EQ(bytes("16", "", "KB"), 16384u);
  EXPECT_EQ(bytes("16", "", "bytes"), 16u);
  EXPECT_EQ(bytes("3", "", "MB"), 3145728u);
}

TEST(ParseSize, RejectsBadValuesUnitsAndOverflow) {
  EXPECT_FALSE(parseSize("-5", "KB", "bytes"));
  EXPECT_FALSE(parseSize("many", "KB", "bytes"));
  EXPECT_FALSE(parseSize("64", "TB", "bytes"));
  EXPECT_FALSE(parseSize("64", "K", "bytes"));
  EXPECT_FALSE(parseSize("64", "seconds", "bytes"));
  EXPECT_FALSE(parseSize("17179869184", "GB", "bytes"));  // 2^64 bytes
  EXPECT_EQ(bytes("17179869183", "GB"), 18446744072635809792u);
}

}  // namespace
}  // namespace cuttle::conf
