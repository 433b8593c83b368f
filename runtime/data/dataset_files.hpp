// dataset_files.hpp -- the rows of a dataset's local files, each with the file and line it came from.
//
// Like Hugging Face's `json` and `text` loaders behind LLaMA-Factory: a .json or .jsonl file holds
// either one JSON array of objects or one object per line (the content decides, as it does for
// Hugging Face; blank lines are skipped); a .txt file holds one sample per line, as the row
// {"text": LINE} (blank lines are skipped; Hugging Face would keep them as empty samples). A folder
// holds files of one of these types, read in name order.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dataflex {

struct DatasetRow {
  nlohmann::ordered_json value;  // a JSON object; keys keep their file order (tool JSON is re-dumped)
  int32_t file = 0;              // index into DatasetRows::files
  int64_t line = 0;              // 1-based line where the row (the array element) starts
};

struct DatasetRows {
  std::vector<std::string> files;
  std::vector<DatasetRow> rows;
  std::string where(const DatasetRow& row) const { return files[row.file] + ":" + std::to_string(row.line); }
};

// Reads the rows of `path` (a file or a folder), at most `max_rows` of them when > 0 (the first ones,
// in file order; later rows are not read). Throws dataflex::Error with a one-line message naming the
// file and the line of a malformed row (bad JSON, not an object) and what was expected.
DatasetRows read_dataset_rows(const std::string& path, int64_t max_rows);

// "a string", "an array", ... for messages that say what was found instead of what was expected.
const char* json_type_name(const nlohmann::ordered_json& value);

}  // namespace dataflex
