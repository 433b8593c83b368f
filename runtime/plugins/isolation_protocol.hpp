// isolation_protocol.hpp -- what the trainer and an isolated plugin's worker say to each other: the
// encoding of every call's arguments and answers, and of every host service, written once for both
// sides (plugins/isolated_plugin.cpp, the trainer's; plugins/plugin_worker.cpp, the worker's).
#pragma once

#include <dataflex/host/bridge.hpp>
#include <dataflex/host/instance.hpp>
#include <dataflex/host/services.hpp>

#include "plugins/isolation_channel.hpp"

namespace dataflex::isolation {

// The host services a worker forwards, one per ServiceProvider method.
enum class Service : uint32_t {
  DatasetInfo = 1,
  SampleDomains,
  SampleLosses,
  TokenCount,
  TokenLosses,
  DomainLosses,
  GradientFeatureDim,
  GradientFeatures,
  EmbeddingDim,
  Embeddings,
  SampleTokens,
  Generate,  // 1.3
  Reward,
  ResponseFeatureDim,
  ResponseFeatures,
};

inline void put(Writer& w, const host::DecisionContext& c) {
  w.pod(c.step), w.pod(c.total_steps), w.pod(c.decision_index), w.pod(c.max_decisions), w.pod(c.seed),
      w.pod(c.learning_rate);
}
inline host::DecisionContext get_context(Reader& r) {
  host::DecisionContext c;
  c.step = r.pod<int64_t>();
  c.total_steps = r.pod<int64_t>();
  c.decision_index = r.pod<int64_t>();
  c.max_decisions = r.pod<int64_t>();
  c.seed = r.pod<uint64_t>();
  c.learning_rate = r.pod<double>();
  return c;
}

inline void put(Writer& w, const std::vector<host::Param>& params) {
  w.pod<uint64_t>(params.size());
  for (const auto& p : params) {
    w.str(p.name), w.pod<int32_t>(p.type), w.pod<uint8_t>(p.bool_value), w.pod(p.int_value), w.pod(p.float_value);
    w.str(p.string_value), w.vec(p.float_list);
  }
}
inline std::vector<host::Param> get_params(Reader& r) {
  std::vector<host::Param> params;
  const auto n = r.pod<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    host::Param p;
    p.name = r.str();
    p.type = static_cast<dfx_param_type>(r.pod<int32_t>());
    p.bool_value = r.pod<uint8_t>() != 0;
    p.int_value = r.pod<int64_t>();
    p.float_value = r.pod<double>();
    p.string_value = r.str();
    p.float_list = r.vec<double>();
    params.push_back(std::move(p));
  }
  return params;
}

inline void put(Writer& w, const host::GradientRequest& q) {
  w.pod<int32_t>(static_cast<int32_t>(q.dataset)), w.pod<int32_t>(q.preconditioner), w.pod<int32_t>(q.projection);
  w.pod(q.projection_dim), w.pod(q.projection_seed), w.strings(q.parameter_filter);
}
inline host::GradientRequest get_gradient_request(Reader& r) {
  host::GradientRequest q;
  q.dataset = static_cast<host::Dataset>(r.pod<int32_t>());
  q.preconditioner = static_cast<dfx_preconditioner>(r.pod<int32_t>());
  q.projection = static_cast<dfx_projection>(r.pod<int32_t>());
  q.projection_dim = r.pod<uint32_t>(), q.projection_seed = r.pod<uint64_t>(), q.parameter_filter = r.strings();
  return q;
}

inline void put(Writer& w, const host::EmbeddingRequest& q) {
  w.pod<int32_t>(static_cast<int32_t>(q.dataset)), w.pod<int32_t>(static_cast<int32_t>(q.model)), w.pod(q.layer);
  w.pod<int32_t>(q.pooling), w.pod<uint8_t>(q.normalize);
}
inline host::EmbeddingRequest get_embedding_request(Reader& r) {
  host::EmbeddingRequest q;
  q.dataset = static_cast<host::Dataset>(r.pod<int32_t>());
  q.model = static_cast<host::Model>(r.pod<int32_t>());
  q.layer = r.pod<int32_t>(), q.pooling = static_cast<dfx_pooling>(r.pod<int32_t>()), q.normalize = r.pod<uint8_t>();
  return q;
}

inline void put(Writer& w, const host::GenerateRequest& q) {
  w.pod<int32_t>(static_cast<int32_t>(q.dataset)), w.pod<int32_t>(static_cast<int32_t>(q.model));
  w.pod(q.num_return), w.pod(q.max_new_tokens), w.pod(q.temperature), w.pod(q.top_p), w.pod(q.top_k), w.pod(q.seed);
}
inline host::GenerateRequest get_generate_request(Reader& r) {
  host::GenerateRequest q;
  q.dataset = static_cast<host::Dataset>(r.pod<int32_t>());
  q.model = static_cast<host::Model>(r.pod<int32_t>());
  q.num_return = r.pod<uint32_t>(), q.max_new_tokens = r.pod<uint32_t>();
  q.temperature = r.pod<double>(), q.top_p = r.pod<double>(), q.top_k = r.pod<int32_t>(), q.seed = r.pod<uint64_t>();
  return q;
}

inline void put(Writer& w, const host::Responses& responses) { w.vec(responses.tokens), w.vec(responses.offsets); }
inline host::Responses get_responses(Reader& r) {
  host::Responses out;
  out.tokens = r.vec<int32_t>();
  out.offsets = r.vec<int64_t>();
  return out;
}

inline void put(Writer& w, const host::ResponseFeatureRequest& q) {
  w.pod<int32_t>(static_cast<int32_t>(q.dataset)), w.vec(q.weights), w.pod<uint64_t>(q.group_size);
  w.pod<int32_t>(q.projection), w.pod(q.projection_dim), w.pod(q.projection_seed), w.strings(q.parameter_filter);
}
inline host::ResponseFeatureRequest get_response_feature_request(Reader& r) {
  host::ResponseFeatureRequest q;
  q.dataset = static_cast<host::Dataset>(r.pod<int32_t>());
  q.weights = r.vec<float>();
  q.group_size = static_cast<std::size_t>(r.pod<uint64_t>());
  q.projection = static_cast<dfx_projection>(r.pod<int32_t>());
  q.projection_dim = r.pod<uint32_t>(), q.projection_seed = r.pod<uint64_t>(), q.parameter_filter = r.strings();
  return q;
}

inline void put(Writer& w, const std::vector<host::Metric>& metrics) {
  w.pod<uint64_t>(metrics.size());
  for (const auto& m : metrics) w.pod(m.step), w.str(m.name), w.pod(m.value);
}
inline std::vector<host::Metric> get_metrics(Reader& r) {
  std::vector<host::Metric> out;
  const auto n = r.pod<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    host::Metric m;
    m.step = r.pod<int64_t>(), m.name = r.str(), m.value = r.pod<double>();
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace dataflex::isolation
