#include "model/model_loading.hpp"

#include <filesystem>

#include "data/tokenizer.hpp"
#include "model/llama_model.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {
bool is_builtin(const std::string& name) { return name.rfind("builtin:", 0) == 0; }
}  // namespace

std::unique_ptr<LlamaModel> load_model_for(const std::string& name_or_path, const Tokenizer& tokenizer, uint64_t seed,
                                           const std::string& device, const std::string& key) {
  if (!is_builtin(name_or_path) && !std::filesystem::is_directory(name_or_path))
    throw Error(key + ": \"" + name_or_path + "\" is not a folder (nothing is downloaded here)");
  auto model = load_model(name_or_path, tokenizer.vocab_size(), seed, device);
  if (model->config().vocab_size < tokenizer.vocab_size())
    throw Error(key + ": \"" + name_or_path + "\" has vocab_size " + std::to_string(model->config().vocab_size) +
                ", fewer ids than the tokenizer's " + std::to_string(tokenizer.vocab_size()));
  return model;
}

}  // namespace dataflex
