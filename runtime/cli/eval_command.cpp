// dataflex-run eval: how well a model predicts a dataset, sample by sample and domain by domain,
// and its multiple-choice accuracy by log-likelihood (as lm-evaluation-harness scores MMLU-style
// tasks: the answer is the choice whose continuation is most likely; acc_norm divides by its length
// in bytes).
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "config/run_config.hpp"
#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "model/llama_model.hpp"
#include "model/padded_batch.hpp"
#include "train/trainer.hpp"
#include "train/training_options.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex::cli {
namespace fs = std::filesystem;
namespace {

struct Scored {
  double nll_sum = 0.0;  // summed negative log-likelihood of the labelled tokens
  int64_t tokens = 0;
};

// Summed NLL of the labelled tokens of each sample, in batches of `batch_size`.
std::vector<Scored> score(const LlamaModel& model, const Tokenizer& tokenizer, const std::vector<const Sample*>& samples,
                          int64_t batch_size) {
  at::NoGradGuard no_grad;
  std::vector<Scored> out(samples.size());
  const int32_t pad = tokenizer.pad_id().value_or(0);
  for (std::size_t first = 0; first < samples.size(); first += static_cast<std::size_t>(batch_size)) {
    const std::size_t last = std::min(samples.size(), first + static_cast<std::size_t>(batch_size));
    const PaddedBatch b = pad_batch({samples.begin() + first, samples.begin() + last}, pad);
    const at::Tensor losses = model.token_losses(b.input_ids, b.labels).to(at::kCPU).to(at::kDouble).sum(1);
    const at::Tensor counts = (b.labels.narrow(1, 1, b.labels.size(1) - 1) != kIgnoreIndex).sum(1);
    for (std::size_t i = first; i < last; ++i) {
      out[i].nll_sum = losses[static_cast<int64_t>(i - first)].item<double>();
      out[i].tokens = counts[static_cast<int64_t>(i - first)].item<int64_t>();
    }
  }
  return out;
}

struct Question {
  std::string question;
  std::vector<std::string> choices;
  int64_t answer = 0;
};

std::vector<Question> read_questions(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open");
  std::vector<Question> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error(where + ": expected a JSON object {question, choices, answer}");
    Question q;
    if (!j.contains("question") || !j["question"].is_string()) throw Error(where + ": question: expected a string");
    q.question = j["question"];
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].size() < 2)
      throw Error(where + ": choices: expected a list of at least two strings");
    for (const auto& c : j["choices"]) {
      if (!c.is_string()) throw Error(where + ": choices: expected strings");
      q.choices.push_back(c);
    }
    const auto& a = j.contains("answer") ? j["answer"] : nlohmann::json();
    if (a.is_number_integer()) {
      q.answer = a;
    } else if (a.is_string() && a.get<std::string>().size() == 1 && std::isupper(static_cast<unsigned char>(a.get<std::string>()[0]))) {
      q.answer = a.get<std::string>()[0] - 'A';  // MMLU's letter answers
    } else {
      throw Error(where + ": answer: expected the index of the right choice (or its letter A, B, ...)");
    }
    if (q.answer < 0 || q.answer >= static_cast<int64_t>(q.choices.size()))
      throw Error(where + ": answer " + std::to_string(q.answer) + " is not an index into the " +
                  std::to_string(q.choices.size()) + " choices");
    out.push_back(std::move(q));
  }
  if (out.empty()) throw Error(path + ": no questions");
  return out;
}

}  // namespace

