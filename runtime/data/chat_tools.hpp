// chat_tools.hpp -- tool descriptions and function calls as LLaMA-Factory writes them into prompts.
//
// LLaMA-Factory (src/llamafactory/data/tool_utils.py, formatter.py) renders a sharegpt row's `tools`
// into the system message and each function_call turn into the assistant's text, in a format that
// depends on the template: "default" (Action: / Action Input:), "qwen" (<tools> and <tool_call> with
// JSON) and "llama3" (JSON function definitions). The JSON it writes is Python's json.dumps with
// ensure_ascii=False, so python_json_dumps reproduces that byte for byte (separators, escapes, float
// repr, key order as in the file).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dataflex {

enum class ToolFormat { Default, Qwen, Llama3 };

// Python's json.dumps(value, ensure_ascii=False), or with indent=N when indent >= 0.
std::string python_json_dumps(const nlohmann::ordered_json& value, int indent = -1);

// The text appended to the system prompt for the tool list `tools_json` (a JSON list of tool
// definitions, each {name, description, parameters} or {type: function, function: {...}}); "" for an
// empty list. Throws dataflex::Error prefixed with `where` for malformed JSON or tools.
std::string format_tool_prompt(ToolFormat format, const std::string& tools_json, const std::string& where);

// The assistant text of a function_call turn whose content is a JSON call {name, arguments} or a list
// of them, optionally wrapped in <tool_call>...</tool_call> or preceded by a <think>...</think> thought.
// Throws dataflex::Error prefixed with `where` for malformed calls.
std::string format_function_call(ToolFormat format, const std::string& content, const std::string& where);

}  // namespace dataflex
