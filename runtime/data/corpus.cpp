#include "data/corpus.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "data/chat_template.hpp"
#include "data/conversation.hpp"
#include "data/dataset_files.hpp"
#include "data/dataset_info.hpp"
#include "data/domain_split.hpp"
#include "data/sample_encoding.hpp"
#include "data/tokenizer.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

void check_options(const DataOptions& o) {
  if (o.dataset.empty()) throw Error("dataset: expected at least one dataset name from dataset_info.json");
  for (size_t i = 0; i < o.dataset.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (o.dataset[i] == o.dataset[j])
        throw Error("dataset: '" + o.dataset[i] + "' is listed twice; every dataset is one domain");
  if (o.stage != "sft" && o.stage != "pt")
    throw Error("stage: '" + o.stage + "' is not supported, expected sft or pt" + did_you_mean(o.stage, {"sft", "pt"}));
  if (o.cutoff_len <= 0)
    throw Error("cutoff_len: expected a positive number of tokens, found " + std::to_string(o.cutoff_len));
  if (!std::isfinite(o.val_size) || o.val_size < 0)
    throw Error("val_size: expected a fraction in [0, 1) or a number of samples >= 1");
  if (o.max_samples < 0) throw Error("max_samples: expected 0 (all) or a positive number");
  for (size_t i = 0; i < o.eval_dataset.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (o.eval_dataset[i] == o.eval_dataset[j])
        throw Error("eval_dataset: '" + o.eval_dataset[i] + "' is listed twice");
  if (!o.eval_dataset.empty() && o.val_size != 0)
    throw Error("eval_dataset: the eval set is given, so val_size must be 0 (found " + std::to_string(o.val_size) +
                "; LLaMA-Factory's rule too)");
  if (o.packing && o.stage != "pt")
    throw Error("packing: supported for stage pt only (LLaMA-Factory's knapsack packing of sft samples is not)");
}

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string describe(const DatasetAttr& attr) { return "dataset '" + attr.name + "' (" + attr.file_path + ")"; }

// "FILE:LINE", or "FILE:LINE-LINE" / "FILE:LINE-FILE2:LINE" for a range of rows.
std::string source_range(const DatasetRows& rows, const DatasetRow& first, const DatasetRow& last) {
  std::string s = rows.where(first);
  if (last.file != first.file) return s + "-" + rows.where(last);
  if (last.line != first.line) s += "-" + std::to_string(last.line);
  return s;
}

struct DomainSamples {
  std::vector<Sample> train, eval;
};

class CorpusBuilder {
 public:
  CorpusBuilder(const DataOptions& options, const Tokenizer& tokenizer)
      : o_(options),
        tokenizer_(tokenizer),
        template_(find_chat_template(options.template_name)),
        encoder_(template_, tokenizer) {
    // Pre-training EOS: processor/pretrain.py writes "<|end_of_text|>" for the llama3 template and the
    // (possibly replaced) eos_token otherwise.
    pt_eos_ = encoder_.eos_id();
    if (template_.name == "llama3")
      if (const auto id = tokenizer.token_to_id("<|end_of_text|>")) pt_eos_ = *id;
    // LLaMA-Factory prepends BOS to pre-training text when the tokenizer adds it (add_bos_token);
    // here: when encoding with special tokens starts with BOS.
    const auto bos = tokenizer.bos_id();
    if (bos) {
      const std::vector<int32_t> probe = tokenizer.encode("", /*add_special_tokens=*/true);
      if (!probe.empty() && probe.front() == *bos) pt_bos_ = bos;
    }
  }

  DomainSamples domain(const DatasetAttr& attr, int32_t domain_index) const {
    std::error_code ec;
    if (!std::filesystem::exists(attr.file_path, ec))
      throw Error(attr.info_path + ": dataset '" + attr.name + "': file_name: " + attr.file_path + " does not exist");
    const DatasetRows rows = read_dataset_rows(attr.file_path, o_.max_samples);
    if (rows.rows.empty()) throw Error(describe(attr) + ": no samples (the file holds no rows)");
    const SplitRows split = split_rows(rows.rows.size(), o_.val_size, o_.seed);
    if (split.train.empty())
      throw Error(describe(attr) + ": val_size " + number_text(o_.val_size) + " holds out all " +
                  std::to_string(rows.rows.size()) + " samples, none is left for training");

    DomainSamples out;
    if (o_.stage == "sft") {
      std::vector<Conversation> conversations;
      conversations.reserve(rows.rows.size());
      for (const auto& row : rows.rows) conversations.push_back(to_conversation(attr, row.value, rows.where(row)));
      out.train = supervised(rows, conversations, split.train, domain_index);
      out.eval = supervised(rows, conversations, split.eval, domain_index);
    } else {
      std::vector<std::vector<int32_t>> sequences;
      sequences.reserve(rows.rows.size());
      for (const auto& row : rows.rows) {
        std::vector<int32_t> ids = tokenizer_.encode(to_pretrain_text(attr, row.value, rows.where(row)), false);
        ids.push_back(pt_eos_);
        sequences.push_back(std::move(ids));
      }
      out.train = pretrain(rows, sequences, split.train, domain_index);
      out.eval = pretrain(rows, sequences, split.eval, domain_index);
      if (out.train.empty()) {
        int64_t tokens = 0;
        for (size_t i : split.train) tokens += static_cast<int64_t>(sequences[i].size());
        throw Error(describe(attr) + ": no training sample: packing cuts blocks of cutoff_len " +
                    std::to_string(o_.cutoff_len) + " tokens and the domain's training rows hold only " +
                    std::to_string(tokens));
      }
    }
    return out;
  }

 private:
  std::vector<Sample> supervised(const DatasetRows& rows, const std::vector<Conversation>& conversations,
                                 const std::vector<size_t>& indices, int32_t domain_index) const {
    std::vector<Sample> samples;
    samples.reserve(indices.size());
    for (size_t i : indices) {
      const std::string where = rows.where(rows.rows[i]);
      TokenSequence seq = encode_supervised(encoder_.encode_multiturn(conversations[i], where), o_.cutoff_len,
                                            o_.train_on_prompt, template_.efficient_eos, encoder_.eos_id());
      Sample s;
      s.domain = domain_index;
      s.input_ids = std::move(seq.input_ids);
      s.labels = std::move(seq.labels);
      s.source = where;
      samples.push_back(std::move(s));
    }
    return samples;
  }

  std::vector<Sample> pretrain(const DatasetRows& rows, const std::vector<std::vector<int32_t>>& sequences,
                               const std::vector<size_t>& indices, int32_t domain_index) const {
    std::vector<Sample> samples;
    if (!o_.packing) {
      for (size_t i : indices) {
        Sample s;
        s.domain = domain_index;
        if (pt_bos_) s.input_ids.push_back(*pt_bos_);
        s.input_ids.insert(s.input_ids.end(), sequences[i].begin(), sequences[i].end());
        if (static_cast<int64_t>(s.input_ids.size()) > o_.cutoff_len)
          s.input_ids.resize(static_cast<size_t>(o_.cutoff_len));
        s.labels = s.input_ids;
        s.source = rows.where(rows.rows[i]);
        samples.push_back(std::move(s));
      }
      return samples;
    }
    std::vector<std::vector<int32_t>> split_sequences;
    split_sequences.reserve(indices.size());
    for (size_t i : indices) split_sequences.push_back(sequences[i]);
    for (auto& block : pack_blocks(split_sequences, o_.cutoff_len)) {
      Sample s;
      s.domain = domain_index;
      s.input_ids = std::move(block.input_ids);
      if (pt_bos_) s.input_ids.front() = *pt_bos_;  // pretrain.py overwrites each block's first id with BOS
      s.labels = s.input_ids;
      s.source = source_range(rows, rows.rows[indices[block.first_sequence]], rows.rows[indices[block.last_sequence]]);
      samples.push_back(std::move(s));
    }
    return samples;
  }

  const DataOptions& o_;
  const Tokenizer& tokenizer_;
  const ChatTemplate& template_;
  TemplateEncoder encoder_;
  int32_t pt_eos_ = 0;
  std::optional<int32_t> pt_bos_;
};

}  // namespace

Corpus load_corpus(const DataOptions& options, const Tokenizer& tokenizer) {
  check_options(options);
  const CorpusBuilder builder(options, tokenizer);  // checks the template before any file is read
  const std::vector<DatasetAttr> attrs = read_dataset_info(options.dataset_dir, options.dataset, options.stage);

  Corpus corpus;
  corpus.domains = options.dataset;
  for (size_t d = 0; d < attrs.size(); ++d) {
    DomainSamples samples = builder.domain(attrs[d], static_cast<int32_t>(d));
    for (auto& s : samples.train) corpus.train.push_back(std::move(s));
    for (auto& s : samples.eval) corpus.eval.push_back(std::move(s));
  }
  if (!options.eval_dataset.empty()) {
    // Whole datasets, each an eval domain of its own (val_size is 0: every row lands in "train").
    corpus.eval_domains = options.eval_dataset;
    const std::vector<DatasetAttr> eval_attrs =
        read_dataset_info(options.dataset_dir, options.eval_dataset, options.stage);
    for (size_t d = 0; d < eval_attrs.size(); ++d)
      for (auto& s : builder.domain(eval_attrs[d], static_cast<int32_t>(d)).train) corpus.eval.push_back(std::move(s));
  }
  for (size_t i = 0; i < corpus.train.size(); ++i) corpus.train[i].id = static_cast<int64_t>(i);
  for (size_t i = 0; i < corpus.eval.size(); ++i) corpus.eval[i].id = static_cast<int64_t>(i);
  return corpus;
}

}  // namespace dataflex
