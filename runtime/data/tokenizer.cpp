// tokenizer.cpp -- Tokenizer::load and the tokenizer.json pipeline:
//   added tokens (raw text) -> normalizer -> added tokens (normalized) -> pre-tokenizer -> BPE
//   -> post-processor (with add_special_tokens); decode: ids -> token strings -> decoder.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>

#include "data/added_tokens.hpp"
#include "data/bpe_model.hpp"
#include "data/json_tokenizer.hpp"
#include "data/tokenizer.hpp"
#include "data/tokenizer_components.hpp"
#include "data/tokenizer_json.hpp"
#include "data/utf8.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace dataflex {

namespace {

using tokenizer_json::child_key;
using tokenizer_json::index_key;
using tokenizer_json::Json;
using tokenizer_json::Reader;

// transformers' LlamaTokenizerFast (and the classes copied from it) rebuilds the post-processor
// from add_bos_token / add_eos_token when it loads (update_post_processor), whatever
// tokenizer.json says; we do the same so that ids match what LLaMA-Factory gets.
const std::set<std::string> kBosEosTemplateClasses = {"LlamaTokenizer",     "LlamaTokenizerFast",
                                                      "CodeLlamaTokenizer", "CodeLlamaTokenizerFast",
                                                      "GemmaTokenizer",     "GemmaTokenizerFast"};

class JsonTokenizer final : public Tokenizer {
 public:
  JsonTokenizer(std::string json_text, std::optional<std::string> config_text, const std::string& json_name,
                const std::string& config_name)
      : json_text_(std::move(json_text)), config_text_(std::move(config_text)) {
    read_tokenizer_json(tokenizer_json::parse(json_text_, json_name), Reader(json_name));
    if (config_text_) read_config(tokenizer_json::parse(*config_text_, config_name), Reader(config_name));
  }

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override {
    std::string repaired;
    if (!utf8::is_valid(text)) {
      repaired = utf8::make_valid(text);
      text = repaired;
    }
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    for (const auto& piece : raw_matcher_.split(text)) {
      if (piece.id >= 0) {
        ids.push_back(piece.id);
        continue;
      }
      std::string section(text.substr(piece.begin, piece.end - piece.begin));
      if (normalizer_) section = normalizer_->normalize(std::move(section));
      if (section.empty()) continue;
      const bool section_at_start = piece.begin == 0;
      if (normalized_matcher_.empty()) {
        encode_section(std::move(section), section_at_start, ids);
        continue;
      }
      for (const auto& sub : normalized_matcher_.split(section)) {
        if (sub.id >= 0)
          ids.push_back(sub.id);
        else
          encode_section(section.substr(sub.begin, sub.end - sub.begin), section_at_start && sub.begin == 0, ids);
      }
    }
    if (add_special_tokens && post_processor_) post_processor_->process(ids);
    return ids;
  }

  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const int32_t id : ids) {
      const auto added = added_by_id_.find(id);
      if (added != added_by_id_.end()) {
        const AddedToken& t = added_[added->second];
        if (!(skip_special_tokens && t.special)) tokens.push_back(t.content);
        continue;
      }
      if (const std::string* token = model_->id_to_token(id)) tokens.push_back(*token);
      // An id that names no token is skipped, as in tokenizers.
    }
    if (!decoder_) {
      std::string joined;
      for (size_t i = 0; i < tokens.size(); ++i) joined += (i ? " " : "") + tokens[i];
      return joined;
    }
    decoder_->decode_chain(tokens);
    std::string text;
    for (const std::string& t : tokens) text += t;
    return text;
  }

  int64_t vocab_size() const override { return vocab_size_; }

  std::optional<int32_t> token_to_id(std::string_view token) const override {
    const auto it = added_by_content_.find(std::string(token));
    if (it != added_by_content_.end()) return it->second;
    return model_->token_to_id(token);
  }

  std::optional<std::string> id_to_token(int32_t id) const override {
    const auto it = added_by_id_.find(id);
    if (it != added_by_id_.end()) return added_[it->second].content;
    if (const std::string* token = model_->id_to_token(id)) return *token;
    return std::nullopt;
  }

  std::optional<int32_t> bos_id() const override { return bos_id_; }
  std::optional<int32_t> eos_id() const override { return eos_id_; }
  std::optional<int32_t> pad_id() const override { return pad_id_ ? pad_id_ : eos_id_; }

  void save(const std::string& dir) const override {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error(dir + ": cannot create the folder: " + ec.message());
    write_file(fs::path(dir) / "tokenizer.json", json_text_);
    write_file(fs::path(dir) / "tokenizer_config.json", config_text_ ? *config_text_ : minimal_config());
  }

 private:
  void encode_section(std::string text, bool at_text_start, std::vector<int32_t>& ids) const {
    if (text.empty()) return;
    if (!pre_tokenizer_) {
      model_->tokenize(text, ids);
      return;
    }
    std::vector<PreToken> pieces;
    pieces.push_back({std::move(text), at_text_start});
    pre_tokenizer_->pre_tokenize(pieces);
    for (const PreToken& p : pieces) model_->tokenize(p.text, ids);
  }

  void read_tokenizer_json(const Json& doc, const Reader& reader) {
    reader.expect_object(doc, "");
    model_ = std::make_unique<BpeModel>(reader.member(doc, "", "model"), reader);
    if (const Json* v = reader.optional_member(doc, "", "normalizer"))
      normalizer_ = make_normalizer(*v, "normalizer", reader);
    if (const Json* v = reader.optional_member(doc, "", "pre_tokenizer"))
      pre_tokenizer_ = make_pre_tokenizer(*v, "pre_tokenizer", reader);
    if (const Json* v = reader.optional_member(doc, "", "post_processor"))
      post_processor_ = make_post_processor(*v, "post_processor", reader);
    if (const Json* v = reader.optional_member(doc, "", "decoder")) decoder_ = make_decoder(*v, "decoder", reader);
    vocab_size_ = model_->id_count();
    if (const Json* list = reader.optional_member(doc, "", "added_tokens")) read_added_tokens(*list, reader);
  }

  void read_added_tokens(const Json& list, const Reader& reader) {
    const std::string key = "added_tokens";
    reader.expect_array(list, key);
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string k = index_key(key, i);
      const Json& item = list[i];
      AddedToken t;
      t.id = reader.token_id(reader.member(item, k, "id"), child_key(k, "id"));
      t.content = reader.string(item, k, "content");
      if (t.content.empty()) reader.fail(child_key(k, "content"), "an added token cannot be empty");
      t.single_word = reader.boolean(item, k, "single_word", false);
      t.lstrip = reader.boolean(item, k, "lstrip", false);
      t.rstrip = reader.boolean(item, k, "rstrip", false);
      t.special = reader.boolean(item, k, "special", false);
      t.normalized = reader.boolean(item, k, "normalized", !t.special);
      added_by_content_[t.content] = t.id;
      added_by_id_[t.id] = added_.size();
      vocab_size_ = std::max<int64_t>(vocab_size_, int64_t{t.id} + 1);
      added_.push_back(std::move(t));
    }
    std::vector<AddedToken> raw, normalized;
    std::vector<std::string> raw_patterns, normalized_patterns;
    for (const AddedToken& t : added_) {
      if (t.normalized && normalizer_) {
        normalized.push_back(t);
        normalized_patterns.push_back(normalizer_->normalize(t.content));
      } else {
        raw.push_back(t);
        raw_patterns.push_back(t.content);
      }
    }
    raw_matcher_ = AddedTokenMatcher(raw, raw_patterns);
    normalized_matcher_ = AddedTokenMatcher(normalized, normalized_patterns);
  }

  // "bos_token": "<s>" or {"content": "<s>", ...} or null.
  std::optional<int32_t> special_token(const Json& config, const std::string& key, const Reader& reader) const {
    const Json* v = reader.optional_member(config, "", key);
    if (!v) return std::nullopt;
    std::optional<std::string> name;
    if (v->is_string())
      name = v->get<std::string>();
    else if (v->is_object())
      name = reader.string(*v, key, "content");
    else
      reader.fail(key, "expected a token string or {\"content\": ...}, found " + tokenizer_json::describe(*v));
    const auto id = token_to_id(*name);
    if (!id) reader.fail(key, "\"" + *name + "\" is not in the vocabulary of tokenizer.json");
    return id;
  }

  void read_config(const Json& config, const Reader& reader) {
    reader.expect_object(config, "");
    bos_id_ = special_token(config, "bos_token", reader);
    eos_id_ = special_token(config, "eos_token", reader);
    pad_id_ = special_token(config, "pad_token", reader);
    const auto cls = reader.optional_string(config, "", "tokenizer_class");
    if (cls && kBosEosTemplateClasses.count(*cls)) {
      const bool add_bos = reader.boolean(config, "", "add_bos_token", true);
      const bool add_eos = reader.boolean(config, "", "add_eos_token", false);
      if (add_bos && !bos_id_) reader.fail("add_bos_token", "true, but there is no bos_token");
      if (add_eos && !eos_id_) reader.fail("add_eos_token", "true, but there is no eos_token");
      std::vector<int32_t> prefix, suffix;
      if (add_bos) prefix.push_back(*bos_id_);
      if (add_eos) suffix.push_back(*eos_id_);
      post_processor_ = make_template_post_processor(std::move(prefix), std::move(suffix));
    }
  }

  std::string minimal_config() const {
    nlohmann::ordered_json config;
    config["tokenizer_class"] = "PreTrainedTokenizerFast";
    config["clean_up_tokenization_spaces"] = false;
    return config.dump(2) + "\n";
  }

  static void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Error(path.string() + ": cannot write the file");
  }

  std::string json_text_;
  std::optional<std::string> config_text_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<AddedToken> added_;
  std::unordered_map<std::string, int32_t> added_by_content_;
  std::unordered_map<int32_t, size_t> added_by_id_;
  AddedTokenMatcher raw_matcher_, normalized_matcher_;
  int64_t vocab_size_ = 0;
  std::optional<int32_t> bos_id_, eos_id_, pad_id_;
};

}  // namespace

