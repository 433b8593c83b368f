#include <gtest/gtest.h>

#include "util/did_you_mean.hpp"

namespace dataflex {

TEST(DidYouMean, SuggestsTheCloseKeyForATypo) {
  EXPECT_EQ(closest_match("seeed", {"seed", "max_steps", "output_dir"}), "seed");
  EXPECT_EQ(closest_match("lerning_rate", {"learning_rate", "seed"}), "learning_rate");
}

TEST(DidYouMean, SuggestsAnAdjacentTransposition) {
  EXPECT_EQ(closest_match("raondom", {"random", "static"}), "random");
}

TEST(DidYouMean, StaysQuietWhenNothingIsClose) {
  EXPECT_EQ(closest_match("zzz", {"seed", "max_steps"}), "");
  EXPECT_EQ(did_you_mean("zzz", {"seed"}), "");
  EXPECT_EQ(did_you_mean("sed", {"seed"}), " (did you mean 'seed'?)");
}

}  // namespace dataflex
