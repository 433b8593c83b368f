// dataset_test_support.hpp -- temporary dataset folders, error checks and byte tokenizers for the
// dataset tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "test_files.hpp"
#include "util/error.hpp"

namespace dataflex::test {

namespace fs = std::filesystem;

// Dataset folders are plain temporary folders (test_files.hpp), as is expect_error.
using DatasetDir = TempDir;

// Ids 0..255 are the bytes; then the special tokens, in order, from 256. Special-token strings in the
// text are recognised (longest first), as Hugging Face tokenizers do for added tokens.
class TestByteTokenizer : public Tokenizer {
 public:
  TestByteTokenizer(std::vector<std::string> specials, std::string bos, std::string eos, std::string pad = "",
                    bool bos_with_special_tokens = false)
      : specials_(std::move(specials)),
        bos_(std::move(bos)),
        eos_(std::move(eos)),
        pad_(std::move(pad)),
        bos_with_special_tokens_(bos_with_special_tokens) {}

  // Llama-3's special tokens (base model: EOS is <|end_of_text|>); bytes stand in for its BPE.
  static std::unique_ptr<TestByteTokenizer> llama3_like() {
    return std::make_unique<TestByteTokenizer>(
        std::vector<std::string>{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                                 "<|eot_id|>", "<|eom_id|>"},
        "<|begin_of_text|>", "<|end_of_text|>", "", /*bos_with_special_tokens=*/true);
  }
  // Qwen2's special tokens (base model: EOS is <|endoftext|>, no BOS).
  static std::unique_ptr<TestByteTokenizer> qwen_like() {
    return std::make_unique<TestByteTokenizer>(std::vector<std::string>{"<|endoftext|>", "<|im_start|>", "<|im_end|>"},
                                               "", "<|endoftext|>", "<|endoftext|>");
  }

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override {
    std::vector<int32_t> ids;
    if (add_special_tokens && bos_with_special_tokens_) ids.push_back(*bos_id());
    for (size_t i = 0; i < text.size();) {
      size_t best = 0;
      int32_t best_id = -1;
      for (size_t k = 0; k < specials_.size(); ++k)
        if (specials_[k].size() > best && text.compare(i, specials_[k].size(), specials_[k]) == 0) {
          best = specials_[k].size();
          best_id = static_cast<int32_t>(256 + k);
        }
      if (best_id >= 0) {
        ids.push_back(best_id);
        i += best;
      } else {
        ids.push_back(static_cast<unsigned char>(text[i]));
        ++i;
      }
    }
    return ids;
  }
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override {
    std::string out;
    for (int32_t id : ids) {
      if (id < 256)
        out += static_cast<char>(id);
      else if (!skip_special_tokens)
        out += specials_.at(static_cast<size_t>(id - 256));
    }
    return out;
  }
  int64_t vocab_size() const override { return 256 + static_cast<int64_t>(specials_.size()); }
  std::optional<int32_t> token_to_id(std::string_view token) const override {
    for (size_t k = 0; k < specials_.size(); ++k)
      if (specials_[k] == token) return static_cast<int32_t>(256 + k);
    return std::nullopt;
  }
  std::optional<std::string> id_to_token(int32_t id) const override {
    if (id >= 0 && id < 256) return std::string(1, static_cast<char>(id));
    if (id >= 256 && id < vocab_size()) return specials_[static_cast<size_t>(id - 256)];
    return std::nullopt;
  }
  std::optional<int32_t> bos_id() const override { return bos_.empty() ? std::nullopt : token_to_id(bos_); }
  std::optional<int32_t> eos_id() const override { return eos_.empty() ? std::nullopt : token_to_id(eos_); }
  std::optional<int32_t> pad_id() const override { return pad_.empty() ? eos_id() : token_to_id(pad_); }
  void save(const std::string&) const override { throw Error("TestByteTokenizer cannot be saved"); }

 private:
  std::vector<std::string> specials_;
  std::string bos_, eos_, pad_;
  bool bos_with_special_tokens_;
};

// The tokenizer of builtin:tiny: ids 0..255 are the bytes, <|eos|> = 258; no BOS is added.
inline std::unique_ptr<Tokenizer> bytes_tokenizer() { return Tokenizer::builtin_bytes(); }

constexpr int32_t kEos = 258;  // <|eos|> of the builtin byte tokenizer

inline std::vector<int32_t> concat(std::initializer_list<std::vector<int32_t>> parts) {
  std::vector<int32_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::vector<int32_t> ignored(size_t n) { return std::vector<int32_t>(n, kIgnoreIndex); }

// The ids and labels of a supervised sample whose turns are (source text, target text) pairs, written
// out by hand: sources are masked, targets trained.
inline void expect_turns(const Sample& sample, const Tokenizer& tok,
                         const std::vector<std::pair<std::string, std::string>>& turns) {
  std::vector<int32_t> ids, labels;
  for (const auto& [source, target] : turns) {
    const auto s = tok.encode(source, false), t = tok.encode(target, false);
    ids.insert(ids.end(), s.begin(), s.end());
    ids.insert(ids.end(), t.begin(), t.end());
    labels.insert(labels.end(), s.size(), kIgnoreIndex);
    labels.insert(labels.end(), t.begin(), t.end());
  }
  EXPECT_EQ(tok.decode(sample.input_ids, false), tok.decode(ids, false));
  EXPECT_EQ(sample.input_ids, ids);
  EXPECT_EQ(sample.labels, labels);
}

}  // namespace dataflex::test
