// The base training loop. Hugging Face Trainer semantics (transformers >= 4.46, which LLaMA-Factory
// uses) where users will compare: the loss of an optimizer step is the sum of the token losses of all
// its micro-batches divided by the number of trained tokens in the whole step, so accumulation gives
// the same gradient as one large batch; the logged loss is the mean step loss since the last log, with
// the last step's gradient norm and the learning rate of the next step. The data policy says which
// samples each micro-batch takes and how its loss is weighted (data_policy.hpp).
#include "train/trainer.hpp"

// torch/types.h first: clip_grad.h uses it without including it.
#include <torch/types.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#ifdef DATAFLEX_WITH_CUDA
#include <ATen/autocast_mode.h>
#include <c10/cuda/CUDAFunctions.h>
#include <torch/cuda.h>
#endif

#include <sched.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "eval/scorer.hpp"
#include "model/llama_model.hpp"
#include "model/model_loading.hpp"
#include "model/padded_batch.hpp"
#include "plugins/plugin_guard.hpp"
#include "report/loss_plot.hpp"
#include "report/report_page.hpp"
#include "report/tensorboard_writer.hpp"
#include "signals/model_host.hpp"
#include "signals/per_sample_gradients.hpp"
#include "train/checkpoint.hpp"
#include "train/communicator.hpp"
#include "train/decision_overlap.hpp"
#include "train/distributed_services.hpp"
#include "train/fused_adamw.hpp"
#include "train/host_factory.hpp"
#include "train/lr_schedule.hpp"
#include "train/optimizer_sharding.hpp"
#include "train/output_lock.hpp"
#include "train/plugin_build.hpp"
#include "train/progress.hpp"
#include "train/training_log.hpp"
#include "util/atomic_file.hpp"
#include "util/blas_library.hpp"
#include "util/error.hpp"
#include "util/process_memory.hpp"

namespace dataflex {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int64_t configure_threads(int64_t num_threads) {
  // The cores this process may run on (affinity, as taskset and container runtimes set it), not the
  // machine's: hardware_concurrency() would oversubscribe a restricted process.
  cpu_set_t set;
  int64_t available = std::max<int64_t>(1, std::thread::hardware_concurrency());
  if (sched_getaffinity(0, sizeof set, &set) == 0) available = std::max(1, CPU_COUNT(&set));
  const int64_t n = num_threads > 0 ? num_threads : available;
  at::set_num_threads(static_cast<int>(n));
  // OpenBLAS (Debian's libblas.so.3 when libopenblas0-pthread is installed) keeps its own pool.
  set_blas_threads(static_cast<int>(n));
  return n;
}

struct Trainer::State {
  TrainingOptions opt;
  LaunchEnv env;
  std::unique_ptr<Communicator> comm;             // one rank: every collective is the identity
  std::unique_ptr<DistributedServices> services;  // rank 0's plugin host when distributed
  std::unique_ptr<OutputLock> lock;               // this run's output_dir, for the run's whole life
  std::unique_ptr<Tokenizer> tokenizer;
  Corpus corpus;
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<OptimizerSharding> sharding;  // ZeRO-1 when distributed.shard_optimizer_state
  std::unique_ptr<ModelHost> host;              // what the plugin's service calls are answered from
  std::unique_ptr<ScalarSink> scalars;          // rank 0's TensorBoard event file (report_to), or null
  int64_t threads = 1;                          // training.num_threads, resolved
  std::unique_ptr<CoreSplitOverlap> overlap;    // decisions beside training (decision_staleness > 0)
  std::unique_ptr<DataPolicy> policy;           // which samples, in what proportions, with what weights
  LrSchedule lr;
  int64_t total_steps = 0;
  int64_t start_step = 0;
  double elapsed_before = 0.0;  // seconds spent before the resumed checkpoint
  nlohmann::json history = nlohmann::json::array();
  nlohmann::json counters = nlohmann::json::object();  // running sums kept across a resume
  std::string resumed_from;
  std::string run_config_toml;                 // written when training starts (rank 0)
  std::optional<PluginManifest> plugin_build;  // the plugin's build (library hash), when the run has one
  bool root() const { return comm->is_root(); }
};

namespace {

// Rank 0 failed: tells ranks waiting for its next message why (best effort; ranks in a collective see
// rank 0's connections close).
void abort_others(Communicator& comm, const std::string& error) {
  if (!comm.distributed() || !comm.is_root()) return;
  try {
    post_message(comm, "abort", {{"error", one_line(error)}});
  } catch (const std::exception&) {
  }
}

// SIGTERM and SIGUSR1 during train(): the step in progress ends, every rank agrees to stop (one rank
// signalled is enough), rank 0 writes a checkpoint, train() throws Preempted.
std::atomic<int> stop_signal{0};
extern "C" void on_stop_signal(int sig) { stop_signal = sig; }
bool stop_requested() { return stop_signal.load() != 0; }

class StopSignals {
 public:
  StopSignals() {
    stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, &old_term_);
    ::sigaction(SIGUSR1, &sa, &old_usr1_);
  }
  ~StopSignals() {
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::sigaction(SIGUSR1, &old_usr1_, nullptr);
  }

 private:
  struct sigaction old_term_ {
  }, old_usr1_{};
};

// --- Setting up ----------------------------------------------------------------------------------------

// Where does this run start? An explicit checkpoint, else the last one in output_dir (as LLaMA-Factory
// does), unless overwrite_output_dir asks for a fresh start.
std::string resume_point(const TrainingOptions& o) {
  fs::create_directories(o.output_dir);
  if (!o.resume_from_checkpoint.empty()) {
    if (!fs::is_directory(o.resume_from_checkpoint))
      throw Error("training.resume_from_checkpoint: \"" + o.resume_from_checkpoint + "\" is not a folder");
    return o.resume_from_checkpoint;
  }
  if (o.overwrite_output_dir) {
    for (const auto& e : fs::directory_iterator(o.output_dir))
      if (e.path().filename().string().rfind("checkpoint-", 0) == 0) fs::remove_all(e.path());
    return "";
  }
  return latest_checkpoint(o.output_dir);
}

}  // namespace

std::string resolve_device(const std::string& wanted) {
#ifdef DATAFLEX_WITH_CUDA
  if ((wanted == "cuda" || wanted == "auto") && torch::cuda::is_available()) return "cuda";
  if (wanted == "cuda") throw Error("training.device: \"cuda\" but no CUDA device is visible");
#endif
  if (wanted == "cuda") throw Error("training.device: \"cuda\" but this build of DataFlex has no CUDA support");
  return "cpu";
}

