// byte_level.hpp -- GPT-2's bytes_to_unicode: every byte as a printable character.
//
// The printable bytes '!'..'~', U+00A1..U+00AC and U+00AE..U+00FF stand for themselves; the other
// 68 bytes get U+0100, U+0101, ... in byte order (so ' ' is 'Ġ' U+0120 and '\n' is 'Ċ' U+010A).
// Byte-level BPE vocabularies are written in these characters.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dataflex::byte_level {

// The UTF-8 of the character that stands for `byte`.
const std::string& byte_to_char(unsigned char byte);

// `bytes` with every byte replaced by its character.
std::string encode(std::string_view bytes);

// The byte that code point `cp` stands for, if it is one of the 256 characters.
std::optional<unsigned char> char_to_byte(char32_t cp);

}  // namespace dataflex::byte_level
