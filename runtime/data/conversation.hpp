// conversation.hpp -- one dataset row in LLaMA-Factory's aligned form (converter.py).
//
// alpaca: history pairs, then user = "prompt\nquery" (the non-empty ones), assistant = response.
// sharegpt: a leading system message (system_tag) becomes the system prompt, else the system column;
// then user/observation and assistant/function_call turns must alternate and end with an assistant
// (or function) turn. Where LLaMA-Factory logs "Skipping this abnormal example" and drops a row, we
// throw dataflex::Error naming the file and line: a broken row is a broken dataset.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset_info.hpp"

namespace dataflex {

enum class Role { User, Assistant, System, Function, Observation };

struct Message {
  Role role = Role::User;
  std::string content;
};

struct Conversation {
  std::vector<Message> messages;  // even count >= 2: (user | observation, assistant | function) pairs
  std::string system;             // "" when none (the template's default system then applies)
  std::string tools;              // JSON text of the tool list, "" when none
};

// `where` ("FILE:LINE") prefixes every error message.
Conversation to_conversation(const DatasetAttr& attr, const nlohmann::ordered_json& row, const std::string& where);

// Pre-training text: the prompt column, plus "\n" + the query column when one is configured and
// non-empty (what LLaMA-Factory's pt processor reads as the first message's content).
std::string to_pretrain_text(const DatasetAttr& attr, const nlohmann::ordered_json& row, const std::string& where);

}  // namespace dataflex
