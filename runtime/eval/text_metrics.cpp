#include "eval/text_metrics.hpp"

#include <algorithm>
#include <map>

namespace dataflex {
namespace {

bool is_ascii_punctuation(unsigned char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}
bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// F1 from a count of matches; both empty agree, one empty scores 0.
double f1_of(std::size_t matches, std::size_t response_words, std::size_t reference_words) {
  if (response_words == 0 || reference_words == 0) return response_words == reference_words ? 1.0 : 0.0;
  if (matches == 0) return 0.0;
  const double p = static_cast<double>(matches) / static_cast<double>(response_words);
  const double r = static_cast<double>(matches) / static_cast<double>(reference_words);
  return 2 * p * r / (p + r);
}

}  // namespace

std::vector<std::string> normalized_words(const std::string& text) {
  // SQuAD's order: lower case, drop punctuation, drop articles, split on whitespace. Punctuation is
  // removed, not replaced, so "don't" becomes one word "dont".
  std::string cleaned;
  cleaned.reserve(text.size());
  for (unsigned char c : text) {
    if (is_ascii_punctuation(c)) continue;
    cleaned.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
  }
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && word != "a" && word != "an" && word != "the") words.push_back(word);
    word.clear();
  };
  for (unsigned char c : cleaned) {
    if (is_space(c))
      flush();
    else
      word.push_back(static_cast<char>(c));
  }
  flush();
  return words;
}

double exact_match(const std::string& response, const std::string& reference) {
  return normalized_words(response) == normalized_words(reference) ? 1.0 : 0.0;
}

double token_f1(const std::string& response, const std::string& reference) {
  const auto a = normalized_words(response), b = normalized_words(reference);
  std::map<std::string, std::size_t> counts;
  for (const auto& w : b) ++counts[w];
  std::size_t matches = 0;
  for (const auto& w : a) {
    auto it = counts.find(w);
    if (it != counts.end() && it->second > 0) {
      --it->second;
      ++matches;
    }
  }
  return f1_of(matches, a.size(), b.size());
}

double rouge_l(const std::string& response, const std::string& reference) {
  const auto a = normalized_words(response), b = normalized_words(reference);
  // Longest common subsequence, one row at a time.
  std::vector<std::size_t> previous(b.size() + 1, 0), current(b.size() + 1, 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j)
      current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], current[j - 1]);
    std::swap(previous, current);
  }
  return f1_of(previous[b.size()], a.size(), b.size());
}

}  // namespace dataflex
