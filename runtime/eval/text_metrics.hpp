// text_metrics.hpp -- rewards of a generated answer against a reference answer (NICE's metric
// rewards): exact match, token F1 and ROUGE-L, over words normalised as SQuAD's evaluation script
// does: ASCII lower case, ASCII punctuation removed, the articles a / an / the removed, whitespace
// collapsed. Every score lies in [0, 1]. Two empty answers agree (1); one empty answer scores 0.
#pragma once

#include <string>
#include <vector>

namespace dataflex {

// The normalised words of `text`.
std::vector<std::string> normalized_words(const std::string& text);

// 1 when the normalised word sequences are equal, else 0.
double exact_match(const std::string& response, const std::string& reference);
// Harmonic mean of precision and recall of the common words, counted as multisets (SQuAD's F1).
double token_f1(const std::string& response, const std::string& reference);
// ROUGE-L F1: with L the longest common subsequence of the word sequences, 2 P R / (P + R) with
// P = L / |response| and R = L / |reference|.
double rouge_l(const std::string& response, const std::string& reference);

}  // namespace dataflex
