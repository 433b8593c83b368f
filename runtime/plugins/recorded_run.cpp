#include "plugins/recorded_run.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <type_traits>

#include "config/toml_support.hpp"
#include "plugins/decision_schedule.hpp"
#include "plugins/plugin_instance.hpp"
#include "signals/recorded_host.hpp"
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
  } catch (const json::exception& e) {  // valid syntax it cannot hold: a number overflow
    throw Error(path + ": invalid JSON: " + one_line(e.what()));
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
    for (auto it = inputs.begin(); it != inputs.end();) it = it->name == name ? inputs.erase(it) : it + 1;
    inputs.push_back({name, *value, "--set " + assignment, assignment.substr(eq + 1)});
  }
  return inputs;
}

// "a string", "a negative number", ... for messages about a recorded field of the wrong type.
std::string found(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "the number " + v.dump();
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

// A recorded value as T; `where` names the field ("FILE: calls[2].num_select") in the error.
template <class T>
T as(const json& v, const std::string& where) {
  const bool ok = std::is_same_v<T, bool>       ? v.is_boolean()
                  : std::is_floating_point_v<T> ? v.is_number()
                  : std::is_unsigned_v<T>       ? v.is_number_unsigned()
                  : std::is_integral_v<T>       ? v.is_number_integer()
                                                : true;
  if (!ok) {
    const char* want = std::is_same_v<T, bool>       ? "true or false"
                       : std::is_floating_point_v<T> ? "a number"
                       : std::is_unsigned_v<T>       ? "a non-negative integer"
                                                     : "an integer";
    throw Error(where + ": expected " + want + ", found " + found(v));
  }
  return v.get<T>();
}

// An optional field of an object: `fallback` when absent.
template <class T>
T field(const json& object, const char* key, T fallback, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  // "FILE:" names a top-level field ("FILE: seed"), anything else an object's ("FILE: calls[0].step").
  return as<T>(object[key], where + (!where.empty() && where.back() == ':' ? " " : ".") + key);
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
  for (size_t i = 0; i < a.size(); ++i) {
    const json& v = a[i];
    const std::string at = where + "." + key + "[" + std::to_string(i) + "]";
    if constexpr (std::is_floating_point_v<T>) {
      out.push_back(v.is_null() ? std::numeric_limits<T>::quiet_NaN() : as<T>(v, at));
    } else {
      out.push_back(as<T>(v, at));
    }
  }
  return out;
}

ordered_json number_or_null(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

// The schedule a recording declares ("schedule": warmup_step, update_step, update_times, total_steps):
// call i is then decision i of that schedule, at its step, with the max_decisions training would pass.
std::optional<DecisionSchedule> schedule_of(const json& recording, const std::string& path, PluginKind kind) {
  if (!recording.contains("schedule")) return std::nullopt;
  const json& s = recording["schedule"];
  if (!s.is_object())
    throw Error(path + ": 'schedule' must be an object {warmup_step, update_step, update_times, total_steps}");
  const TrainType type = kind == PluginKind::Weighter ? TrainType::DynamicWeight
                         : kind == PluginKind::Mixer  ? TrainType::DynamicMix
                                                      : TrainType::DynamicSelect;
  const std::string where = path + ": schedule";
  return DecisionSchedule::for_run(
      type, kind, field(s, "warmup_step", int64_t{0}, where), field(s, "update_step", int64_t{1}, where),
      field(s, "update_times", int64_t{-1}, where), field(s, "total_steps", int64_t{1000}, where));
}

DecisionContext context_of(const json& call, const json& recording, size_t i, uint64_t seed,
                           const std::optional<DecisionSchedule>& schedule, const std::string& where) {
  DecisionContext ctx;
  if (schedule) {
    const std::vector<int64_t> steps = schedule->decision_steps();
    if (i >= steps.size())
      throw Error(where + ": the recording's schedule has only " + std::to_string(steps.size()) + " decision step(s)");
    ctx = schedule->context(steps[i], static_cast<int64_t>(i), seed);
  } else {
    ctx.decision_index = static_cast<int64_t>(i);
    ctx.step = static_cast<int64_t>(i);
    const std::string top = where.substr(0, where.rfind(": calls["));
    ctx.total_steps = field(recording, "total_steps", int64_t(1000), top + ":");
    ctx.max_decisions = field(recording, "max_decisions", int64_t(-1), top + ":");
    ctx.seed = decision_seed(seed, ctx.decision_index);
  }
  // What a call states itself wins.
  ctx.step = field(call, "step", ctx.step, where);
  ctx.total_steps = field(call, "total_steps", ctx.total_steps, where);
  ctx.max_decisions = field(call, "max_decisions", ctx.max_decisions, where);
  ctx.learning_rate = field(call, "learning_rate", -1.0, where);
  return ctx;
}

ordered_json select_call(PluginInstance& plugin, const DecisionContext& ctx, const json& call, const std::string& where,
                         const RecordedHost& host) {
  const size_t pool = field(call, "pool_size", host.train_size(), where);
  if (!call.contains("num_select")) throw Error(where + ": missing 'num_select'");
  const auto num_select = as<size_t>(call["num_select"], where + ".num_select");
  const bool duplicates = field(call, "allow_duplicates", false, where);
  if (!duplicates && num_select > pool)
    throw Error(where + ".num_select: " + std::to_string(num_select) + " is more than the pool's " +
                std::to_string(pool) + " samples");
  std::vector<int64_t> pool_sample_ids;
  if (call.contains("pool_sample_ids")) pool_sample_ids = array_of<int64_t>(call, "pool_sample_ids", where, pool);
  const auto sel = plugin.select(ctx, pool, num_select, duplicates, pool_sample_ids);
  ordered_json d;
  d["selected"] = sel.ids;
  ordered_json scores = ordered_json::array();
  for (double s : sel.scores) scores.push_back(number_or_null(s));
  d["scores"] = scores;
  return d;
}

// `proportions`: the mixer's current proportions, carried from call to call.
ordered_json mix_call(PluginInstance& plugin, const DecisionContext& ctx, const json& call, const std::string& where,
                      const RecordedHost& host, std::vector<double>& proportions) {
  MixInput in;
  in.domain_names =
      call.contains("domain_names") ? call["domain_names"].get<std::vector<std::string>>() : host.domain_names();
  const size_t k = in.domain_names.size();
  if (k == 0) throw Error(where + ": no domains (give 'domain_names' or datasets.train.domain_names)");
  if (call.contains("current_proportions")) proportions = array_of<double>(call, "current_proportions", where, k);
  if (proportions.size() != k) proportions.assign(k, 1.0 / double(k));
  in.current_proportions = proportions;
  in.observed_losses = call.contains("observed_losses") ? array_of<double>(call, "observed_losses", where, k)
                                                        : std::vector<double>(k, std::nan(""));
  in.observed_tokens = call.contains("observed_tokens") ? array_of<int64_t>(call, "observed_tokens", where, k)
                                                        : std::vector<int64_t>(k, 0);
  if (call.contains("observed_excess_losses"))
    in.observed_excess_losses = array_of<double>(call, "observed_excess_losses", where, k);
  proportions = plugin.mix(ctx, in);
  ordered_json d;
  d["domains"] = in.domain_names;
  d["proportions"] = proportions;
  return d;
}

ordered_json weight_call(PluginInstance& plugin, const DecisionContext& ctx, const json& call,
                         const std::string& where) {
  if (!call.contains("batch") || !call["batch"].is_object()) throw Error(where + ": missing 'batch' object");
  const json& b = call["batch"];
  const std::string bw = where + ".batch";
  WeightInput in;
  in.losses = array_of<float>(b, "losses", bw, size_t(-1));
  in.sample_ids.resize(in.losses.size());
  for (size_t j = 0; j < in.sample_ids.size(); ++j) in.sample_ids[j] = int64_t(j);
  if (b.contains("sample_ids")) in.sample_ids = array_of<int64_t>(b, "sample_ids", bw, in.losses.size());
  in.domains = b.contains("domains") ? array_of<int32_t>(b, "domains", bw, in.losses.size())
                                     : std::vector<int32_t>(in.losses.size(), 0);
  const host::Weights w = plugin.weight(ctx, in);
  const host::WeightSummary s = host::summarize_weights(w.values, in.losses, w.absolute);
  ordered_json d;
  d["weights"] = w.values;
  d["form"] = w.absolute ? "absolute" : "normalized";
  d["summary"] = {{"min", s.min}, {"max", s.max}, {"mean", s.mean}, {"entropy", s.entropy}};
  d["weighted_loss"] = s.weighted_loss;  // what the Weight trainer optimises: sum w*l / sum w (or / n)
  return d;
}

}  // namespace

std::string run_recorded(const PluginManifest& manifest, const RecordedRunOptions& o, std::vector<std::string>* notes) {
  const json recording = read_json_file(o.recording_path);
  if (!recording.is_object()) throw Error(o.recording_path + ": the recording must be a JSON object");
  json calls;
  if (recording.contains("calls"))
    calls = recording["calls"];
  else if (recording.contains("decision"))
    calls = json::array({recording["decision"]});
  else
    throw Error(o.recording_path + ": the recording needs 'calls' (an array) or 'decision' (an object)");
  if (!calls.is_array() || calls.empty()) throw Error(o.recording_path + ": 'calls' must be a non-empty array");

  const uint64_t seed = o.seed ? *o.seed : field(recording, "seed", uint64_t{0}, o.recording_path + ":");
  const auto schedule = schedule_of(recording, o.recording_path, manifest.kind);
  auto params =
      resolve_params(manifest.params, collect_params(recording, o), "plugin '" + manifest.name + "'", manifest.path);
  auto library = PluginLibrary::load(manifest, notes);
  RecordedHost host(o.recording_path, recording);
  PluginInstance plugin(library, host, params, plugin_seed(seed), o.recording_path);

  ordered_json out;
  out["plugin"] = manifest.name;
  out["kind"] = to_string(manifest.kind);
  out["version"] = manifest.version;
  out["seed"] = seed;
  out["decisions"] = ordered_json::array();
  ordered_json metrics = ordered_json::array();
  std::vector<double> proportions;

  for (size_t i = 0; i < calls.size(); ++i) {
    const json& call = calls[i];
    const std::string where = o.recording_path + ": calls[" + std::to_string(i) + "]";
    if (!call.is_object()) throw Error(where + " must be an object");
    plugin.set_origin(where);
    try {
      const DecisionContext ctx = context_of(call, recording, i, seed, schedule, where);
      host.set_call_services(call.contains("services") ? &call["services"] : nullptr);
      ordered_json d;
      d["step"] = ctx.step;
      d["decision_index"] = ctx.decision_index;
      const ordered_json answer = manifest.kind == PluginKind::Selector ? select_call(plugin, ctx, call, where, host)
                                  : manifest.kind == PluginKind::Mixer
                                      ? mix_call(plugin, ctx, call, where, host, proportions)
                                      : weight_call(plugin, ctx, call, where);
      for (const auto& [k, v] : answer.items()) d[k] = v;
      for (const auto& m : plugin.bridge().take_metrics())
        metrics.push_back({{"step", m.step}, {"name", m.name}, {"value", number_or_null(m.value)}});
      out["decisions"].push_back(d);
    } catch (const json::exception& e) {
      throw Error(where + ": " + one_line(e.what()));
    }
  }
  plugin.set_origin(o.recording_path);
  out["metrics"] = metrics;
  out["state_bytes"] = plugin.save_state().size();
  return out.dump(2);
}

}  // namespace dataflex
