// decision_log.hpp -- decisions.jsonl: one line per selection, mixture or weighting decision.
//
// A resumed run keeps the lines of the decisions taken before its checkpoint and takes the rest
// again, so the file of a resumed run equals an uninterrupted run's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dataflex {

class DecisionLog {
 public:
  explicit DecisionLog(std::string output_dir) : output_dir_(std::move(output_dir)) {}
  // Appends one line; an error names the file (disk full, permissions). The observer, when set, sees
  // every line appended (the trainer passes them on to TensorBoard).
  void append(const nlohmann::ordered_json& line) const;
  void observe(std::function<void(const nlohmann::ordered_json&)> observer) { observer_ = std::move(observer); }
  // The ids of a selection: inline in the line when few, else in decisions/selection_stepN.json,
  // named by the line's "ids_file".
  void add_ids(nlohmann::ordered_json& line, int64_t step, const std::vector<int64_t>& ids) const;
  // Keeps only the decisions taken before `step` (a resumed run takes the rest again).
  static void truncate(const std::string& output_dir, int64_t step);

 private:
  std::string output_dir_;
  std::function<void(const nlohmann::ordered_json&)> observer_;
};

}  // namespace dataflex