void prepare_finetuning(LlamaModel& model, const TrainingOptions& o) {
  if (!o.adapter_name_or_path.empty()) {
    if (o.finetuning_type != FinetuningType::Lora)
      throw Error("model.adapter_name_or_path: an adapter is continued with finetuning_type = \"lora\", not \"" +
                  std::string(to_string(o.finetuning_type)) + "\"");
    load_lora_adapter(model, o.adapter_name_or_path, o.seed);
  } else if (o.finetuning_type == FinetuningType::Lora) {
    model.add_lora(o.lora, o.seed);
  }
  if (o.finetuning_type == FinetuningType::Freeze)
    model.train_freeze(o.freeze_trainable_layers, o.freeze_trainable_modules);
  if (o.finetuning_type == FinetuningType::Full && model.has_lora())
    throw Error(
        "model.finetuning_type: \"full\" with an adapter: set finetuning_type = \"lora\" to continue the adapter");
}

std::unique_ptr<torch::optim::AdamW> make_adamw(const LlamaModel& model, const TrainingOptions& o) {
  auto is_no_decay = [](const std::string& name) {
    return name.find(".bias") != std::string::npos || name.find("norm.weight") != std::string::npos;
  };
  std::vector<at::Tensor> decay, no_decay;
  for (const auto& p : model.trainable_named_parameters()) (is_no_decay(p.name) ? no_decay : decay).push_back(p.tensor);
  if (decay.empty() && no_decay.empty())
    throw Error("model: no trainable parameters (check finetuning_type and freeze_* keys)");
  auto adamw = torch::optim::AdamWOptions(o.learning_rate)
                   .betas({o.adam_beta1, o.adam_beta2})
                   .eps(o.adam_epsilon)
                   .weight_decay(o.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(adamw));
  auto no_decay_options = adamw;
  no_decay_options.weight_decay(0.0);
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(no_decay_options));
  // training.fused_kernels: one pass per parameter (train/fused_adamw.hpp); otherwise LibTorch's own.
  if (o.fused_kernels) return std::make_unique<FusedAdamW>(groups, adamw);
  return std::make_unique<torch::optim::AdamW>(groups, adamw);
}

namespace {

// Weights, optimizer, RNG, data policy and plugin state, logs and counters of the checkpoint.
void restore(Trainer::State& s) {
  // A whole optimizer.pt, or one file per rank of a sharded run: either resumes sharded or not.
  CheckpointState cp = load_checkpoint(s.resumed_from, *s.model, *s.optimizer, [&](const std::string& dir) {
    if (OptimizerSharding::has_shards(dir)) {
      s.sharding->load_shards(*s.optimizer, dir);
    } else {
      torch::load(*s.optimizer, (fs::path(dir) / "optimizer.pt").string());
      s.sharding->drop_foreign_state(*s.optimizer);
    }
  });
  s.start_step = cp.step;
  std::vector<uint8_t> blob;
  if (cp.dataflex_state.contains("plugin_state")) blob = cp.dataflex_state["plugin_state"].get<std::vector<uint8_t>>();
  if (s.plugin_build) {
    const auto& state = cp.dataflex_state;
    const nlohmann::json writer =
        state.contains("plugin_state_writer") ? state["plugin_state_writer"] : nlohmann::json();
    if (!accept_plugin_state(writer, *s.plugin_build, s.opt.reset_plugin_state,
                             s.resumed_from + "/dataflex_state.json"))
      blob.clear();
  }
  s.policy->load_state(cp.dataflex_state.at("data"), blob, s.resumed_from + "/dataflex_state.json");
  s.elapsed_before = cp.dataflex_state.value("elapsed_s", 0.0);
  s.history = cp.trainer_state.value("log_history", nlohmann::json::array());
  s.counters = cp.dataflex_state.value("counters", nlohmann::json::object());
  if (cp.step > s.total_steps)
    throw Error(s.resumed_from + ": the checkpoint is at step " + std::to_string(cp.step) + " but this run has only " +
                std::to_string(s.total_steps) + " steps (raise training.max_steps, or set overwrite_output_dir)");
  if (cp.dataflex_state.value("total_steps", s.total_steps) != s.total_steps)
    spdlog::warn("{}: the checkpoint was written by a run of {} steps; this run has {}", s.resumed_from,
                 cp.dataflex_state.value("total_steps", int64_t{0}), s.total_steps);
}

// What a plugin fault's message says about resuming from `checkpoint`.
std::string resume_hint(const std::string& checkpoint) {
  return "the run can resume from " + checkpoint + " (run the same command again)";
}

// --- One step ------------------------------------------------------------------------------------------

struct MicroBatch {
  at::Tensor input_ids, labels;  // on the model's device: this rank's share
  std::vector<int64_t> lengths;  // of its samples (the rest of each row is padding)
  BatchLosses observed;          // this rank's share: ids and domains now, losses after the forward pass
  BatchLosses global;            // the whole micro-batch, every rank's share in rank order
  int64_t tokens = 0;            // non-padding tokens of this rank's share, for throughput
  int64_t trained = 0;           // trained tokens of this rank's share
};

// The step's micro-batches, drawn before any forward pass: its loss is normalised by all their tokens.
// Every rank draws the same global micro-batch (the policy is the same on every rank) and trains its
// contiguous share of batch_size samples, so the global batch is batch_size x world size.
std::vector<MicroBatch> draw_step(Trainer::State& s) {
  std::vector<MicroBatch> out;
  const int64_t world = s.comm->world_size(), share = s.opt.batch_size;
  for (int64_t micro = 0; micro < s.opt.gradient_accumulation_steps; ++micro) {
    MicroBatch mb;
    mb.global.ids = s.policy->next_batch(share * world);
    for (int64_t id : mb.global.ids) mb.global.domains.push_back(s.corpus.train[static_cast<std::size_t>(id)].domain);
    const auto begin = mb.global.ids.begin() + s.comm->rank() * share;
    mb.observed.ids.assign(begin, begin + share);
    std::vector<const Sample*> samples;
    for (int64_t id : mb.observed.ids) {
      samples.push_back(&s.corpus.train[static_cast<std::size_t>(id)]);
      mb.observed.domains.push_back(samples.back()->domain);
    }
    PaddedBatch p = pad_batch(samples, s.tokenizer->pad_id().value_or(0));
    mb.input_ids = p.input_ids.to(s.model->device());
    mb.labels = p.labels.to(s.model->device());
    mb.tokens = p.tokens;
    mb.lengths = p.lengths;
    mb.trained = (mb.labels.narrow(1, 1, mb.labels.size(1) - 1) != kIgnoreIndex).sum().item<int64_t>();
    out.push_back(std::move(mb));
  }
  return out;
}

at::Tensor forward(const Trainer::State& s, const MicroBatch& b) {
#ifdef DATAFLEX_WITH_CUDA
  // bf16 autocast on CUDA (f32 master weights and optimizer state); CPU always trains in f32.
  // Not compiled on the CPU-only Debian LibTorch this project is tested with.
  struct AutocastScope {
    explicit AutocastScope(bool on) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(on);
    }
    ~AutocastScope() {
      at::autocast::set_enabled(false);
      at::autocast::clear_cache();
    }
  } scope(s.opt.bf16 && s.model->device().is_cuda());
  return s.model->token_losses(b.input_ids, b.labels, b.lengths).to(at::kFloat);
#else
  return s.model->token_losses(b.input_ids, b.labels, b.lengths);
#endif
}

