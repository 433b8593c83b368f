// dataflex-run features: the gradient features (or embeddings) of a dataset at a model or at a
// training checkpoint, into an .npy or safetensors file -- LESS's offline workflow (warm-up run,
// features at each checkpoint, selection, training) with our tools. The features are the host
// service's own (ModelHost), so a plugin reading the file sees what it would have computed. Part of
// the engine library.
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/optim/adamw.h>
#include <unistd.h>
#include <dataflex/npy.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "cli/commands.hpp"
#include "config/run_config.hpp"
#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "model/llama_model.hpp"
#include "model/model_loading.hpp"
#include "model/safetensors.hpp"
#include "signals/model_host.hpp"
#include "train/checkpoint.hpp"
#include "train/host_factory.hpp"
#include "train/optimizer_sharding.hpp"
#include "train/trainer.hpp"
#include "train/training_log.hpp"
#include "train/training_options.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex::cli {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

dfx_projection projection_of(const std::string& s) {
  return s == "none" ? DFX_PROJECTION_NONE : s == "dense" ? DFX_PROJECTION_DENSE : DFX_PROJECTION_FACTORED;
}
dfx_pooling pooling_of(const std::string& s) {
  return s == "last"                ? DFX_POOLING_LAST_TOKEN
         : s == "first"             ? DFX_POOLING_FIRST_TOKEN
         : s == "position_weighted" ? DFX_POOLING_POSITION_WEIGHTED
                                    : DFX_POOLING_MEAN;
}

// "features: 128/1070 samples (12%), 3.1 samples/s, 5m 04s left": redrawn on a terminal, a line per
// tenth otherwise.
class FeatureProgress {
 public:
  explicit FeatureProgress(size_t total) : total_(total), tty_(isatty(fileno(stderr)) != 0), t0_(Clock::now()) {}
  void update(size_t done) {
    const double s = std::chrono::duration<double>(Clock::now() - t0_).count();
    const double rate = s > 0 ? double(done) / s : 0.0;
    const int tenth = total_ ? int(10 * done / total_) : 10;
    if (!tty_ && tenth == last_tenth_) return;
    last_tenth_ = tenth;
    const std::string line = fmt::format("features: {}/{} samples ({}%), {:.1f} samples/s, {} left", done, total_,
                                         total_ ? 100 * done / total_ : 100, rate,
                                         rate > 0 ? format_duration(double(total_ - done) / rate) : std::string("?"));
    std::fprintf(stderr, tty_ ? "\r%s\033[K" : "%s\n", line.c_str());
    if (tty_ && done == total_) std::fputc('\n', stderr);
  }

 private:
  size_t total_;
  bool tty_;
  Clock::time_point t0_;
  int last_tenth_ = -1;
};

}  // namespace

std::string extract_features(const FeaturesOptions& fo) {
  const std::string ext = fs::path(fo.out).extension().string();
  if (ext != ".npy" && ext != ".safetensors")
    throw Error("--out " + fo.out + ": expected a file name ending in .npy or .safetensors");
  const RunConfig cfg = RunConfig::load(fo.config, fo.overrides);
  TrainingOptions o = TrainingOptions::from_config(cfg);
  configure_threads(o.num_threads);
  const auto tokenizer = Tokenizer::for_model(o.model_name_or_path, o.tokenizer);
  const Corpus corpus = load_corpus(o.data, *tokenizer);
  auto model =
      load_model_for(o.model_name_or_path, *tokenizer, o.seed, resolve_device(o.device), "model.model_name_or_path");
  prepare_finetuning(*model, o);
  auto optimizer = make_adamw(*model, o);
  int64_t at_step = 0;
  if (!fo.checkpoint.empty()) {
    if (!fs::is_directory(fo.checkpoint)) throw Error("--checkpoint " + fo.checkpoint + ": not a folder");
    at_step = load_checkpoint(fo.checkpoint, *model, *optimizer, [&](const std::string& dir) {
                load_whole_optimizer_state(*optimizer, *model, dir);
              }).step;
  } else if (fo.preconditioner == "adam") {
    throw Error("--preconditioner adam needs the optimizer's moments: give --checkpoint DIR (a checkpoint-N folder)");
  }
  model->set_training(false);
  auto host = make_model_host(o, corpus, *tokenizer, *model, optimizer.get());

  const bool train = fo.split == "train";
  const size_t n = train ? corpus.train.size() : corpus.eval.size();
  if (n == 0) throw Error(fo.config + ": the " + fo.split + " split is empty" + (train ? "" : " (set data.val_size)"));
  const host::Dataset dataset = train ? host::Dataset::Train : host::Dataset::Eval;
  host::GradientRequest g;
  g.dataset = dataset;
  g.preconditioner = fo.preconditioner == "adam" ? DFX_PRECONDITIONER_ADAM : DFX_PRECONDITIONER_SGD;
  g.projection = projection_of(fo.projection);
  g.projection_dim = static_cast<uint32_t>(fo.proj_dim);
  g.projection_seed = fo.seed;
  g.parameter_filter = host::parameter_filter_of(fo.parameter_filter);
  host::EmbeddingRequest e;
  e.dataset = dataset;
  e.layer = fo.layer;
  e.pooling = pooling_of(fo.pooling);
  e.normalize = fo.normalize;
  const bool gradients = fo.kind == "gradients";
  const size_t cols = gradients ? host->gradient_feature_dim(g) : host->embedding_dim(e);
  if (cols * n > (size_t{1} << 34))
    throw Error(
        fmt::format("{} x {} features would take {:.1f} GB: lower --proj-dim", n, cols, double(cols * n) * 4e-9));

  std::vector<float> all;
  all.reserve(n * cols);
  FeatureProgress progress(n);
  for (size_t begin = 0; begin < n; begin += static_cast<size_t>(fo.chunk)) {
    host::SampleIds ids(std::min(n, begin + static_cast<size_t>(fo.chunk)) - begin);
    std::iota(ids.begin(), ids.end(), static_cast<int64_t>(begin));
    const std::vector<float> rows = gradients ? host->gradient_features(g, ids) : host->embeddings(e, ids);
    all.insert(all.end(), rows.begin(), rows.end());
    progress.update(begin + ids.size());
  }
  const auto rows = static_cast<int64_t>(n), width = static_cast<int64_t>(cols);
  if (ext == ".npy") {
    write_file_atomically(fo.out, npy::serialize(all.data(), rows, width));
  } else {
    write_safetensors(fo.out, {{"features", DType::F32, {rows, width}, all.data(), all.size() * sizeof(float)}},
                      {{"format", "dataflex-features"}, {"split", fo.split}, {"kind", fo.kind}});
  }
  return fmt::format("wrote {} {} x {} ({} of the {} split{}) to {}", gradients ? "gradient features" : "embeddings",
                     rows, width, gradients ? fo.preconditioner + ", " + fo.projection : "embeddings", fo.split,
                     fo.checkpoint.empty() ? "" : fmt::format(", checkpoint at step {}", at_step), fo.out);
}

}  // namespace dataflex::cli
