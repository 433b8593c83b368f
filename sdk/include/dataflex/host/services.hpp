// host/services.hpp -- the host side of the services table, as typed C++ calls (header-only, C++17).
//
// A ServiceProvider answers what plugins ask: losses, gradient features, embeddings, ... The runtime's
// providers compute on the live model or read a recording; <dataflex/testing.hpp>'s MockHost answers
// from values a test sets. Providers only compute: the C protocol around them -- argument checks,
// size queries, capacities, outputs untouched on error, the error text -- is HostBridge's
// (host/bridge.hpp), written once for every provider.
//
// Like plugin.hpp this compiles into the program that includes it; nothing of it crosses the ABI.
#ifndef DATAFLEX_HOST_SERVICES_HPP
#define DATAFLEX_HOST_SERVICES_HPP

#include <dataflex/dataflex_plugin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex::host {

enum class Dataset { Train = DFX_DATASET_TRAIN, Eval = DFX_DATASET_EVAL };
enum class Model {
  Current = DFX_MODEL_CURRENT,
  Reference = DFX_MODEL_REFERENCE,
  Embedding = DFX_MODEL_EMBEDDING,
  Policy = DFX_MODEL_POLICY  // [1.3]
};

inline const char* to_string(Dataset d) { return d == Dataset::Train ? "train" : "eval"; }
inline const char* to_string(Model m) {
  switch (m) {
    case Model::Current: return "current";
    case Model::Reference: return "reference";
    case Model::Embedding: return "embedding";
    case Model::Policy: return "policy";
  }
  return "unknown";
}

