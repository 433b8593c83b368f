// corpus.hpp -- LLaMA-Factory datasets turned into tokenized, domain-labelled training samples.
//
// `dataset_dir/dataset_info.json` names the datasets (alpaca or sharegpt format, .json or .jsonl,
// or pre-training text with column `text`); every entry of `dataset` is a domain. Supervised samples
// are rendered with a chat template and their prompt tokens masked from the labels (unless
// train_on_prompt); pre-training text is tokenized, EOS-terminated and, with packing, concatenated
// into blocks of cutoff_len that never cross a domain boundary. val_size holds out an evaluation
// split per domain. No LibTorch here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dataflex {

class Tokenizer;

constexpr int32_t kIgnoreIndex = -100;  // label of a token that is not trained on (HF convention)

struct DataOptions {
  std::string dataset_dir = "data";
  std::vector<std::string> dataset;       // names in dataset_info.json; one domain each
  std::vector<std::string> eval_dataset;  // LLaMA-Factory's eval_dataset: the eval set, whole (val_size 0)
  std::string stage = "sft";              // "sft" (alpaca/sharegpt) or "pt" (plain text)
  std::string template_name = "default";  // chat template: default, llama3, qwen, empty
  int64_t cutoff_len = 512;
  bool train_on_prompt = false;
  bool packing = false;     // pt: concatenate samples of a domain into cutoff_len blocks
  double val_size = 0.0;    // < 1: fraction per domain; >= 1: number of samples per domain
  int64_t max_samples = 0;  // per domain, 0 = all (taken before tokenization, in file order)
  uint64_t seed = 42;       // shuffles before the val split
};

struct Sample {
  int64_t id = 0;      // index in its split (train or eval), stable for a given config and data
  int32_t domain = 0;  // index into Corpus::domains
  std::vector<int32_t> input_ids;
  std::vector<int32_t> labels;  // same length; kIgnoreIndex where not trained on
  std::string source;           // "FILE:LINE" (or "FILE:LINE-LINE" for a packed block), for messages
};

struct Corpus {
  std::vector<std::string> domains;  // names, in the order of DataOptions::dataset
  std::vector<Sample> train;
  std::vector<Sample> eval;  // empty when val_size == 0 and no eval_dataset is given
  // The names of DataOptions::eval_dataset, which the eval samples' `domain` indexes; empty when the
  // eval set is a held-out part of each training domain.
  std::vector<std::string> eval_domains;
  // The names the eval samples' `domain` indexes.
  const std::vector<std::string>& eval_domain_names() const { return eval_domains.empty() ? domains : eval_domains; }
};

// Loads, renders, tokenizes and splits. Throws dataflex::Error with a one-line message naming the
// file and line (malformed JSON line, missing column, wrong type), or the dataset name (unknown name,
// with a "did you mean"), or the key (unsupported formatting / template).
Corpus load_corpus(const DataOptions& options, const Tokenizer& tokenizer);

}  // namespace dataflex
