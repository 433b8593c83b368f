// Versions and ranges as npm's node-semver reads them (its documented examples), which operators of
// side-by-side plugin versions write in dataflex.component_version and plugin.reads_state_from.
#include <gtest/gtest.h>

#include "util/error.hpp"
#include "util/semver.hpp"

using dataflex::SemVer;
using dataflex::SemVerRange;

namespace {

SemVer v(const std::string& text) {
  const auto parsed = SemVer::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(SemVer{});
}

bool in(const std::string& range, const std::string& version) {
  return SemVerRange::parse(range, "test").matches(v(version));
}

}  // namespace

TEST(SemVer, ParsesStrictVersionsOnly) {
  EXPECT_EQ(v("1.2.3").str(), "1.2.3");
  EXPECT_EQ(v("1.0.0-rc.1+build.5").str(), "1.0.0-rc.1");
  for (const char* bad :
       {"", "1", "1.2", "01.2.3", "1.2.3.4", "v1.2.3", "1.2.x", "1.2.3-", "1.2.3-01", "a.b.c", "1.2.3+", "-1.2.3"})
    EXPECT_FALSE(SemVer::parse(bad).has_value()) << bad;
}

TEST(SemVer, PrecedenceFollowsTheSpecification) {
  // SemVer 2.0.0, section 11's example chain.
  const char* chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                         "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                         "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                         "1.1.0",       "2.0.0",         "10.0.0"};
  for (size_t i = 0; i + 1 < std::size(chain); ++i) EXPECT_LT(compare(v(chain[i]), v(chain[i + 1])), 0) << chain[i];
  EXPECT_EQ(compare(v("1.0.0+a"), v("1.0.0+b")), 0);
}

TEST(SemVerRange, CaretTildeWildcardsAndComparators) {
  EXPECT_TRUE(in("^1.2", "1.2.0"));
  EXPECT_TRUE(in("^1.2", "1.9.9"));
  EXPECT_FALSE(in("^1.2", "1.1.9"));
  EXPECT_FALSE(in("^1.2", "2.0.0"));
  EXPECT_TRUE(in("^0.2.3", "0.2.9"));
  EXPECT_FALSE(in("^0.2.3", "0.3.0"));
  EXPECT_FALSE(in("^0.0.3", "0.0.4"));
  EXPECT_TRUE(in("~1.2.3", "1.2.9"));
  EXPECT_FALSE(in("~1.2.3", "1.3.0"));
  EXPECT_TRUE(in("~1", "1.9.0"));
  EXPECT_TRUE(in("1.x", "1.4.2"));
  EXPECT_FALSE(in("1.x", "2.0.0"));
  EXPECT_TRUE(in("1.2", "1.2.7"));  // a partial version is a wildcard
  EXPECT_TRUE(in("1.2.3", "1.2.3"));
  EXPECT_FALSE(in("1.2.3", "1.2.4"));
  EXPECT_TRUE(in("=1.1.0", "1.1.0"));
  EXPECT_TRUE(in("*", "3.1.4"));
  EXPECT_TRUE(in("", "0.0.1"));
  EXPECT_TRUE(in(">=1.0.0 <1.1.0", "1.0.9"));
  EXPECT_FALSE(in(">=1.0.0 <1.1.0", "1.1.0"));
  EXPECT_TRUE(in(">=1.0.0, <2", "1.9.0"));  // Cargo's commas
  EXPECT_TRUE(in(">= 1.0", "1.0.0"));       // an operator apart from its version
  EXPECT_TRUE(in(">1.2", "1.3.0"));
  EXPECT_FALSE(in(">1.2", "1.2.9"));
  EXPECT_TRUE(in("<=1.2", "1.2.9"));
  EXPECT_FALSE(in("<=1.2", "1.3.0"));
  EXPECT_TRUE(in("1.0.0 || ^2.1", "2.5.0"));
  EXPECT_TRUE(in("1.0.0 || ^2.1", "1.0.0"));
  EXPECT_FALSE(in("1.0.0 || ^2.1", "1.5.0"));
}

TEST(SemVerRange, PreReleasesMatchOnlyWhenNamed) {
  EXPECT_FALSE(in("^1.0", "1.1.0-beta"));
  EXPECT_FALSE(in("<2.0.0", "2.0.0-alpha"));
  EXPECT_TRUE(in(">=1.1.0-alpha <1.2", "1.1.0-beta"));
  EXPECT_TRUE(in("1.1.0-beta", "1.1.0-beta"));
}

TEST(SemVerRange, MalformedRangesNameThePart) {
  for (const char* bad : {"^", "banana", "1.2.3.4", ">>1", "1.x.3", "^1.2 || ?", "=>1.0"}) {
    try {
      SemVerRange::parse(bad, "dataflex.component_version");
      ADD_FAILURE() << bad << " parsed";
    } catch (const dataflex::Error& e) {
      EXPECT_NE(std::string(e.what()).find("dataflex.component_version: \""), std::string::npos) << e.what();
    }
  }
}
