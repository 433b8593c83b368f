#include "data/chat_tools.hpp"

#include <charconv>
#include <cmath>
#include <ctime>
#include <vector>

#include "util/error.hpp"

namespace dataflex {
namespace {

using nlohmann::ordered_json;

// Python's repr(float): the shortest digits that round-trip, in fixed notation when the decimal
// exponent is in [-4, 16), else d.ddde[+-]XX.
std::string python_float_repr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string s(buf, r.ptr);  // "-1.2345e+02"
  const size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  const int exponent = std::stoi(s.substr(e + 1));
  std::string sign;
  if (!mantissa.empty() && mantissa[0] == '-') sign = "-", mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    const size_t int_len = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= int_len) return sign + digits + std::string(int_len - digits.size(), '0') + ".0";
    return sign + digits.substr(0, int_len) + "." + digits.substr(int_len);
  }
  std::string out = sign + digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  const int mag = std::abs(exponent);
  out += std::string("e") + (exponent < 0 ? "-" : "+") + (mag < 10 ? "0" : "") + std::to_string(mag);
  return out;
}

void append_json_string(const std::string& s, std::string& out) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void dump(const ordered_json& v, int indent, int level, std::string& out) {
  const bool pretty = indent >= 0;
  auto newline = [&](int lvl) {
    out += '\n';
    out.append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (v.type()) {
    case ordered_json::value_t::null: out += "null"; return;
    case ordered_json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case ordered_json::value_t::number_integer: out += std::to_string(v.get<int64_t>()); return;
    case ordered_json::value_t::number_unsigned: out += std::to_string(v.get<uint64_t>()); return;
    case ordered_json::value_t::number_float: out += python_float_repr(v.get<double>()); return;
    case ordered_json::value_t::string: append_json_string(v.get_ref<const std::string&>(), out); return;
    case ordered_json::value_t::array: {
      if (v.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += pretty ? "," : ", ";
        if (pretty) newline(level + 1);
        dump(item, indent, level + 1, out);
        first = false;
      }
      if (pretty) newline(level);
      out += ']';
      return;
    }
    case ordered_json::value_t::object: {
      if (v.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += pretty ? "," : ", ";
        if (pretty) newline(level + 1);
        append_json_string(key, out);
        out += ": ";
        dump(item, indent, level + 1, out);
        first = false;
      }
      if (pretty) newline(level);
      out += '}';
      return;
    }
    default: throw Error("python_json_dumps: binary or discarded JSON value");
  }
}

// Python's repr() of a JSON-loaded value, used by str() of lists and dicts.
std::string python_repr(const ordered_json& v);

std::string python_str_repr(const std::string& s) {
  const bool double_quotes = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char q = double_quotes ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == static_cast<unsigned char>(q))
      out += std::string("\\") + q;
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + q;
}

// Python's str() of a JSON-loaded value, as "{}".format(value) writes it.
std::string python_str(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::null: return "None";
    case ordered_json::value_t::boolean: return v.get<bool>() ? "True" : "False";
    case ordered_json::value_t::string: return v.get<std::string>();
    case ordered_json::value_t::number_float: {
      const double d = v.get<double>();
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      return python_float_repr(d);
    }
    case ordered_json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + python_repr(v[i]);
      return out + "]";
    }
    case ordered_json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        out += (first ? "" : ", ") + python_str_repr(key) + ": " + python_repr(item);
        first = false;
      }
      return out + "}";
    }
    default: return python_json_dumps(v);
  }
}

std::string python_repr(const ordered_json& v) {
  return v.is_string() ? python_str_repr(v.get<std::string>()) : python_str(v);
}

// Python truthiness of a JSON-loaded value.
bool truthy(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::null: return false;
    case ordered_json::value_t::boolean: return v.get<bool>();
    case ordered_json::value_t::string:
    case ordered_json::value_t::array:
    case ordered_json::value_t::object: return !v.empty();
    case ordered_json::value_t::number_float: return v.get<double>() != 0.0;
    default: return v.get<int64_t>() != 0;
  }
}

// dict.get(key, fallback)
const ordered_json& get(const ordered_json& object, const char* key, const ordered_json& fallback) {
  const auto it = object.find(key);
  return it == object.end() ? fallback : *it;
}