int evaluate(const EvalOptions& eo) try {
  const RunConfig cfg = RunConfig::load(eo.config, eo.overrides);
  TrainingOptions o = TrainingOptions::from_config(cfg);
  if (!eo.model.empty()) o.model_name_or_path = eo.model;
  configure_threads(o.num_threads);
  const bool builtin = o.model_name_or_path.rfind("builtin:", 0) == 0;
  if (!builtin && !fs::is_directory(o.model_name_or_path))
    throw Error("model: \"" + o.model_name_or_path + "\" is not a folder (nothing is downloaded here)");
  auto tokenizer = !o.tokenizer.empty() ? Tokenizer::load(o.tokenizer)
                   : builtin            ? Tokenizer::builtin_bytes()
                                        : Tokenizer::load(o.model_name_or_path);
  auto model = load_model(o.model_name_or_path, tokenizer->vocab_size(), o.seed, "cpu");
  if (model->config().vocab_size < tokenizer->vocab_size())
    throw Error("model: vocab_size " + std::to_string(model->config().vocab_size) + " is smaller than the tokenizer's " +
                std::to_string(tokenizer->vocab_size()) + " ids");
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

  if (!o.data.dataset.empty()) {
    if (eo.split == "eval" && o.data.val_size <= 0)
      throw Error(cfg.path() + ": data.val_size is 0, so there is no eval split: set it, or use --split train|all");
    const Corpus corpus = load_corpus(o.data, *tokenizer);
    struct Item { const Sample* sample; const char* split; };
    std::vector<Item> items;
    if (eo.split != "eval") for (const auto& s : corpus.train) items.push_back({&s, "train"});
    if (eo.split != "train") for (const auto& s : corpus.eval) items.push_back({&s, "eval"});
    std::vector<const Sample*> to_score;
    for (const auto& it : items) to_score.push_back(it.sample);
    const auto scored = score(*model, *tokenizer, to_score, eo.batch_size);
    std::string lines;
    std::vector<double> dom_nll(corpus.domains.size(), 0.0);
    std::vector<int64_t> dom_tok(corpus.domains.size(), 0), dom_n(corpus.domains.size(), 0);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Sample& s = *items[i].sample;
      const double loss = scored[i].tokens > 0 ? scored[i].nll_sum / static_cast<double>(scored[i].tokens) : 0.0;
      nlohmann::ordered_json l;
      l["id"] = s.id;
      l["split"] = items[i].split;
      l["domain"] = corpus.domains[static_cast<std::size_t>(s.domain)];
      l["source"] = s.source;
      l["tokens"] = scored[i].tokens;
      l["loss"] = loss;
      l["perplexity"] = std::exp(loss);
      lines += l.dump() + "\n";
      dom_nll[static_cast<std::size_t>(s.domain)] += scored[i].nll_sum;
      dom_tok[static_cast<std::size_t>(s.domain)] += scored[i].tokens;
      ++dom_n[static_cast<std::size_t>(s.domain)];
    }
    write_file_atomically((fs::path(eo.output_dir) / "samples.jsonl").string(), lines);
    double nll = 0;
    int64_t tok = 0;
    nlohmann::ordered_json domains;
    for (std::size_t d = 0; d < corpus.domains.size(); ++d) {
      nll += dom_nll[d];
      tok += dom_tok[d];
      if (dom_n[d] == 0) continue;
      const double loss = dom_tok[d] > 0 ? dom_nll[d] / static_cast<double>(dom_tok[d]) : 0.0;
      domains[corpus.domains[d]] = {{"samples", dom_n[d]}, {"tokens", dom_tok[d]}, {"loss", loss}, {"perplexity", std::exp(loss)}};
      std::cout << fmt::format("{:<24} {:>6} samples {:>9} tokens  loss {:.4f}  ppl {:.2f}\n", corpus.domains[d], dom_n[d],
                               dom_tok[d], loss, std::exp(loss));
    }
    const double loss = tok > 0 ? nll / static_cast<double>(tok) : 0.0;
    summary["split"] = eo.split;
    summary["samples"] = items.size();
    summary["tokens"] = tok;
    summary["loss"] = loss;
    summary["perplexity"] = std::exp(loss);
    summary["domains"] = domains;
    std::cout << fmt::format("{:<24} {:>6} samples {:>9} tokens  loss {:.4f}  ppl {:.2f}\n", "all", items.size(), tok, loss,
                             std::exp(loss));
  }

  if (!eo.multiple_choice.empty()) {
    const auto questions = read_questions(eo.multiple_choice);
    std::vector<Sample> choices;  // question + " " + choice, only the choice's tokens labelled
    std::vector<std::size_t> choice_bytes;
    for (const auto& q : questions) {
      // As lm-evaluation-harness: encode context + continuation together, so that tokens that merge
      // across the boundary (and tokenizers that prepend a space marker) tokenize as in running text;
      // the continuation is what follows the context's own tokens.
      const std::string ctx_text = "Question: " + q.question + "\nAnswer:";
      const std::vector<int32_t> ctx = tokenizer->encode(ctx_text, true);
      for (const auto& c : q.choices) {
        const std::vector<int32_t> whole = tokenizer->encode(ctx_text + " " + c, true);
        std::size_t common = 0;
        while (common < ctx.size() && common < whole.size() && ctx[common] == whole[common]) ++common;
        if (common == whole.size()) --common;  // at least one continuation token is scored
        Sample scored_choice;
        scored_choice.input_ids = whole;
        scored_choice.labels.assign(whole.size(), kIgnoreIndex);
        for (std::size_t t = common; t < whole.size(); ++t) scored_choice.labels[t] = whole[t];
        choices.push_back(std::move(scored_choice));
        choice_bytes.push_back(c.size() + 1);
      }
    }
    std::vector<const Sample*> to_score;
    for (const auto& c : choices) to_score.push_back(&c);
    const auto scored = score(*model, *tokenizer, to_score, eo.batch_size);
    int64_t right = 0, right_norm = 0;
    std::size_t k = 0;
    for (const auto& q : questions) {
      int64_t best = 0, best_norm = 0;
      double best_ll = -1e300, best_ll_norm = -1e300;
      for (std::size_t c = 0; c < q.choices.size(); ++c, ++k) {
        const double ll = -scored[k].nll_sum, ll_norm = ll / static_cast<double>(choice_bytes[k]);
        if (ll > best_ll) best_ll = ll, best = static_cast<int64_t>(c);
        if (ll_norm > best_ll_norm) best_ll_norm = ll_norm, best_norm = static_cast<int64_t>(c);
      }
      right += best == q.answer;
      right_norm += best_norm == q.answer;
    }
    const double n = static_cast<double>(questions.size());
    summary["multiple_choice"] = {{"file", eo.multiple_choice}, {"questions", questions.size()},
                                  {"acc", static_cast<double>(right) / n}, {"acc_norm", static_cast<double>(right_norm) / n}};
    std::cout << fmt::format("multiple choice: {} questions  acc {:.4f}  acc_norm {:.4f}\n", questions.size(),
                             static_cast<double>(right) / n, static_cast<double>(right_norm) / n);
  }
  write_file_atomically((fs::path(eo.output_dir) / "summary.json").string(), summary.dump(2) + "\n");
  std::cout << "output:    " << eo.output_dir << "\n";
  return 0;
} catch (const c10::Error& e) {
  throw Error("LibTorch: " + one_line(e.what_without_backtrace()));
}

}  // namespace dataflex::cli
