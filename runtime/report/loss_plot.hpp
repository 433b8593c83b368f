// loss_plot.hpp -- LLaMA-Factory's plot_loss: training_loss.png and training_eval_loss.png, 640 x 480 like
// its matplotlib figures (the logged values, faint, and their smoothing), drawn with cairo.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dataflex {

constexpr int kLossPlotWidth = 640, kLossPlotHeight = 480;

// For each of "loss" and "eval_loss" found in `log_history` (trainer_state.json's), writes
// output_dir/training_<key>.png atomically; returns the files written. A key never logged is skipped
// (LLaMA-Factory warns "No metric eval_loss to plot." and goes on): it is named in `skipped`.
std::vector<std::string> plot_losses(const std::string& output_dir, const nlohmann::json& log_history,
                                     std::vector<std::string>* skipped = nullptr);

}  // namespace dataflex