// This rank's share of the micro-batch's part of the step loss, in the form its policy asks for. `w`
// weighs the whole micro-batch (every rank's share); this rank's samples start at `first`. The shares'
// losses add up over the ranks to the loss one rank would form of the whole micro-batch.
at::Tensor micro_batch_loss(const at::Tensor& token_losses, const at::Tensor& sample_tokens, const LossWeights& w,
                            std::size_t first, int64_t step_trained, std::size_t micro_batches) {
  const double step_tokens = static_cast<double>(std::max<int64_t>(1, step_trained));
  const std::size_t n = static_cast<std::size_t>(token_losses.size(0));
  std::vector<float> weights;
  double weight_sum = 0.0;
  if (w.form != LossWeights::Form::Tokens) {
    if (w.weights.size() < first + n) throw Error("internal: loss weights do not cover the micro-batch");
    weights.assign(w.weights.begin() + static_cast<std::ptrdiff_t>(first),
                   w.weights.begin() + static_cast<std::ptrdiff_t>(first + n));
    for (double x : w.weights) weight_sum += x;
  }
  const double global_samples = static_cast<double>(std::max<std::size_t>(1, w.weights.size()));
  switch (w.form) {
    case LossWeights::Form::Tokens: return token_losses.sum() / step_tokens;
    case LossWeights::Form::WeightedTokens: {
      const at::Tensor wt = at::tensor(weights).to(token_losses.device()).unsqueeze(1);
      return (token_losses * wt).sum() / step_tokens;
    }
    case LossWeights::Form::WeightedSamples: {
      const at::Tensor per_sample =
          token_losses.sum(1) / sample_tokens.to(token_losses.device()).clamp_min(1).to(at::kFloat);
      const at::Tensor wt = at::tensor(weights).to(per_sample.device());
      return (wt * per_sample).sum() / std::max(weight_sum, 1e-12) / static_cast<double>(micro_batches);
    }
    case LossWeights::Form::AbsoluteSamples: {
      const at::Tensor per_sample =
          token_losses.sum(1) / sample_tokens.to(token_losses.device()).clamp_min(1).to(at::kFloat);
      const at::Tensor wt = at::tensor(weights).to(per_sample.device());
      return (wt * per_sample).sum() / global_samples / static_cast<double>(micro_batches);
    }
  }
  throw Error("internal: unknown loss form");
}

// Each sample's sum over its trained tokens of max(0, l - l_ref): the training forward's token losses
// against the frozen reference model's on the same tokens (DoReMi's excess loss, clipped per token).
// Masked positions are 0 in both.
std::vector<float> excess_loss_sums(const Trainer::State& s, const MicroBatch& b, const at::Tensor& token_losses) {
  const LlamaModel* reference = s.host->reference_model();
  if (reference == nullptr) throw Error("internal: excess losses asked for without a reference model");
  at::NoGradGuard no_grad;
  const at::Tensor ref = reference->token_losses(b.input_ids, b.labels, b.lengths).to(at::kFloat);
  const at::Tensor sums = (token_losses.detach().to(at::kFloat) - ref).clamp_min(0).sum(1).to(at::kCPU).contiguous();
  return std::vector<float>(sums.data_ptr<float>(), sums.data_ptr<float>() + sums.numel());
}

// The whole micro-batch's losses on every rank: each rank's share, gathered in rank order.
void gather_losses(Trainer::State& s, MicroBatch& b) {
  BatchLosses& g = b.global;
  if (!s.comm->distributed()) {
    g.loss_sums = b.observed.loss_sums;
    g.tokens = b.observed.tokens;
    g.excess_sums = b.observed.excess_sums;
    return;
  }
  const std::size_t n = b.observed.ids.size();
  const bool excess = !b.observed.excess_sums.empty();
  std::vector<double> mine;
  for (std::size_t i = 0; i < n; ++i) {
    mine.push_back(b.observed.loss_sums[i]);
    mine.push_back(static_cast<double>(b.observed.tokens[i]));
    mine.push_back(excess ? b.observed.excess_sums[i] : 0.0);
  }
  const std::vector<double> all = s.comm->allgather(mine);
  g.loss_sums.clear();
  g.tokens.clear();
  g.excess_sums.clear();
  for (std::size_t i = 0; i < all.size(); i += 3) {
    g.loss_sums.push_back(static_cast<float>(all[i]));
    g.tokens.push_back(static_cast<int64_t>(all[i + 1]));
    if (excess) g.excess_sums.push_back(static_cast<float>(all[i + 2]));
  }
}

// How the micro-batch's loss is weighted: rank 0's policy decides (a weighter's plugin runs there
// only) and every other rank receives the form and the weights.
LossWeights agree_loss_weights(Trainer::State& s, int64_t step, const MicroBatch& b) {
  if (!s.comm->distributed() || !s.policy->weighs_losses()) return s.policy->loss_weights(step, b.global);
  const std::size_t n = b.global.ids.size();
  std::vector<double> packed(1 + n, 0.0);
  if (s.root()) {
    const LossWeights w = s.policy->loss_weights(step, b.global);
    packed[0] = static_cast<double>(static_cast<int>(w.form));
    if (w.form != LossWeights::Form::Tokens) {
      if (w.weights.size() != n) throw Error("internal: loss weights do not cover the micro-batch");
      std::copy(w.weights.begin(), w.weights.end(), packed.begin() + 1);
    }
  }
  s.comm->broadcast(packed);
  LossWeights w;
  w.form = static_cast<LossWeights::Form>(static_cast<int>(packed[0]));
  if (w.form != LossWeights::Form::Tokens) w.weights.assign(packed.begin() + 1, packed.end());
  return w;
}

