// hex_text.hpp -- doubles in plugin state text as C99 hex floats ("%a"): written and read back bit for
// bit, so that a resumed run decides exactly as an uninterrupted one (odm, doremi, adapt).
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace dataflex::plugin_support {

inline std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

// False unless the whole of `s` is one finite number.
inline bool parse_hex(const std::string& s, double* v) {
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0' && std::isfinite(*v);
}

}  // namespace dataflex::plugin_support
