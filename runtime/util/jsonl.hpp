// jsonl.hpp -- rewriting a JSON-lines log for a resumed run: its lines up to the checkpoint stay, the
// rest (and a line cut short by a kill, which is not JSON) go, and the file is replaced atomically.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace dataflex {

// Keeps the lines of `path` for which `keep` is true (a missing file becomes an empty one). With
// `keep_none`, the file is emptied without being read.
void keep_jsonl_lines(const std::string& path, const std::function<bool(const nlohmann::json&)>& keep,
                      bool keep_none = false);

}  // namespace dataflex