// Forward and backward of every micro-batch (this rank's share); returns this rank's part of the
// step's loss. The policy sees each micro-batch's per-sample losses, over all ranks, before its loss
// is formed (a weighter decides there). `activation_mb`: the most memory one micro-batch's forward
// holds until its backward (allocated and not freed between the two; a decision computed beside
// training allocates meanwhile too, and counts). CPU memory only: 0 for a model on a GPU.
double forward_backward_step(Trainer::State& s, int64_t step, std::vector<MicroBatch>& batches, double& activation_mb) {
  std::vector<double> trained = {0.0};
  for (const auto& b : batches) trained[0] += static_cast<double>(b.trained);
  s.comm->allreduce_sum(trained);  // the step's loss is normalised by every rank's trained tokens
  const int64_t step_trained = static_cast<int64_t>(trained[0]);
  const std::size_t first = static_cast<std::size_t>(s.comm->rank() * s.opt.batch_size);
  double step_loss = 0.0;
  activation_mb = 0.0;
  const bool on_cpu = s.model->device().is_cpu();
  for (MicroBatch& b : batches) {
    const double heap_before_mb = on_cpu ? heap_in_use_mb() : 0.0;
    const at::Tensor token_losses = forward(s, b);
    const at::Tensor sample_tokens = (b.labels.narrow(1, 1, b.labels.size(1) - 1) != kIgnoreIndex).sum(1).to(at::kCPU);
    const at::Tensor sums = token_losses.detach().sum(1).to(at::kCPU).contiguous();
    b.observed.loss_sums.assign(sums.data_ptr<float>(), sums.data_ptr<float>() + sums.numel());
    b.observed.tokens.assign(sample_tokens.data_ptr<int64_t>(),
                             sample_tokens.data_ptr<int64_t>() + sample_tokens.numel());
    if (s.policy->wants_excess_losses()) b.observed.excess_sums = excess_loss_sums(s, b, token_losses);
    gather_losses(s, b);
    const LossWeights weights = agree_loss_weights(s, step, b);
    const at::Tensor loss = micro_batch_loss(token_losses, sample_tokens, weights, first, step_trained, batches.size());
    if (on_cpu) activation_mb = std::max(activation_mb, heap_in_use_mb() - heap_before_mb);
    loss.backward();
    step_loss += loss.item<double>();
  }
  return step_loss;
}

}  // namespace

// --- The run ---------------------------------------------------------------------------------------------

// LibTorch failures (out of memory, a shape error from odd data) become one-line errors.
Trainer::Trainer(TrainingOptions options, PluginSetup plugin) try : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.opt = std::move(options);
  const TrainingOptions& o = s.opt;
  s.threads = configure_threads(o.num_threads);
  s.env = launch_env_from_environment();
  s.opt.world_size = s.env.world_size;
  // One GPU per rank of a node: cuda:LOCAL_RANK.
  std::string device = resolve_device(o.device);
  if (device == "cuda" && s.env.distributed()) device += ":" + std::to_string(s.env.local_rank);
#ifdef DATAFLEX_WITH_CUDA
  if (device.rfind("cuda", 0) == 0) {
    if (s.env.local_rank >= static_cast<int>(torch::cuda::device_count()))
      throw Error("training.device: \"cuda\" for LOCAL_RANK " + std::to_string(s.env.local_rank) + " but only " +
                  std::to_string(torch::cuda::device_count()) + " CUDA device(s) are visible (CUDA_VISIBLE_DEVICES)");
    c10::cuda::set_device(static_cast<c10::DeviceIndex>(s.env.local_rank));
  }
#endif
  s.comm = Communicator::connect(s.env, {o.distributed_timeout_s, o.bucket_mb, device});
  if (s.comm->distributed()) {
    if (s.root())
      spdlog::info("distributed: {}", s.env.describe());
    else
      spdlog::set_level(spdlog::level::warn);  // rank 0 speaks for the run
  }
  // Rank 0 owns output_dir: it locks it and says which checkpoint every rank resumes from.
  if (s.root()) {
    s.lock = std::make_unique<OutputLock>(o.output_dir);  // before anything in the folder is touched
    s.resumed_from = resume_point(o);
    if (s.comm->distributed()) post_message(*s.comm, "resume", {{"checkpoint", s.resumed_from}});
  } else {
    s.resumed_from = nlohmann::json::parse(s.comm->receive()).at("checkpoint").get<std::string>();
  }
  PluginCallGuard::set_timeout(o.plugin_timeout_s);
  PluginCallGuard::set_resume_hint(s.resumed_from.empty() ? "no checkpoint was written yet: a rerun starts from step 0"
                                                          : resume_hint(s.resumed_from));
  s.tokenizer = Tokenizer::for_model(o.model_name_or_path, o.tokenizer);
  s.corpus = load_corpus(o.data, *s.tokenizer);
  s.total_steps = o.total_steps(static_cast<int64_t>(s.corpus.train.size()));
  torch::manual_seed(o.seed);
  s.model = load_model_for(o.model_name_or_path, *s.tokenizer, o.seed, device, "model.model_name_or_path");
  s.model->set_fused_kernels(o.fused_kernels);
  prepare_finetuning(*s.model, o);
  s.optimizer = make_adamw(*s.model, o);
  s.sharding = std::make_unique<OptimizerSharding>(*s.model, *s.comm, o.shard_optimizer_state);
  s.host = make_model_host(o, s.corpus, *s.tokenizer, *s.model, s.optimizer.get());
  if (s.sharding->sharded()) {
    // Adam-preconditioned gradient features (LESS's pool side) read the moments of every parameter; a
    // rank holds its share only. Refused with a message rather than computed with zeros.
    auto moments = adam_moments_of(*s.optimizer, o.adam_beta1, o.adam_beta2);
    moments->lookup = [whole = moments->lookup, sharding = s.sharding.get()](const at::Tensor& p) {
      if (!sharding->owns(p))
        throw host::ServiceError(DFX_ERR_FAILED_PRECONDITION,
                                 "the adam preconditioner needs every parameter's AdamW moments, which "
                                 "distributed.shard_optimizer_state spreads over the ranks: turn sharding off");
      return whole(p);
    };
    s.host->set_adam_moments(moments);
  }
  host::ServiceProvider* plugin_host = s.host.get();
  if (s.comm->distributed() && s.root()) {
    s.services = std::make_unique<DistributedServices>(*s.host, *s.comm);
    plugin_host = s.services.get();
  }
  s.policy = make_data_policy(s.opt, s.total_steps, s.corpus, plugin, *plugin_host);
  s.policy->set_follower(!s.root());
  if (o.decision_staleness > 0) {
    s.overlap = std::make_unique<CoreSplitOverlap>(*s.host, s.threads, o.decision_threads);
    s.policy->set_overlap(s.overlap.get());
    // Only adam-preconditioned gradient features read the moments a snapshot would copy.
    if (const PluginManifest* m = s.policy->plugin_manifest())
      s.host->set_snapshot_moments(m->requires_service("gradient_features"));
    spdlog::info(
        "decisions beside training: each applied {} step(s) after its snapshot; {} thread(s) decide while "
        "{} train",
        o.decision_staleness, s.overlap->worker_threads(), s.overlap->training_threads());
  }
  // The hash recorded when the plugin was loaded: the bytes that run (an isolated worker checks it).
  if (const PluginManifest* m = s.policy->plugin_manifest()) s.plugin_build = *m;
  s.lr = o.lr_schedule(s.total_steps);
  if (!s.resumed_from.empty()) restore(s);
  // After the checkpoint was accepted: a refused resume leaves the record of the builds untouched.
  if (s.root())
    record_provenance(o.output_dir, s.plugin_build ? &*s.plugin_build : nullptr, plugin.library != nullptr,
                      s.start_step, !s.resumed_from.empty());
} catch (const c10::Error& e) {
  throw Error("LibTorch: " + one_line(e.what_without_backtrace()));
}

