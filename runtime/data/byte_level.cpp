#include "data/byte_level.hpp"

#include <array>

#include "data/utf8.hpp"

namespace dataflex::byte_level {

namespace {

struct Tables {
  std::array<std::string, 256> byte_to_char;
  std::array<int, 324> char_to_byte;  // the largest character is U+0143 (256 + 68 - 1)

  Tables() {
    char_to_byte.fill(-1);
    char32_t next_extra = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : next_extra++;
      utf8::append(byte_to_char[b], cp);
      char_to_byte[cp] = b;
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_char(unsigned char byte) { return tables().byte_to_char[byte]; }

std::string encode(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += t.byte_to_char[static_cast<unsigned char>(c)];
  return out;
}

std::optional<unsigned char> char_to_byte(char32_t cp) {
  if (cp >= 324) return std::nullopt;
  const int b = tables().char_to_byte[cp];
  if (b < 0) return std::nullopt;
  return static_cast<unsigned char>(b);
}

}  // namespace dataflex::byte_level