// A provider's failure: the status the plugin receives, and the message it reports. The bridge adds
// the service's name in front ("host service 'sample_losses': <message>").
class ServiceError : public std::runtime_error {
 public:
  ServiceError(dfx_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  dfx_status status() const noexcept { return status_; }

 private:
  dfx_status status_;
};

using SampleIds = std::vector<int64_t>;

struct DatasetInfo {
  std::size_t num_samples = 0;
  std::size_t num_domains = 0;
};

struct TokenLosses {
  std::vector<float> losses;     // every sample's trained-token losses, concatenated
  std::vector<int64_t> offsets;  // num_samples + 1
  std::vector<int32_t> domains;  // num_samples
};

struct SampleTokens {
  std::vector<int32_t> token_ids;  // every sample's tokens, concatenated
  std::vector<uint8_t> trained;    // one per token: 1 when its loss counts
  std::vector<int64_t> offsets;    // num_samples + 1
};

struct GradientRequest {
  Dataset dataset = Dataset::Train;
  dfx_preconditioner preconditioner = DFX_PRECONDITIONER_SGD;
  dfx_projection projection = DFX_PROJECTION_DENSE;
  uint32_t projection_dim = 8192;
  uint64_t projection_seed = 0;
  std::vector<std::string> parameter_filter;  // parameter-name substrings; empty = all trainable
};

// The C ABI's parameter_filter ("q_proj,v_proj") as the list GradientRequest holds; empty parts dropped.
inline std::vector<std::string> parameter_filter_of(const std::string& filter) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start <= filter.size();) {
    const std::size_t comma = std::min(filter.find(',', start), filter.size());
    if (comma > start) out.push_back(filter.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

struct EmbeddingRequest {
  Dataset dataset = Dataset::Train;
  Model model = Model::Current;
  int32_t layer = -1;
  dfx_pooling pooling = DFX_POOLING_MEAN;
  bool normalize = true;
};

// [1.3] Responses of a model to the prompts of samples (dfx_generate_args).
struct GenerateRequest {
  Dataset dataset = Dataset::Eval;
  Model model = Model::Current;
  uint32_t num_return = 1;
  uint32_t max_new_tokens = 64;
  double temperature = 1.0;
  double top_p = 1.0;
  int32_t top_k = 0;
  uint64_t seed = 0;
};

// [1.3] Token sequences, concatenated: response i is tokens[offsets[i] .. offsets[i+1]).
struct Responses {
  std::vector<int32_t> tokens;
  std::vector<int64_t> offsets;  // size() + 1 entries, from 0
  std::size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};

// [1.3] dfx_response_features_args without the buffers.
struct ResponseFeatureRequest {
  Dataset dataset = Dataset::Eval;
  std::vector<float> weights;  // one per response; empty = all 1
  std::size_t group_size = 1;
  dfx_projection projection = DFX_PROJECTION_DENSE;
  uint32_t projection_dim = 8192;
  uint64_t projection_seed = 0;
  std::vector<std::string> parameter_filter;
};

// Answers the services. Each default throws ServiceError(DFX_ERR_UNIMPLEMENTED) naming the provider,
// so a host that cannot serve one says so. The bridge has checked the enums, the pointers and the
// sizes before a call arrives, and checks the shape of every answer after it. Implementations must be
// thread-safe: plugins may call services from threads of their own.
class ServiceProvider {
 public:
  virtual ~ServiceProvider() = default;
  // Names this provider in messages: "recorded host tests/x.json", "runtime host", "mock host".
  virtual std::string description() const = 0;

  virtual DatasetInfo dataset_info(Dataset) { unimplemented(); }
  virtual std::vector<int32_t> sample_domains(Dataset, const SampleIds&) { unimplemented(); }
  // One value per id: the sample's mean trained-token loss.
  virtual std::vector<float> sample_losses(Dataset, Model, const SampleIds&) { unimplemented(); }
  // How many token losses token_losses() would return (answers a size query without the model).
  virtual std::size_t token_count(Dataset dataset, Model model, const SampleIds& ids) {
    return token_losses(dataset, model, ids).losses.size();
  }
  virtual TokenLosses token_losses(Dataset, Model, const SampleIds&) { unimplemented(); }
  // One value per domain of the dataset; NaN for a domain without tokens.
  virtual std::vector<double> domain_losses(Dataset, Model) { unimplemented(); }
  // Columns of gradient_features() for this request (answers a size query without a backward pass).
  virtual std::size_t gradient_feature_dim(const GradientRequest&) { unimplemented(); }
  // Row-major ids.size() x gradient_feature_dim(request).
  virtual std::vector<float> gradient_features(const GradientRequest&, const SampleIds&) { unimplemented(); }
  virtual std::size_t embedding_dim(const EmbeddingRequest&) { unimplemented(); }
  // Row-major ids.size() x embedding_dim(request).
  virtual std::vector<float> embeddings(const EmbeddingRequest&, const SampleIds&) { unimplemented(); }
  // [1.1]
  virtual SampleTokens sample_tokens(Dataset, const SampleIds&) { unimplemented(); }
  // [1.3] ids.size() * num_return responses, response j of ids[i] at i * num_return + j; each at most
  // max_new_tokens long.
  virtual Responses generate(const GenerateRequest&, const SampleIds&) { unimplemented(); }
  // [1.3] One reward per response; response i answers sample ids[i].
  virtual std::vector<float> reward(Dataset, dfx_reward, const SampleIds&, const Responses&) { unimplemented(); }
  // [1.3] Columns of response_gradient_features() (answers a size query without a backward pass).
  virtual std::size_t response_feature_dim(const ResponseFeatureRequest&) { unimplemented(); }
  // [1.3] Row-major (responses / group_size) x response_feature_dim(request).
  virtual std::vector<float> response_gradient_features(const ResponseFeatureRequest&, const SampleIds&,
                                                        const Responses&) {
    unimplemented();
  }

 protected:
  [[noreturn]] void unimplemented() const {
    throw ServiceError(DFX_ERR_UNIMPLEMENTED, "not implemented by the " + description());
  }
};

// The service names a manifest may list under [requires].host_services, with the ABI minor that
// introduced each: a host of an older minor refuses a plugin that requires a newer service.
struct ServiceName {
  const char* name;
  uint32_t since_minor;
};
inline const std::vector<ServiceName>& service_names() {
  static const std::vector<ServiceName> names = {
      {"log", 0},
      {"metrics", 0},
      {"dataset_info", 0},
      {"sample_domains", 0},
      {"sample_losses", 0},
      {"token_losses", 0},
      {"domain_losses", 0},
      {"reference_losses", 0},
      {"embeddings", 0},
      {"gradient_features", 0},
      {"embedding_model", 0},
      {"sample_tokens", 1},
      {"generate", 3},
      {"reward", 3},
      {"response_gradient_features", 3},
      {"observed_excess_losses", 4},  // not a function: a member of dfx_mix_args the host fills
  };
  return names;
}
// The ABI minor that introduced `name`, or -1 for a name no version of the SDK declares.
inline int64_t service_since_minor(const std::string& name) {
  for (const auto& s : service_names())
    if (name == s.name) return s.since_minor;
  return -1;
}

}  // namespace dataflex::host

#endif  // DATAFLEX_HOST_SERVICES_HPP
