// dataflex-run doremi RECIPE.toml: DoReMi's three trainings as one command (docs/algorithms/doremi.md).
// The recipe is the proxy run's config (Mix trainer, the `doremi` mixer, apply = "loss_weight"). From
// it the command writes three stage configs into OUTPUT_DIR/stages/ and runs them one after another,
// each into its own folder beside the others:
//   reference  the static mixture the proxy samples (dataflex.sampling_proportions; plain epochs when
//              empty), trained without a plugin decision
//   proxy      the recipe itself, its reference model being the reference run's output
//   final      the static mixer on the proxy's averaged domain weights (proxy/doremi_weights.toml)
// Every stage is an ordinary run: rerunning the command resumes whichever stage was interrupted and
// passes quickly over finished ones. Never loads LibTorch itself: each stage trains in the engine.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "config/run_config.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex::cli {
namespace {

namespace fs = std::filesystem;

// The recipe's table with the user's overrides already checked by RunConfig; the stages rewrite
// only what differs between them.
toml::table read_table(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw Error(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
}

// The table under `key`, created when the recipe relies on defaults and has none (RunConfig has
// already refused a non-table there).
toml::table& subtable(toml::table& t, const char* key) {
  if (!t[key].is_table()) t.insert_or_assign(key, toml::table{});
  return *t[key].as_table();
}

toml::array numbers(const std::vector<double>& values) {
  toml::array a;
  for (double v : values) a.push_back(v);
  return a;
}

// A static stage: no decision but the fixed mixture, from step 0 for the whole run.
toml::table static_stage(const toml::table& recipe, const RunConfig& cfg, const std::string& output_dir,
                         const toml::table& mixer_params) {
  toml::table t = recipe;
  subtable(t, "training").insert_or_assign("output_dir", output_dir);
  toml::table& dataflex = subtable(t, "dataflex");
  for (const char* key : {"component_name", "apply", "reference_model", "sampling_proportions", "warmup_step",
                          "update_step", "update_times", "params"})
    dataflex.erase(key);
  if (mixer_params.empty()) {
    dataflex.insert_or_assign("train_type", "static");  // plain epochs: every sample once per epoch
  } else {
    dataflex.insert_or_assign("component_name", "static");
    dataflex.insert_or_assign("warmup_step", 0);
    dataflex.insert_or_assign("update_step", std::max<int64_t>(1, cfg.get_int("training.max_steps")));
    dataflex.insert_or_assign("update_times", 1);
    dataflex.insert_or_assign("params", mixer_params);
  }
  return t;
}

std::string to_text(const toml::table& t, const std::string& what) {
  std::ostringstream out;
  out << "# " << what << " (written by dataflex-run doremi; rerun the command rather than editing it)\n" << t << "\n";
  return out.str();
}

// The proxy run's averaged weights: the mean of every decision's proportions in its decisions.jsonl
// (what the mixer reports as doremi.average.<domain> after its last decision).
std::map<std::string, double> averaged_weights(const std::string& decisions_path) {
  std::ifstream in(decisions_path);
  if (!in) throw Error(decisions_path + ": cannot be read (did the proxy run take any decision?)");
  std::map<std::string, double> sum;
  int64_t count = 0;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw Error(decisions_path + ":" + std::to_string(n) + ": not a JSON line");
    }
    if (j.value("kind", "") != "mixture" || !j.contains("proportions")) continue;
    for (const auto& [name, p] : j["proportions"].items()) sum[name] += p.get<double>();
    ++count;
  }
  if (count == 0) throw Error(decisions_path + ": no mixture decision (is update_step beyond max_steps?)");
  for (auto& [name, v] : sum) v /= double(count);
  return sum;
}

}  // namespace

