// sha256.hpp -- SHA-256 of a file (Nettle), for plugin provenance: which library made a decision.
#pragma once

#include <string>

namespace dataflex {

// Lower-case hex digest of the file's bytes. Throws dataflex::Error naming the file when it cannot be read.
std::string sha256_of_file(const std::string& path);

// Whether `text` is 64 hex digits (either case).
bool is_sha256_hex(const std::string& text);

}  // namespace dataflex