std::unique_ptr<Tokenizer> make_json_tokenizer(std::string tokenizer_json, std::optional<std::string> tokenizer_config,
                                               const std::string& json_name, const std::string& config_name) {
  return std::make_unique<JsonTokenizer>(std::move(tokenizer_json), std::move(tokenizer_config), json_name,
                                         config_name);
}

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string& path) {
  std::error_code ec;
  const bool is_dir = fs::is_directory(path, ec);
  const fs::path json_file = is_dir ? fs::path(path) / "tokenizer.json" : fs::path(path);
  if (!fs::is_regular_file(json_file, ec)) {
    if (!is_dir && !fs::exists(path, ec))
      throw Error(path + ": no such file or folder (expected a tokenizer folder or its tokenizer.json)");
    throw Error(json_file.string() + ": not found (a tokenizer folder needs a tokenizer.json)");
  }
  const fs::path config_file = json_file.parent_path() / "tokenizer_config.json";
  std::optional<std::string> config_text;
  if (fs::is_regular_file(config_file, ec)) config_text = read_file(config_file.string());
  return make_json_tokenizer(read_file(json_file.string()), std::move(config_text), json_file.string(),
                             config_file.string());
}

std::unique_ptr<Tokenizer> Tokenizer::for_model(const std::string& model_name_or_path,
                                                const std::string& tokenizer_path) {
  if (!tokenizer_path.empty()) return load(tokenizer_path);
  if (model_name_or_path.rfind("builtin:", 0) == 0) return builtin_bytes();
  if (!std::filesystem::is_directory(model_name_or_path))
    throw Error("model.model_name_or_path: \"" + model_name_or_path +
                "\" is not a folder (nothing is downloaded here)");
  return load(model_name_or_path);
}

}  // namespace dataflex
