// unicode_regex.hpp -- the regular expressions of tokenizer.json, on PCRE2 (UTF + UCP, JIT).
//
// tokenizer.json patterns are written for Oniguruma (Rust tokenizers); the ones in use (\p{L},
// \p{N}, (?i:...), \s+(?!\S), {1,3}) mean the same in PCRE2 with PCRE2_UTF | PCRE2_UCP.
// A compiled pattern is shared by every thread; matching state is per call.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dataflex {

class UnicodeRegex {
 public:
  // `literal`: the pattern is a plain string (tokenizer.json's {"String": ...}).
  // Throws std::invalid_argument with PCRE2's message if the pattern does not compile.
  UnicodeRegex(const std::string& pattern, bool literal);
  ~UnicodeRegex();
  UnicodeRegex(const UnicodeRegex&) = delete;
  UnicodeRegex& operator=(const UnicodeRegex&) = delete;

  // The [begin, end) byte ranges of the successive non-overlapping, non-empty matches in `text`,
  // which must be valid UTF-8.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

  // `text` with every match replaced by `replacement` (taken literally).
  std::string replace_all(std::string_view text, std::string_view replacement) const;

  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8
};

}  // namespace dataflex
