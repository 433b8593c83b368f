// The base training loop. Hugging Face Trainer semantics (transformers >= 4.46, which LLaMA-Factory
// uses) where users will compare: the loss of an optimizer step is the sum of the token losses of all
// its micro-batches divided by the number of trained tokens in the whole step, so accumulation gives
// the same gradient as one large batch; the logged loss is the mean step loss since the last log, with
// the last step's gradient norm and the learning rate of the next step.
#include "train/trainer.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>
#include <torch/types.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#ifdef DATAFLEX_WITH_CUDA
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#endif

#include <sched.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "model/llama_model.hpp"
#include "model/padded_batch.hpp"
#include "train/checkpoint.hpp"
#include "train/lr_schedule.hpp"
#include "train/progress.hpp"
#include "train/data_policy.hpp"
#include "train/host_factory.hpp"
#include "plugins/plugin_instance.hpp"
#include "signals/model_host.hpp"
#include "train/training_log.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace dataflex {
namespace fs = std::filesystem;

void configure_threads(int64_t num_threads) {
  // The cores this process may run on (affinity, as taskset and container runtimes set it), not the
  // machine's: hardware_concurrency() would oversubscribe a restricted process.
  cpu_set_t set;
  int64_t available = std::max<int64_t>(1, std::thread::hardware_concurrency());
  if (sched_getaffinity(0, sizeof set, &set) == 0) available = std::max(1, CPU_COUNT(&set));
  const int64_t n = num_threads > 0 ? num_threads : available;
  at::set_num_threads(static_cast<int>(n));
  // OpenBLAS (Debian's libblas.so.3 when libopenblas0-pthread is installed) keeps its own pool.
  if (openblas_set_num_threads) openblas_set_num_threads(static_cast<int>(n));
}

struct Batch {
  at::Tensor input_ids, labels;
  int64_t tokens = 0;  // non-padding tokens, for throughput
};

struct Trainer::State {
  TrainingOptions opt;
  std::unique_ptr<Tokenizer> tokenizer;
  Corpus corpus;
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<ModelHost> host;      // what the plugin's service calls are answered from
  std::unique_ptr<DataPolicy> policy;   // which samples, in what proportions, with what weights
  std::vector<int32_t> batch_domains(const std::vector<const Sample*>& samples) const {
    std::vector<int32_t> d;
    for (const Sample* x : samples) d.push_back(x->domain);
    return d;
  }
  LrSchedule schedule;
  int64_t total_steps = 0;
  int64_t start_step = 0;
  double elapsed_before = 0.0;  // seconds spent before the resumed checkpoint
  nlohmann::json history;
  nlohmann::json counters = nlohmann::json::object();  // running sums kept across a resume
  std::string resumed_from;

  Batch collate(const std::vector<const Sample*>& samples) const;
  std::map<std::string, double> evaluate();
};

Batch Trainer::State::collate(const std::vector<const Sample*>& samples) const {
  PaddedBatch p = pad_batch(samples, tokenizer->pad_id().value_or(0));
  return Batch{p.input_ids.to(model->device()), p.labels.to(model->device()), p.tokens};
}

