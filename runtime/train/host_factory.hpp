// host_factory.hpp -- the runtime host of a training run: the live model and corpus, the optimizer's
// Adam moments, and the reference / embedding models named in [dataflex].
#pragma once

#include <memory>

#include "signals/model_host.hpp"
#include "train/training_options.hpp"

namespace torch::optim {
class AdamW;
}

namespace dataflex {

class LlamaModel;
class Tokenizer;
struct Corpus;
struct AdamMoments;

// The optimizer's first and second moments of a parameter, looked up at call time (so they are
// always the current ones); undefined tensors before the parameter's first step.
std::shared_ptr<AdamMoments> adam_moments_of(torch::optim::AdamW& optimizer, double beta1, double beta2);

// Loads the reference and embedding models (checked against the tokenizer's vocabulary) and the
// embeddings file. `optimizer` may be null (no adam preconditioning then).
std::unique_ptr<ModelHost> make_model_host(const TrainingOptions& options, const Corpus& corpus,
                                           const Tokenizer& tokenizer, const LlamaModel& model,
                                           torch::optim::AdamW* optimizer);

}  // namespace dataflex
