#include "report/scalar_sink.hpp"

#include <spdlog/spdlog.h>

#include "util/error.hpp"

namespace dataflex {

void BestEffortScalars::write(int64_t step, const Scalars& values) {
  if (!inner_) return;
  try {
    inner_->write(step, values);
  } catch (const std::exception& e) {
    spdlog::warn("{} (at step {}): no more scalars are written there; the run goes on", one_line(e.what()), step);
    inner_.reset();
  }
}

Scalars decision_scalars(const nlohmann::ordered_json& line) {
  Scalars out;
  const std::string kind = line.value("kind", "");
  auto per_domain = [&](const char* field, const std::string& prefix, bool as_share) {
    if (!line.contains(field) || !line[field].is_object()) return;
    double total = 0;
    for (const auto& v : line[field]) total += v.is_number() ? v.get<double>() : 0.0;
    for (auto it = line[field].begin(); it != line[field].end(); ++it)
      if (it.value().is_number() && (!as_share || total > 0))
        out.emplace_back(prefix + it.key(), as_share ? it.value().get<double>() / total : it.value().get<double>());
  };
  if (kind == "mixture") {
    per_domain("proportions", "dataflex/proportion/", false);
  } else if (kind == "selection") {
    per_domain("per_domain", "dataflex/selected_share/", true);
    if (line.contains("scores") && line["scores"].is_object() && line["scores"].contains("mean") &&
        line["scores"]["mean"].is_number())
      out.emplace_back("dataflex/score_mean", line["scores"]["mean"].get<double>());
  } else if (kind == "weights") {
    for (const char* k : {"min", "mean", "max", "entropy"})
      if (line.contains(k) && line[k].is_number())
        out.emplace_back(std::string("dataflex/weight_") + k, line[k].get<double>());
  }
  return out;
}

}  // namespace dataflex
