#include "data/utf8.hpp"

#include <utf8proc.h>

namespace dataflex::utf8 {

namespace {

// How many bytes of a sequence starting at s[i] are a valid prefix (Unicode Table 3-7), and
// whether the sequence is complete.
struct Prefix {
  size_t valid = 0;
  bool complete = false;
};

Prefix check_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = b(0);
  if (lead < 0x80) return {1, true};
  size_t length = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    length = 3, lo = 0xA0;
  } else if (lead >= 0xE1 && lead <= 0xEC) {
    length = 3;
  } else if (lead == 0xED) {
    length = 3, hi = 0x9F;
  } else if (lead >= 0xEE && lead <= 0xEF) {
    length = 3;
  } else if (lead == 0xF0) {
    length = 4, lo = 0x90;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else if (lead == 0xF4) {
    length = 4, hi = 0x8F;
  } else {
    return {0, false};
  }
  size_t k = 1;
  for (; k < length && i + k < s.size(); ++k) {
    const unsigned char c = b(k);
    const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (c < l || c > h) break;
  }
  return {k, k == length};
}

}  // namespace

size_t sequence_length(std::string_view s, size_t i) {
  const Prefix p = check_sequence(s, i);
  return p.complete ? p.valid : 0;
}

bool is_valid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string make_valid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const Prefix p = check_sequence(s, i);
    if (p.complete) {
      out.append(s.data() + i, p.valid);
      i += p.valid;
    } else {
      out += "\xEF\xBF\xBD";
      i += p.valid == 0 ? 1 : p.valid;
    }
  }
  return out;
}

char32_t next(std::string_view s, size_t& i) {
  const auto b = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  const char32_t lead = b(0);
  char32_t cp;
  if (lead < 0x80) {
    cp = lead, i += 1;
  } else if (lead < 0xE0) {
    cp = ((lead & 0x1F) << 6) | (b(1) & 0x3F), i += 2;
  } else if (lead < 0xF0) {
    cp = ((lead & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F), i += 3;
  } else {
    cp = ((lead & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F), i += 4;
  }
  return cp;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_whitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_word_char(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return true;
    default: return false;
  }
}

}  // namespace dataflex::utf8
