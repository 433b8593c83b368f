#include "train/distributed_services.hpp"

#include <chrono>

#include "train/communicator.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// This rank's contiguous share of n items.
std::pair<std::size_t, std::size_t> share(std::size_t n, int rank, int world) {
  const std::size_t begin = n * static_cast<std::size_t>(rank) / static_cast<std::size_t>(world);
  const std::size_t end = n * static_cast<std::size_t>(rank + 1) / static_cast<std::size_t>(world);
  return {begin, end};
}

nlohmann::json gradient_request_json(const host::GradientRequest& r) {
  return {{"dataset", static_cast<int>(r.dataset)},       {"preconditioner", static_cast<int>(r.preconditioner)},
          {"projection", static_cast<int>(r.projection)}, {"projection_dim", r.projection_dim},
          {"projection_seed", r.projection_seed},         {"parameter_filter", r.parameter_filter}};
}

host::GradientRequest gradient_request_of(const nlohmann::json& j) {
  host::GradientRequest r;
  r.dataset = static_cast<host::Dataset>(j.at("dataset").get<int>());
  r.preconditioner = static_cast<dfx_preconditioner>(j.at("preconditioner").get<int>());
  r.projection = static_cast<dfx_projection>(j.at("projection").get<int>());
  r.projection_dim = j.at("projection_dim").get<uint32_t>();
  r.projection_seed = j.at("projection_seed").get<uint64_t>();
  r.parameter_filter = j.at("parameter_filter").get<std::vector<std::string>>();
  return r;
}

nlohmann::json embedding_request_json(const host::EmbeddingRequest& r) {
  return {{"dataset", static_cast<int>(r.dataset)},
          {"model", static_cast<int>(r.model)},
          {"layer", r.layer},
          {"pooling", static_cast<int>(r.pooling)},
          {"normalize", r.normalize}};
}

host::EmbeddingRequest embedding_request_of(const nlohmann::json& j) {
  host::EmbeddingRequest r;
  r.dataset = static_cast<host::Dataset>(j.at("dataset").get<int>());
  r.model = static_cast<host::Model>(j.at("model").get<int>());
  r.layer = j.at("layer").get<int32_t>();
  r.pooling = static_cast<dfx_pooling>(j.at("pooling").get<int>());
  r.normalize = j.at("normalize").get<bool>();
  return r;
}

// This rank's rows of a spread request.
std::vector<float> compute_share(host::ServiceProvider& local, const nlohmann::json& request,
                                 const host::SampleIds& mine) {
  const std::string op = request.at("op").get<std::string>();
  if (op == "sample_losses")
    return local.sample_losses(static_cast<host::Dataset>(request.at("dataset").get<int>()),
                               static_cast<host::Model>(request.at("model").get<int>()), mine);
  if (op == "gradient_features") return local.gradient_features(gradient_request_of(request.at("request")), mine);
  if (op == "embeddings") return local.embeddings(embedding_request_of(request.at("request")), mine);
  throw Error("internal: unknown distributed service \"" + op + "\"");
}

// Every rank's part of one request: compute this rank's rows, agree on whether every rank
// succeeded, gather the rows to rank 0. Rank 0 rethrows the first failure, naming its rank.
std::vector<float> answer(host::ServiceProvider& local, Communicator& comm, const nlohmann::json& request,
                          int64_t sequence, double* compute_s = nullptr) {
  const auto ids = request.at("ids").get<host::SampleIds>();
  const auto [begin, end] = share(ids.size(), comm.rank(), comm.world_size());
  const host::SampleIds mine(ids.begin() + static_cast<std::ptrdiff_t>(begin),
                             ids.begin() + static_cast<std::ptrdiff_t>(end));
  std::vector<float> rows;
  std::vector<double> failed(static_cast<std::size_t>(comm.world_size()), 0.0);
  const auto t0 = Clock::now();
  try {
    rows = compute_share(local, request, mine);
  } catch (const host::ServiceError& e) {
    failed[comm.rank()] = 1.0 + static_cast<double>(e.status());
    comm.report("service/" + std::to_string(sequence) + "/" + std::to_string(comm.rank()), e.what());
  } catch (const std::exception& e) {
    failed[comm.rank()] = 1.0 + static_cast<double>(DFX_ERR_INTERNAL);
    comm.report("service/" + std::to_string(sequence) + "/" + std::to_string(comm.rank()), e.what());
  }
  if (compute_s) *compute_s = seconds_since(t0);
  comm.allreduce_sum(failed);
  for (int r = 0; r < comm.world_size(); ++r) {
    if (failed[r] == 0.0) continue;
    if (!comm.is_root()) return {};
    const std::string text = comm.take_report("service/" + std::to_string(sequence) + "/" + std::to_string(r));
    throw host::ServiceError(static_cast<dfx_status>(static_cast<int>(failed[r]) - 1),
                             (r == 0 ? text : "rank " + std::to_string(r) + ": " + text));
  }
  return comm.gather_to_root(rows);
}

}  // namespace

void post_message(Communicator& comm, const std::string& kind, nlohmann::json body) {
  body["kind"] = kind;
  comm.post(body.dump());
}

DistributedServices::Decision::Decision(DistributedServices& s) : s_(s) {
  std::lock_guard<std::recursive_mutex> lock(s_.mutex_);
  s_.deciding_ = true;
}

DistributedServices::Decision::~Decision() {
  std::lock_guard<std::recursive_mutex> lock(s_.mutex_);
  s_.deciding_ = false;
}

std::vector<float> DistributedServices::spread(nlohmann::json request, const host::SampleIds& ids) {
  const auto t0 = Clock::now();
  request["ids"] = ids;
  request["sequence"] = sequence_;
  post_message(comm_, "service", request);
  double compute_s = 0.0;
  std::vector<float> rows = answer(local_, comm_, request, sequence_++, &compute_s);
  const double total = seconds_since(t0);
  spread_s_ += total;
  comm_s_ += total - compute_s;  // posting, waiting for the slowest share, gathering
  return rows;
}

std::vector<float> DistributedServices::sample_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (!deciding_ || !comm_.distributed()) return local_.sample_losses(d, m, ids);
  return spread({{"op", "sample_losses"}, {"dataset", static_cast<int>(d)}, {"model", static_cast<int>(m)}}, ids);
}

std::vector<float> DistributedServices::gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (!deciding_ || !comm_.distributed()) return local_.gradient_features(r, ids);
  return spread({{"op", "gradient_features"}, {"request", gradient_request_json(r)}}, ids);
}

std::vector<float> DistributedServices::embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (!deciding_ || !comm_.distributed()) return local_.embeddings(r, ids);
  return spread({{"op", "embeddings"}, {"request", embedding_request_json(r)}}, ids);
}

nlohmann::json serve_requests(host::ServiceProvider& local, Communicator& comm) {
  for (;;) {
    nlohmann::json message = nlohmann::json::parse(comm.receive());
    if (message.at("kind") != "service") return message;
    answer(local, comm, message, message.at("sequence").get<int64_t>());
  }
}

}  // namespace dataflex
