#include "train/optimizer_sharding.hpp"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include <filesystem>
#include <regex>

#include "model/llama_model.hpp"
#include "train/communicator.hpp"
#include "train/optimizer_state_key.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace fs = std::filesystem;

struct OptimizerSharding::Parameter {
  std::string name;
  at::Tensor tensor;
  int owner = -1;  // -1: every rank (not sharded)
};

namespace {

std::string shard_name(int rank, int world) {
  return "optimizer-shard-" + std::to_string(rank) + "-of-" + std::to_string(world) + ".pt";
}

}  // namespace

OptimizerSharding::OptimizerSharding(const LlamaModel& model, Communicator& comm, bool shard)
    : comm_(comm), sharded_(shard && comm.distributed()) {
  std::vector<int64_t> load(static_cast<std::size_t>(comm.world_size()), 0);
  for (const auto& p : model.trainable_named_parameters()) {
    int owner = -1;
    if (sharded_) {
      owner = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
      load[owner] += p.tensor.numel();
    }
    params_.push_back({p.name, p.tensor, owner});
  }
}

OptimizerSharding::~OptimizerSharding() = default;

bool OptimizerSharding::mine(const Parameter& p) const { return p.owner < 0 || p.owner == comm_.rank(); }

bool OptimizerSharding::owns(const at::Tensor& parameter) const {
  for (const auto& p : params_)
    if (p.tensor.unsafeGetTensorImpl() == parameter.unsafeGetTensorImpl()) return mine(p);
  return false;
}

void OptimizerSharding::drop_foreign_gradients() {
  if (!sharded_) return;
  for (auto& p : params_)
    if (!mine(p)) p.tensor.mutable_grad().reset();
}

void OptimizerSharding::share_parameters(int64_t bucket_mb) {
  if (!sharded_) return;
  at::NoGradGuard no_grad;
  for (int owner = 0; owner < comm_.world_size(); ++owner) {
    std::vector<at::Tensor> mine;
    for (auto& p : params_)
      if (p.owner == owner) mine.push_back(p.tensor);
    comm_.broadcast_tensors(mine, owner, bucket_mb);
  }
}

void OptimizerSharding::drop_foreign_state(torch::optim::Optimizer& optimizer) {
  for (const auto& p : params_)
    if (!mine(p)) optimizer.state().erase(optimizer_state_key(p.tensor));
}

int64_t OptimizerSharding::state_bytes(torch::optim::Optimizer& optimizer) {
  int64_t bytes = 0;
  for (auto& [key, state] : optimizer.state()) {
    auto& s = static_cast<torch::optim::AdamWParamState&>(*state);
    for (const at::Tensor* t : {&s.exp_avg(), &s.exp_avg_sq(), &s.max_exp_avg_sq()})
      if (t->defined()) bytes += t->numel() * static_cast<int64_t>(t->element_size());
  }
  return bytes;
}

void OptimizerSharding::save_shard(torch::optim::Optimizer& optimizer, const std::string& dir) const {
  torch::serialize::OutputArchive archive;
  for (const auto& p : params_) {
    if (!mine(p)) continue;
    auto it = optimizer.state().find(optimizer_state_key(p.tensor));
    if (it == optimizer.state().end()) continue;  // no step taken on it yet
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    archive.write(p.name + "/exp_avg", s.exp_avg());
    archive.write(p.name + "/exp_avg_sq", s.exp_avg_sq());
    archive.write(p.name + "/step", at::tensor(s.step(), at::kLong));
  }
  archive.save_to((fs::path(dir) / shard_name(comm_.rank(), comm_.world_size())).string());
}

bool OptimizerSharding::has_shards(const std::string& dir) { return !fs::exists(fs::path(dir) / "optimizer.pt"); }

void OptimizerSharding::load_shards(torch::optim::Optimizer& optimizer, const std::string& dir) const {
  static const std::regex shard("optimizer-shard-([0-9]+)-of-([0-9]+)\\.pt");
  std::vector<std::string> files;
  int world = -1;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (!std::regex_match(name, m, shard)) continue;
    const int w = std::stoi(m[2]);
    if (world >= 0 && w != world) throw Error(dir + ": optimizer shard files of different world sizes");
    world = w;
    files.push_back(e.path().string());
  }
  if (world < 0) throw Error(dir + ": neither optimizer.pt nor optimizer-shard-*-of-*.pt");
  if (static_cast<int>(files.size()) != world)
    throw Error(dir + ": " + std::to_string(files.size()) + " optimizer shard files of " + std::to_string(world));
  std::vector<bool> found(params_.size(), false);
  for (const auto& file : files) {
    torch::serialize::InputArchive archive;
    try {
      archive.load_from(file);
    } catch (const c10::Error& e) {
      throw Error(file + ": unreadable: " + one_line(e.what_without_backtrace()));
    }
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& p = params_[i];
      if (!mine(p)) continue;
      at::Tensor avg, avg_sq, step;
      if (!archive.try_read(p.name + "/exp_avg", avg)) continue;
      if (!archive.try_read(p.name + "/exp_avg_sq", avg_sq) || !archive.try_read(p.name + "/step", step))
        throw Error(file + ": '" + p.name + "' lacks exp_avg_sq or step");
      if (avg.sizes() != p.tensor.sizes() || avg_sq.sizes() != p.tensor.sizes())
        throw Error(file + ": '" + p.name + "': shape differs from the parameter's");
      auto s = std::make_unique<torch::optim::AdamWParamState>();
      s->step(step.item<int64_t>());
      s->exp_avg(avg.to(p.tensor.device()));
      s->exp_avg_sq(avg_sq.to(p.tensor.device()));
      optimizer.state()[optimizer_state_key(p.tensor)] = std::move(s);
      found[i] = true;
    }
  }
  for (std::size_t i = 0; i < params_.size(); ++i)
    if (mine(params_[i]) && !found[i])
      throw Error(dir + ": no optimizer state for '" + params_[i].name + "' in its shard files");
}

void load_whole_optimizer_state(torch::optim::Optimizer& optimizer, const LlamaModel& model, const std::string& dir) {
  if (!OptimizerSharding::has_shards(dir)) {
    torch::load(optimizer, (fs::path(dir) / "optimizer.pt").string());
    return;
  }
  const auto one_rank = Communicator::connect(LaunchEnv{}, {});
  OptimizerSharding(model, *one_rank, /*shard=*/false).load_shards(optimizer, dir);
}

}  // namespace dataflex
