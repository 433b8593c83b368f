#include "data/dataset_info.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/dataset_files.hpp"
#include "util/atomic_file.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

using nlohmann::json;

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

class EntryReader {
 public:
  EntryReader(const std::string& info_path, const std::string& name, const json& entry)
      : where_(info_path + ": dataset '" + name + "'"), entry_(entry) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": " + what); }

  std::optional<std::string> string_key(const json& table, const std::string& table_name,
                                        const std::string& key) const {
    const auto it = table.find(key);
    if (it == table.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) fail((table_name.empty() ? "" : table_name + ".") + key + ": expected a string");
    return it->get<std::string>();
  }

  const json& table(const std::string& key) const {
    static const json empty = json::object();
    const auto it = entry_.find(key);
    if (it == entry_.end()) return empty;
    if (!it->is_object()) fail(key + ": expected a table of strings");
    return *it;
  }

  bool has(const std::string& key) const { return entry_.contains(key); }
  const json& entry() const { return entry_; }

 private:
  std::string where_;
  const json& entry_;
};

DatasetAttr read_entry(const std::string& dataset_dir, const std::string& info_path, const std::string& name,
                       const json& entry, const std::string& stage) {
  if (!entry.is_object())
    throw Error(info_path + ": dataset '" + name + "': expected a table with file_name, formatting, columns");
  EntryReader r(info_path, name, entry);

  DatasetAttr attr;
  attr.name = name;
  attr.info_path = info_path;

  const auto file_name = r.string_key(entry, "", "file_name");
  if (!file_name) {
    for (const char* remote : {"hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name"})
      if (r.has(remote))
        r.fail(std::string("only local files are supported here, and this entry has ") + remote +
               " but no file_name (download the data and add \"file_name\")");
    r.fail("file_name: missing (the data file or folder, relative to " + dataset_dir + ")");
  }
  attr.file_path = (std::filesystem::path(dataset_dir) / *file_name).string();

  const std::string formatting = r.string_key(entry, "", "formatting").value_or("alpaca");
  if (formatting == "alpaca") {
    attr.formatting = DatasetFormatting::Alpaca;
  } else if (formatting == "sharegpt") {
    attr.formatting = DatasetFormatting::ShareGpt;
  } else {
    r.fail("formatting: '" + formatting + "' is not supported, expected alpaca or sharegpt" +
           did_you_mean(formatting, {"alpaca", "sharegpt"}));
  }

  if (const auto it = entry.find("ranking"); it != entry.end()) {
    if (!it->is_boolean()) r.fail("ranking: expected true or false");
    if (it->get<bool>()) r.fail("ranking: preference (ranking) datasets are not supported; expected sft or pt data");
  }
  if (const auto it = entry.find("num_samples"); it != entry.end() && !it->is_null())
    r.fail("num_samples: not supported (LLaMA-Factory draws them unseeded); use max_samples");

  const json& columns = r.table("columns");
  for (const auto& [key, value] : columns.items()) {
    static const std::vector<std::string> known = {"prompt", "query",    "response", "history", "messages",
                                                   "system", "tools",    "images",   "videos",  "audios",
                                                   "chosen", "rejected", "kto_tag"};
    if (std::find(known.begin(), known.end(), key) == known.end())
      r.fail("columns." + key + ": unknown column role, expected one of " + join(known, ", ") +
             did_you_mean(key, known));
    if (!value.is_null() && !value.is_string()) r.fail("columns." + key + ": expected a string");
  }
  for (const char* unsupported : {"images", "videos", "audios"})
    if (r.string_key(columns, "columns", unsupported))
      r.fail(std::string("columns.") + unsupported + ": multimodal datasets are not supported (text only)");
  for (const char* unsupported : {"chosen", "rejected", "kto_tag"})
    if (r.string_key(columns, "columns", unsupported))
      r.fail(std::string("columns.") + unsupported + ": preference / KTO datasets are not supported");

  const bool has_columns = r.has("columns");
  auto column = [&](const std::string& key, const char* fallback) -> std::optional<std::string> {
    if (has_columns) return r.string_key(columns, "columns", key);  // LLaMA-Factory: unnamed -> None
    return fallback ? std::optional<std::string>(fallback) : std::nullopt;
  };
  attr.prompt = column("prompt", stage == "pt" ? "text" : "instruction");
  attr.query = column("query", stage == "pt" ? nullptr : "input");
  attr.response = column("response", "output");
  attr.history = column("history", nullptr);
  attr.messages = column("messages", "conversations");
  attr.system = column("system", nullptr);
  attr.tools = column("tools", nullptr);

  const json& tags = r.table("tags");
  for (const auto& [key, value] : tags.items()) {
    static const std::vector<std::string> known = {"role_tag",        "content_tag",  "user_tag",  "assistant_tag",
                                                   "observation_tag", "function_tag", "system_tag"};
    if (std::find(known.begin(), known.end(), key) == known.end())
      r.fail("tags." + key + ": unknown tag, expected one of " + join(known, ", ") + did_you_mean(key, known));
  }
  auto tag = [&](const char* key, std::string& out) {
    if (auto v = r.string_key(tags, "tags", key)) out = *v;
  };
  tag("role_tag", attr.role_tag);
  tag("content_tag", attr.content_tag);
  tag("user_tag", attr.user_tag);
  tag("assistant_tag", attr.assistant_tag);
  tag("observation_tag", attr.observation_tag);
  tag("function_tag", attr.function_tag);
  tag("system_tag", attr.system_tag);

  if (stage == "pt") {
    if (attr.formatting != DatasetFormatting::Alpaca)
      r.fail("formatting: stage pt reads plain text (alpaca-style columns), not sharegpt conversations");
    if (!attr.prompt)
      r.fail("columns.prompt: stage pt needs the text column (e.g. \"columns\": {\"prompt\": \"text\"})");
  } else if (attr.formatting == DatasetFormatting::Alpaca) {
    if (!attr.prompt && !attr.query) r.fail("columns: an alpaca dataset needs a prompt or a query column");
    if (!attr.response) r.fail("columns.response: an sft dataset needs a response column");
  } else {
    if (!attr.messages) r.fail("columns.messages: a sharegpt dataset needs a messages column");
  }
  return attr;
}

}  // namespace

std::vector<DatasetAttr> read_dataset_info(const std::string& dataset_dir, const std::vector<std::string>& names,
                                           const std::string& stage) {
  const std::string info_path = (std::filesystem::path(dataset_dir) / "dataset_info.json").string();
  const std::string text = read_file(info_path);
  json info;
  try {
    info = json::parse(text);
  } catch (const json::exception& e) {  // a syntax error, or a number it cannot hold
    throw Error(info_path + ": invalid JSON: " + one_line(e.what()));
  }
  if (!info.is_object()) throw Error(info_path + ": expected a JSON object of datasets");

  std::vector<std::string> known;
  for (const auto& item : info.items()) known.push_back(item.key());

  std::vector<DatasetAttr> out;
  for (const auto& name : names) {
    const auto it = info.find(name);
    if (it == info.end()) throw Error(info_path + ": no dataset named '" + name + "'" + did_you_mean(name, known));
    out.push_back(read_entry(dataset_dir, info_path, name, *it, stage));
  }
  return out;
}

}  // namespace dataflex