std::map<std::string, double> Trainer::State::evaluate() {
  std::map<std::string, double> out;
  if (corpus.eval.empty()) return out;
  at::NoGradGuard no_grad;
  model->set_training(false);
  const std::size_t D = corpus.domains.size();
  std::vector<double> loss_sum(D, 0.0), token_count(D, 0.0);
  const std::size_t bs = static_cast<std::size_t>(opt.eval_batch_size);
  for (std::size_t first = 0; first < corpus.eval.size(); first += bs) {
    std::vector<const Sample*> chunk;
    for (std::size_t i = first; i < std::min(first + bs, corpus.eval.size()); ++i) chunk.push_back(&corpus.eval[i]);
    Batch b = collate(chunk);
    at::Tensor losses = model->token_losses(b.input_ids, b.labels).to(at::kCPU).to(at::kDouble);
    at::Tensor counted = (b.labels.narrow(1, 1, b.labels.size(1) - 1) != kIgnoreIndex).to(at::kCPU).to(at::kDouble);
    at::Tensor per_sample_loss = losses.sum(1), per_sample_tokens = counted.sum(1);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const auto d = static_cast<std::size_t>(chunk[i]->domain);
      loss_sum[d] += per_sample_loss[static_cast<int64_t>(i)].item<double>();
      token_count[d] += per_sample_tokens[static_cast<int64_t>(i)].item<double>();
    }
  }
  model->set_training(true);
  double total_loss = 0, total_tokens = 0;
  for (std::size_t d = 0; d < D; ++d) {
    total_loss += loss_sum[d];
    total_tokens += token_count[d];
    if (token_count[d] > 0) out["eval_" + corpus.domains[d] + "_loss"] = loss_sum[d] / token_count[d];
  }
  out["eval_loss"] = total_tokens > 0 ? total_loss / total_tokens : 0.0;
  return out;
}

namespace {

bool is_no_decay(const std::string& name) {
  // transformers excludes biases and norm weights from weight decay.
  return name.find(".bias") != std::string::npos || name.find("norm.weight") != std::string::npos;
}

std::string resolve_device(const std::string& wanted) {
#ifdef DATAFLEX_WITH_CUDA
  if ((wanted == "cuda" || wanted == "auto") && torch::cuda::is_available()) return "cuda";
  if (wanted == "cuda") throw Error("training.device: \"cuda\" but no CUDA device is visible");
#endif
  if (wanted == "cuda") throw Error("training.device: \"cuda\" but this build of DataFlex has no CUDA support");
  return "cpu";
}

}  // namespace

