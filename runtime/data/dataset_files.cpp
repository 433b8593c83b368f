#include "data/dataset_files.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

enum class FileType { Json, Text };

// 1-based line of a byte offset; offsets are asked for mostly in increasing order, so the newlines
// are counted once.
class LineIndex {
 public:
  explicit LineIndex(const std::string& text) : text_(text) {}
  int64_t line_at(size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < pos_) pos_ = 0, line_ = 1;
    line_ += std::count(text_.begin() + static_cast<std::ptrdiff_t>(pos_),
                        text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
    pos_ = offset;
    return line_;
  }

 private:
  const std::string& text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(const std::string& t, size_t i) {
  while (i < t.size() && is_space(t[i])) ++i;
  return i;
}

// Index just past the string literal that starts at t[i] == '"', or npos when it is not closed.
size_t scan_string(const std::string& t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\')
      ++i;
    else if (t[i] == '"')
      return i + 1;
  }
  return std::string::npos;
}

// Index just past the JSON value that starts at t[i]: balanced brackets for arrays and objects (the
// value itself is validated by the parser afterwards), the literal for a string, the bare token for
// a number or true/false/null. npos when an array, object or string is not closed.
size_t scan_value(const std::string& t, size_t i) {
  if (t[i] == '"') return scan_string(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int64_t depth = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (c == '"') {
        i = scan_string(t, i);
        if (i == std::string::npos) return i;
        continue;
      }
      if (c == '{' || c == '[')
        ++depth;
      else if ((c == '}' || c == ']') && --depth == 0)
        return i + 1;
      ++i;
    }
    return std::string::npos;
  }
  while (i < t.size() && !is_space(t[i]) && t[i] != ',' && t[i] != ']' && t[i] != '}') ++i;
  return i;
}

// nlohmann's message without its own "[json.exception...] parse error at line 1, column 9: " prefix,
// whose position is relative to the piece we handed it (or, for another of its exceptions, without
// "[json.exception.out_of_range.406] ").
std::string parse_error_text(const nlohmann::json::exception& e) {
  std::string m = json_error_text(e.what());
  const size_t column = m.find("column ");
  if (column != std::string::npos) {
    const size_t colon = m.find(": ", column);
    if (colon != std::string::npos) m = m.substr(colon + 2);
  }
  return one_line(m);
}

class RowReader {
 public:
  RowReader(DatasetRows& out, int64_t max_rows) : out_(out), max_rows_(max_rows) {}

  bool full() const { return max_rows_ > 0 && static_cast<int64_t>(out_.rows.size()) >= max_rows_; }

