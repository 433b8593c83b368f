#include "util/jsonl.hpp"

#include <filesystem>
#include <fstream>

#include "util/atomic_file.hpp"

namespace dataflex {

void keep_jsonl_lines(const std::string& path, const std::function<bool(const nlohmann::json&)>& keep, bool keep_none) {
  std::string kept;
  if (!keep_none && std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!j.is_discarded() && keep(j)) kept += line + "\n";
    }
  }
  write_file_atomically(path, kept);
}

}  // namespace dataflex
