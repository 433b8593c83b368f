#include "train/run_plan.hpp"

#include <fmt/format.h>

#include <sstream>

#include <toml++/toml.h>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "plugins/isolated_plugin.hpp"
#include "plugins/plugin_instance.hpp"
#include "train/training_options.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

// What the run host offers before a model is loaded: nothing but logs and metrics. Creating the
// plugin against it checks that the plugin accepts its parameters.
class ValidationHost : public host::ServiceProvider {
 public:
  std::string description() const override { return "runtime host (config validation: no model is loaded)"; }
};

// max_steps, or the epochs over the training data, which is tokenized for it (no model is loaded).
// Reads every dataset as the run will; the length in steps, and per domain its sample counts.
int64_t read_data(const RunConfig& cfg, std::vector<std::string>& lines) {
  const TrainingOptions o = TrainingOptions::from_config(cfg);
  const auto tokenizer = Tokenizer::for_model(o.model_name_or_path, o.tokenizer);
  const Corpus corpus = load_corpus(o.data, *tokenizer);
  std::vector<int64_t> train(corpus.domains.size(), 0), tokens(corpus.domains.size(), 0);
  for (const Sample& s : corpus.train) {
    ++train[static_cast<std::size_t>(s.domain)];
    tokens[static_cast<std::size_t>(s.domain)] += static_cast<int64_t>(s.input_ids.size());
  }
  std::vector<int64_t> eval(corpus.eval_domain_names().size(), 0);
  for (const Sample& s : corpus.eval) ++eval[static_cast<std::size_t>(s.domain)];
  for (std::size_t d = 0; d < corpus.domains.size(); ++d)
    lines.push_back(fmt::format("{}: {} training samples ({} tokens){}", corpus.domains[d], train[d], tokens[d],
                                corpus.eval_domains.empty() ? fmt::format(", {} held out for eval", eval[d]) : ""));
  for (std::size_t d = 0; d < corpus.eval_domains.size(); ++d)
    lines.push_back(fmt::format("{}: {} eval samples (eval_dataset)", corpus.eval_domains[d], eval[d]));
  return o.max_steps > 0 ? o.max_steps : o.total_steps(static_cast<int64_t>(corpus.train.size()));
}

}  // namespace

RunPlan plan_run(const RunConfig& cfg, const PluginSearchPath& search_path, bool count_steps) {
  RunPlan plan;
  TrainingOptions::from_config(cfg);  // its checks (report_to, proportions, ...) fail a dry run too
  plan.train_type = cfg.train_type();
  const std::string& component = cfg.get_string("dataflex.component_name");
  std::optional<PluginKind> kind;
  if (component.empty()) {
    if (plan.train_type != TrainType::Static)
      throw Error(cfg.origin("dataflex.train_type") + ": train_type \"" + to_string(plan.train_type) +
                  "\" needs dataflex.component_name (a " + plugin_kind_wanted(plan.train_type) + " plugin)");
    if (!cfg.get_string("dataflex.component_version").empty())
      throw Error(cfg.origin("dataflex.component_version") +
                  ": a version is given but dataflex.component_name is empty");
    if (!cfg.plugin_params().empty())
      throw Error(cfg.plugin_params()[0].origin + ": parameters are given but dataflex.component_name is empty");
  } else {
    const auto registry = PluginRegistry::discover(search_path);
    const PluginManifest& m = registry.find(component, cfg.get_string("dataflex.component_version"),
                                            cfg.origin("dataflex.component_version"));
    if (!plugin_kind_fits(plan.train_type, m.kind))
      throw Error(cfg.origin("dataflex.component_name") + ": plugin '" + m.name + "' is a " + to_string(m.kind) +
                  " but train_type \"" + to_string(plan.train_type) + "\" needs a " +
                  plugin_kind_wanted(plan.train_type));
    plan.plugin.manifest = m;
    plan.plugin.params = resolve_params(m.params, cfg.plugin_params(), "plugin '" + m.name + "'", m.path);
    ValidationHost host;
    const uint64_t seed = plugin_seed(static_cast<uint64_t>(cfg.get_int("training.seed")));
    if (cfg.get_string("dataflex.plugin_isolation") == "process") {
      // Its code is never loaded here: the check runs in a worker, as the run will.
      PluginLibrary::check_abi_and_services(m, &plan.notes);
      IsolatedPlugin check(m, host, plan.plugin.params, seed, cfg.get_float("dataflex.plugin_timeout_s"));
    } else {
      plan.plugin.library = PluginLibrary::load(m, &plan.notes);
      PluginInstance check(plan.plugin.library, host, plan.plugin.params, seed);
    }
    kind = m.kind;
  }
  plan.steps_from_data = cfg.get_int("training.max_steps") <= 0;
  if (count_steps)
    plan.total_steps = read_data(cfg, plan.data_lines);
  else if (!plan.steps_from_data)
    plan.total_steps = cfg.get_int("training.max_steps");
  plan.schedule = DecisionSchedule::for_run(plan.train_type, kind, cfg.get_int("dataflex.warmup_step"),
                                            cfg.get_int("dataflex.update_step"), cfg.get_int("dataflex.update_times"),
                                            plan.total_steps);
  return plan;
}

