// tokenizer_json.hpp -- reading tokenizer.json / tokenizer_config.json with the file and key at hand.
//
// Every failure is one dataflex::Error line: `FILE: KEY: what was expected, what was found`, where
// KEY is the dotted path from the document root (e.g. `pre_tokenizer.pretokenizers[1].pattern`).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace dataflex::tokenizer_json {

using Json = nlohmann::json;

// "string", "number", "object", ... and for strings the value itself, quoted: for messages.
std::string describe(const Json& value);

std::string child_key(const std::string& path, const std::string& key);
std::string index_key(const std::string& path, size_t index);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  // `object[key]`; `path` names `object`. Missing (or not an object) is an error.
  const Json& member(const Json& object, const std::string& path, const std::string& key) const;
  // `object[key]`, or nullptr when absent or null.
  const Json* optional_member(const Json& object, const std::string& path, const std::string& key) const;

  void expect_object(const Json& value, const std::string& key) const;
  void expect_array(const Json& value, const std::string& key) const;

  std::string string(const Json& object, const std::string& path, const std::string& key) const;
  std::optional<std::string> optional_string(const Json& object, const std::string& path, const std::string& key) const;
  bool boolean(const Json& object, const std::string& path, const std::string& key, bool fallback) const;
  int64_t integer(const Json& object, const std::string& path, const std::string& key) const;
  int32_t token_id(const Json& value, const std::string& key) const;  // 0 <= id < 2^31

 private:
  std::string file_;
};

// Parses `text` as JSON; a syntax error is reported against `file`.
Json parse(const std::string& text, const std::string& file);

}  // namespace dataflex::tokenizer_json
