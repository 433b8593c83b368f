// progress.hpp -- what a person watching the run sees.
//
// On a terminal: one progress line redrawn in place (steps, loss, tokens/s, ETA). Otherwise (CI,
// a pipe, a log file): a plain log line at every logging step, nothing redrawn.
#pragma once

#include <cstdint>
#include <string>

namespace dataflex {

class Progress {
 public:
  explicit Progress(int64_t total_steps);
  void update(int64_t step, double loss, double tokens_per_s, double elapsed_s, bool logging_step);
  void message(const std::string& line);  // a log line that does not break the bar
  void finish();

 private:
  int64_t total_;
  bool tty_;
  bool drawn_ = false;
};

}  // namespace dataflex
