// checkpoint.hpp -- checkpoint-N folders: written whole or not at all, read back exactly.
//
// A checkpoint holds what transformers' Trainer puts there (the model or adapter in Hugging Face /
// PEFT layout, the tokenizer, optimizer state, trainer_state.json) plus DataFlex's own state
// (dataflex_state.json: sampler position, elapsed time; rng_state.pt: LibTorch's CPU generator).
// It is written as output_dir/.checkpoint-N.tmp and renamed: a killed run never leaves a partial one.
// Weights are always float32 here, so that a resumed run is bit-identical to an uninterrupted one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace torch::optim {
class Optimizer;
}

namespace dataflex {

class LlamaModel;
class Tokenizer;

struct CheckpointState {
  int64_t step = 0;
  nlohmann::json trainer_state;   // trainer_state.json
  nlohmann::json dataflex_state;  // dataflex_state.json
};

void save_checkpoint(const std::string& output_dir, const CheckpointState& state, const LlamaModel& model,
                     torch::optim::Optimizer& optimizer, const Tokenizer& tokenizer, const std::string& base_model,
                     int64_t save_total_limit,
                     // Writes the optimizer state into the folder being written (default: optimizer.pt);
                     // a sharded optimizer's ranks write one file each (optimizer_sharding.hpp).
                     const std::function<void(const std::string& folder)>& write_optimizer = {});

// The checkpoint-N folder with the largest N, or "" when there is none.
std::string latest_checkpoint(const std::string& output_dir);

// Restores weights (trainable ones: full model, or the LoRA adapters), optimizer state and the RNG
// into an already-built model and optimizer. Throws a one-line error naming the file on any mismatch.
CheckpointState load_checkpoint(const std::string& dir, LlamaModel& model, torch::optim::Optimizer& optimizer,
                                const std::function<void(const std::string& folder)>& read_optimizer = {});

}  // namespace dataflex