  void read(const std::string& path, FileType type) {
    const std::string text = read_file(path);
    out_.files.push_back(path);
    file_ = static_cast<int32_t>(out_.files.size() - 1);
    path_ = path;
    size_t start = 0;
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) start = 3;  // UTF-8 byte order mark
    if (type == FileType::Text) return read_text_lines(text, start);
    const size_t first = skip_space(text, start);
    if (first < text.size() && text[first] == '[') return read_array(text, first);
    read_json_lines(text, start);
  }

 private:
  [[noreturn]] void fail(int64_t line, const std::string& what) const {
    throw Error(path_ + ":" + std::to_string(line) + ": " + what);
  }

  void add(ordered_json value, int64_t line, const std::string& what) {
    if (!value.is_object())
      fail(line, what + ": expected a JSON object with the dataset's columns, found " + json_type_name(value));
    out_.rows.push_back(DatasetRow{std::move(value), file_, line});
  }

  void read_text_lines(const std::string& text, size_t pos) {
    int64_t line = 0;
    while (pos < text.size() && !full()) {
      ++line;
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      size_t stop = end;
      if (stop > pos && text[stop - 1] == '\r') --stop;
      if (skip_space(text, pos) < stop) {
        ordered_json row = ordered_json::object();
        row["text"] = text.substr(pos, stop - pos);
        out_.rows.push_back(DatasetRow{std::move(row), file_, line});
      }
      pos = end + 1;
    }
  }

  void read_json_lines(const std::string& text, size_t pos) {
    int64_t line = 0;
    while (pos < text.size() && !full()) {
      ++line;
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      if (skip_space(text, pos) < end) {
        ordered_json value;
        try {
          value = ordered_json::parse(text.begin() + static_cast<std::ptrdiff_t>(pos),
                                      text.begin() + static_cast<std::ptrdiff_t>(end));
        } catch (const nlohmann::json::parse_error& e) {
          fail(line, "invalid JSON line (one object per line expected): " + parse_error_text(e));
        } catch (const nlohmann::json::exception& e) {  // valid syntax it cannot hold: a number overflow
          fail(line, "invalid JSON line: " + parse_error_text(e));
        }
        add(std::move(value), line, "JSON line");
      }
      pos = end + 1;
    }
  }

  void read_array(const std::string& text, size_t pos) {
    LineIndex lines(text);
    pos = skip_space(text, pos + 1);
    if (pos < text.size() && text[pos] == ']') return expect_end(text, pos + 1, lines);
    for (int64_t index = 0;; ++index) {
      const std::string element = "array element " + std::to_string(index);
      if (pos >= text.size()) fail(lines.line_at(pos), "the array is not closed: expected another element and ']'");
      const size_t begin = pos;
      const int64_t line = lines.line_at(begin);
      const size_t end = scan_value(text, begin);
      if (end == std::string::npos)
        fail(line, element + " is not closed (a missing '}', ']' or '\"'), starting at this line");
      ordered_json value;
      try {
        value = ordered_json::parse(text.begin() + static_cast<std::ptrdiff_t>(begin),
                                    text.begin() + static_cast<std::ptrdiff_t>(end));
      } catch (const nlohmann::json::parse_error& e) {
        const size_t at = begin + (e.byte > 0 ? e.byte - 1 : 0);
        const int64_t error_line = lines.line_at(std::min(at, end > begin ? end - 1 : begin));
        fail(error_line, "invalid JSON in " + element + " (which starts at line " + std::to_string(line) +
                             "): " + parse_error_text(e));
      } catch (const nlohmann::json::exception& e) {  // valid syntax it cannot hold: a number overflow
        fail(line, "invalid JSON in " + element + ": " + parse_error_text(e));
      }
      add(std::move(value), line, element);
      if (full()) return;  // later elements are not read
      pos = skip_space(text, end);
      if (pos >= text.size()) fail(lines.line_at(pos), "the array is not closed: expected ',' or ']'");
      if (text[pos] == ']') return expect_end(text, pos + 1, lines);
      if (text[pos] != ',')
        fail(lines.line_at(pos), std::string("expected ',' or ']' after ") + element + ", found '" + text[pos] + "'");
      pos = skip_space(text, pos + 1);
      if (pos < text.size() && text[pos] == ']') fail(lines.line_at(pos), "a ',' before ']' (trailing comma)");
    }
  }

  void expect_end(const std::string& text, size_t pos, LineIndex& lines) const {
    pos = skip_space(text, pos);
    if (pos < text.size()) fail(lines.line_at(pos), "unexpected text after the array's closing ']'");
  }

  DatasetRows& out_;
  int64_t max_rows_;
  int32_t file_ = 0;
  std::string path_;
};

FileType file_type(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".json" || ext == ".jsonl") return FileType::Json;
  if (ext == ".txt") return FileType::Text;
  throw Error(path.string() + ": unsupported file type '" + ext +
              "', expected .json, .jsonl (JSON array or one object per line) or .txt (one sample per line)");
}

}  // namespace

const char* json_type_name(const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::null: return "null";
    case nlohmann::ordered_json::value_t::boolean: return "a boolean";
    case nlohmann::ordered_json::value_t::string: return "a string";
    case nlohmann::ordered_json::value_t::array: return "an array";
    case nlohmann::ordered_json::value_t::object: return "an object";
    default: return "a number";
  }
}

DatasetRows read_dataset_rows(const std::string& path, int64_t max_rows) {
  DatasetRows out;
  RowReader reader(out, max_rows);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path))
      if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error(path + ": the dataset folder holds no data files");
    const FileType type = file_type(files.front());
    for (const auto& f : files)
      if (file_type(f) != type)
        throw Error(path + ": the files of a dataset folder must all be JSON or all be text; " + f.filename().string() +
                    " differs from " + files.front().filename().string());
    for (const auto& f : files) {
      if (reader.full()) break;
      reader.read(f.string(), type);
    }
    return out;
  }
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": no such file or folder");
  reader.read(path, file_type(path));
  return out;
}

}  // namespace dataflex
