#include "plugins/recorded_run.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>

#include "config/toml_support.hpp"
#include "plugins/plugin_instance.hpp"
#include "signals/recorded_host.hpp"
#include "train/decision_schedule.hpp"
#include "util/error.hpp"

namespace dataflex {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;  // output keeps the order written

namespace {

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the recording (expected a JSON file, see docs/recorded-host.md)");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(path + ": JSON syntax error at byte " + std::to_string(e.byte) + ": " + one_line(e.what()));
  }
}

// A JSON value as a plugin parameter input (the same shapes TOML allows).
std::optional<ParamValue> json_to_param(const json& v) {
  if (v.is_boolean()) return ParamValue::of_bool(v.get<bool>());
  if (v.is_number_integer()) return ParamValue::of_int(v.get<int64_t>());
  if (v.is_number()) return ParamValue::of_float(v.get<double>());
  if (v.is_string()) return ParamValue::of_string(v.get<std::string>());
  if (v.is_array()) {
    std::vector<double> list;
    for (const auto& e : v) {
      if (!e.is_number()) return std::nullopt;
      list.push_back(e.get<double>());
    }
    return ParamValue::of_float_list(std::move(list));
  }
  return std::nullopt;
}

std::vector<ParamInput> collect_params(const json& recording, const RecordedRunOptions& o) {
  std::vector<ParamInput> inputs;
  if (recording.contains("params")) {
    const json& p = recording["params"];
    if (!p.is_object()) throw Error(o.recording_path + ": 'params' must be an object");
    for (const auto& [k, v] : p.items()) {
      auto value = json_to_param(v);
      if (!value) throw Error(o.recording_path + ": params." + k + " has an unsupported JSON type");
      inputs.push_back({k, *value, o.recording_path + ": params." + k});
    }
  }
  for (const auto& assignment : o.param_overrides) {
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--set " + assignment + ": expected NAME=VALUE");
    const std::string name = assignment.substr(0, eq);
    std::optional<ParamValue> value;
    try {
      toml::table t = toml::parse("v = " + assignment.substr(eq + 1));
      value = to_param_value(*t.get("v"));
    } catch (const toml::parse_error&) {
      value = ParamValue::of_string(assignment.substr(eq + 1));
    }
    if (!value) throw Error("--set " + assignment + ": unsupported value");
    for (auto it = inputs.begin(); it != inputs.end();)
      it = it->name == name ? inputs.erase(it) : it + 1;
    inputs.push_back({name, *value, "--set " + assignment, assignment.substr(eq + 1)});
  }
  return inputs;
}

template <class T>
std::vector<T> array_of(const json& call, const char* key, const std::string& where, size_t expected) {
  if (!call.contains(key)) throw Error(where + ": missing '" + key + "'");
  const json& a = call[key];
  if (!a.is_array()) throw Error(where + ": '" + key + "' must be an array");
  if (expected != size_t(-1) && a.size() != expected)
    throw Error(where + ": '" + key + "' has " + std::to_string(a.size()) + " entries, expected " +
                std::to_string(expected));
  std::vector<T> out;
  for (const auto& v : a) {
    if constexpr (std::is_floating_point_v<T>) {
      out.push_back(v.is_null() ? std::numeric_limits<T>::quiet_NaN() : v.get<T>());
    } else {
      out.push_back(v.get<T>());
    }
  }
  return out;
}

ordered_json number_or_null(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

}  // namespace