std::string describe_plan(const RunConfig& cfg, const RunPlan& plan) {
  std::ostringstream out;
  out << "config:    " << cfg.path() << "\n";
  out << "model:     " << cfg.get_string("model.model_name_or_path") << "\n";
  std::string datasets;
  for (const auto& d : cfg.get_string_list("data.dataset")) datasets += (datasets.empty() ? "" : ", ") + d;
  out << "data:      " << cfg.get_string("data.dataset_dir") << " [" << datasets << "]\n";
  for (const auto& line : plan.data_lines) out << "  " << line << "\n";
  const double epochs = cfg.get_float("training.num_train_epochs");
  const std::string length = !plan.steps_from_data ? fmt::format("{} steps", plan.total_steps)
                             : plan.total_steps > 0
                                 ? fmt::format("{} steps ({} epochs of the data)", plan.total_steps, epochs)
                                 : fmt::format("{} epochs", epochs);
  out << fmt::format("training:  {}, batch {} x {} accumulation, lr {}, seed {}, output {}\n", length,
                     cfg.get_int("training.per_device_train_batch_size"),
                     cfg.get_int("training.gradient_accumulation_steps"), cfg.get_float("training.learning_rate"),
                     cfg.get_int("training.seed"), cfg.get_string("training.output_dir"));
  if (!plan.plugin.manifest) {
    out << "trainer:   static, full data (no plugin)\n";
  } else {
    const PluginManifest& m = *plan.plugin.manifest;
    out << "trainer:   " << to_string(plan.train_type) << " with " << to_string(m.kind) << " '" << m.name << "' "
        << m.version << " (ABI " << m.abi.str() << ", " << m.library_path << ")\n";
    for (const auto& p : plan.plugin.params) out << "  param    " << p.name << " = " << p.value.to_string() << "\n";
    if (cfg.get_string("dataflex.plugin_isolation") == "process")
      out << "  isolated in a worker process; on failure: " << cfg.get_string("dataflex.on_plugin_failure") << "\n";
  }
  if (plan.total_steps > 0 || !plan.steps_from_data)
    out << "schedule:  " << plan.schedule.describe() << "\n";
  else
    out << "schedule:  counted once the data is loaded (the run's length is in epochs)\n";
  return out.str();
}

namespace {

void insert_value(toml::table& table, const std::string& name, const ParamValue& v) {
  switch (v.type) {
    case ParamType::Bool: table.insert_or_assign(name, v.bool_value); break;
    case ParamType::Int: table.insert_or_assign(name, v.int_value); break;
    case ParamType::Float: table.insert_or_assign(name, v.float_value); break;
    case ParamType::String: table.insert_or_assign(name, v.string_value); break;
    case ParamType::FloatList: {
      toml::array a;
      for (double x : v.float_list) a.push_back(x);
      table.insert_or_assign(name, std::move(a));
      break;
    }
    case ParamType::StringList: {
      toml::array a;
      for (const auto& x : v.string_list) a.push_back(x);
      table.insert_or_assign(name, std::move(a));
      break;
    }
  }
}

}  // namespace

std::string effective_config_toml(const RunConfig& cfg, const RunPlan& plan) {
  toml::table root;
  for (const auto& k : config_schema()) {
    toml::table* t = root[k.table].as_table();
    if (t == nullptr) t = root.insert_or_assign(k.table, toml::table{}).first->second.as_table();
    insert_value(*t, k.name, cfg.get(k.dotted()));
  }
  if (!plan.plugin.params.empty()) {
    toml::table params;
    for (const auto& p : plan.plugin.params) insert_value(params, p.name, p.value);
    root["dataflex"].as_table()->insert_or_assign("params", std::move(params));
  }
  std::ostringstream out;
  out << "# The effective config of this run (every key, defaults included), written when it started from\n# "
      << cfg.path() << "\n"
      << root << "\n";
  return out.str();
}

}  // namespace dataflex
