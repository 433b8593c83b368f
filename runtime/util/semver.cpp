#include "util/semver.hpp"

#include <cctype>

#include "util/error.hpp"

namespace dataflex {
namespace {

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// A numeric part: digits, no leading zero (SemVer 2.0.0 section 2), fits in 64 bits.
std::optional<uint64_t> number(const std::string& s) {
  if (!all_digits(s) || (s.size() > 1 && s[0] == '0') || s.size() > 19) return std::nullopt;
  return std::stoull(s);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

bool identifier_ok(const std::string& id, bool prerelease) {
  if (id.empty()) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  return !(prerelease && all_digits(id) && id.size() > 1 && id[0] == '0');
}

int compare_identifiers(const std::string& a, const std::string& b) {
  const bool na = all_digits(a), nb = all_digits(b);
  if (na && nb) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (na != nb) return na ? -1 : 1;  // numeric identifiers have lower precedence
  return a < b ? -1 : a > b ? 1 : 0;
}

// A version as written in a range: any of its parts may be missing or a wildcard (x, X, *).
struct Partial {
  std::optional<uint64_t> major, minor, patch;
  std::vector<std::string> prerelease;
  int given() const { return major ? (minor ? (patch ? 3 : 2) : 1) : 0; }
  SemVer floor() const {
    SemVer v;
    v.major = major.value_or(0), v.minor = minor.value_or(0), v.patch = patch.value_or(0);
    v.prerelease = prerelease;
    return v;
  }
};

std::optional<Partial> parse_partial(std::string text) {
  Partial p;
  if (text.empty() || text == "*" || text == "x" || text == "X") return p;
  if (text[0] == 'v') text = text.substr(1);
  if (const size_t plus = text.find('+'); plus != std::string::npos) text = text.substr(0, plus);
  std::string core = text;
  if (const size_t dash = text.find('-'); dash != std::string::npos) {
    core = text.substr(0, dash);
    p.prerelease = split(text.substr(dash + 1), '.');
    for (const auto& id : p.prerelease)
      if (!identifier_ok(id, true)) return std::nullopt;
  }
  const auto parts = split(core, '.');
  if (parts.size() > 3) return std::nullopt;
  std::optional<uint64_t>* slots[] = {&p.major, &p.minor, &p.patch};
  bool wildcard = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "x" || parts[i] == "X" || parts[i] == "*") {
      wildcard = true;
      continue;
    }
    if (wildcard) return std::nullopt;  // "1.x.3"
    const auto n = number(parts[i]);
    if (!n) return std::nullopt;
    *slots[i] = *n;
  }
  if (!p.prerelease.empty() && p.given() != 3) return std::nullopt;
  return p;
}

SemVer bump(const SemVer& v, int part) {  // the next version at `part` (0 major, 1 minor, 2 patch)
  SemVer n;
  n.major = v.major + (part == 0);
  n.minor = part == 0 ? 0 : v.minor + (part == 1);
  n.patch = part <= 1 ? 0 : v.patch + 1;
  return n;
}

}  // namespace

std::optional<SemVer> SemVer::parse(const std::string& text) {
  const auto p = parse_partial(text);
  if (!p || p->given() != 3 || text.empty() || text[0] == 'v') return std::nullopt;
  const size_t plus = text.find('+');
  if (plus != std::string::npos)
    for (const auto& id : split(text.substr(plus + 1), '.'))
      if (!identifier_ok(id, false)) return std::nullopt;
  return p->floor();
}

std::string SemVer::str() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (size_t i = 0; i < prerelease.size(); ++i) s += (i ? "." : "-") + prerelease[i];
  return s;
}

int compare(const SemVer& a, const SemVer& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.prerelease.empty() || b.prerelease.empty())  // a release follows its pre-releases
    return a.prerelease.empty() == b.prerelease.empty() ? 0 : (a.prerelease.empty() ? 1 : -1);
  for (size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i)
    if (const int c = compare_identifiers(a.prerelease[i], b.prerelease[i])) return c;
  return a.prerelease.size() == b.prerelease.size() ? 0 : (a.prerelease.size() < b.prerelease.size() ? -1 : 1);
}