Trainer::~Trainer() {
  if (s_ && s_->policy) s_->policy->settle();  // a worker still deciding reads the model and the host
}

bool Trainer::is_root() const { return s_->root(); }

void Trainer::set_run_config(std::string toml_text) { s_->run_config_toml = std::move(toml_text); }

std::string Trainer::describe() const {
  const State& s = *s_;
  const auto& c = s.model->config();
  std::size_t train_tokens = 0;
  for (const auto& x : s.corpus.train) train_tokens += x.input_ids.size();
  return fmt::format(
      "model {} ({}, {:.2f}M params, {:.2f}M trainable, {}), data {} domains / {} train samples ({:.2f}M tokens) / {} "
      "eval, {} steps, {} threads{}{}{}; decisions: {}",
      s.opt.model_name_or_path, c.model_type, static_cast<double>(c.parameter_count()) / 1e6,
      static_cast<double>(s.model->trainable_count()) / 1e6, to_string(s.opt.finetuning_type), s.corpus.domains.size(),
      s.corpus.train.size(), static_cast<double>(train_tokens) / 1e6, s.corpus.eval.size(), s.total_steps,
      at::get_num_threads(), blas_core_name().empty() ? std::string() : " (OpenBLAS " + blas_core_name() + " kernels)",
      s.comm->distributed() ? fmt::format(" x {} ranks (global batch {})", s.comm->world_size(), s.opt.global_batch())
                            : std::string(),
      s.resumed_from.empty() ? "" : ", resuming from " + s.resumed_from, s.policy->schedule().describe());
}

namespace {

// What one call of train() keeps between steps: the logs, the running sums, the clocks.
class Run {
 public:
  explicit Run(Trainer::State& s)
      : s_(s),
        progress_(s.total_steps),
        all_loss_(s.counters.value("loss_sum", 0.0)),
        window_loss_(s.counters.value("window_loss", 0.0)),
        window_steps_(s.counters.value("window_steps", int64_t{0})),
        params_(s.model->trainable_parameters()),
        resident_before_mb_(resident_mb()) {
    if (s.root())
      log_.emplace(s.opt.output_dir, s.total_steps, s.start_step, s.history,
                   s.scalars.get());  // rank 0 writes the logs
  }

  double elapsed() const { return s_.elapsed_before + std::chrono::duration<double>(Clock::now() - t0_).count(); }
  double mean_loss() const { return all_loss_ / static_cast<double>(s_.total_steps); }

  void train_step(int64_t step) {
    for (auto& g : s_.optimizer->param_groups())
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(s_.lr.at(step));
    s_.optimizer->zero_grad();
    s_.comm->set_step(step);
    // The decision scheduled at this step (if any) comes before the step's batches are drawn.
    begin_step(step);
    log_plugin_metrics();
    // From here to the optimizer step the model is the trainer's: a plugin thread calling a service
    // meanwhile waits (the weighter's own calls, on this thread, go through).
    // A worker deciding beside training reads a snapshot instead, and is not waited for.
    std::unique_lock<std::recursive_mutex> model_lock;
    if (!s_.policy->decision_in_flight()) model_lock = s_.host->lock_model();
    std::vector<MicroBatch> batches = draw_step(s_);
    double activation_mb = 0.0;
    step_loss_ = forward_backward_step(s_, step, batches, activation_mb);
    window_activation_mb_ = std::max(window_activation_mb_, activation_mb);
    s_.comm->allreduce_gradients(params_);
    // The step's loss over all ranks, and whether any rank was asked to stop (SIGTERM, SIGUSR1).
    int64_t step_tokens = 0;
    for (const auto& b : batches) step_tokens += b.tokens;
    std::vector<double> agreed = {step_loss_, stop_requested() ? 1.0 : 0.0, static_cast<double>(step_tokens)};
    s_.comm->allreduce_sum(agreed);
    step_loss_ = agreed[0];
    stop_ = agreed[1] > 0;
    window_tokens_ += static_cast<int64_t>(agreed[2]);  // throughput counts every rank's tokens
    if (!std::isfinite(step_loss_))
      throw Error("training diverged: loss is " + std::to_string(step_loss_) + " at step " + std::to_string(step + 1) +
                  " (lower training.learning_rate?)");
    grad_norm_ = torch::nn::utils::clip_grad_norm_(params_, s_.opt.max_grad_norm > 0 ? s_.opt.max_grad_norm : 1e30);
    s_.sharding->drop_foreign_gradients();  // ZeRO-1: each rank steps its own share
    s_.optimizer->step();
    s_.sharding->share_parameters(s_.opt.bucket_mb);
    if (!memory_reported_) report_optimizer_memory();
    s_.host->set_weights_changed();
    if (model_lock.owns_lock()) model_lock.unlock();
    std::vector<BatchLosses> observed;
    for (auto& b : batches) observed.push_back(std::move(b.global));
    s_.policy->end_step(observed);
    log_plugin_metrics();  // the weighter's, recorded during this step
  }

