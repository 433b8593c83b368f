// multiple_choice.hpp -- multiple-choice accuracy by log-likelihood, as lm-evaluation-harness scores
// MMLU-style tasks: the answer is the choice whose continuation is most likely; acc_norm divides each
// choice's log-likelihood by its length in bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dataflex {

class LlamaModel;
class Tokenizer;

struct Question {
  std::string question;
  std::vector<std::string> choices;
  int64_t answer = 0;  // index into choices
};

// A JSONL file of {"question", "choices", "answer"} (answer: an index, or a letter A, B, ...). Errors
// name the file and the line.
std::vector<Question> read_questions(const std::string& path);

struct ChoiceAccuracy {
  std::size_t questions = 0;
  double acc = 0, acc_norm = 0;
};
ChoiceAccuracy multiple_choice_accuracy(const LlamaModel& model, const Tokenizer& tokenizer,
                                        const std::vector<Question>& questions, int64_t batch_size);

}  // namespace dataflex