SemVerRange SemVerRange::parse(const std::string& text, const std::string& what) {
  SemVerRange range;
  range.text_ = text;
  size_t start = 0;
  while (true) {
    const size_t bar = text.find("||", start);
    const std::string alt = text.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    // Tokens split on blanks and commas; an operator written apart from its version ("> = 1" is not
    // accepted, ">= 1.0" is) joins the next token.
    std::vector<std::string> tokens;
    std::string cur;
    auto flush = [&] {
      if (cur.empty()) return;
      if (!tokens.empty() && tokens.back().find_first_not_of("<>=^~") == std::string::npos)
        tokens.back() += cur;
      else
        tokens.push_back(cur);
      cur.clear();
    };
    for (char c : alt) {
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',')
        flush();
      else
        cur += c;
    }
    flush();
    std::vector<Comparator> set;
    auto add = [&](Comparator::Op op, const SemVer& v) { set.push_back(Comparator{op, v}); };
    for (const auto& tok : tokens) {
      const size_t op_len = tok.find_first_not_of("<>=^~");
      const std::string op = tok.substr(0, op_len == std::string::npos ? tok.size() : op_len);
      const std::string ver = op_len == std::string::npos ? "" : tok.substr(op_len);
      const auto p = parse_partial(ver);
      static const char* kOps[] = {"", "=", "<", "<=", ">", ">=", "^", "~"};
      bool known = false;
      for (const char* k : kOps) known = known || op == k;
      if (!p || !known || (ver.empty() && !op.empty()))
        throw Error(
            what + ": \"" + tok + "\" in \"" + text +
            "\" is not a version range (expected forms like \"1.2.3\", \"^1.2\", \"~1.2.3\", \">=1.0.0 <2.0.0\", "
            "\"1.x\", \"*\", alternatives joined by ||)");
      const int given = p->given();
      const SemVer lo = p->floor();
      if (op == "^") {
        // Same leftmost non-zero part of those given.
        const int part = given == 0 ? -1 : (lo.major > 0 || given == 1) ? 0 : (lo.minor > 0 || given == 2) ? 1 : 2;
        if (part >= 0) add(Comparator::Ge, lo), add(Comparator::Lt, bump(lo, part));
      } else if (op == "~") {
        if (given > 0) add(Comparator::Ge, lo), add(Comparator::Lt, bump(lo, given == 1 ? 0 : 1));
      } else if (op.empty() || op == "=") {
        if (given == 3)
          add(Comparator::Eq, lo);
        else if (given > 0)
          add(Comparator::Ge, lo), add(Comparator::Lt, bump(lo, given - 1));
      } else if (given == 0) {
        if (op == "<" || op == ">") add(Comparator::Lt, SemVer{});  // "<*": nothing matches
      } else if (op == ">=") {
        add(Comparator::Ge, lo);
      } else if (op == "<") {
        add(Comparator::Lt, lo);
      } else if (op == ">") {
        if (given == 3)
          add(Comparator::Gt, lo);
        else
          add(Comparator::Ge, bump(lo, given - 1));  // ">1.2": 1.3.0 and later
      } else if (op == "<=") {
        if (given == 3)
          add(Comparator::Le, lo);
        else
          add(Comparator::Lt, bump(lo, given - 1));  // "<=1.2": anything of 1.2
      }
    }
    range.alternatives_.push_back(std::move(set));
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  return range;
}

bool SemVerRange::matches(const SemVer& v) const {
  for (const auto& set : alternatives_) {
    bool ok = true, prerelease_named = v.prerelease.empty();
    for (const auto& c : set) {
      const int r = compare(v, c.version);
      switch (c.op) {
        case Comparator::Eq: ok = ok && r == 0; break;
        case Comparator::Lt: ok = ok && r < 0; break;
        case Comparator::Le: ok = ok && r <= 0; break;
        case Comparator::Gt: ok = ok && r > 0; break;
        case Comparator::Ge: ok = ok && r >= 0; break;
      }
      const SemVer& cv = c.version;
      if (!cv.prerelease.empty() && cv.major == v.major && cv.minor == v.minor && cv.patch == v.patch)
        prerelease_named = true;
    }
    if (ok && prerelease_named) return true;
  }
  return false;
}

}  // namespace dataflex
