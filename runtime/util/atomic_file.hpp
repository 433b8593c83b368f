// atomic_file.hpp -- files and folders that appear whole or not at all (and whole-file reads).
//
// A crash (or SIGKILL) while writing never leaves a half-written file under the final name: the
// content goes to a temporary name beside it, is fsync'ed, and renamed over the target.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace dataflex {

// Writes `content` to `path` atomically.
void write_file_atomically(const std::string& path, std::string_view content);

// Calls `write(tmp_path)` to produce the file, then fsyncs and renames it to `path`.
void write_atomically_with(const std::string& path, const std::function<void(const std::string&)>& write);

// fsync of a file or folder by path (folders: makes a rename inside it durable).
void fsync_path(const std::string& path);

// Reads a whole file; throws dataflex::Error naming it when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace dataflex
