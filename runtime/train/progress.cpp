#include "train/progress.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

#include "train/training_log.hpp"

namespace dataflex {

Progress::Progress(int64_t total_steps) : total_(total_steps), tty_(::isatty(STDERR_FILENO) != 0) {}

void Progress::update(int64_t step, double loss, double tokens_per_s, double elapsed_s, bool logging_step) {
  const double eta = step > 0 ? elapsed_s / static_cast<double>(step) * static_cast<double>(total_ - step) : 0.0;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * step / std::max<int64_t>(1, total_));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r[%s] %lld/%lld loss %.4f  %.0f tok/s  %s<%s  ", bar.c_str(), static_cast<long long>(step),
                 static_cast<long long>(total_), loss, tokens_per_s, format_duration(elapsed_s).c_str(),
                 format_duration(eta).c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else if (logging_step) {
    spdlog::info("step {}/{}  loss {:.4f}  {:.0f} tok/s  elapsed {}  eta {}", step, total_, loss, tokens_per_s,
                 format_duration(elapsed_s), format_duration(eta));
  }
}

void Progress::message(const std::string& line) {
  if (tty_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
  spdlog::info("{}", line);
}

void Progress::finish() {
  if (tty_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace dataflex
