// json_tokenizer.hpp -- builds a Tokenizer from the text of tokenizer.json (and of
// tokenizer_config.json, when there is one). Tokenizer::load reads the files; builtin_bytes()
// passes the JSON it generates, so both go through the same reader.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "data/tokenizer.hpp"

namespace dataflex {

// `json_name` / `config_name` name the files in messages. save() writes the two texts back as given
// (with no config text, a minimal tokenizer_config.json is written).
std::unique_ptr<Tokenizer> make_json_tokenizer(std::string tokenizer_json, std::optional<std::string> tokenizer_config,
                                               const std::string& json_name, const std::string& config_name);

}  // namespace dataflex
