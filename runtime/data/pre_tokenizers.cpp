// Pre-tokenizers: ByteLevel, Split, Metaspace, Sequence (the splitting rules of Hugging Face's
// tokenizers, normalizer.rs `split` and the pre_tokenizers/ folder).
#include <algorithm>
#include <optional>

#include "data/byte_level.hpp"
#include "data/tokenizer_components.hpp"
#include "data/unicode_regex.hpp"

namespace dataflex {

namespace {

using tokenizer_json::child_key;
using tokenizer_json::Json;
using tokenizer_json::Reader;

// GPT-2's pattern, used by ByteLevel with use_regex (tokenizers' byte_level.rs).
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct Segment {
  size_t begin, end;
  bool is_match;
};

// Splits `piece` at the matches of `regex` and appends the parts to `out`, following `behavior`.
void split_piece(const PreToken& piece, const UnicodeRegex& regex, SplitBehavior behavior, bool invert,
                 std::vector<PreToken>& out) {
  const std::string& text = piece.text;
  std::vector<Segment> segments;
  size_t previous = 0;
  for (const auto& [begin, end] : regex.find_all(text)) {
    if (previous < begin) segments.push_back({previous, begin, invert});
    segments.push_back({begin, end, !invert});
    previous = end;
  }
  if (previous < text.size()) segments.push_back({previous, text.size(), invert});

  std::vector<Segment> parts;  // is_match now means "remove"
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const Segment& s : segments) parts.push_back({s.begin, s.end, false});
      break;
    case SplitBehavior::Removed: parts = segments; break;
    case SplitBehavior::Contiguous: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.is_match == previous_match && !parts.empty())
          parts.back().end = s.end;
        else
          parts.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.is_match && !previous_match && !parts.empty())
          parts.back().end = s.end;
        else
          parts.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool previous_match = false;
      for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
        if (it->is_match && !previous_match && !parts.empty())
          parts.back().begin = it->begin;
        else
          parts.push_back({it->begin, it->end, false});
        previous_match = it->is_match;
      }
      std::reverse(parts.begin(), parts.end());
      break;
    }
  }
  for (const Segment& p : parts) {
    if (p.is_match || p.end == p.begin) continue;
    out.push_back({text.substr(p.begin, p.end - p.begin), piece.at_text_start && p.begin == 0});
  }
}

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_ = std::make_unique<UnicodeRegex>(kGpt2Pattern, false);
  }
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    out.reserve(pieces.size());
    for (PreToken& piece : pieces) {
      if (piece.text.empty()) continue;
      if (add_prefix_space_ && piece.text[0] != ' ') piece.text.insert(0, 1, ' ');
      if (regex_)
        split_piece(piece, *regex_, SplitBehavior::Isolated, false, out);
      else
        out.push_back(std::move(piece));
    }
    for (PreToken& piece : out) piece.text = byte_level::encode(piece.text);
    pieces = std::move(out);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<UnicodeRegex> regex_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(std::unique_ptr<UnicodeRegex> regex, SplitBehavior behavior, bool invert)
      : regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    out.reserve(pieces.size() * 4);
    for (const PreToken& piece : pieces) split_piece(piece, *regex_, behavior_, invert_, out);
    pieces = std::move(out);
  }

 private:
  std::unique_ptr<UnicodeRegex> regex_;
  SplitBehavior behavior_;
  bool invert_;
};

// SentencePiece's whitespace handling: ' ' becomes the replacement ('▁'), one is prepended, and
// the text is split before each replacement.
class MetaspacePreTokenizer : public PreTokenizer {
 public:
  enum class Prepend { Always, Never, First };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend) {
    if (split) regex_ = std::make_unique<UnicodeRegex>(replacement_, true);
  }
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    for (PreToken& piece : pieces) {
      if (piece.text.empty()) continue;
      std::string text;
      for (const char c : piece.text) {
        if (c == ' ')
          text += replacement_;
        else
          text += c;
      }
      const bool starts = text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (prepend_ == Prepend::Always || (prepend_ == Prepend::First && piece.at_text_start)))
        text.insert(0, replacement_);
      PreToken replaced{std::move(text), piece.at_text_start};
      if (regex_)
        split_piece(replaced, *regex_, SplitBehavior::MergedWithNext, false, out);
      else
        out.push_back(std::move(replaced));
    }
    pieces = std::move(out);
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  std::unique_ptr<UnicodeRegex> regex_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    for (const auto& s : steps_) s->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

SplitBehavior split_behavior(const Json& value, const std::string& key, const Reader& reader) {
  const std::string name = reader.string(value, key, "behavior");
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  reader.fail(child_key(key, "behavior"), "unknown split behavior \"" + name +
                                              "\" (expected Removed, Isolated, MergedWithPrevious, "
                                              "MergedWithNext or Contiguous)");
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& value, const std::string& key, const Reader& reader) {
  const std::string type = reader.string(value, key, "type");
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(reader.boolean(value, key, "add_prefix_space", true),
                                                   reader.boolean(value, key, "use_regex", true));
  }
  if (type == "Split") {
    auto regex = make_pattern(reader.member(value, key, "pattern"), child_key(key, "pattern"), reader);
    return std::make_unique<SplitPreTokenizer>(std::move(regex), split_behavior(value, key, reader),
                                               reader.boolean(value, key, "invert", false));
  }
  if (type == "Metaspace") {
    const std::string replacement = reader.optional_string(value, key, "replacement").value_or("\xE2\x96\x81");
    auto prepend = MetaspacePreTokenizer::Prepend::Always;
    if (const auto scheme = reader.optional_string(value, key, "prepend_scheme")) {
      if (*scheme == "always")
        prepend = MetaspacePreTokenizer::Prepend::Always;
      else if (*scheme == "never")
        prepend = MetaspacePreTokenizer::Prepend::Never;
      else if (*scheme == "first")
        prepend = MetaspacePreTokenizer::Prepend::First;
      else
        reader.fail(child_key(key, "prepend_scheme"),
                    "expected \"always\", \"never\" or \"first\", found \"" + *scheme + "\"");
    } else if (!reader.boolean(value, key, "add_prefix_space", true)) {
      prepend = MetaspacePreTokenizer::Prepend::Never;
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement, prepend, reader.boolean(value, key, "split", true));
  }
  if (type == "Sequence") {
    const std::string list_key = child_key(key, "pretokenizers");
    const Json& list = reader.member(value, key, "pretokenizers");
    reader.expect_array(list, list_key);
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      steps.push_back(make_pre_tokenizer(list[i], tokenizer_json::index_key(list_key, i), reader));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  reader.fail(child_key(key, "type"),
              "unsupported pre-tokenizer \"" + type + "\" (supported: ByteLevel, Split, Metaspace, Sequence)");
}

}  // namespace dataflex