// LibTorch failures (out of memory, a shape error from odd data) become one-line errors.
Trainer::Trainer(TrainingOptions options, PluginSetup plugin) try : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.opt = std::move(options);
  const TrainingOptions& o = s.opt;
  configure_threads(o.num_threads);

  // Where does this run start? An explicit checkpoint, else the last one in output_dir (as
  // LLaMA-Factory does), unless overwrite_output_dir asks for a fresh start.
  fs::create_directories(o.output_dir);
  if (!o.resume_from_checkpoint.empty()) {
    if (!fs::is_directory(o.resume_from_checkpoint))
      throw Error("training.resume_from_checkpoint: \"" + o.resume_from_checkpoint + "\" is not a folder");
    s.resumed_from = o.resume_from_checkpoint;
  } else if (o.overwrite_output_dir) {
    for (const auto& e : fs::directory_iterator(o.output_dir))
      if (e.path().filename().string().rfind("checkpoint-", 0) == 0) fs::remove_all(e.path());
  } else {
    s.resumed_from = latest_checkpoint(o.output_dir);
  }

  const bool builtin = o.model_name_or_path.rfind("builtin:", 0) == 0;
  if (!builtin && !fs::is_directory(o.model_name_or_path))
    throw Error("model.model_name_or_path: \"" + o.model_name_or_path + "\" is not a folder (nothing is downloaded here)");
  if (!o.tokenizer.empty())
    s.tokenizer = Tokenizer::load(o.tokenizer);
  else if (builtin)
    s.tokenizer = Tokenizer::builtin_bytes();
  else
    s.tokenizer = Tokenizer::load(o.model_name_or_path);

  s.corpus = load_corpus(o.data, *s.tokenizer);
  s.total_steps = o.total_steps(static_cast<int64_t>(s.corpus.train.size()));

  torch::manual_seed(o.seed);
  s.model = load_model(o.model_name_or_path, s.tokenizer->vocab_size(), o.seed, resolve_device(o.device));
  if (s.model->config().vocab_size < s.tokenizer->vocab_size())
    throw Error("model.tokenizer: " + std::to_string(s.tokenizer->vocab_size()) + " token ids but the model's vocab_size is " +
                std::to_string(s.model->config().vocab_size));
  if (!o.adapter_name_or_path.empty()) {
    if (o.finetuning_type != "lora")
      throw Error("model.adapter_name_or_path: an adapter is continued with finetuning_type = \"lora\", not \"" +
                  o.finetuning_type + "\"");
    load_lora_adapter(*s.model, o.adapter_name_or_path, o.seed);
  } else if (o.finetuning_type == "lora") {
    s.model->add_lora(o.lora, o.seed);
  }
  if (o.finetuning_type == "freeze") s.model->train_freeze(o.freeze_trainable_layers, o.freeze_trainable_modules);
  if (o.finetuning_type == "full" && s.model->has_lora())
    throw Error("model.finetuning_type: \"full\" with an adapter: set finetuning_type = \"lora\" to continue the adapter");

  std::vector<at::Tensor> decay, no_decay;
  for (const auto& p : s.model->trainable_named_parameters()) (is_no_decay(p.name) ? no_decay : decay).push_back(p.tensor);
  if (decay.empty() && no_decay.empty()) throw Error("model: no trainable parameters (check finetuning_type and freeze_* keys)");
  auto adamw = torch::optim::AdamWOptions(o.learning_rate)
                     .betas({o.adam_beta1, o.adam_beta2})
                     .eps(o.adam_epsilon)
                     .weight_decay(o.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(adamw));
  auto no_decay_options = adamw;
  no_decay_options.weight_decay(0.0);
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(no_decay_options));
  s.optimizer = std::make_unique<torch::optim::AdamW>(groups, adamw);

  s.host = make_model_host(o, s.corpus, *s.tokenizer, *s.model, s.optimizer.get());
  DataPolicyOptions po;
  po.train_type = o.train_type;
  po.component = o.component_name;
  po.warmup_step = o.warmup_step;
  po.update_step = o.update_step;
  po.update_times = o.update_times;
  po.total_steps = s.total_steps;
  po.seed = o.seed;
  po.global_batch = o.batch_size * o.gradient_accumulation_steps;
  po.select_count = o.select_count;
  po.select_with_replacement = o.select_with_replacement;
  po.mixture_unit = o.mixture_unit;
  po.mix_apply = o.mix_apply;
  po.output_dir = o.output_dir;
  s.policy = std::make_unique<DataPolicy>(po, s.corpus, plugin.library, plugin.params, *s.host);
  s.schedule = LrSchedule{o.lr_scheduler_type, o.learning_rate, o.warmup(s.total_steps), s.total_steps};

  if (!s.resumed_from.empty()) {
    CheckpointState cp = load_checkpoint(s.resumed_from, *s.model, *s.optimizer);
    s.start_step = cp.step;
    std::vector<uint8_t> blob;
    if (cp.dataflex_state.contains("plugin_state")) blob = cp.dataflex_state["plugin_state"].get<std::vector<uint8_t>>();
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
} catch (const c10::Error& e) {
  throw Error("LibTorch: " + one_line(e.what_without_backtrace()));
}

Trainer::~Trainer() = default;

std::string Trainer::describe() const {
  const State& s = *s_;
  const auto& c = s.model->config();
  std::size_t train_tokens = 0;
  for (const auto& x : s.corpus.train) train_tokens += x.input_ids.size();
  return fmt::format(
      "model {} ({}, {:.2f}M params, {:.2f}M trainable, {}), data {} domains / {} train samples ({:.2f}M tokens) / {} eval, "
      "{} steps, {} threads{}",
      s.opt.model_name_or_path, c.model_type, static_cast<double>(c.parameter_count()) / 1e6,
      static_cast<double>(s.model->trainable_count()) / 1e6, s.opt.finetuning_type, s.corpus.domains.size(),
      s.corpus.train.size(), static_cast<double>(train_tokens) / 1e6, s.corpus.eval.size(), s.total_steps,
      at::get_num_threads(), s.resumed_from.empty() ? "" : ", resuming from " + s.resumed_from);
}

