// Decoders: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence (tokenizers'
// decoders/ folder; each rewrites the list of token strings).
#include <optional>

#include "data/byte_level.hpp"
#include "data/tokenizer_components.hpp"
#include "data/unicode_regex.hpp"
#include "data/utf8.hpp"

namespace dataflex {

namespace {

using tokenizer_json::child_key;
using tokenizer_json::Json;
using tokenizer_json::Reader;

const char* const kReplacementCharacter = "\xEF\xBF\xBD";

// Byte-level characters back to bytes; a token with a character outside the 256 keeps its own
// UTF-8 bytes (an added token such as "<|im_start|>" is plain ASCII and maps to itself anyway).
class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      std::string mapped;
      bool all_mapped = true;
      for (size_t i = 0; i < token.size();) {
        const auto b = byte_level::char_to_byte(utf8::next(token, i));
        if (!b) {
          all_mapped = false;
          break;
        }
        mapped += static_cast<char>(*b);
      }
      bytes += all_mapped ? mapped : token;
    }
    tokens.assign(1, utf8::make_valid(bytes));
  }
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(std::unique_ptr<UnicodeRegex> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) t = pattern_->replace_all(t, content_);
  }

 private:
  std::unique_ptr<UnicodeRegex> pattern_;
  std::string content_;
};

// Runs of <0xNN> tokens become the UTF-8 text they spell, or one U+FFFD per byte if they do not.
class ByteFallbackDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    size_t pending_count = 0;
    const auto flush = [&] {
      if (pending_count == 0) return;
      if (utf8::is_valid(pending)) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending_count; ++i) out.emplace_back(kReplacementCharacter);
      }
      pending.clear();
      pending_count = 0;
    };
    for (std::string& t : tokens) {
      if (const auto byte = byte_token(t)) {
        pending += static_cast<char>(*byte);
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static std::optional<unsigned char> byte_token(const std::string& t) {
    if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return std::nullopt;
    int value = 0;
    for (int k = 3; k < 5; ++k) {
      const char c = t[k];
      int digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else
        return std::nullopt;
      value = value * 16 + digit;
    }
    return static_cast<unsigned char>(value);
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

// Removes up to `start` leading and `stop` trailing copies of `content` from every token.
class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    if (content_.empty()) return;
    for (std::string& t : tokens) {
      size_t begin = 0, end = t.size();
      for (size_t k = 0;
           k < start_ && end - begin >= content_.size() && t.compare(begin, content_.size(), content_) == 0; ++k)
        begin += content_.size();
      for (size_t k = 0; k < stop_ && end - begin >= content_.size() &&
                         t.compare(end - content_.size(), content_.size(), content_) == 0;
           ++k)
        end -= content_.size();
      t = t.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

// '▁' back to ' '; in the first token they are dropped (the prepended one, and as in tokenizers'
// metaspace.rs, any other).
class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& t = tokens[i];
      for (size_t p = 0; p < t.size();) {
        if (t.compare(p, replacement_.size(), replacement_) == 0) {
          if (i != 0 || !strip_first_) out += ' ';
          p += replacement_.size();
        } else {
          out += t[p++];
        }
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& s : steps_) s->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

size_t count(const Json& value, const std::string& key, const std::string& name, const Reader& reader) {
  const Json* v = reader.optional_member(value, key, name);
  if (!v) return 0;
  if (!v->is_number_integer() || v->get<int64_t>() < 0)
    reader.fail(child_key(key, name), "expected a count, found " + tokenizer_json::describe(*v));
  return v->get<size_t>();
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const Json& value, const std::string& key, const Reader& reader) {
  const std::string type = reader.string(value, key, "type");
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace") {
    auto pattern = make_pattern(reader.member(value, key, "pattern"), child_key(key, "pattern"), reader);
    return std::make_unique<ReplaceDecoder>(std::move(pattern), reader.string(value, key, "content"));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(reader.string(value, key, "content"), count(value, key, "start", reader),
                                          count(value, key, "stop", reader));
  }
  if (type == "Metaspace") {
    const std::string replacement = reader.optional_string(value, key, "replacement").value_or("\xE2\x96\x81");
    bool strip_first = reader.boolean(value, key, "add_prefix_space", true);
    if (const auto scheme = reader.optional_string(value, key, "prepend_scheme")) strip_first = *scheme != "never";
    return std::make_unique<MetaspaceDecoder>(replacement, strip_first);
  }
  if (type == "Sequence") {
    const std::string list_key = child_key(key, "decoders");
    const Json& list = reader.member(value, key, "decoders");
    reader.expect_array(list, list_key);
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      steps.push_back(make_decoder(list[i], tokenizer_json::index_key(list_key, i), reader));
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  reader.fail(child_key(key, "type"), "unsupported decoder \"" + type +
                                          "\" (supported: ByteLevel, Replace, ByteFallback, Fuse, Strip, "
                                          "Metaspace, Sequence)");
}

}  // namespace dataflex