  // Logging, evaluation and checkpoints after step `done`.
  void after_step(int64_t done) {
    const TrainingOptions& o = s_.opt;
    window_loss_ += step_loss_;
    all_loss_ += step_loss_;
    ++window_steps_;
    const double window_s = std::chrono::duration<double>(Clock::now() - window_start_).count();
    const double tps = window_s > 0 ? static_cast<double>(window_tokens_) / window_s : 0.0;
    const bool log_now = done % o.logging_steps == 0 || done == s_.total_steps;
    if (s_.root()) progress_.update(done, step_loss_, tps, elapsed(), log_now);
    if (log_now) {
      const double peak_mb = peak_resident_mb();
      if (log_)
        log_->log_train({done, window_loss_ / static_cast<double>(window_steps_), grad_norm_, s_.lr.at(done),
                         s_.policy->epoch(), tps, elapsed(), peak_mb, window_activation_mb_});
      if (!memory_logged_) {
        memory_logged_ = true;
        spdlog::info(
            "memory: {:.0f} MiB resident before training, peak {:.0f} MiB by step {} (the steps' "
            "activations, gradients and AdamW moments: {:.0f} MiB; activations held by one forward for its "
            "backward: {:.0f} MiB)",
            resident_before_mb_, peak_mb, done, std::max(0.0, peak_mb - resident_before_mb_), window_activation_mb_);
      }
      window_loss_ = window_activation_mb_ = 0.0;
      window_steps_ = window_tokens_ = 0;
      window_start_ = Clock::now();
    }
    // Evaluation and checkpoints are rank 0's; the other ranks wait for its word, however long it takes.
    const bool eval_now =
        o.eval_steps > 0 && done % o.eval_steps == 0 && done != s_.total_steps && !s_.corpus.eval.empty() && !stop_;
    const bool save_now = (o.save_steps > 0 && (done % o.save_steps == 0 || done == s_.total_steps)) || stop_;
    if (!s_.root()) {
      if (save_now && s_.sharding->sharded()) {
        // Rank 0 is writing the checkpoint: this rank's optimizer shard goes into the same folder.
        const nlohmann::json message = nlohmann::json::parse(s_.comm->receive());
        check_message(message, "write_shard", done);
        s_.sharding->save_shard(*s_.optimizer, message.at("folder").get<std::string>());
        s_.comm->barrier();
      }
      if (eval_now || save_now) expect_message("continue", done);
      if (stop_) throw Preempted(done, "");
      return;
    }
    if (eval_now) {
      const auto eval_start = Clock::now();
      auto metrics = evaluate();
      window_start_ += Clock::now() - eval_start;  // throughput counts training only
      log_->log_eval(done, s_.policy->epoch(), metrics, elapsed());
      progress_.message(fmt::format("step {}: eval_loss {:.4f}", done, metrics["eval_loss"]));
    }
    // Checkpoints every save_steps, and at the end (as recent transformers does), so that a finished
    // run started again has nothing left to redo.
    if (save_now) {
      const auto save_start = Clock::now();
      save(done);
      window_start_ += Clock::now() - save_start;
    }
    if (s_.comm->distributed() && (eval_now || save_now)) post_message(*s_.comm, "continue");
    if (stop_) throw Preempted(done, (fs::path(s_.opt.output_dir) / ("checkpoint-" + std::to_string(done))).string());
  }

  // Per-domain and overall loss on the eval split (empty without one).
  std::map<std::string, double> evaluate() {
    std::map<std::string, double> out;
    if (s_.corpus.eval.empty()) return out;
    std::vector<const Sample*> samples;
    for (const auto& x : s_.corpus.eval) samples.push_back(&x);
    const auto scores = score_samples(*s_.model, samples, s_.tokenizer->pad_id().value_or(0), s_.opt.eval_batch_size);
    const auto& names = s_.corpus.eval_domain_names();
    const DomainScores by_domain = sum_by_domain(samples, scores, names.size());
    for (std::size_t d = 0; d < names.size(); ++d)
      if (by_domain.tokens[d] > 0) out["eval_" + names[d] + "_loss"] = by_domain.loss(d);
    out["eval_loss"] = by_domain.overall_loss();
    return out;
  }

  TrainingLog& log() { return *log_; }
  void finish_progress() { progress_.finish(); }

 private:
  // Plugin metrics, logged under the step of the call that recorded them (a decision at step s, or
  // the weighter's calls during step s); several values of one name in one step are averaged.
  void log_plugin_metrics() {
    std::map<int64_t, std::map<std::string, std::pair<double, int>>> by_step;
    for (const auto& m : s_.policy->take_metrics()) {
      auto& slot = by_step[m.step][m.name];
      slot.first += m.value;
      ++slot.second;
    }
    for (const auto& [step, names] : by_step) {
      std::map<std::string, double> values;
      for (const auto& [name, sum_count] : names) values[name] = sum_count.first / sum_count.second;
      if (log_) log_->log_plugin_metrics(step, values);
    }
  }

  void save(int64_t step) {
    // A decision in flight is finished and saved with its outcome; what its plugin call recorded is
    // logged before the checkpoint, or a run resumed from it would never log it.
    s_.policy->settle();
    log_plugin_metrics();
    CheckpointState cp;
    cp.step = step;
    cp.dataflex_state = {
        {"step", step},
        {"total_steps", s_.total_steps},
        {"elapsed_s", elapsed()},
        {"num_threads", s_.threads},
        {"counters", {{"loss_sum", all_loss_}, {"window_loss", window_loss_}, {"window_steps", window_steps_}}},
        {"data", s_.policy->state()},
        {"plugin_state", s_.policy->plugin_state()},
        {"plugin_state_writer", s_.plugin_build ? build_record(*s_.plugin_build) : nlohmann::json()}};
    cp.trainer_state =
        nlohmann::json::parse(log_->trainer_state(step, s_.policy->epoch(), {{"save_steps", s_.opt.save_steps}}));
    std::function<void(const std::string&)> write_optimizer;
    if (s_.sharding->sharded())
      write_optimizer = [&](const std::string& folder) {
        s_.sharding->save_shard(*s_.optimizer, folder);
        post_message(*s_.comm, "write_shard", {{"folder", folder}});
        s_.comm->barrier();  // every shard is written before the folder gets its final name
      };
    save_checkpoint(s_.opt.output_dir, cp, *s_.model, *s_.optimizer, *s_.tokenizer, s_.opt.model_name_or_path,
                    s_.opt.save_total_limit, write_optimizer);
    PluginCallGuard::set_resume_hint(
        resume_hint((fs::path(s_.opt.output_dir) / ("checkpoint-" + std::to_string(step))).string()));
  }