std::string run_recorded(const PluginManifest& manifest, const RecordedRunOptions& o,
                         std::vector<std::string>* notes) {
  const json recording = read_json_file(o.recording_path);
  if (!recording.is_object()) throw Error(o.recording_path + ": the recording must be a JSON object");
  json calls;
  if (recording.contains("calls")) calls = recording["calls"];
  else if (recording.contains("decision")) calls = json::array({recording["decision"]});
  else throw Error(o.recording_path + ": the recording needs 'calls' (an array) or 'decision' (an object)");
  if (!calls.is_array() || calls.empty()) throw Error(o.recording_path + ": 'calls' must be a non-empty array");

  const uint64_t seed = o.seed ? *o.seed : recording.value("seed", uint64_t{0});
  auto params = resolve_params(manifest.params, collect_params(recording, o), "plugin '" + manifest.name + "'",
                               manifest.path);
  auto library = PluginLibrary::load(manifest, notes);
  RecordedHost host(o.recording_path, recording);
  PluginInstance plugin(library, host, params, plugin_seed(seed));

  ordered_json out;
  out["plugin"] = manifest.name;
  out["kind"] = to_string(manifest.kind);
  out["version"] = manifest.version;
  out["seed"] = seed;
  out["decisions"] = ordered_json::array();
  ordered_json metrics = ordered_json::array();
  std::vector<double> proportions;  // a mixer's current proportions carry from call to call

  for (size_t i = 0; i < calls.size(); ++i) {
    const json& call = calls[i];
    const std::string where = o.recording_path + ": calls[" + std::to_string(i) + "]";
    if (!call.is_object()) throw Error(where + " must be an object");
    try {
      DecisionContext ctx;
      ctx.decision_index = int64_t(i);
      ctx.step = call.value("step", int64_t(i));
      ctx.total_steps = call.value("total_steps", recording.value("total_steps", int64_t(1000)));
      ctx.max_decisions = call.value("max_decisions", recording.value("max_decisions", int64_t(-1)));
      ctx.seed = decision_seed(seed, ctx.decision_index);
      host.set_call_services(call.contains("services") ? &call["services"] : nullptr);

      ordered_json d;
      d["step"] = ctx.step;
      d["decision_index"] = ctx.decision_index;
      if (manifest.kind == PluginKind::Selector) {
        const size_t pool = call.value("pool_size", host.train_size());
        if (!call.contains("num_select")) throw Error(where + ": missing 'num_select'");
        const auto sel = plugin.select(ctx, pool, call["num_select"].get<size_t>(),
                                       call.value("allow_duplicates", false));
        d["selected"] = sel.ids;
        ordered_json scores = ordered_json::array();
        for (double s : sel.scores) scores.push_back(number_or_null(s));
        d["scores"] = scores;
      } else if (manifest.kind == PluginKind::Mixer) {
        std::vector<std::string> names = call.contains("domain_names")
                                             ? call["domain_names"].get<std::vector<std::string>>()
                                             : host.domain_names();
        const size_t k = names.size();
        if (k == 0) throw Error(where + ": no domains (give 'domain_names' or datasets.train.domain_names)");
        if (call.contains("current_proportions")) proportions = array_of<double>(call, "current_proportions", where, k);
        if (proportions.size() != k) proportions.assign(k, 1.0 / double(k));
        const auto losses = call.contains("observed_losses") ? array_of<double>(call, "observed_losses", where, k)
                                                             : std::vector<double>(k, std::nan(""));
        const auto tokens = call.contains("observed_tokens") ? array_of<int64_t>(call, "observed_tokens", where, k)
                                                             : std::vector<int64_t>(k, 0);
        proportions = plugin.mix(ctx, names, proportions, losses, tokens).proportions;
        d["domains"] = names;
        d["proportions"] = proportions;
      } else {
        if (!call.contains("batch") || !call["batch"].is_object()) throw Error(where + ": missing 'batch' object");
        const json& b = call["batch"];
        const std::string bw = where + ".batch";
        const auto losses = array_of<float>(b, "losses", bw, size_t(-1));
        std::vector<int64_t> ids(losses.size());
        for (size_t j = 0; j < ids.size(); ++j) ids[j] = int64_t(j);
        if (b.contains("sample_ids")) ids = array_of<int64_t>(b, "sample_ids", bw, losses.size());
        const auto domains = b.contains("domains") ? array_of<int32_t>(b, "domains", bw, losses.size())
                                                   : std::vector<int32_t>(losses.size(), 0);
        const auto w = plugin.weight(ctx, ids, domains, losses).weights;
        d["weights"] = w;
        const auto s = summarize_weights(w);
        double weighted = 0, total = 0;
        for (size_t j = 0; j < w.size(); ++j) {
          weighted += w[j] * losses[j];
          total += w[j];
        }
        d["summary"] = {{"min", s.min}, {"max", s.max}, {"mean", s.mean}, {"entropy", s.entropy}};
        d["weighted_loss"] = weighted / total;  // what the Weight trainer optimises: sum w*l / sum w
      }
      for (const auto& m : plugin.bridge().take_metrics())
        metrics.push_back({{"step", m.step}, {"name", m.name}, {"value", number_or_null(m.value)}});
      out["decisions"].push_back(d);
    } catch (const json::exception& e) {
      throw Error(where + ": " + one_line(e.what()));
    }
  }
  out["metrics"] = metrics;
  out["state_bytes"] = plugin.save_state().size();
  return out.dump(2);
}

}  // namespace dataflex
