// semver.hpp -- Semantic Versioning 2.0.0 versions and the range syntax operators know from npm/Cargo
// ("^1.2", "~1.2.3", ">=1.0.0 <2.0.0", "1.x", "1.0.0 || 2.x"): plugin versions, version pins and the
// state versions a plugin reads. No Debian package offers this for C++.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dataflex {

struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers after '-'; build metadata is dropped

  // "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]"; nullopt when `text` is not one.
  static std::optional<SemVer> parse(const std::string& text);
  std::string str() const;
};

// Precedence as SemVer 2.0.0 section 11: -1, 0 or 1 (build metadata never counts).
int compare(const SemVer& a, const SemVer& b);
inline bool operator<(const SemVer& a, const SemVer& b) { return compare(a, b) < 0; }
inline bool operator==(const SemVer& a, const SemVer& b) { return compare(a, b) == 0; }

// A set of versions: alternatives joined by "||", each a list of comparators that must all hold.
// Comparators: "1.2.3" or "=1.2.3" (exact), ">", ">=", "<", "<=", "^1.2" (same leftmost non-zero
// part), "~1.2.3" (same major.minor), "1.x" / "1.2.*" / "1" (wildcards), "*" or "" (any). As npm
// does, a pre-release version matches only a comparator naming a pre-release of the same
// MAJOR.MINOR.PATCH.
class SemVerRange {
 public:
  // Throws dataflex::Error("<what>: ...") naming the part that does not parse.
  static SemVerRange parse(const std::string& text, const std::string& what);
  bool matches(const SemVer& v) const;
  const std::string& text() const { return text_; }

 private:
  struct Comparator {
    enum Op { Eq, Lt, Le, Gt, Ge } op = Eq;
    SemVer version;
  };
  std::string text_;
  std::vector<std::vector<Comparator>> alternatives_;
};

}  // namespace dataflex