  // The decision scheduled at `step`. Distributed: rank 0's plugin decides while the other ranks
  // compute their shares of its service calls; its data state is then every rank's, checked equal.
  void begin_step(int64_t step) {
    if (!s_.comm->distributed() || !s_.policy->decides_at(step)) {
      const auto t0 = Clock::now();
      s_.policy->begin_step(step);
      if (s_.policy->decides_at(step) && s_.opt.decision_staleness == 0)
        spdlog::info("decision at step {}: {:.2f} s", step, std::chrono::duration<double>(Clock::now() - t0).count());
      return;
    }
    if (s_.root()) {
      const double spread_before = s_.services->spread_seconds(), comm_before = s_.services->communication_seconds();
      const auto t0 = Clock::now();
      try {
        DistributedServices::Decision spread(*s_.services);
        s_.policy->begin_step(step);
      } catch (const std::exception& e) {
        abort_others(*s_.comm, e.what());
        throw;
      }
      const double spread_s = s_.services->spread_seconds() - spread_before;
      if (spread_s > 0)
        spdlog::info(
            "decision at step {}: {:.2f} s, of which {:.2f} s in service calls spread over {} ranks ({:.2f} s "
            "of that waiting and communicating)",
            step, std::chrono::duration<double>(Clock::now() - t0).count(), spread_s, s_.comm->world_size(),
            s_.services->communication_seconds() - comm_before);
      post_message(*s_.comm, "decided", {{"step", step}, {"data", s_.policy->state()}});
    } else {
      nlohmann::json message = serve_requests(*s_.host, *s_.comm);
      check_message(message, "decided", step);
      s_.policy->begin_step(step);  // a follower's: counts the decision, calls no plugin
      s_.policy->load_state(message.at("data"), {}, "rank 0's decision at step " + std::to_string(step));
    }
    // Every rank must now draw the same batches: compare fingerprints of the data state.
    const std::string state = s_.policy->state().dump();
    const uint64_t h = std::hash<std::string>{}(state);
    const std::vector<double> mine = {static_cast<double>(h >> 32), static_cast<double>(h & 0xffffffffu)};
    const std::vector<double> all = s_.comm->allgather(mine);
    for (int r = 1; r < s_.comm->world_size(); ++r)
      if (all[2 * r] != all[0] || all[2 * r + 1] != all[1])
        throw Error("distributed: after the decision at step " + std::to_string(step) + " rank " + std::to_string(r) +
                    "'s data state differs from rank 0's");
  }

  // The optimizer state each rank holds, once (after the first step has created it).
  void report_optimizer_memory() {
    memory_reported_ = true;
    if (!s_.comm->distributed()) return;
    const std::vector<double> bytes =
        s_.comm->allgather({static_cast<double>(OptimizerSharding::state_bytes(*s_.optimizer))});
    std::string per_rank;
    for (double b : bytes) per_rank += fmt::format("{}{:.1f}", per_rank.empty() ? "" : ", ", b / (1 << 20));
    spdlog::info("optimizer state per rank: {} MiB ({})", per_rank,
                 s_.sharding->sharded() ? "sharded: distributed.shard_optimizer_state" : "every rank holds all of it");
  }

  void expect_message(const char* kind, int64_t step) {
    check_message(nlohmann::json::parse(s_.comm->receive()), kind, step);
  }
  void check_message(const nlohmann::json& message, const char* kind, int64_t step) {
    const std::string got = message.value("kind", "");
    if (got == "abort")
      throw Error("distributed: rank 0 stopped at step " + std::to_string(step) + ": " + message.value("error", ""));
    if (got != kind)
      throw Error("distributed: rank " + std::to_string(s_.comm->rank()) + " expected \"" + kind +
                  "\" from rank 0 at step " + std::to_string(step) + " but got \"" + got + "\"");
  }

