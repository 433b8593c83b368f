// NICE's metric rewards, on cases computed by hand (the normalisation is SQuAD's evaluation script's).
#include <gtest/gtest.h>

#include "eval/text_metrics.hpp"

namespace dataflex {
namespace {

TEST(TextMetrics, NormalisationDropsCasePunctuationAndArticles) {
  EXPECT_EQ(normalized_words("The Cat, sat!  On A mat."), (std::vector<std::string>{"cat", "sat", "on", "mat"}));
  // Punctuation is removed, not split on; "theory" keeps its "the".
  EXPECT_EQ(normalized_words("Don't theory an-apple"), (std::vector<std::string>{"dont", "theory", "anapple"}));
  EXPECT_TRUE(normalized_words(" the  a\tan\n").empty());
}

TEST(TextMetrics, ExactMatchComparesNormalisedWords) {
  EXPECT_EQ(exact_match("The cat.", "cat"), 1.0);
  EXPECT_EQ(exact_match("cats", "cat"), 0.0);
  EXPECT_EQ(exact_match("cat sat", "sat cat"), 0.0);
  EXPECT_EQ(exact_match("", "the"), 1.0);  // both normalise to nothing
}

TEST(TextMetrics, TokenF1CountsCommonWordsAsMultisets) {
  // response {cat, sat, on, mat}, reference {cat, on, mat}: 3 common, P = 3/4, R = 1, F1 = 6/7.
  EXPECT_NEAR(token_f1("the cat sat on the mat", "a cat on a mat"), 6.0 / 7.0, 1e-12);
  // {cat x3} against {cat, dog}: one match, P = 1/3, R = 1/2, F1 = 2/5.
  EXPECT_NEAR(token_f1("cat cat cat", "cat dog"), 0.4, 1e-12);
  // Order does not matter to F1.
  EXPECT_NEAR(token_f1("mat on cat", "cat on mat"), 1.0, 1e-12);
  EXPECT_EQ(token_f1("dog", "cat"), 0.0);
  EXPECT_EQ(token_f1("", ""), 1.0);
  EXPECT_EQ(token_f1("cat", "the"), 0.0);
}

TEST(TextMetrics, RougeLUsesTheLongestCommonSubsequence) {
  // {police, killed, gunman} / {police, kill, gunman}: LCS 2, P = R = 2/3.
  EXPECT_NEAR(rouge_l("police killed the gunman", "police kill the gunman"), 2.0 / 3.0, 1e-12);
  // {gunman, police, killed} / {police, killed, gunman}: LCS "police killed" = 2, F = 2/3; F1 would be 1.
  EXPECT_NEAR(rouge_l("the gunman police killed", "police killed the gunman"), 2.0 / 3.0, 1e-12);
  // {mat, on, cat} / {cat, on, mat}: LCS 1, F = 1/3.
  EXPECT_NEAR(rouge_l("mat on cat", "cat on mat"), 1.0 / 3.0, 1e-12);
  // {w x y z v} with reference {w y v}: LCS 3, P = 3/5, R = 1, F = 0.75.
  EXPECT_NEAR(rouge_l("w x y z v", "w y v"), 0.75, 1e-12);
  EXPECT_EQ(rouge_l("", ""), 1.0);
  EXPECT_EQ(rouge_l("cat", ""), 0.0);
}

}  // namespace
}  // namespace dataflex