TrainResult Trainer::train() try {
  State& s = *s_;
  const TrainingOptions& o = s.opt;
  TrainingLog log(o.output_dir, s.total_steps, s.start_step, s.history);
  DataPolicy::truncate_decisions(o.output_dir, s.start_step);  // a resumed run takes those decisions again
  // Plugin metrics, logged under the step of the call that recorded them (a decision at step s, or
  // the weighter's calls during step s); several values of one name in one step are averaged.
  auto log_plugin_metrics = [&] {
    std::map<int64_t, std::map<std::string, std::pair<double, int>>> by_step;
    for (const auto& m : s.policy->take_metrics()) {
      auto& slot = by_step[m.step][m.name];
      slot.first += m.value;
      ++slot.second;
    }
    for (const auto& [step, names] : by_step) {
      std::map<std::string, double> values;
      for (const auto& [name, sum_count] : names) values[name] = sum_count.first / sum_count.second;
      log.log_plugin_metrics(step, values);
    }
  };
  Progress progress(s.total_steps);
  TrainResult result;
  result.resumed_from = s.start_step;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return s.elapsed_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const std::vector<at::Tensor> params = s.model->trainable_parameters();
  s.model->set_training(true);

  if (s.start_step >= s.total_steps) {
    // A finished run started again: nothing to train, and its results stay as they were written.
    result.global_step = s.total_steps;
    result.train_loss = s.counters.value("loss_sum", 0.0) / static_cast<double>(std::max<int64_t>(1, s.total_steps));
    result.train_runtime_s = s.elapsed_before;
    return result;
  }
  // Sums over the whole run (restored on resume), so that train_loss and the first log line after a
  // resume are those of an uninterrupted run.
  double all_loss = s.counters.value("loss_sum", 0.0);
  double window_loss = s.counters.value("window_loss", 0.0);
  int64_t window_steps = s.counters.value("window_steps", int64_t{0});
  int64_t window_tokens = 0;
  auto window_start = std::chrono::steady_clock::now();
  auto save = [&](int64_t step) {
    CheckpointState cp;
    cp.step = step;
    cp.dataflex_state = {{"step", step},
                         {"total_steps", s.total_steps},
                         {"elapsed_s", elapsed()},
                         {"num_threads", at::get_num_threads()},
                         {"counters", {{"loss_sum", all_loss}, {"window_loss", window_loss}, {"window_steps", window_steps}}},
                         {"data", s.policy->state()},
                         {"plugin_state", s.policy->plugin_state()}};
    cp.trainer_state = nlohmann::json::parse(log.trainer_state(step, s.policy->epoch(), {{"save_steps", o.save_steps}}));
    save_checkpoint(o.output_dir, cp, *s.model, *s.optimizer, *s.tokenizer, o.model_name_or_path, o.save_total_limit);
  };

  for (int64_t step = s.start_step; step < s.total_steps; ++step) {
    const double lr = s.schedule.at(step);
    for (auto& g : s.optimizer->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    s.optimizer->zero_grad();
    // The decision scheduled at this step (if any) comes before the step's batches are drawn.
    s.policy->begin_step(step);
    log_plugin_metrics();
    // From here to the optimizer step the model is the trainer's: a plugin thread calling a service
    // meanwhile waits (the weighter's own calls, on this thread, go through).
    auto model_lock = s.host->lock_model();
    // All micro-batches of the step first: the loss is normalised by the step's trained tokens.
    std::vector<Batch> micro_batches;
    std::vector<std::vector<int64_t>> micro_ids;
    std::vector<std::vector<int32_t>> micro_domains;
    int64_t step_trained = 0;
    for (int64_t micro = 0; micro < o.gradient_accumulation_steps; ++micro) {
      std::vector<const Sample*> samples;
      micro_ids.push_back(s.policy->next(o.batch_size));
      for (int64_t id : micro_ids.back()) samples.push_back(&s.corpus.train[static_cast<std::size_t>(id)]);
      micro_domains.push_back(s.batch_domains(samples));
      micro_batches.push_back(s.collate(samples));
      step_trained += (micro_batches.back().labels.narrow(1, 1, micro_batches.back().labels.size(1) - 1) != kIgnoreIndex)
                          .sum()
                          .item<int64_t>();
      window_tokens += micro_batches.back().tokens;
    }
    double step_loss = 0.0;
    const std::vector<double> domain_weights = s.policy->domain_loss_weights();
    for (std::size_t mb = 0; mb < micro_batches.size(); ++mb) {
      const Batch& b = micro_batches[mb];
#ifdef DATAFLEX_WITH_CUDA
      // bf16 autocast on CUDA (f32 master weights and optimizer state); CPU always trains in f32.
      // Not compiled on the CPU-only Debian LibTorch this project is tested with.
      at::Tensor token_losses;
      {
        struct AutocastScope {
          explicit AutocastScope(bool on) {
            at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
            at::autocast::set_enabled(on);
          }
          ~AutocastScope() {
            at::autocast::set_enabled(false);
            at::autocast::clear_cache();
          }
        } scope(o.bf16 && s.model->device().is_cuda());
        token_losses = s.model->token_losses(b.input_ids, b.labels).to(at::kFloat);
      }
#else
      at::Tensor token_losses = s.model->token_losses(b.input_ids, b.labels);
#endif
      // What the mixer observes: each domain's training loss since its last call.
      const at::Tensor trained = (b.labels.narrow(1, 1, b.labels.size(1) - 1) != kIgnoreIndex);
      const at::Tensor sample_tokens = trained.sum(1).to(at::kCPU);
      if (s.policy->observes_losses()) {
        const at::Tensor sums = token_losses.detach().sum(1).to(at::kCPU).to(at::kDouble).contiguous();
        const auto sa = sums.accessor<double, 1>();
        const auto ta = sample_tokens.accessor<int64_t, 1>();
        for (int64_t i = 0; i < sums.size(0); ++i) s.policy->observe(micro_domains[mb][static_cast<std::size_t>(i)], sa[i], ta[i]);
      }
      at::Tensor loss;
      if (s.policy->weights_samples()) {
        // Weight trainer: each sample's mean token loss, weighted by the weighter (uniform before warm-up).
        const at::Tensor per_sample = token_losses.sum(1) / sample_tokens.to(token_losses.device()).clamp_min(1).to(at::kFloat);
        const at::Tensor detached = per_sample.detach().to(at::kCPU).contiguous();
        std::vector<float> losses(detached.data_ptr<float>(), detached.data_ptr<float>() + detached.numel());
        const std::vector<double> w = s.policy->sample_weights(step, micro_ids[mb], micro_domains[mb], losses);
        at::Tensor wt = at::tensor(std::vector<float>(w.begin(), w.end())).to(per_sample.device());
        loss = (wt * per_sample).sum() / wt.sum().clamp_min(1e-12) / static_cast<double>(micro_batches.size());
      } else if (!domain_weights.empty()) {
        // Mix with apply = loss_weight (DoReMi's proxy training): each domain's tokens weighted by K p_d.
        std::vector<float> w;
        for (int32_t d : micro_domains[mb]) w.push_back(static_cast<float>(domain_weights[static_cast<std::size_t>(d)]));
        at::Tensor wt = at::tensor(w).to(token_losses.device()).unsqueeze(1);
        loss = (token_losses * wt).sum() / static_cast<double>(std::max<int64_t>(1, step_trained));
      } else {
        loss = token_losses.sum() / static_cast<double>(std::max<int64_t>(1, step_trained));
      }
      loss.backward();
      step_loss += loss.item<double>();
    }
    if (!std::isfinite(step_loss))
      throw Error("training diverged: loss is " + std::to_string(step_loss) + " at step " + std::to_string(step + 1) +
                  " (lower training.learning_rate?)");
    const double norm = o.max_grad_norm > 0 ? torch::nn::utils::clip_grad_norm_(params, o.max_grad_norm)
                                            : torch::nn::utils::clip_grad_norm_(params, 1e30);
    s.optimizer->step();
    s.host->set_weights_changed();
    model_lock.unlock();
    log_plugin_metrics();  // the weighter's, recorded during this step

    const int64_t done = step + 1;
    window_loss += step_loss;
    all_loss += step_loss;
    ++window_steps;
    const double window_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
    const double tps = window_s > 0 ? static_cast<double>(window_tokens) / window_s : 0.0;
    const bool log_now = done % o.logging_steps == 0 || done == s.total_steps;
    progress.update(done, step_loss, tps, elapsed(), log_now);
    if (log_now) {
      log.log_train({done, window_loss / static_cast<double>(window_steps), norm, s.schedule.at(done), s.policy->epoch(),
                     tps, elapsed()});
      window_loss = 0.0;
      window_steps = window_tokens = 0;
      window_start = std::chrono::steady_clock::now();
    }
    if (o.eval_steps > 0 && done % o.eval_steps == 0 && done != s.total_steps && !s.corpus.eval.empty()) {
      const auto eval_start = std::chrono::steady_clock::now();
      auto metrics = s.evaluate();
      window_start += std::chrono::steady_clock::now() - eval_start;  // throughput counts training only
      log.log_eval(done, s.policy->epoch(), metrics, elapsed());
      progress.message(fmt::format("step {}: eval_loss {:.4f}", done, metrics["eval_loss"]));
    }
    // Checkpoints every save_steps, and at the end (as recent transformers does), so that a finished
    // run started again has nothing left to redo.
    if (o.save_steps > 0 && (done % o.save_steps == 0 || done == s.total_steps)) {
      const auto save_start = std::chrono::steady_clock::now();
      save(done);
      window_start += std::chrono::steady_clock::now() - save_start;
    }
  }
  progress.finish();

  result.global_step = s.total_steps;
  result.train_loss = all_loss / static_cast<double>(s.total_steps);
  result.train_runtime_s = elapsed();
  result.eval = s.evaluate();
  if (!result.eval.empty()) log.log_eval(s.total_steps, s.policy->epoch(), result.eval, elapsed());

  // The final model (or adapter) and tokenizer, in Hugging Face layout, at the top of output_dir.
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

  std::map<std::string, double> train_metrics = {
      {"train_loss", result.train_loss},
      {"train_runtime", result.train_runtime_s},
      {"train_steps_per_second", static_cast<double>(s.total_steps) / std::max(1e-9, result.train_runtime_s)},
      {"train_samples_per_second",
       static_cast<double>(s.total_steps * o.batch_size * o.gradient_accumulation_steps) / std::max(1e-9, result.train_runtime_s)}};
  log.log_final(s.total_steps, s.policy->epoch(), train_metrics);
  write_file_atomically((fs::path(o.output_dir) / "trainer_state.json").string(),
                        log.trainer_state(s.total_steps, s.policy->epoch(), {{"save_steps", o.save_steps}}));
  nlohmann::ordered_json all, train_json, eval_json;
  all["epoch"] = train_json["epoch"] = s.policy->epoch();
  for (const auto& [k, v] : train_metrics) all[k] = train_json[k] = v;
  for (const auto& [k, v] : result.eval) all[k] = eval_json[k] = v;
  write_file_atomically((fs::path(o.output_dir) / "all_results.json").string(), all.dump(2) + "\n");
  write_file_atomically((fs::path(o.output_dir) / "train_results.json").string(), train_json.dump(2) + "\n");
  if (!result.eval.empty())
    write_file_atomically((fs::path(o.output_dir) / "eval_results.json").string(), eval_json.dump(2) + "\n");
  return result;
} catch (const c10::Error& e) {
  throw Error("LibTorch: " + one_line(e.what_without_backtrace()));
}

}  // namespace dataflex
