// model_loading.hpp -- a run's model, loaded and checked against its tokenizer (Tokenizer::for_model):
// what training, evaluation and the host's reference / embedding models all do first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace dataflex {

class LlamaModel;
class Tokenizer;

// A Hugging Face folder (nothing is downloaded) or builtin:tiny, on `device`, whose vocabulary covers
// every id of `tokenizer`. `key` names the config key in errors ("model.model_name_or_path").
std::unique_ptr<LlamaModel> load_model_for(const std::string& name_or_path, const Tokenizer& tokenizer, uint64_t seed,
                                           const std::string& device, const std::string& key);

}  // namespace dataflex
