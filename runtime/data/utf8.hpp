// utf8.hpp -- the few UTF-8 operations the tokenizers need (no locale, no ICU).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dataflex::utf8 {

// Length of the well-formed UTF-8 sequence starting at s[i] (1..4), or 0 if none starts there.
size_t sequence_length(std::string_view s, size_t i);

bool is_valid(std::string_view s);

// `s` with every ill-formed part replaced by U+FFFD, one per maximal subpart (the Unicode
// "substitution of maximal subparts" practice, as Rust's from_utf8_lossy and Python's "replace").
std::string make_valid(std::string_view s);

// Decodes the code point at s[i] and advances i. `s` must be valid UTF-8.
char32_t next(std::string_view s, size_t& i);

void append(std::string& out, char32_t cp);

// The Unicode White_Space property (what Rust's char::is_whitespace tests).
bool is_whitespace(char32_t cp);

// Letters, numbers and '_' (Rust's char::is_alphanumeric plus '_'): a word for single_word tokens.
bool is_word_char(char32_t cp);

}  // namespace dataflex::utf8