int doremi_workflow(const std::vector<std::string>& plugin_dirs, const std::string& recipe_path,
                    const std::vector<std::string>& overrides) {
  const RunConfig cfg = RunConfig::load(recipe_path, overrides);
  if (cfg.train_type() != TrainType::DynamicMix || cfg.get_string("dataflex.component_name") != "doremi" ||
      cfg.get_string("dataflex.apply") != "loss_weight")
    throw Error(recipe_path +
                ": a DoReMi recipe is the proxy run's config: dataflex.train_type = \"dynamic_mix\", component_name = "
                "\"doremi\", apply = \"loss_weight\"");
  const std::string out = cfg.get_string("training.output_dir");
  const std::string stages = out + "/stages";
  const std::string reference_dir = out + "/reference", proxy_dir = out + "/proxy", final_dir = out + "/final";
  const std::string weights_file = proxy_dir + "/doremi_weights.toml";
  fs::create_directories(stages);

  // The file as written, with the overrides applied the way RunConfig applied them: every override
  // goes to every stage except the plugin's parameters and the keys the stages set themselves.
  const toml::table recipe = read_table(recipe_path);
  std::vector<std::string> common, proxy_only;
  for (const auto& o : overrides) {
    const std::string key = o.substr(0, o.find('='));
    if (key == "training.output_dir" || key == "dataflex.reference_model") continue;  // the stages set these
    (key.rfind("dataflex.", 0) == 0 ? proxy_only : common).push_back(o);
  }
  std::vector<std::string> proxy_overrides = common;
  proxy_overrides.insert(proxy_overrides.end(), proxy_only.begin(), proxy_only.end());

  toml::table reference_params;
  if (!cfg.get_float_list("dataflex.sampling_proportions").empty())
    reference_params.insert_or_assign("proportions", numbers(cfg.get_float_list("dataflex.sampling_proportions")));
  toml::table proxy = recipe;
  subtable(proxy, "training").insert_or_assign("output_dir", proxy_dir);
  subtable(proxy, "dataflex").insert_or_assign("reference_model", reference_dir);
  toml::table final_params;
  final_params.insert_or_assign("proportions_file", weights_file);

  struct Stage {
    std::string name, dir, file, what;
    toml::table table;
    const std::vector<std::string>* overrides;
  };
  const std::vector<Stage> plan = {
      {"reference", reference_dir, stages + "/reference.toml", "DoReMi stage 1: the reference run",
       static_stage(recipe, cfg, reference_dir, reference_params), &common},
      {"proxy", proxy_dir, stages + "/proxy.toml", "DoReMi stage 2: the proxy run", proxy, &proxy_overrides},
      {"final", final_dir, stages + "/final.toml", "DoReMi stage 3: the final run on the averaged weights",
       static_stage(recipe, cfg, final_dir, final_params), &common},
  };
  for (const Stage& s : plan) write_file_atomically(s.file, to_text(s.table, s.what));

  for (const Stage& s : plan) {
    std::cout << fmt::format("== DoReMi {}: {} -> {}\n", s.name, s.file, s.dir) << std::flush;
    const int code = run_config(plugin_dirs, s.file, *s.overrides, /*dry_run=*/false);
    if (code != 0) {
      std::cerr << "dataflex-run doremi: stage '" << s.name << "' failed; rerun the same command to resume it\n";
      return code;
    }
    if (s.name == "proxy") {
      const auto weights = averaged_weights(proxy_dir + "/decisions.jsonl");
      std::string text = "# DoReMi's averaged domain weights from " + proxy_dir + "/decisions.jsonl\n";
      for (const auto& [name, w] : weights) text += fmt::format("\"{}\" = {:.17g}\n", name, w);
      write_file_atomically(weights_file, text);
      std::cout << "averaged domain weights (" << weights_file << "):";
      for (const auto& [name, w] : weights) std::cout << fmt::format(" {} {:.4f}", name, w);
      std::cout << "\n";
    }
  }
  std::cout << fmt::format("DoReMi done: {} (reference), {} (proxy), {} (final)\n", reference_dir, proxy_dir,
                           final_dir);
  return 0;
}

}  // namespace dataflex::cli
