// trainer.hpp -- the one training loop (ARCHITECTURE.md: "one loop; a trainer is the small piece that
// differs"). It owns the tokenizer, the tokenized corpus, the model, AdamW, the sampler, the logs and
// the checkpoints; it resumes from the last checkpoint of output_dir unless told otherwise.
// No LibTorch in this header: the state lives in the .cpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "plugins/param_value.hpp"
#include "train/training_options.hpp"

namespace dataflex {

struct TrainResult {
  int64_t global_step = 0;
  int64_t resumed_from = 0;  // 0 when the run started afresh
  double train_loss = 0.0;   // mean of the step losses of this process's steps
  double train_runtime_s = 0.0;
  std::map<std::string, double> eval;  // eval_loss, eval_<domain>_loss (empty without a val split)
};

class PluginLibrary;

// The plugin of a run (none for full data), loaded and with its parameters checked.
struct PluginSetup {
  std::shared_ptr<PluginLibrary> library;
  std::vector<NamedParam> params;
};

class Trainer {
 public:
  explicit Trainer(TrainingOptions options, PluginSetup plugin = {});
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  TrainResult train();

  // What was set up (for the CLI's summary line).
  std::string describe() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Chooses LibTorch's intra-op and BLAS thread counts (0 = the machine's cores); see docs/performance.md.
void configure_threads(int64_t num_threads);

}  // namespace dataflex
