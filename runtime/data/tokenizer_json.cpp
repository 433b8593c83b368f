#include "data/tokenizer_json.hpp"

#include <fstream>
#include <limits>
#include <sstream>

#include "util/error.hpp"

namespace dataflex::tokenizer_json {

std::string describe(const Json& value) {
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    if (s.size() > 40) s = s.substr(0, 40) + "...";
    return "\"" + s + "\"";
  }
  if (value.is_number_integer() || value.is_number_unsigned()) return "number " + value.dump();
  return value.type_name();
}

std::string child_key(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string index_key(const std::string& path, size_t index) { return path + "[" + std::to_string(index) + "]"; }

void Reader::fail(const std::string& key, const std::string& message) const {
  throw Error(one_line(file_ + ": " + (key.empty() ? "" : key + ": ") + message));
}

const Json& Reader::member(const Json& object, const std::string& path, const std::string& key) const {
  const Json* v = optional_member(object, path, key);
  if (!v) fail(child_key(path, key), "missing");
  return *v;
}

const Json* Reader::optional_member(const Json& object, const std::string& path, const std::string& key) const {
  expect_object(object, path);
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

void Reader::expect_object(const Json& value, const std::string& key) const {
  if (!value.is_object()) fail(key, "expected an object, found " + describe(value));
}

void Reader::expect_array(const Json& value, const std::string& key) const {
  if (!value.is_array()) fail(key, "expected an array, found " + describe(value));
}

std::string Reader::string(const Json& object, const std::string& path, const std::string& key) const {
  const Json& v = member(object, path, key);
  if (!v.is_string()) fail(child_key(path, key), "expected a string, found " + describe(v));
  return v.get<std::string>();
}

std::optional<std::string> Reader::optional_string(const Json& object, const std::string& path,
                                                   const std::string& key) const {
  const Json* v = optional_member(object, path, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(child_key(path, key), "expected a string, found " + describe(*v));
  return v->get<std::string>();
}

bool Reader::boolean(const Json& object, const std::string& path, const std::string& key, bool fallback) const {
  const Json* v = optional_member(object, path, key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(child_key(path, key), "expected true or false, found " + describe(*v));
  return v->get<bool>();
}

int64_t Reader::integer(const Json& object, const std::string& path, const std::string& key) const {
  const Json& v = member(object, path, key);
  if (!v.is_number_integer()) fail(child_key(path, key), "expected an integer, found " + describe(v));
  return v.get<int64_t>();
}

int32_t Reader::token_id(const Json& value, const std::string& key) const {
  if (!value.is_number_integer()) fail(key, "expected a token id, found " + describe(value));
  const int64_t id = value.get<int64_t>();
  if (id < 0 || id > std::numeric_limits<int32_t>::max()) fail(key, "token id " + std::to_string(id) + " out of range");
  return static_cast<int32_t>(id);
}

Json parse(const std::string& text, const std::string& file) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // a syntax error, or a number it cannot hold
    throw Error(one_line(file + ": invalid JSON: " + e.what()));
  }
}

}  // namespace dataflex::tokenizer_json
