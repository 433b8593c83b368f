// Helpers shared by the engine tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../unit/test_files.hpp"

namespace dataflex {

inline std::string source_dir() { return DATAFLEX_SOURCE_DIR; }

using test::TempDir;  // one temporary-folder helper for every test binary

inline bool python_torch_available() { return std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") == 0; }

}  // namespace dataflex
