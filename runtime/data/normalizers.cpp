// Normalizers: Unicode normal forms (utf8proc), Prepend, Replace, Sequence.
#include <utf8proc.h>

#include <cstdlib>
#include <stdexcept>

#include "data/tokenizer_components.hpp"
#include "data/unicode_regex.hpp"

namespace dataflex {

namespace {

using tokenizer_json::Json;
using tokenizer_json::Reader;

class UnicodeNormalForm : public Normalizer {
 public:
  explicit UnicodeNormalForm(utf8proc_option_t options) : options_(options) {}
  std::string normalize(std::string text) const override {
    bool ascii = true;
    for (const char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii) return text;  // every normal form of ASCII is itself
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                            static_cast<utf8proc_ssize_t>(text.size()), &out, options_);
    if (n < 0) throw std::runtime_error(std::string("Unicode normalization failed: ") + utf8proc_errmsg(n));
    std::string result(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    std::free(out);
    return result;
  }

 private:
  utf8proc_option_t options_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string text) const override {
    if (text.empty()) return text;  // as in tokenizers: nothing is prepended to an empty string
    return prefix_ + text;
  }

 private:
  std::string prefix_;
};

class Replace : public Normalizer {
 public:
  Replace(std::unique_ptr<UnicodeRegex> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string normalize(std::string text) const override { return pattern_->replace_all(text, content_); }

 private:
  std::unique_ptr<UnicodeRegex> pattern_;
  std::string content_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  std::string normalize(std::string text) const override {
    for (const auto& s : steps_) text = s->normalize(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<UnicodeRegex> make_pattern(const Json& pattern, const std::string& key, const Reader& reader) {
  reader.expect_object(pattern, key);
  const bool literal = pattern.contains("String");
  if (!literal && !pattern.contains("Regex")) reader.fail(key, "expected {\"String\": ...} or {\"Regex\": ...}");
  const std::string text = reader.string(pattern, key, literal ? "String" : "Regex");
  try {
    return std::make_unique<UnicodeRegex>(text, literal);
  } catch (const std::invalid_argument& e) {
    reader.fail(tokenizer_json::child_key(key, literal ? "String" : "Regex"), e.what());
  }
}

std::unique_ptr<Normalizer> make_normalizer(const Json& value, const std::string& key, const Reader& reader) {
  const std::string type = reader.string(value, key, "type");
  if (type == "NFC") return std::make_unique<UnicodeNormalForm>(utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (type == "NFD")
    return std::make_unique<UnicodeNormalForm>(utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE));
  if (type == "NFKC")
    return std::make_unique<UnicodeNormalForm>(utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT));
  if (type == "NFKD")
    return std::make_unique<UnicodeNormalForm>(
        utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT));
  if (type == "Prepend") return std::make_unique<Prepend>(reader.string(value, key, "prepend"));
  if (type == "Replace") {
    auto pattern =
        make_pattern(reader.member(value, key, "pattern"), tokenizer_json::child_key(key, "pattern"), reader);
    return std::make_unique<Replace>(std::move(pattern), reader.string(value, key, "content"));
  }
  if (type == "Sequence") {
    const std::string list_key = tokenizer_json::child_key(key, "normalizers");
    const Json& list = reader.member(value, key, "normalizers");
    reader.expect_array(list, list_key);
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      steps.push_back(make_normalizer(list[i], tokenizer_json::index_key(list_key, i), reader));
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  reader.fail(tokenizer_json::child_key(key, "type"),
              "unsupported normalizer \"" + type + "\" (supported: NFC, NFD, NFKC, NFKD, Prepend, Replace, Sequence)");
}

}  // namespace dataflex
