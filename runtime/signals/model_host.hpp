// model_host.hpp -- the runtime's answers to the SDK's host services, computed on the live model.
//
// Losses (current or reference model), per-token losses, per-domain losses, per-sample gradient
// features (per_sample_gradients.hpp) and embeddings, for any sample ids of the training pool or the
// eval set; batched; cached by a hash of what produced them (signal_cache.hpp). The trainer owns the
// model and calls set_weights_changed() after every optimizer step. No LibTorch in this header.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <dataflex/host/services.hpp>

#include "signals/signal_cache.hpp"

namespace dataflex {

class LlamaModel;
class SequenceClassifier;
class Tokenizer;
struct Corpus;
struct Sample;
struct AdamMoments;
struct GradientFeatureOptions;

// The extractor's options for a gradient-feature request (per_sample_gradients.hpp).
GradientFeatureOptions gradient_feature_options(const host::GradientRequest& r);

struct ModelHostOptions {
  int64_t batch_size = 8;        // samples per forward (and backward) pass
  int64_t cache_mb = 1024;       // result cache budget
  std::string embeddings_file;   // precomputed embeddings of the training pool (.npy f32 or safetensors)
  int64_t progress_every = 512;  // log progress every this many samples of a long extraction
  bool bf16_matmuls = false;     // losses and embeddings with bfloat16 linear maps (Bf16Matmuls)
  // The reward model's input (dfx_reward MODEL): {prompt}, {reference} and {response} are replaced
  // by the texts of the prompt, its reference answer and the response.
  std::string reward_template = "Question: {prompt}\nReference answer: {reference}\nAnswer: {response}";
};

class ModelHost : public host::ServiceProvider {
 public:
  ModelHost(const Corpus& corpus, const Tokenizer& tokenizer, const LlamaModel& model, ModelHostOptions options);
  ~ModelHost() override;

  // Optional pieces: a frozen reference model (DoReMi), a separate embedding model, and the
  // optimizer's moments (the adam preconditioner).
  void set_reference_model(std::unique_ptr<LlamaModel> model);
  void set_embedding_model(std::unique_ptr<LlamaModel> model);
  void set_adam_moments(std::shared_ptr<AdamMoments> moments);
  // NICE's pieces: the model responses are sampled from (instead of the current one), and the reward
  // model with the tokenizer its input is encoded with (nullptr: the run's).
  void set_policy_model(std::unique_ptr<LlamaModel> model);
  void set_reward_model(std::unique_ptr<SequenceClassifier> model, std::unique_ptr<Tokenizer> tokenizer);
  // The current model's weights changed (an optimizer step): its fingerprint is recomputed lazily.
  void set_weights_changed();
  // dataflex.decision_staleness: until clear_snapshot(), services on the current model answer from a
  // copy of its weights and Adam moments taken now (on the training thread, between steps), so a
  // decision computed on a worker never reads weights training is changing, and never waits for a step.
  void take_snapshot();
  void clear_snapshot();
  // Whether a snapshot copies the Adam moments too (default yes): only adam-preconditioned gradient
  // features read them, and two copies of every trainable parameter are not worth taking for a plugin
  // that never asks for those (the trainer turns it off when the manifest lists no gradient_features).
  void set_snapshot_moments(bool keep) { snapshot_moments_ = keep; }
  // The frozen reference model (dataflex.reference_model), or nullptr: the trainer runs it on each
  // training batch when the mixer requires "observed_excess_losses" (DoReMi).
  const LlamaModel* reference_model() const { return reference_.get(); }

  std::string description() const override { return "runtime host"; }
  host::DatasetInfo dataset_info(host::Dataset d) override;
  std::vector<int32_t> sample_domains(host::Dataset d, const host::SampleIds& ids) override;
  std::vector<float> sample_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  std::size_t token_count(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  host::TokenLosses token_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  std::vector<double> domain_losses(host::Dataset d, host::Model m) override;
  std::size_t gradient_feature_dim(const host::GradientRequest& r) override;
  std::vector<float> gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) override;
  std::size_t embedding_dim(const host::EmbeddingRequest& r) override;
  std::vector<float> embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) override;
  host::SampleTokens sample_tokens(host::Dataset d, const host::SampleIds& ids) override;
  // Generation, rewards and response gradients: signals/response_services.cpp.
  host::Responses generate(const host::GenerateRequest& r, const host::SampleIds& ids) override;
  std::vector<float> reward(host::Dataset d, dfx_reward kind, const host::SampleIds& ids,
                            const host::Responses& responses) override;
  std::size_t response_feature_dim(const host::ResponseFeatureRequest& r) override;
  std::vector<float> response_gradient_features(const host::ResponseFeatureRequest& r, const host::SampleIds& ids,
                                                const host::Responses& responses) override;

  const SignalCache& cache() const { return cache_; }
  // Held by the trainer from a step's forward pass to its optimizer step: services called from
  // another thread meanwhile wait; calls from the holding thread (a weighter's) go through.
  std::unique_lock<std::recursive_mutex> lock_model() { return std::unique_lock<std::recursive_mutex>(mutex_); }

 private:
  const std::vector<Sample>& split(host::Dataset d) const;
  std::vector<const Sample*> lookup(host::Dataset d, const host::SampleIds& ids) const;
  const LlamaModel& model_for(host::Model which) const;
  const LlamaModel& current() const;   // the snapshot while one is taken, else the live model
  const AdamMoments* moments() const;  // idem for the optimizer's moments (null: none)
  uint64_t fingerprint(host::Model which);
  // Per-sample scores through the shared scorer (eval/scorer.hpp), cached by what produced them.
  std::vector<float> cached(uint32_t service, host::Dataset d, host::Model m, const host::SampleIds* ids,
                            const std::function<std::vector<float>()>& compute);

  const Corpus& corpus_;
  const Tokenizer& tokenizer_;
  const LlamaModel& model_;
  ModelHostOptions options_;
  std::unique_ptr<LlamaModel> reference_, embedding_, policy_;
  std::unique_ptr<SequenceClassifier> reward_model_;
  std::unique_ptr<Tokenizer> reward_tokenizer_;
  std::shared_ptr<AdamMoments> adam_;
  std::vector<float> file_embeddings_;  // rows of the training pool, when embeddings_file is set
  int64_t file_embedding_dim_ = 0;
  SignalCache cache_;
  uint64_t fingerprint_ = 0;
  std::atomic<bool> fingerprint_stale_{true};
  std::unique_ptr<LlamaModel> snapshot_;
  std::shared_ptr<AdamMoments> snapshot_adam_;
  uint64_t snapshot_fingerprint_ = 0;
  bool snapshot_moments_ = true;
  std::recursive_mutex mutex_;  // one service at a time, and never during a training step
};

}  // namespace dataflex
