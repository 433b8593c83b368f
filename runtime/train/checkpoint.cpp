#include "train/checkpoint.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/optimizer.h>
#ifdef DATAFLEX_WITH_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif
#include <torch/serialize.h>

#include <filesystem>
#include <regex>

#include "data/tokenizer.hpp"
#include "model/llama_model.hpp"
#include "model/safetensors.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace fs = std::filesystem;

namespace {

int64_t checkpoint_step(const fs::path& p) {
  static const std::regex re("checkpoint-([0-9]+)");
  std::smatch m;
  const std::string name = p.filename().string();
  if (!std::regex_match(name, m, re) || m[1].length() > 15) return -1;  // not ours, or absurd
  return std::stoll(m[1]);
}

std::vector<std::pair<int64_t, fs::path>> checkpoints(const std::string& output_dir) {
  std::vector<std::pair<int64_t, fs::path>> out;
  if (!fs::is_directory(output_dir)) return out;
  for (const auto& e : fs::directory_iterator(output_dir)) {
    const int64_t s = checkpoint_step(e.path());
    if (s >= 0 && e.is_directory()) out.emplace_back(s, e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string latest_checkpoint(const std::string& output_dir) {
  auto all = checkpoints(output_dir);
  return all.empty() ? std::string() : all.back().second.string();
}

void save_checkpoint(const std::string& output_dir, const CheckpointState& state, const LlamaModel& model,
                     torch::optim::Optimizer& optimizer, const Tokenizer& tokenizer, const std::string& base_model,
                     int64_t save_total_limit, const std::function<void(const std::string& folder)>& write_optimizer) {
  const fs::path final_dir = fs::path(output_dir) / ("checkpoint-" + std::to_string(state.step));
  const fs::path tmp = fs::path(output_dir) / (".checkpoint-" + std::to_string(state.step) + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  if (model.has_lora())
    save_lora_adapter(model, tmp.string(), base_model);
  else
    save_model(model, tmp.string(), "float32");
  tokenizer.save(tmp.string());
  if (write_optimizer)
    write_optimizer(tmp.string());
  else
    torch::save(optimizer, (tmp / "optimizer.pt").string());
  at::Tensor rng = at::detail::getDefaultCPUGenerator().get_state();
  torch::save(rng, (tmp / "rng_state.pt").string());
#ifdef DATAFLEX_WITH_CUDA
  // The CUDA generator of the model's device (dropout and sampling there), beside the CPU one.
  if (model.device().is_cuda()) {
    at::Tensor cuda_rng = at::cuda::detail::getDefaultCUDAGenerator(model.device().index()).get_state();
    torch::save(cuda_rng, (tmp / "rng_state_cuda.pt").string());
  }
#endif
  write_file_atomically((tmp / "trainer_state.json").string(), state.trainer_state.dump(2) + "\n");
  write_file_atomically((tmp / "dataflex_state.json").string(), state.dataflex_state.dump(2) + "\n");
  // Every file's bytes on disk before the folder gets its final name (a power cut after the rename
  // must not leave a checkpoint-N of empty files), then the folder entries themselves.
  for (const auto& e : fs::directory_iterator(tmp))
    if (e.is_regular_file()) fsync_path(e.path().string());
  fsync_path(tmp.string());
  // Replacing a checkpoint of the same step (a run resumed from an earlier one): the old folder is
  // renamed aside first, so that at every instant checkpoint-N is either the old one or the new one.
  const fs::path old = fs::path(output_dir) / (".checkpoint-" + std::to_string(state.step) + ".old");
  fs::remove_all(old);
  if (fs::exists(final_dir)) fs::rename(final_dir, old);
  fs::rename(tmp, final_dir);
  fsync_path(output_dir);
  fs::remove_all(old);
  if (save_total_limit > 0) {
    auto all = checkpoints(output_dir);
    while (static_cast<int64_t>(all.size()) > save_total_limit) {
      fs::remove_all(all.front().second);
      all.erase(all.begin());
    }
  }
}

CheckpointState load_checkpoint(const std::string& dir, LlamaModel& model, torch::optim::Optimizer& optimizer,
                                const std::function<void(const std::string& folder)>& read_optimizer) {
  CheckpointState state;
  auto read_json = [&](const char* name) {
    const std::string path = (fs::path(dir) / name).string();
    try {
      return nlohmann::json::parse(read_file(path));
    } catch (const nlohmann::json::exception& e) {
      throw Error(path + ": not valid JSON: " + one_line(e.what()));
    }
  };
  state.trainer_state = read_json("trainer_state.json");
  state.dataflex_state = read_json("dataflex_state.json");
  if (!state.dataflex_state.contains("step") || !state.dataflex_state["step"].is_number_integer())
    throw Error((fs::path(dir) / "dataflex_state.json").string() + ": step: expected an integer");
  state.step = state.dataflex_state["step"];

  const std::string weights =
      (fs::path(dir) / (model.has_lora() ? "adapter_model.safetensors" : "model.safetensors")).string();
  if (!fs::exists(weights))
    throw Error(weights + ": missing (the checkpoint was written with another finetuning_type?)");
  auto st = SafetensorsFile::open(weights);
  int64_t restored = 0;
  for (const auto& v : st->tensors()) {
    std::string name = v.name;
    if (name.rfind("base_model.model.", 0) == 0) name = name.substr(17);
    if (!model.has_parameter(name)) throw Error(weights + ": tensor '" + v.name + "' is not a parameter of this model");
    if (v.dtype != DType::F32) throw Error(weights + ": tensor '" + v.name + "': expected F32 in a checkpoint");
    at::Tensor t = at::from_blob(const_cast<uint8_t*>(v.data), v.shape, at::kFloat).clone();
    model.assign(name, t, weights);
    ++restored;
  }
  for (const auto& p : model.trainable_named_parameters())
    if (!st->find(p.name) && !st->find("base_model.model." + p.name))
      throw Error(weights + ": lacks trainable tensor '" + p.name + "'");
  try {
    if (read_optimizer)
      read_optimizer(dir);
    else
      torch::load(optimizer, (fs::path(dir) / "optimizer.pt").string());
    at::Tensor rng;
    torch::load(rng, (fs::path(dir) / "rng_state.pt").string());
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng);
#ifdef DATAFLEX_WITH_CUDA
    const fs::path cuda_state = fs::path(dir) / "rng_state_cuda.pt";
    if (model.device().is_cuda() && fs::exists(cuda_state)) {
      at::Tensor cuda_rng;
      torch::load(cuda_rng, cuda_state.string());
      at::Generator cuda_gen = at::cuda::detail::getDefaultCUDAGenerator(model.device().index());
      std::lock_guard<std::mutex> cuda_lock(cuda_gen.mutex());
      cuda_gen.set_state(cuda_rng);
    }
#endif
  } catch (const c10::Error& e) {
    throw Error(dir + ": optimizer or RNG state unreadable: " + one_line(e.what_without_backtrace()));
  }
  (void)restored;
  return state;
}

}  // namespace dataflex