  Trainer::State& s_;
  std::optional<TrainingLog> log_;  // rank 0 only
  Progress progress_;
  bool memory_reported_ = false;
  bool memory_logged_ = false;
  bool stop_ = false;  // a rank was asked to stop: every rank saves (rank 0 writes) and ends
  const Clock::time_point t0_ = Clock::now();
  Clock::time_point window_start_ = Clock::now();
  // Sums over the whole run (restored on resume), so that train_loss and the first log line after a
  // resume are those of an uninterrupted run.
  double all_loss_, window_loss_;
  int64_t window_steps_, window_tokens_ = 0;
  double step_loss_ = 0.0, grad_norm_ = 0.0;
  double window_activation_mb_ = 0.0;     // the most one forward held for backward since the last log line
  const std::vector<at::Tensor> params_;  // the trainable parameters, for clipping
  const double resident_before_mb_;       // before the first step of this call of train()
};

// The final model (or adapter) and tokenizer, in Hugging Face layout, at the top of output_dir.
void export_model(Trainer::State& s) {
  const TrainingOptions& o = s.opt;
  if (s.model->has_lora()) {
    save_lora_adapter(*s.model, o.output_dir, o.model_name_or_path);
    if (o.export_merged) {
      // Merging changes the weights in place; it is the last thing this trainer does with them.
      s.model->merge_lora();
      const std::string merged = (fs::path(o.output_dir) / "merged").string();
      save_model(*s.model, merged, o.save_dtype);
      s.tokenizer->save(merged);
    }
  } else {
    save_model(*s.model, o.output_dir, o.save_dtype);
  }
  s.tokenizer->save(o.output_dir);
}

// trainer_state.json, train_results.json, eval_results.json and all_results.json, as transformers.
// all_results.json comes last: its presence says the run is finished (see finished()).
void write_results(Trainer::State& s, TrainingLog& log, const TrainResult& r) {
  const TrainingOptions& o = s.opt;
  const double runtime = std::max(1e-9, r.train_runtime_s);
  const std::map<std::string, double> train_metrics = {
      {"train_loss", r.train_loss},
      {"train_runtime", r.train_runtime_s},
      {"train_steps_per_second", static_cast<double>(s.total_steps) / runtime},
      {"train_samples_per_second", static_cast<double>(s.total_steps * o.global_batch()) / runtime}};
  const double epoch = s.policy->epoch();
  log.log_final(s.total_steps, epoch, train_metrics);
  write_file_atomically((fs::path(o.output_dir) / "trainer_state.json").string(),
                        log.trainer_state(s.total_steps, epoch, {{"save_steps", o.save_steps}}));
  nlohmann::ordered_json all, train_json, eval_json;
  all["epoch"] = train_json["epoch"] = epoch;
  for (const auto& [k, v] : train_metrics) all[k] = train_json[k] = v;
  for (const auto& [k, v] : r.eval) all[k] = eval_json[k] = v;
  write_file_atomically((fs::path(o.output_dir) / "train_results.json").string(), train_json.dump(2) + "\n");
  if (!r.eval.empty())
    write_file_atomically((fs::path(o.output_dir) / "eval_results.json").string(), eval_json.dump(2) + "\n");
  write_file_atomically((fs::path(o.output_dir) / "all_results.json").string(), all.dump(2) + "\n");
}

// A run is finished when its last output, all_results.json, is there.
bool finished(const TrainingOptions& o) { return fs::exists(fs::path(o.output_dir) / "all_results.json"); }

// The end of a run: the final evaluation, the exported model and the results files. A run killed after
// its last checkpoint comes back here from that checkpoint and completes what is missing.
void finish(Trainer::State& s, Run& run, TrainResult& result) {
  result.eval = run.evaluate();
  if (!result.eval.empty()) run.log().log_eval(s.total_steps, s.policy->epoch(), result.eval, run.elapsed());
  export_model(s);
  write_results(s, run.log(), result);
  // The pictures come last and never fail a trained run: the logs they are drawn from are written.
  try {
    if (s.opt.plot_loss) {
      std::vector<std::string> skipped;
      for (const auto& f : plot_losses(s.opt.output_dir, run.log().history(), &skipped))
        spdlog::info("plot_loss: {}", f);
      for (const auto& k : skipped) spdlog::warn("plot_loss: no {} was logged: training_{}.png is not written", k, k);
    }
    spdlog::info("report: {}", write_run_report(s.opt.output_dir));
  } catch (const std::exception& e) {
    spdlog::warn("{}: the report or the loss plots could not be written: {}", s.opt.output_dir, one_line(e.what()));
  }
}

// run_config.toml: the config the run started with. A resume launched with other values keeps it and
// writes its own beside it, run_config.step<N>.toml.
void write_run_config(const Trainer::State& s) {
  if (s.run_config_toml.empty()) return;
  const fs::path first = fs::path(s.opt.output_dir) / "run_config.toml";
  if (s.start_step > 0 && fs::exists(first)) {
    if (read_file(first.string()) == s.run_config_toml) return;
    const fs::path again = fs::path(s.opt.output_dir) / ("run_config.step" + std::to_string(s.start_step) + ".toml");
    spdlog::info("resumed with another config than run_config.toml's: written as {}", again.string());
    write_file_atomically(again.string(), s.run_config_toml);
    return;
  }
  write_file_atomically(first.string(), s.run_config_toml);
}

// A run that stops early (preempted, failed) still gets its page, of what it logged; never a second error.
void report_so_far(const Trainer::State& s) {
  if (!s.root() || !fs::exists(fs::path(s.opt.output_dir) / "trainer_log.jsonl")) return;
  try {
    write_run_report(s.opt.output_dir);
  } catch (const std::exception& e) {
    spdlog::debug("{}: no report.html: {}", s.opt.output_dir, one_line(e.what()));
  }
}

// TensorBoard's event file (report_to), opened when training starts: a finished run started again
// adds nothing. Its failures never stop the run (BestEffortScalars).
void open_tensorboard(Trainer::State& s) {
  if (!s.root() || !s.opt.report_to_tensorboard || s.scalars) return;
  s.scalars = std::make_unique<BestEffortScalars>(
      std::make_unique<TensorBoardWriter>(TensorBoardWriter::log_dir_for(s.opt.output_dir, s.start_step > 0)));
  // The policy never outlives the sink it points to: `scalars` is declared before `policy` in State.
  s.policy->observe_decisions([sink = s.scalars.get()](const nlohmann::ordered_json& line) {
    if (line.contains("step") && line["step"].is_number_integer())
      sink->write(line["step"].get<int64_t>(), decision_scalars(line));
  });
}

}  // namespace

TrainResult Trainer::train() try {
  State& s = *s_;
  TrainResult result;
  result.resumed_from = s.start_step;
  result.global_step = s.total_steps;
  if (s.start_step >= s.total_steps && finished(s.opt)) {
    // A finished run started again: nothing to do, and its results stay as they were written.
    result.train_loss = s.counters.value("loss_sum", 0.0) / static_cast<double>(std::max<int64_t>(1, s.total_steps));
    result.train_runtime_s = s.elapsed_before;
    return result;
  }
  // A resumed run takes those decisions again.
  if (s.root()) DecisionLog::truncate(s.opt.output_dir, s.start_step);
  if (s.root()) write_run_config(s);
  open_tensorboard(s);
  StopSignals signals;
  Run run(s);
  if (s.start_step >= s.total_steps)
    spdlog::info("{}: the run stopped after its last checkpoint; completing its final evaluation and outputs",
                 s.opt.output_dir);
  s.model->set_training(true);
  for (int64_t step = s.start_step; step < s.total_steps; ++step) {
    run.train_step(step);
    run.after_step(step + 1);
  }
  run.finish_progress();
  result.train_loss = run.mean_loss();
  result.train_runtime_s = run.elapsed();
  if (s.comm->distributed())
    spdlog::info(
        "distributed: rank 0 spent {:.2f} s of {:.2f} s in collectives ({:.1f} %, waiting for the others "
        "included)",
        s.comm->collective_seconds(), result.train_runtime_s - s.elapsed_before,
        100.0 * s.comm->collective_seconds() / std::max(1e-9, result.train_runtime_s - s.elapsed_before));
  if (s.root()) finish(s, run, result);  // the other ranks are done: rank 0 evaluates and exports
  return result;
} catch (const Preempted&) {
  report_so_far(*s_);
  throw;
} catch (const c10::Error& e) {
  abort_others(*s_->comm, e.what_without_backtrace());
  report_so_far(*s_);
  throw Error("LibTorch: " + one_line(e.what_without_backtrace()));
} catch (const std::exception& e) {
  abort_others(*s_->comm, e.what());
  report_so_far(*s_);
  throw;
}

}  // namespace dataflex
