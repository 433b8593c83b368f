#include "train/training_log.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/jsonl.hpp"

namespace dataflex {
namespace fs = std::filesystem;

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(std::max(0.0, seconds));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

namespace {
double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}
}  // namespace

TrainingLog::TrainingLog(std::string output_dir, int64_t total_steps, int64_t resumed_step, nlohmann::json history,
                         ScalarSink* scalars)
    : output_dir_(std::move(output_dir)), total_steps_(total_steps), history_(std::move(history)), scalars_(scalars) {
  if (!history_.is_array()) history_ = nlohmann::json::array();
  // A decision at step s is taken after checkpoint s: a resumed run takes it (and logs it) again.
  keep_jsonl_lines((fs::path(output_dir_) / "trainer_log.jsonl").string(),
                   [&](const nlohmann::json& j) {
                     if (!j.contains("current_steps")) return false;
                     const int64_t step = j["current_steps"].get<int64_t>();
                     // The final evaluation follows the last checkpoint: a run completing its end logs it again.
                     if (resumed_step >= total_steps_ && step >= total_steps_ && j.contains("eval_loss")) return false;
                     return j.contains("decision_step") ? j["decision_step"].get<int64_t>() < resumed_step
                                                        : step <= resumed_step;
                   },
                   resumed_step <= 0);
}

void TrainingLog::append_line(const nlohmann::ordered_json& line) {
  std::ofstream out((fs::path(output_dir_) / "trainer_log.jsonl").string(), std::ios::app);
  out << line.dump() << "\n";
  out.flush();
}

void TrainingLog::log_train(const TrainPoint& p) {
  const double remaining =
      p.step > 0 ? p.elapsed_s / static_cast<double>(p.step) * static_cast<double>(total_steps_ - p.step) : 0.0;
  nlohmann::ordered_json line;
  line["current_steps"] = p.step;
  line["total_steps"] = total_steps_;
  line["loss"] = round_to(p.loss, 4);
  line["lr"] = p.learning_rate;
  line["epoch"] = round_to(p.epoch, 2);
  line["percentage"] = round_to(100.0 * static_cast<double>(p.step) / static_cast<double>(total_steps_), 2);
  line["elapsed_time"] = format_duration(p.elapsed_s);
  line["remaining_time"] = format_duration(remaining);
  line["throughput"] = round_to(p.tokens_per_s, 2);
  line["grad_norm"] = round_to(p.grad_norm, 4);
  if (p.peak_memory_mb > 0) line["peak_memory_mb"] = round_to(p.peak_memory_mb, 1);
  if (p.activation_memory_mb > 0) line["activation_memory_mb"] = round_to(p.activation_memory_mb, 1);
  append_line(line);
  history_.push_back({{"epoch", round_to(p.epoch, 4)},
                      {"grad_norm", p.grad_norm},
                      {"learning_rate", p.learning_rate},
                      {"loss", round_to(p.loss, 4)},
                      {"step", p.step}});
  if (scalars_)
    scalars_->write(p.step, {{"train/loss", p.loss},
                             {"train/learning_rate", p.learning_rate},
                             {"train/grad_norm", p.grad_norm},
                             {"train/epoch", p.epoch},
                             {"train/throughput", p.tokens_per_s}});
}

void TrainingLog::log_eval(int64_t step, double epoch, const std::map<std::string, double>& metrics, double elapsed_s) {
  nlohmann::ordered_json line;
  line["current_steps"] = step;
  line["total_steps"] = total_steps_;
  for (const auto& [k, v] : metrics) line[k] = round_to(v, 4);
  line["epoch"] = round_to(epoch, 2);
  line["percentage"] = round_to(100.0 * static_cast<double>(step) / static_cast<double>(total_steps_), 2);
  line["elapsed_time"] = format_duration(elapsed_s);
  append_line(line);
  nlohmann::json h = {{"epoch", round_to(epoch, 4)}, {"step", step}};
  for (const auto& [k, v] : metrics) h[k] = v;
  history_.push_back(h);
  if (scalars_) {
    Scalars values;  // eval_loss -> eval/loss, eval_<domain>_loss -> eval/<domain>_loss
    for (const auto& [k, v] : metrics) values.emplace_back(k.rfind("eval_", 0) == 0 ? "eval/" + k.substr(5) : k, v);
    scalars_->write(step, values);
  }
}

void TrainingLog::log_plugin_metrics(int64_t step, const std::map<std::string, double>& metrics) {
  nlohmann::ordered_json line;
  line["current_steps"] = step;
  line["total_steps"] = total_steps_;
  line["decision_step"] = step;
  for (const auto& [k, v] : metrics) line[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  append_line(line);
  if (scalars_) {
    Scalars values;
    for (const auto& [k, v] : metrics)
      if (std::isfinite(v)) values.emplace_back("dataflex/plugin/" + k, v);
    scalars_->write(step, values);
  }
}

void TrainingLog::log_final(int64_t step, double epoch, const std::map<std::string, double>& metrics) {
  nlohmann::json h = {{"epoch", round_to(epoch, 4)}, {"step", step}};
  for (const auto& [k, v] : metrics) h[k] = v;
  history_.push_back(h);
}

std::string TrainingLog::trainer_state(int64_t step, double epoch, const nlohmann::json& extra) const {
  nlohmann::ordered_json j;
  j["best_metric"] = nullptr;
  j["best_model_checkpoint"] = nullptr;
  j["epoch"] = epoch;
  j["global_step"] = step;
  j["is_hyper_param_search"] = false;
  j["is_local_process_zero"] = true;
  j["is_world_process_zero"] = true;
  j["log_history"] = history_;
  j["max_steps"] = total_steps_;
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  return j.dump(2) + "\n";
}

}  // namespace dataflex