ordered_json parse_json(const std::string& text, const std::string& where, const std::string& what) {
  try {
    return ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number it cannot hold
    throw Error(where + ": " + what + " is not valid JSON: " + one_line(e.what()));
  }
}

std::string today_llama3() {
  // datetime.now().strftime("%d %b %Y"), as LLaMA-Factory's Llama-3 tool prompt writes it
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d %b %Y", &local);
  return buf;
}

std::string default_tool_prompt(const ordered_json& tools, const std::string& where) {
  static const ordered_json empty_string = "";
  static const ordered_json empty_list = ordered_json::array();
  static const ordered_json null_value = nullptr;
  std::string tool_text;
  std::vector<std::string> names;
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string at = where + ": tools[" + std::to_string(i) + "]";
    const ordered_json* tool = &tools[i];
    if (!tool->is_object()) throw Error(at + ": expected an object with name, description, parameters");
    if (get(*tool, "type", null_value) == "function") tool = &get(*tool, "function", empty_string);
    if (!tool->is_object()) throw Error(at + ".function: expected an object with name, description, parameters");
    const auto name = tool->find("name");
    if (name == tool->end()) throw Error(at + ": missing key 'name'");
    const ordered_json& parameters = get(*tool, "parameters", empty_list);
    if (!parameters.is_object()) throw Error(at + ".parameters: expected an object with properties");
    const ordered_json& properties = get(parameters, "properties", empty_list);
    const ordered_json& required = get(parameters, "required", empty_list);
    std::string param_text;
    if (properties.is_object()) {
      for (const auto& [pname, param] : properties.items()) {
        if (!param.is_object()) throw Error(at + ".parameters.properties." + pname + ": expected an object");
        std::string req, enumeration, items;
        if (required.is_array())
          for (const auto& r : required)
            if (r.is_string() && r.get<std::string>() == pname) req = ", required";
        if (const ordered_json& e = get(param, "enum", null_value); truthy(e)) {
          if (!e.is_array()) throw Error(at + ".parameters.properties." + pname + ".enum: expected a list");
          std::string joined;
          for (size_t k = 0; k < e.size(); ++k) joined += (k ? ", " : "") + python_str(e[k]);
          enumeration = ", should be one of [" + joined + "]";
        }
        if (const ordered_json& it = get(param, "items", null_value); truthy(it)) {
          if (!it.is_object()) throw Error(at + ".parameters.properties." + pname + ".items: expected an object");
          items = ", where each item should be " + python_str(get(it, "type", empty_string));
        }
        param_text += "  - " + pname + " (" + python_str(get(param, "type", empty_string)) + req +
                      "): " + python_str(get(param, "description", empty_string)) + enumeration + items + "\n";
      }
    }
    tool_text += "> Tool Name: " + python_str(*name) +
                 "\nTool Description: " + python_str(get(*tool, "description", empty_string)) + "\nTool Args:\n" +
                 param_text + "\n";
    names.push_back(python_str(*name));
  }
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i) joined += (i ? ", " : "") + names[i];
  return "You have access to the following tools:\n" + tool_text +
         "Use the following format if using a tool:\n```\nAction: tool name (one of [" + joined +
         "])\nAction Input: the input to the tool, in a JSON format representing the kwargs "
         "(e.g. ```{\"input\": \"hello world\", \"num_beams\": 5}```)\n```\n";
}

ordered_json wrapped_function(const ordered_json& tool) {
  if (tool.is_object() && tool.contains("type") && tool["type"] == "function") return tool;
  ordered_json wrapped = ordered_json::object();
  wrapped["type"] = "function";
  wrapped["function"] = tool;
  return wrapped;
}

struct FunctionCall {
  std::string name;
  ordered_json arguments;
};

std::vector<FunctionCall> parse_calls(const std::string& text, const std::string& where) {
  const ordered_json parsed = parse_json(text, where, "the function call");
  const ordered_json calls = parsed.is_array() ? parsed : ordered_json::array({parsed});
  std::vector<FunctionCall> out;
  for (const auto& call : calls) {
    if (!call.is_object() || !call.contains("name") || !call.contains("arguments"))
      throw Error(where + ": a function call must be a JSON object {\"name\": ..., \"arguments\": ...}");
    if (!call["name"].is_string()) throw Error(where + ": a function call's name must be a string");
    out.push_back({call["name"].get<std::string>(), call["arguments"]});
  }
  return out;
}

