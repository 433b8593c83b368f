#include "eval/multiple_choice.hpp"

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "eval/scorer.hpp"
#include "util/error.hpp"

namespace dataflex {

std::vector<Question> read_questions(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open");
  std::vector<Question> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error(where + ": expected a JSON object {question, choices, answer}");
    Question q;
    if (!j.contains("question") || !j["question"].is_string()) throw Error(where + ": question: expected a string");
    q.question = j["question"];
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].size() < 2)
      throw Error(where + ": choices: expected a list of at least two strings");
    for (const auto& c : j["choices"]) {
      if (!c.is_string()) throw Error(where + ": choices: expected strings");
      q.choices.push_back(c);
    }
    const auto& a = j.contains("answer") ? j["answer"] : nlohmann::json();
    if (a.is_number_integer()) {
      q.answer = a;
    } else if (a.is_string() && a.get<std::string>().size() == 1 &&
               std::isupper(static_cast<unsigned char>(a.get<std::string>()[0]))) {
      q.answer = a.get<std::string>()[0] - 'A';  // MMLU's letter answers
    } else {
      throw Error(where + ": answer: expected the index of the right choice (or its letter A, B, ...)");
    }
    if (q.answer < 0 || q.answer >= static_cast<int64_t>(q.choices.size()))
      throw Error(where + ": answer " + std::to_string(q.answer) + " is not an index into the " +
                  std::to_string(q.choices.size()) + " choices");
    out.push_back(std::move(q));
  }
  if (out.empty()) throw Error(path + ": no questions");
  return out;
}

ChoiceAccuracy multiple_choice_accuracy(const LlamaModel& model, const Tokenizer& tokenizer,
                                        const std::vector<Question>& questions, int64_t batch_size) {
  std::vector<Sample> choices;  // question + " " + choice, only the choice's tokens labelled
  std::vector<std::size_t> choice_bytes;
  for (const auto& q : questions) {
    // As lm-evaluation-harness: encode context + continuation together, so that tokens that merge
    // across the boundary (and tokenizers that prepend a space marker) tokenize as in running text;
    // the continuation is what follows the context's own tokens.
    const std::string ctx_text = "Question: " + q.question + "\nAnswer:";
    const std::vector<int32_t> ctx = tokenizer.encode(ctx_text, true);
    for (const auto& c : q.choices) {
      const std::vector<int32_t> whole = tokenizer.encode(ctx_text + " " + c, true);
      std::size_t common = 0;
      while (common < ctx.size() && common < whole.size() && ctx[common] == whole[common]) ++common;
      if (common == whole.size()) --common;  // at least one continuation token is scored
      Sample scored_choice;
      scored_choice.input_ids = whole;
      scored_choice.labels.assign(whole.size(), kIgnoreIndex);
      for (std::size_t t = common; t < whole.size(); ++t) scored_choice.labels[t] = whole[t];
      choices.push_back(std::move(scored_choice));
      choice_bytes.push_back(c.size() + 1);
    }
  }
  std::vector<const Sample*> to_score;
  for (const auto& c : choices) to_score.push_back(&c);
  const auto scored = score_samples(model, to_score, tokenizer.pad_id().value_or(0), batch_size);
  int64_t right = 0, right_norm = 0;
  std::size_t k = 0;
  for (const auto& q : questions) {
    int64_t best = 0, best_norm = 0;
    double best_ll = -1e300, best_ll_norm = -1e300;
    for (std::size_t c = 0; c < q.choices.size(); ++c, ++k) {
      const double ll = -scored[k].nll_sum, ll_norm = ll / static_cast<double>(choice_bytes[k]);
      if (ll > best_ll) best_ll = ll, best = static_cast<int64_t>(c);
      if (ll_norm > best_ll_norm) best_ll_norm = ll_norm, best_norm = static_cast<int64_t>(c);
    }
    right += best == q.answer;
    right_norm += best_norm == q.answer;
  }
  const double n = static_cast<double>(questions.size());
  return {questions.size(), static_cast<double>(right) / n, static_cast<double>(right_norm) / n};
}

}  // namespace dataflex
