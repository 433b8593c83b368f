// dataflex-run eval: how well a model predicts a dataset, sample by sample and domain by domain
// (samples.jsonl, summary.json), and its multiple-choice accuracy. Part of the engine library.
#include "cli/commands.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "config/run_config.hpp"
#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "eval/multiple_choice.hpp"
#include "eval/scorer.hpp"
#include "model/llama_model.hpp"
#include "model/model_loading.hpp"
#include "train/trainer.hpp"
#include "train/training_options.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex::cli {
namespace fs = std::filesystem;
namespace {

std::string line_of(const std::string& name, int64_t samples, int64_t tokens, double loss) {
  return fmt::format("{:<24} {:>6} samples {:>9} tokens  loss {:.4f}  ppl {:.2f}", name, samples, tokens, loss,
                     std::exp(loss));
}

// Scores the chosen split(s): samples.jsonl, the summary's per-domain part, and the printed lines.
void evaluate_dataset(const LlamaModel& model, const Tokenizer& tokenizer, const TrainingOptions& o,
                      const EvalOptions& eo, nlohmann::ordered_json& summary, std::vector<std::string>& lines) {
  const Corpus corpus = load_corpus(o.data, tokenizer);
  if (eo.split == "all" && !corpus.eval_domains.empty())
    throw Error(
        "--split all: the eval set has domains of its own (data.eval_dataset); evaluate --split train and "
        "--split eval apart");
  const std::vector<std::string>& names = eo.split == "eval" ? corpus.eval_domain_names() : corpus.domains;
  std::vector<const Sample*> samples;
  std::vector<const char*> splits;
  if (eo.split != "eval")
    for (const auto& s : corpus.train) samples.push_back(&s), splits.push_back("train");
  if (eo.split != "train")
    for (const auto& s : corpus.eval) samples.push_back(&s), splits.push_back("eval");
  const auto scores = score_samples(model, samples, tokenizer.pad_id().value_or(0), eo.batch_size);
  std::string jsonl;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = *samples[i];
    nlohmann::ordered_json l;
    l["id"] = s.id;
    l["split"] = splits[i];
    l["domain"] = names[static_cast<std::size_t>(s.domain)];
    l["source"] = s.source;
    l["tokens"] = scores[i].tokens;
    l["loss"] = scores[i].mean_loss();
    l["perplexity"] = std::exp(scores[i].mean_loss());
    jsonl += l.dump() + "\n";
  }
  write_file_atomically((fs::path(eo.output_dir) / "samples.jsonl").string(), jsonl);
  const DomainScores by_domain = sum_by_domain(samples, scores, names.size());
  nlohmann::ordered_json domains;
  int64_t tokens = 0;
  for (std::size_t d = 0; d < names.size(); ++d) {
    tokens += by_domain.tokens[d];
    if (by_domain.samples[d] == 0) continue;
    const double loss = by_domain.tokens[d] > 0 ? by_domain.loss(d) : 0.0;
    domains[names[d]] = {{"samples", by_domain.samples[d]},
                         {"tokens", by_domain.tokens[d]},
                         {"loss", loss},
                         {"perplexity", std::exp(loss)}};
    lines.push_back(line_of(names[d], by_domain.samples[d], by_domain.tokens[d], loss));
  }
  const double loss = by_domain.overall_loss();
  summary["split"] = eo.split;
  summary["samples"] = samples.size();
  summary["tokens"] = tokens;
  summary["loss"] = loss;
  summary["perplexity"] = std::exp(loss);
  summary["domains"] = domains;
  lines.push_back(line_of("all", static_cast<int64_t>(samples.size()), tokens, loss));
}

}  // namespace

std::vector<std::string> run_evaluation(const EvalOptions& eo) try {
  const RunConfig cfg = RunConfig::load(eo.config, eo.overrides);
  TrainingOptions o = TrainingOptions::from_config(cfg);
  if (!eo.model.empty()) o.model_name_or_path = eo.model;
  configure_threads(o.num_threads);
  auto tokenizer = Tokenizer::for_model(o.model_name_or_path, o.tokenizer);
  auto model = load_model_for(o.model_name_or_path, *tokenizer, o.seed, "cpu", "model");
  const std::string adapter = !eo.adapter.empty() ? eo.adapter : o.adapter_name_or_path;
  if (!adapter.empty()) {
    load_lora_adapter(*model, adapter, o.seed);
    model->merge_lora();
  }
  model->set_training(false);
  fs::create_directories(eo.output_dir);
  nlohmann::ordered_json summary;
  summary["model"] = o.model_name_or_path;
  if (!adapter.empty()) summary["adapter"] = adapter;
  std::vector<std::string> lines;
  if (!o.data.dataset.empty()) {
    if (eo.split == "eval" && o.data.val_size <= 0 && o.data.eval_dataset.empty())
      throw Error(cfg.path() +
                  ": data.val_size is 0 and no data.eval_dataset is given, so there is no eval split: set one, or use "
                  "--split train|all");
    evaluate_dataset(*model, *tokenizer, o, eo, summary, lines);
  }
  if (!eo.multiple_choice.empty()) {
    const ChoiceAccuracy a =
        multiple_choice_accuracy(*model, *tokenizer, read_questions(eo.multiple_choice), eo.batch_size);
    summary["multiple_choice"] = {
        {"file", eo.multiple_choice}, {"questions", a.questions}, {"acc", a.acc}, {"acc_norm", a.acc_norm}};
    lines.push_back(
        fmt::format("multiple choice: {} questions  acc {:.4f}  acc_norm {:.4f}", a.questions, a.acc, a.acc_norm));
  }
  write_file_atomically((fs::path(eo.output_dir) / "summary.json").string(), summary.dump(2) + "\n");
  lines.push_back("output:    " + eo.output_dir);
  return lines;
} catch (const c10::Error& e) {
  throw Error("LibTorch: " + one_line(e.what_without_backtrace()));
}

}  // namespace dataflex::cli