std::string format_calls(ToolFormat format, const std::vector<FunctionCall>& calls) {
  std::string out;
  switch (format) {
    case ToolFormat::Default:
      for (size_t i = 0; i < calls.size(); ++i)
        out +=
            (i ? "\n" : "") + ("Action: " + calls[i].name + "\nAction Input: " + python_json_dumps(calls[i].arguments));
      return out;
    case ToolFormat::Qwen:
      for (size_t i = 0; i < calls.size(); ++i) {
        ordered_json call = ordered_json::object();
        call["name"] = calls[i].name;
        call["arguments"] = calls[i].arguments;
        out += (i ? "\n" : "") + ("<tool_call>\n" + python_json_dumps(call) + "\n</tool_call>");
      }
      return out;
    case ToolFormat::Llama3: {
      ordered_json objects = ordered_json::array();
      for (const auto& c : calls) {
        ordered_json call = ordered_json::object();
        call["name"] = c.name;
        call["parameters"] = c.arguments;
        objects.push_back(std::move(call));
      }
      return python_json_dumps(objects.size() == 1 ? objects[0] : objects);
    }
  }
  return out;
}

// Python's str.replace(old, "") : every occurrence.
std::string remove_all(std::string text, const std::string& what) {
  if (what.empty()) return text;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos)) text.erase(pos, what.size());
  return text;
}

// The first match of the non-greedy regex OPEN(.*?)CLOSE (DOTALL): [begin, end) of the whole match
// and the inner text; found == false when there is none.
struct Enclosed {
  bool found = false;
  std::string whole, inner;
};
Enclosed find_enclosed(const std::string& text, const std::string& open, const std::string& close) {
  Enclosed e;
  const size_t begin = text.find(open);
  if (begin == std::string::npos) return e;
  const size_t close_at = text.find(close, begin + open.size());
  if (close_at == std::string::npos) return e;
  e.found = true;
  e.whole = text.substr(begin, close_at + close.size() - begin);
  e.inner = text.substr(begin + open.size(), close_at - begin - open.size());
  return e;
}

}  // namespace

std::string python_json_dumps(const ordered_json& value, int indent) {
  std::string out;
  dump(value, indent, 0, out);
  return out;
}

std::string format_tool_prompt(ToolFormat format, const std::string& tools_json, const std::string& where) {
  const ordered_json tools = parse_json(tools_json, where, "the tool list");
  if (!tools.is_array()) throw Error(where + ": the tool list must be a JSON list of tool definitions");
  if (tools.empty()) return "";
  switch (format) {
    case ToolFormat::Default: return default_tool_prompt(tools, where);
    case ToolFormat::Qwen: {
      std::string tool_text;
      for (const auto& tool : tools) tool_text += "\n" + python_json_dumps(wrapped_function(tool));
      return "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
             "You are provided with function signatures within <tools></tools> XML tags:\n<tools>" +
             tool_text +
             "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
             "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
             "\"arguments\": <args-json-object>}\n</tool_call>";
    }
    case ToolFormat::Llama3: {
      std::string tool_text;
      for (const auto& tool : tools) tool_text += python_json_dumps(wrapped_function(tool), 4) + "\n\n";
      return "Cutting Knowledge Date: December 2023\nToday Date: " + today_llama3() +
             "\n\nYou have access to the following functions. To call a function, please respond with JSON for a "
             "function call. Respond in the format {\"name\": function name, \"parameters\": dictionary of argument "
             "name and its value}. Do not use variables.\n\n" +
             tool_text;
    }
  }
  return "";
}

std::string format_function_call(ToolFormat format, const std::string& content, const std::string& where) {
  // LLaMA-Factory's FunctionFormatter with its default tool_call_words and thought_words.
  const Enclosed tool_call = find_enclosed(content, "<tool_call>", "</tool_call>");
  if (tool_call.found) {
    const std::string thought = remove_all(content, tool_call.whole);
    return thought + format_calls(format, parse_calls(tool_call.inner, where));
  }
  const Enclosed thought = find_enclosed(content, "<think>\n", "\n</think>\n\n");
  const std::string json_part = thought.found ? remove_all(content, thought.whole) : content;
  const std::string calls = format_calls(format, parse_calls(json_part, where));
  return thought.found ? thought.whole + calls : calls;
}

}  // namespace dataflex
