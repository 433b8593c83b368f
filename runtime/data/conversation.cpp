#include "data/conversation.hpp"

#include "data/chat_tools.hpp"
#include "data/dataset_files.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

using nlohmann::ordered_json;

class RowFields {
 public:
  RowFields(const ordered_json& row, const std::string& where) : row_(row), where_(where) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": " + what); }

  // A column that every row must have, holding a string.
  std::string required(const std::string& column) const {
    const auto it = row_.find(column);
    if (it == row_.end()) fail("missing column '" + column + "' (expected a string)");
    if (!it->is_string()) fail("column '" + column + "': expected a string, found " + json_type_name(*it));
    return it->get<std::string>();
  }

  // A column that may be absent or null ("" then).
  std::string optional(const std::optional<std::string>& column) const {
    if (!column) return {};
    const auto it = row_.find(*column);
    if (it == row_.end() || it->is_null()) return {};
    if (!it->is_string()) fail("column '" + *column + "': expected a string, found " + json_type_name(*it));
    return it->get<std::string>();
  }

  // The tool list: a string of JSON as LLaMA-Factory expects, or (for convenience) the JSON itself.
  std::string tools(const std::optional<std::string>& column) const {
    if (!column) return {};
    const auto it = row_.find(*column);
    if (it == row_.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_array()) return python_json_dumps(*it);
    fail("column '" + *column + "': expected a JSON list of tools (as a string), found " + json_type_name(*it));
  }

  const ordered_json* find(const std::string& column) const {
    const auto it = row_.find(column);
    return it == row_.end() ? nullptr : &*it;
  }

 private:
  const ordered_json& row_;
  const std::string& where_;
};

Conversation alpaca(const DatasetAttr& attr, const RowFields& f) {
  Conversation c;
  if (attr.history) {
    if (const ordered_json* h = f.find(*attr.history); h && h->is_array()) {
      for (size_t i = 0; i < h->size(); ++i) {
        const ordered_json& pair = (*h)[i];
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
          f.fail("column '" + *attr.history + "'[" + std::to_string(i) +
                 "]: expected a pair [prompt, response] of strings");
        c.messages.push_back({Role::User, pair[0].get<std::string>()});
        c.messages.push_back({Role::Assistant, pair[1].get<std::string>()});
      }
    } else if (h && !h->is_null()) {
      f.fail("column '" + *attr.history + "': expected a list of [prompt, response] pairs, found " +
             json_type_name(*h));
    }
  }
  std::string user;
  if (attr.prompt) user = f.required(*attr.prompt);
  const std::string query = f.optional(attr.query);
  if (!query.empty()) user += (user.empty() ? "" : "\n") + query;
  c.messages.push_back({Role::User, user});
  c.messages.push_back({Role::Assistant, f.required(*attr.response)});
  c.system = f.optional(attr.system);
  c.tools = f.tools(attr.tools);
  return c;
}

Conversation sharegpt(const DatasetAttr& attr, const RowFields& f) {
  const std::string& column = *attr.messages;
  const ordered_json* messages = f.find(column);
  if (!messages) f.fail("missing column '" + column + "' (expected a list of messages)");
  if (!messages->is_array())
    f.fail("column '" + column + "': expected a list of messages, found " + json_type_name(*messages));

  auto field = [&](size_t i, const std::string& key) -> std::string {
    const ordered_json& m = (*messages)[i];
    const std::string where = column + "[" + std::to_string(i) + "]";
    if (!m.is_object())
      f.fail(where + ": expected an object with '" + attr.role_tag + "' and '" + attr.content_tag + "'");
    const auto it = m.find(key);
    if (it == m.end()) f.fail(where + ": missing key '" + key + "'");
    if (!it->is_string()) f.fail(where + "." + key + ": expected a string, found " + json_type_name(*it));
    return it->get<std::string>();
  };

  Conversation c;
  size_t first = 0;
  if (!messages->empty() && field(0, attr.role_tag) == attr.system_tag) {
    c.system = field(0, attr.content_tag);
    first = 1;
  } else {
    c.system = f.optional(attr.system);
  }
  for (size_t i = first; i < messages->size(); ++i) {
    const std::string role = field(i, attr.role_tag);
    const bool user_turn = (i - first) % 2 == 0;
    Role r;
    if (role == attr.user_tag)
      r = Role::User;
    else if (role == attr.assistant_tag)
      r = Role::Assistant;
    else if (role == attr.observation_tag)
      r = Role::Observation;
    else if (role == attr.function_tag)
      r = Role::Function;
    else if (role == attr.system_tag)
      r = Role::System;
    else
      f.fail(column + "[" + std::to_string(i) + "]." + attr.role_tag + ": unknown role '" + role + "', expected " +
             attr.user_tag + ", " + attr.assistant_tag + ", " + attr.observation_tag + ", " + attr.function_tag +
             " or a leading " + attr.system_tag);
    const bool ok =
        user_turn ? (r == Role::User || r == Role::Observation) : (r == Role::Assistant || r == Role::Function);
    if (!ok)
      f.fail(column + "[" + std::to_string(i) + "]: role '" + role + "' where " +
             (user_turn ? "a " + attr.user_tag + " or " + attr.observation_tag
                        : "a " + attr.assistant_tag + " or " + attr.function_tag) +
             " turn was expected (turns must alternate, a system message may only come first)");
    c.messages.push_back({r, field(i, attr.content_tag)});
  }
  if (c.messages.empty()) f.fail("column '" + column + "': the conversation has no user/assistant turns");
  if (c.messages.size() % 2 != 0)
    f.fail("column '" + column + "': the conversation ends with a " + attr.user_tag + "/" + attr.observation_tag +
           " turn; it must end with an " + attr.assistant_tag + " or " + attr.function_tag + " turn");
  c.tools = f.tools(attr.tools);
  return c;
}

}  // namespace

Conversation to_conversation(const DatasetAttr& attr, const ordered_json& row, const std::string& where) {
  const RowFields fields(row, where);
  return attr.formatting == DatasetFormatting::Alpaca ? alpaca(attr, fields) : sharegpt(attr, fields);
}

std::string to_pretrain_text(const DatasetAttr& attr, const ordered_json& row, const std::string& where) {
  const RowFields fields(row, where);
  std::string text = fields.required(*attr.prompt);
  const std::string query = fields.optional(attr.query);
  if (!query.empty()) text += (text.empty() ? "" : "\n") + query;
  return text;
}

}  // namespace dataflex
