#include "train/decision_log.hpp"

#include <filesystem>
#include <fstream>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/jsonl.hpp"

namespace dataflex {
namespace fs = std::filesystem;

namespace {
// Selections larger than this go to a file of their own.
constexpr std::size_t kInlineIds = 1000;
}  // namespace

void DecisionLog::append(const nlohmann::ordered_json& line) const {
  const std::string path = (fs::path(output_dir_) / "decisions.jsonl").string();
  std::ofstream out(path, std::ios::app);
  out << line.dump() << "\n";
  if (!out) throw Error(path + ": cannot append (disk full?)");
  if (observer_) observer_(line);
}

void DecisionLog::add_ids(nlohmann::ordered_json& line, int64_t step, const std::vector<int64_t>& ids) const {
  if (ids.size() <= kInlineIds) {
    line["ids"] = ids;
    return;
  }
  const std::string name = "decisions/selection_step" + std::to_string(step) + ".json";
  fs::create_directories(fs::path(output_dir_) / "decisions");
  write_file_atomically((fs::path(output_dir_) / name).string(), nlohmann::json(ids).dump() + "\n");
  line["ids_file"] = name;
}

void DecisionLog::truncate(const std::string& output_dir, int64_t step) {
  keep_jsonl_lines((fs::path(output_dir) / "decisions.jsonl").string(),
                   [&](const nlohmann::json& j) { return j.contains("step") && j["step"].get<int64_t>() < step; },
                   step <= 0);
}

}  // namespace dataflex
