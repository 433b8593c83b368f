// added_tokens.hpp -- tokenizer.json's "added_tokens": found in the text before anything else.
//
// Matching follows tokenizers' added_vocabulary.rs: leftmost match, longest first; `single_word`
// tokens only match between non-word characters; `lstrip`/`rstrip` tokens swallow the whitespace
// on their left/right. Tokens with `normalized: false` are matched in the raw text, the others in
// the normalized text (their content normalized the same way).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dataflex {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
};

class AddedTokenMatcher {
 public:
  // A [begin, end) range of the text, or an added token (id >= 0) that covers it.
  struct Piece {
    size_t begin, end;
    int32_t id;  // -1: ordinary text
  };

  AddedTokenMatcher() = default;
  // `patterns[i]` is what is looked for (the content, or its normalized form) for `tokens[i]`.
  AddedTokenMatcher(const std::vector<AddedToken>& tokens, const std::vector<std::string>& patterns);

  bool empty() const { return entries_.empty(); }

  // Splits valid UTF-8 `text` into ordinary text and added tokens, in order; no empty text pieces.
  std::vector<Piece> split(std::string_view text) const;

 private:
  struct Entry {
    std::string pattern;
    int32_t id;
    bool single_word, lstrip, rstrip;
  };
  std::vector<Entry> entries_;
  // Entries whose pattern starts with each byte, longest first.
  std::array<std::vector<size_t>, 256> by_first_byte_;
};

}  // namespace dataflex
