// did_you_mean.hpp -- suggestions for mistyped keys and names.
#pragma once

#include <string>
#include <vector>

namespace dataflex {

// The candidate closest to `word` by edit distance, when it is close enough to be a likely typo
// (distance <= max(1, |word|/3)); empty otherwise.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" -- ready to append to an error message.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace dataflex
