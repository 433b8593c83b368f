#include "report/run_record.hpp"

#include <toml++/toml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace fs = std::filesystem;

TimeSeries& NamedSeries::at(const std::string& name) {
  for (auto& [n, s] : items_)
    if (n == name) return s;
  items_.emplace_back(name, TimeSeries{});
  return items_.back().second;
}

std::vector<double> smooth_like_llamafactory(const std::vector<double>& values) {
  std::vector<double> out;
  if (values.empty()) return out;
  const double weight = 1.8 * (1.0 / (1.0 + std::exp(-0.05 * static_cast<double>(values.size()))) - 0.5);
  double last = values.front();
  for (double v : values) {
    last = last * weight + (1.0 - weight) * v;
    out.push_back(last);
  }
  return out;
}

namespace {

// Calls `on_line` for every JSON object line. A run writing the file may have cut its last line short:
// that line is skipped quietly; a bad line elsewhere is named in `notes`.
void for_each_json_line(const fs::path& file, std::vector<std::string>& notes,
                        const std::function<void(const nlohmann::ordered_json&)>& on_line) {
  std::ifstream in(file);
  if (!in) return;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    nlohmann::ordered_json j;
    try {
      j = nlohmann::ordered_json::parse(line);
    } catch (const nlohmann::json::exception&) {
      // getline hit the end without a newline: the writer is still at this line.
      if (!in.eof()) notes.push_back(file.string() + " line " + std::to_string(number) + ": not JSON, skipped");
      continue;
    }
    try {
      if (j.is_object()) on_line(j);
    } catch (const nlohmann::json::exception& e) {  // a field of an unexpected type
      notes.push_back(file.string() + " line " + std::to_string(number) + ": skipped (" + one_line(e.what()) + ")");
    }
  }
}

bool is_number(const nlohmann::ordered_json& j, const char* key) { return j.contains(key) && j[key].is_number(); }

void read_trainer_log(const fs::path& file, RunRecord& r) {
  for_each_json_line(file, r.notes, [&](const nlohmann::ordered_json& j) {
    if (!is_number(j, "current_steps")) return;
    const double step = j["current_steps"].get<double>();
    if (is_number(j, "total_steps")) r.total_steps = j["total_steps"].get<int64_t>();
    r.last_step = std::max(r.last_step, static_cast<int64_t>(step));
    if (j.contains("decision_step")) {
      for (auto it = j.begin(); it != j.end(); ++it)
        if (it.value().is_number() && it.key() != "current_steps" && it.key() != "total_steps" &&
            it.key() != "decision_step")
          r.plugin_metrics.at(it.key()).add(step, it.value().get<double>());
      return;
    }
    if (is_number(j, "loss")) {
      r.train.at("loss").add(step, j["loss"].get<double>());
      if (is_number(j, "lr")) r.train.at("lr").add(step, j["lr"].get<double>());
      if (is_number(j, "throughput")) r.train.at("throughput").add(step, j["throughput"].get<double>());
      if (is_number(j, "grad_norm")) r.train.at("grad_norm").add(step, j["grad_norm"].get<double>());
    }
    if (is_number(j, "eval_loss")) r.eval_loss.add(step, j["eval_loss"].get<double>());
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      // eval_<domain>_loss; the domain itself may hold underscores.
      if (k.size() > 10 && k.rfind("eval_", 0) == 0 && k.compare(k.size() - 5, 5, "_loss") == 0 &&
          it.value().is_number())
        r.eval_domain_loss.at(k.substr(5, k.size() - 10)).add(step, it.value().get<double>());
    }
  });
}

void read_decisions(const fs::path& file, RunRecord& r) {
  for_each_json_line(file, r.notes, [&](const nlohmann::ordered_json& j) {
    if (!is_number(j, "step")) return;
    const double step = j["step"].get<double>();
    const std::string kind = j.value("kind", "");
    if (j.contains("plugin") && j["plugin"].is_string()) r.plugin = j["plugin"].get<std::string>();
    if (kind == "plugin_failure") {
      ++r.plugin_failures;
      return;
    }
    ++r.decisions;
    if (kind == "mixture" && j.contains("proportions") && j["proportions"].is_object()) {
      for (auto it = j["proportions"].begin(); it != j["proportions"].end(); ++it)
        if (it.value().is_number()) r.proportions.at(it.key()).add(step, it.value().get<double>());
    } else if (kind == "selection" && j.contains("per_domain") && j["per_domain"].is_object()) {
      double total = 0;
      for (const auto& v : j["per_domain"]) total += v.is_number() ? v.get<double>() : 0.0;
      for (auto it = j["per_domain"].begin(); it != j["per_domain"].end(); ++it)
        if (it.value().is_number() && total > 0)
          r.selected_share.at(it.key()).add(step, it.value().get<double>() / total);
      const auto& scores = j.contains("scores") ? j["scores"] : nlohmann::ordered_json();
      if (scores.is_object() && scores.contains("histogram") && scores["histogram"].is_array() &&
          is_number(scores, "min") && is_number(scores, "max")) {
        ScoreHistogram h{static_cast<int64_t>(step), scores["min"].get<double>(), scores["max"].get<double>(), {}};
        for (const auto& c : scores["histogram"]) h.counts.push_back(c.is_number() ? c.get<double>() : 0.0);
        r.score_histograms.push_back(std::move(h));
      }
    } else if (kind == "weights") {
      for (const char* k : {"min", "mean", "max", "entropy"})
        if (is_number(j, k)) r.weights.at(k).add(step, j[k].get<double>());
    }
  });
}

nlohmann::ordered_json read_json_file(const fs::path& file, std::vector<std::string>& notes) {
  if (!fs::exists(file)) return nullptr;
  try {
    return nlohmann::ordered_json::parse(read_file(file.string()));
  } catch (const nlohmann::json::exception& e) {
    notes.push_back(file.string() + ": not JSON (" + one_line(e.what()) + "), left out");
    return nullptr;
  }
}

}  // namespace

RunRecord read_run_record(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::exists(root / "trainer_log.jsonl"))
    throw Error(dir + ": not a run's output folder (it holds no trainer_log.jsonl)");
  RunRecord r;
  r.dir = dir;
  r.label = fs::absolute(root).lexically_normal().filename().string();
  if (r.label.empty()) r.label = fs::absolute(root).lexically_normal().parent_path().filename().string();
  read_trainer_log(root / "trainer_log.jsonl", r);
  read_decisions(root / "decisions.jsonl", r);
  if (fs::exists(root / "run_config.toml")) {
    r.config_toml = read_file((root / "run_config.toml").string());
    try {
      const toml::table t = toml::parse(r.config_toml);
      r.train_type = t.at_path("dataflex.train_type").value_or(std::string());
      if (r.plugin.empty()) r.plugin = t.at_path("dataflex.component_name").value_or(std::string());
    } catch (const toml::parse_error& e) {
      r.notes.push_back((root / "run_config.toml").string() + ": not TOML (" + std::string(e.description()) + ")");
    }
  }
  const auto plugins = read_json_file(root / "plugins.json", r.notes);
  r.provenance = plugins.is_object() && plugins.contains("plugins") ? plugins["plugins"] : nlohmann::ordered_json();
  r.results = read_json_file(root / "all_results.json", r.notes);
  r.finished = r.results.is_object();
  return r;
}

}  // namespace dataflex
