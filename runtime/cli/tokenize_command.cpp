// dataflex-run tokenize: what a tokenizer makes of a text, as one JSON object.
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "data/tokenizer.hpp"

namespace dataflex::cli {

int tokenize(const std::string& tokenizer_path, const std::string& text_arg, bool add_special_tokens,
             bool show_tokens) {
  auto tokenizer = tokenizer_path == "builtin" || tokenizer_path == "builtin:tiny" ? Tokenizer::builtin_bytes()
                                                                                   : Tokenizer::load(tokenizer_path);
  std::string text = text_arg;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  const std::vector<int32_t> ids = tokenizer->encode(text, add_special_tokens);
  nlohmann::ordered_json out;
  out["ids"] = ids;
  out["count"] = ids.size();
  if (show_tokens) {
    nlohmann::json tokens = nlohmann::json::array();
    for (int32_t id : ids) tokens.push_back(tokenizer->id_to_token(id).value_or(""));
    out["tokens"] = tokens;
  }
  // Invalid UTF-8 in token strings (byte pieces) is replaced rather than failing the dump.
  std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return 0;
}

}  // namespace dataflex::cli
