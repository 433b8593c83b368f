// optimizer_sharding.hpp -- ZeRO stage 1 (distributed.shard_optimizer_state): each rank keeps and
// updates the AdamW state of its own share of the parameters.
//
// The trainable parameters are dealt to the ranks (whole tensors, each to the rank with the fewest
// elements so far). Gradients are still all-reduced whole, so clipping sees the global norm; before
// the optimizer step a rank drops the gradients of the parameters it does not own (LibTorch's AdamW
// skips a parameter without a gradient and never creates its state), and after it every parameter is
// broadcast from its owner. A checkpoint holds one optimizer file per rank, keyed by parameter name,
// so it resumes with any world size, sharded or not (and a sharded run resumes an unsharded one).
// No LibTorch in this header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace at {
class Tensor;
}
namespace torch::optim {
class Optimizer;
}

namespace dataflex {

class Communicator;
class LlamaModel;

// The whole optimizer state of a checkpoint folder into `optimizer` (of `model`): its optimizer.pt, or
// every shard file of a sharded run.
void load_whole_optimizer_state(torch::optim::Optimizer& optimizer, const LlamaModel& model, const std::string& dir);

class OptimizerSharding {
 public:
  // `comm`'s rank and world size decide the shares. Not `shard` (or one rank): every rank owns every
  // parameter (then only load_shards is of use: reading a sharded run's checkpoint whole).
  OptimizerSharding(const LlamaModel& model, Communicator& comm, bool shard);
  ~OptimizerSharding();
  OptimizerSharding(const OptimizerSharding&) = delete;
  OptimizerSharding& operator=(const OptimizerSharding&) = delete;

  bool sharded() const { return sharded_; }
  // Whether this rank holds the optimizer state of `parameter`.
  bool owns(const at::Tensor& parameter) const;
  // After the gradients are all-reduced and clipped, before the optimizer step.
  void drop_foreign_gradients();
  // After the optimizer step: every parameter from the rank that updated it.
  void share_parameters(int64_t bucket_mb);
  // Frees the state of the parameters other ranks own (after loading a whole optimizer state).
  void drop_foreign_state(torch::optim::Optimizer& optimizer);
  // Bytes of optimizer state this rank holds.
  static int64_t state_bytes(torch::optim::Optimizer& optimizer);

  // This rank's file of a checkpoint: `dir`/optimizer-shard-R-of-W.pt.
  void save_shard(torch::optim::Optimizer& optimizer, const std::string& dir) const;
  // The state of every parameter this rank owns from a checkpoint's shard files (written with any
  // world size). Throws dataflex::Error naming the folder and the parameter when one is missing.
  void load_shards(torch::optim::Optimizer& optimizer, const std::string& dir) const;
  // Whether `dir` holds shard files rather than one optimizer.pt.
  static bool has_shards(const std::string& dir);

 private:
  struct Parameter;
  bool mine(const Parameter& p) const;
  std::vector<Parameter> params_;
  Communicator& comm_;
  bool sharded_ = false;
};

}  // namespace dataflex
