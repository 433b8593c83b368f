// trainer.hpp -- the one training loop (ARCHITECTURE.md: "one loop; a trainer is the small piece that
// differs", here a DataPolicy). It owns the tokenizer, the tokenized corpus, the model, AdamW, the
// policy, the logs and the checkpoints; it resumes from the last checkpoint of output_dir unless told
// otherwise. No LibTorch in this header: the state lives in the .cpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "train/data_policy.hpp"
#include "train/training_options.hpp"

namespace torch::optim {
class AdamW;
}

namespace dataflex {

class LlamaModel;

struct TrainResult {
  int64_t global_step = 0;
  int64_t resumed_from = 0;  // 0 when the run started afresh
  double train_loss = 0.0;   // mean step loss over the whole run
  double train_runtime_s = 0.0;
  std::map<std::string, double> eval;  // eval_loss, eval_<domain>_loss (empty without a val split)
};

// train() stopped early because SIGTERM or SIGUSR1 asked it to (Slurm's and Kubernetes' preemption):
// every rank finished the step it was in and rank 0 wrote a checkpoint of it.
class Preempted : public std::runtime_error {
 public:
  Preempted(int64_t step, std::string checkpoint)
      : std::runtime_error("stopped by a signal after step " + std::to_string(step) +
                           (checkpoint.empty() ? std::string() : ": " + checkpoint + " written") +
                           "; run the same command again to resume"),
        step_(step) {}
  int64_t step() const { return step_; }

 private:
  int64_t step_;
};

class Trainer {
 public:
  explicit Trainer(TrainingOptions options, PluginSetup plugin = {});
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  TrainResult train();
  // Whether this process is rank 0 (or the only rank): it speaks for the run.
  bool is_root() const;
  // run_config.toml's text (the effective config), written into output_dir when training starts.
  void set_run_config(std::string toml_text);

  // What was set up (for the CLI's summary line).
  std::string describe() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

// The pieces of the trainer's set-up that other engine commands (`features`) repeat exactly.
// "cpu", or "cuda" where built and visible; throws dataflex::Error for a device this build cannot use.
std::string resolve_device(const std::string& wanted);
// Full, LoRA (new or continued adapter) or freeze fine-tuning of the loaded model, as `o` says.
void prepare_finetuning(LlamaModel& model, const TrainingOptions& o);
// AdamW as transformers builds it: no weight decay on biases and norm weights.
std::unique_ptr<torch::optim::AdamW> make_adamw(const LlamaModel& model, const TrainingOptions& o);

// Chooses LibTorch's intra-op and BLAS thread counts (0 = the cores this process may use); see
// docs/performance.md.
int64_t configure_threads(int64_t num_threads);

}  // namespace dataflex
