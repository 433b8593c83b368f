#include "data/added_tokens.hpp"

#include <algorithm>

#include "data/utf8.hpp"

namespace dataflex {

namespace {

// Start of the character that ends just before `pos`.
size_t previous_char_start(std::string_view text, size_t pos) {
  size_t p = pos - 1;
  while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
  return p;
}

bool word_char_before(std::string_view text, size_t pos) {
  if (pos == 0) return false;
  size_t p = previous_char_start(text, pos);
  return utf8::is_word_char(utf8::next(text, p));
}

bool word_char_after(std::string_view text, size_t pos) {
  if (pos >= text.size()) return false;
  return utf8::is_word_char(utf8::next(text, pos));
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens, const std::vector<std::string>& patterns) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (patterns[i].empty()) continue;
    entries_.push_back({patterns[i], tokens[i].id, tokens[i].single_word, tokens[i].lstrip, tokens[i].rstrip});
  }
  for (size_t i = 0; i < entries_.size(); ++i)
    by_first_byte_[static_cast<unsigned char>(entries_[i].pattern[0])].push_back(i);
  for (auto& bucket : by_first_byte_) {
    std::stable_sort(bucket.begin(), bucket.end(),
                     [&](size_t a, size_t b) { return entries_[a].pattern.size() > entries_[b].pattern.size(); });
  }
}

std::vector<AddedTokenMatcher::Piece> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<Piece> pieces;
  size_t text_start = 0;  // start of the ordinary text not yet emitted
  size_t pos = 0;
  while (pos < text.size()) {
    const auto& bucket = by_first_byte_[static_cast<unsigned char>(text[pos])];
    const Entry* found = nullptr;
    for (const size_t i : bucket) {
      const Entry& e = entries_[i];
      if (text.compare(pos, e.pattern.size(), e.pattern) == 0) {
        found = &e;
        break;
      }
    }
    if (!found) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + found->pattern.size();
    if (found->single_word && (word_char_before(text, start) || word_char_after(text, stop))) {
      ++pos;
      continue;
    }
    if (found->lstrip) {
      while (start > text_start) {
        size_t p = previous_char_start(text, start);
        size_t q = p;
        if (!utf8::is_whitespace(utf8::next(text, q))) break;
        start = p;
      }
    }
    if (found->rstrip) {
      while (stop < text.size()) {
        size_t q = stop;
        if (!utf8::is_whitespace(utf8::next(text, q))) break;
        stop = q;
      }
    }
    if (text_start < start) pieces.push_back({text_start, start, -1});
    pieces.push_back({start, stop, found->id});
    text_start = pos = stop;
  }
  if (text_start < text.size()) pieces.push_back({text_start, text.size(), -1});
  return pieces;
}

}  // namespace dataflex
