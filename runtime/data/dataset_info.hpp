// dataset_info.hpp -- the entries of LLaMA-Factory's dataset_info.json that name local files.
//
// Same keys and defaults as LLaMA-Factory's DatasetAttr (src/llamafactory/data/parser.py): without a
// `columns` table an alpaca dataset reads instruction / input / output and a sharegpt one reads
// conversations; WITH a `columns` table every column it does not name is absent (LLaMA-Factory sets
// them to None), so a stray "input" field is not read when `columns` says otherwise. Stage "pt" reads
// the column `text` when there is no `columns` table (LLaMA-Factory would read instruction + input).
// Tags keep their documented defaults even when a `tags` table names only some of them.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dataflex {

enum class DatasetFormatting { Alpaca, ShareGpt };

struct DatasetAttr {
  std::string name;       // the key in dataset_info.json: the domain's name
  std::string info_path;  // DIR/dataset_info.json, for messages
  std::string file_path;  // DIR/file_name (a file, or a folder of files of one type)
  DatasetFormatting formatting = DatasetFormatting::Alpaca;
  // alpaca columns
  std::optional<std::string> prompt, query, response, history;
  // sharegpt column
  std::optional<std::string> messages;
  // both
  std::optional<std::string> system, tools;
  // sharegpt tags
  std::string role_tag = "from";
  std::string content_tag = "value";
  std::string user_tag = "human";
  std::string assistant_tag = "gpt";
  std::string observation_tag = "observation";
  std::string function_tag = "function_call";
  std::string system_tag = "system";
};

// Reads DIR/dataset_info.json and returns the entries for `names`, in that order. `stage` ("sft" or
// "pt") picks the default prompt column. Throws dataflex::Error naming the file and the dataset: an
// unknown name (with a "did you mean"), a hub- or script-only entry (only local files are supported),
// ranking / multimodal / KTO datasets, an unknown formatting, a key of the wrong type.
std::vector<DatasetAttr> read_dataset_info(const std::string& dataset_dir, const std::vector<std::string>& names,
                                           const std::string& stage);

}  // namespace dataflex
