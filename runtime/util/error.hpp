// error.hpp -- the one exception type the runtime reports to users.
//
// Every user-facing failure (bad config, bad manifest, bad plugin behaviour, bad input file) is a
// dataflex::Error whose message is one line that names the file, the key or line, and what was
// expected. dataflex-run prints it and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace dataflex {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Replaces newlines so that a message from outside (a plugin, a parser) stays one line.
std::string one_line(std::string text);
// A JSON library message (nlohmann's "[json.exception.type_error.302] ...") without its bracketed
// prefix, on one line: what a user reads after the file and key we name.
std::string json_error_text(std::string message);

}  // namespace dataflex
