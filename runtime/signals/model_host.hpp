// model_host.hpp -- the runtime's answers to the SDK's host services, computed on the live model.
//
// Losses (current or reference model), per-token losses, per-domain losses, per-sample gradient
// features (per_sample_gradients.hpp) and embeddings, for any sample ids of the training pool or the
// eval set; batched; cached by a hash of what produced them (signal_cache.hpp). The trainer owns the
// model and calls set_weights_changed() after every optimizer step. No LibTorch in this header.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "signals/host_services.hpp"
#include "signals/signal_cache.hpp"

namespace dataflex {

class LlamaModel;
class Tokenizer;
struct Corpus;
struct Sample;
struct AdamMoments;

struct ModelHostOptions {
  int64_t batch_size = 8;          // samples per forward (and backward) pass
  int64_t cache_mb = 1024;         // result cache budget
  std::string embeddings_file;     // precomputed embeddings of the training pool (.npy f32 or safetensors)
  int64_t progress_every = 512;    // log progress every this many samples of a long extraction
};

class ModelHost : public HostServiceProvider {
 public:
  ModelHost(const Corpus& corpus, const Tokenizer& tokenizer, const LlamaModel& model, ModelHostOptions options);
  ~ModelHost() override;

  // Optional pieces: a frozen reference model (DoReMi), a separate embedding model, and the
  // optimizer's moments (the adam preconditioner).
  void set_reference_model(std::unique_ptr<LlamaModel> model);
  void set_embedding_model(std::unique_ptr<LlamaModel> model);
  void set_adam_moments(std::shared_ptr<AdamMoments> moments);
  // The current model's weights changed (an optimizer step): its fingerprint is recomputed lazily.
  void set_weights_changed();

  std::string description() const override { return "runtime host"; }
  void dataset_info(dfx_dataset_info_args& args) override;
  void sample_domains(dfx_sample_domains_args& args) override;
  void sample_losses(dfx_sample_losses_args& args) override;
  void token_losses(dfx_token_losses_args& args) override;
  void domain_losses(dfx_domain_losses_args& args) override;
  void gradient_features(dfx_gradient_features_args& args) override;
  void embeddings(dfx_embeddings_args& args) override;

  const SignalCache& cache() const { return cache_; }
  // Held by the trainer from a step's forward pass to its optimizer step: services called from
  // another thread meanwhile wait; calls from the holding thread (a weighter's) go through.
  std::unique_lock<std::recursive_mutex> lock_model() { return std::unique_lock<std::recursive_mutex>(mutex_); }

 private:
  const std::vector<Sample>& split(int32_t dataset) const;
  std::vector<const Sample*> lookup(int32_t dataset, const int64_t* ids, std::size_t n) const;
  const LlamaModel& model_for(int32_t which, const char* service) const;
  uint64_t fingerprint(int32_t which);
  // Per-sample summed NLL and trained-token count (and, when `per_token`, each trained token's loss).
  void score(const LlamaModel& model, const std::vector<const Sample*>& samples, std::vector<double>& nll,
             std::vector<int64_t>& tokens, std::vector<std::vector<float>>* per_token);

  const Corpus& corpus_;
  const Tokenizer& tokenizer_;
  const LlamaModel& model_;
  ModelHostOptions options_;
  std::unique_ptr<LlamaModel> reference_, embedding_;
  std::shared_ptr<AdamMoments> adam_;
  std::vector<float> file_embeddings_;  // rows of the training pool, when embeddings_file is set
  int64_t file_embedding_dim_ = 0;
  SignalCache cache_;
  uint64_t fingerprint_ = 0;
  bool fingerprint_stale_ = true;
  std::recursive_mutex mutex_;  // one service at a time, and never during a training step
};

}  // namespace dataflex
