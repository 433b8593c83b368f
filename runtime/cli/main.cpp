// dataflex-run: the command line users live in.
//
//   dataflex-run [--plugin-dir DIR]... CONFIG.toml [--set KEY=VALUE]...
//   dataflex-run plugins list | info NAME | run NAME --host FILE.json
//   dataflex-run tokenize --tokenizer PATH|builtin TEXT
//   dataflex-run eval CONFIG.toml [--model DIR] [--split eval|train|all] [--mc FILE.jsonl] --out DIR
//   dataflex-run features CONFIG.toml --out FILE.npy [--checkpoint DIR] [--split train|eval]
//   dataflex-run config keys
//   dataflex-run version
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/engine.hpp"
#include "cli/local_launcher.hpp"
#include "util/error.hpp"
#include "util/process_memory.hpp"

int main(int argc, char** argv) {
  using namespace dataflex;
  keep_freed_memory_for_reuse();
  // libgomp reads OMP_WAIT_POLICY once, when it is first loaded -- with the engine, or earlier with a
  // plugin that uses OpenMP (cluster_less's FAISS), which the run's check loads first. Its default,
  // active, lets idle OpenMP threads spin on the cores OpenBLAS needs (a training step ran 2x slower
  // with cluster_less loaded): so it is set before anything is loaded. A value the user set is kept.
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  auto logger = spdlog::stderr_color_mt("dataflex");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$: %v");

  CLI::App app{"DataFlex: data-centric dynamic training of decoder-only language models", "dataflex-run"};
  app.set_version_flag("--version", [] { return cli::build_info(); });
  std::vector<std::string> plugin_dirs;
  // Each repeatable option takes one value per occurrence: `--plugin-dir DIR CONFIG` must not read
  // CONFIG as a second folder.
  app.add_option("--plugin-dir", plugin_dirs, "folder searched for plugins (repeatable; searched first)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  std::string config_path;
  std::vector<std::string> overrides;
  std::vector<std::string> positional;  // CONFIG [key=value ...], as LLaMA-Factory's `train x.yaml key=value`
  app.add_option("config", positional,
                 "run config (TOML, or a LLaMA-Factory / original DataFlex YAML), then key=value overrides")
      ->type_name("CONFIG [key=value]...");
  app.add_option("--set", overrides, "override a config key: dotted.key=value (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  bool dry_run = false, overwrite = false;
  app.add_flag("--overwrite", overwrite,
               "start afresh: remove output_dir's checkpoints (training.overwrite_output_dir = true); without it a "
               "rerun resumes");
  app.add_flag("--dry-run", dry_run, "check the config and its plugin, print the plan, train nothing");
  bool reset_plugin_state = false, allow_insecure = false;
  app.add_flag("--reset-plugin-state", reset_plugin_state,
               "resume with a plugin build that cannot read the saved plugin state: the plugin starts fresh "
               "(dataflex.reset_plugin_state = true)");
  app.add_flag("--allow-insecure-plugins", allow_insecure,
               "use plugins whose files other users could write (refused by default, as sshd's StrictModes)");
  int nproc_per_node = 0;
  app.add_option("--nproc-per-node", nproc_per_node,
                 "train with N ranks on this node, started here (also NPROC_PER_NODE; several nodes: NNODES, "
                 "NODE_RANK, MASTER_ADDR, MASTER_PORT)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  app.add_flag(
      "--verbose,-v", [](int64_t) { spdlog::set_level(spdlog::level::debug); }, "debug logging");
  app.require_subcommand(0, 1);

  auto* plugins = app.add_subcommand("plugins", "list, inspect and try plugins");
  plugins->require_subcommand(1);
  auto* list = plugins->add_subcommand("list", "every plugin found, one line each, with its status");
  bool as_json = false;
  list->add_flag("--json", as_json, "print JSON instead of a table");
  bool check_plugins = false;
  list->add_flag("--check", check_plugins,
                 "also load each plugin's library and report whether it loads (runs the libraries' code)");
  auto* info = plugins->add_subcommand("info", "a plugin's manifest and parameters");
  std::string info_name;
  info->add_option("name", info_name, "plugin name, or NAME@VERSION-RANGE (\"less@1.1.0\")")->required();
  auto* run = plugins->add_subcommand("run", "decisions of one plugin against a recorded host (JSON)");
  std::string run_name, recording;
  std::vector<std::string> param_sets;
  std::optional<uint64_t> seed;
  run->add_option("name", run_name, "plugin name, or NAME@VERSION-RANGE")->required();
  run->add_option("--host", recording, "recorded host answers (docs/recorded-host.md)")
      ->required()
      ->type_name("FILE.json");
  run->add_option("--set", param_sets, "plugin parameter name=value (repeatable)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  run->add_option("--seed", seed, "run seed (overrides the recording's)");
  for (auto* sub : {plugins, list, info, run})
    sub->add_option("--plugin-dir", plugin_dirs, "folder searched for plugins (repeatable)")
        ->type_name("DIR")
        ->allow_extra_args(false);

  auto* migrate = app.add_subcommand("migrate", "print the TOML run config equivalent to a YAML one");
  std::string migrate_path;
  std::vector<std::string> migrate_overrides;
  migrate->add_option("config", migrate_path, "the YAML config")->required()->type_name("CONFIG.yaml");
  migrate->add_option("overrides", migrate_overrides, "key=value overrides (LLaMA-Factory keys)")
      ->type_name("key=value");
  auto* report = app.add_subcommand("report", "write OUTPUT_DIR/report.html from a run's logs (also during the run)");
  std::string report_dir, report_out;
  report->add_option("output_dir", report_dir, "the run's output folder")->required()->type_name("OUTPUT_DIR");
  report->add_option("-o,--output", report_out, "write the page here instead")->type_name("FILE");
  auto* compare = app.add_subcommand("compare", "write one page overlaying several runs' curves and decisions");
  std::vector<std::string> compare_dirs;
  std::string compare_out = "compare.html";
  compare->add_option("output_dirs", compare_dirs, "the runs' output folders")->required()->type_name("OUTPUT_DIR...");
  compare->add_option("-o,--output", compare_out, "the page to write (default compare.html)")->type_name("FILE");
  auto* config = app.add_subcommand("config", "about run configs");
  config->require_subcommand(1);
  auto* keys = config->add_subcommand("keys", "every config key with its type, default and help");
  auto* version = app.add_subcommand("version", "versions of the runtime, the SDK ABI and LibTorch");

  auto* doremi = app.add_subcommand(
      "doremi", "DoReMi's three runs (reference, proxy, final on the averaged weights) from the proxy run's config");
  std::string doremi_recipe;
  std::vector<std::string> doremi_overrides;
  doremi->add_option("config", doremi_recipe, "the proxy run's config (the doremi mixer, apply = \"loss_weight\")")
      ->required()
      ->type_name("CONFIG.toml");
  doremi->add_option("--set", doremi_overrides, "override a config key in every stage (dataflex.*: the proxy only)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  doremi->add_option("--plugin-dir", plugin_dirs, "folder searched for plugins (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);

  auto* tok = app.add_subcommand("tokenize", "token ids of a text, as JSON");
  std::string tok_path = "builtin", tok_text;
  bool tok_special = false, tok_show = false;
  tok->add_option("--tokenizer", tok_path, "a folder with tokenizer.json, the file itself, or builtin")
      ->type_name("PATH");
  tok->add_option("text", tok_text, "the text (use - to read standard input)")->required();
  tok->add_flag("--add-special-tokens", tok_special, "apply the post-processor (e.g. Llama's BOS)");
  tok->add_flag("--tokens", tok_show, "also print the token strings");

  auto* ev = app.add_subcommand("eval", "per-sample and per-domain loss / perplexity; multiple-choice accuracy");
  cli::EvalOptions eval_options;
  ev->add_option("config", eval_options.config, "run config naming the model and the data")
      ->required()
      ->type_name("CONFIG.toml");
  ev->add_option("--set", eval_options.overrides, "override a config key")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  ev->add_option("--model", eval_options.model, "model folder (default: the config's model_name_or_path)")
      ->type_name("DIR");
  ev->add_option("--adapter", eval_options.adapter, "a PEFT LoRA adapter folder on top of the model")->type_name("DIR");
  ev->add_option("--split", eval_options.split, "eval | train | all")->check(CLI::IsMember({"eval", "train", "all"}));
  ev->add_option("--mc", eval_options.multiple_choice, "MMLU-style JSONL (question, choices, answer) for accuracy")
      ->type_name("FILE.jsonl");
  ev->add_option("--out", eval_options.output_dir, "folder for samples.jsonl and summary.json")->type_name("DIR");
  ev->add_option("--batch-size", eval_options.batch_size, "samples per forward pass")->check(CLI::PositiveNumber);

  auto* feat = app.add_subcommand("features", "gradient features or embeddings of a dataset into .npy / safetensors");
  cli::FeaturesOptions feature_options;
  feat->add_option("config", feature_options.config, "run config naming the model, its fine-tuning and the data")
      ->required()
      ->type_name("CONFIG.toml");
  feat->add_option("--out", feature_options.out, "the file to write (rows in dataset order)")
      ->required()
      ->type_name("FILE.npy|FILE.safetensors");
  feat->add_option("--set", feature_options.overrides, "override a config key")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  feat->add_option("--checkpoint", feature_options.checkpoint, "a checkpoint-N folder: its weights and Adam moments")
      ->type_name("DIR");
  feat->add_option("--split", feature_options.split, "train | eval")->check(CLI::IsMember({"train", "eval"}));
  feat->add_option("--kind", feature_options.kind, "gradients | embeddings")
      ->check(CLI::IsMember({"gradients", "embeddings"}));
  feat->add_option("--preconditioner", feature_options.preconditioner,
                   "sgd | adam (LESS's pool side; needs --checkpoint)")
      ->check(CLI::IsMember({"sgd", "adam"}));
  feat->add_option("--projection", feature_options.projection, "factored | dense | none")
      ->check(CLI::IsMember({"factored", "dense", "none"}));
  feat->add_option("--proj-dim", feature_options.proj_dim, "projected columns (LESS: 8192)")
      ->check(CLI::PositiveNumber);
  feat->add_option("--seed", feature_options.seed, "projection seed (the plugin's `seed`)");
  feat->add_option("--parameter-filter", feature_options.parameter_filter, "comma-separated parameter-name substrings");
  feat->add_option("--layer", feature_options.layer, "embeddings: hidden layer (-1: the last)");
  feat->add_option("--pooling", feature_options.pooling, "embeddings: mean | last | first | position_weighted")
      ->check(CLI::IsMember({"mean", "last", "first", "position_weighted"}));
  feat->add_option("--chunk", feature_options.chunk, "samples per extraction call")->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    cli::set_allow_insecure_plugins(allow_insecure);
    if (*list) return cli::plugins_list(plugin_dirs, as_json, check_plugins);
    if (*info) return cli::plugins_info(plugin_dirs, info_name);
    if (*run) return cli::plugins_run(plugin_dirs, run_name, recording, param_sets, seed);
    if (*keys) return cli::config_keys();
    if (*migrate) return cli::migrate_config(migrate_path, migrate_overrides);
    if (*report) return cli::report_run(report_dir, report_out);
    if (*compare) return cli::compare_runs(compare_dirs, compare_out);
    if (*doremi) return cli::doremi_workflow(plugin_dirs, doremi_recipe, doremi_overrides);
    if (*tok) return cli::tokenize(tok_path, tok_text, tok_special, tok_show);
    if (*ev) {
      std::string error;
      const int code = cli::open_engine().evaluate(eval_options, &error);
      return cli::report_engine_result(code, error);
    }
    if (*feat) {
      std::string error;
      const int code = cli::open_engine().features(feature_options, &error);
      return cli::report_engine_result(code, error);
    }
    if (*version) {
      std::cout << cli::build_info() << "\n";
      return 0;
    }
    if (!positional.empty()) config_path = positional[0];
    for (size_t i = 1; i < positional.size(); ++i) {
      if (positional[i].find('=') == std::string::npos) {
        std::cerr << "dataflex-run: error: '" << positional[i]
                  << "': expected key=value after the config (one config per run)\n";
        return 2;
      }
      overrides.push_back(positional[i]);
    }
    if (config_path.empty()) {
      std::cerr << "dataflex-run: error: no run config given (dataflex-run [--plugin-dir DIR]... CONFIG.toml, or a "
                   "command: plugins, config, version, tokenize, eval, features, doremi; --help lists everything)\n";
      return 2;
    }
    if (overwrite) overrides.push_back("training.overwrite_output_dir=true");
    if (reset_plugin_state) overrides.push_back("dataflex.reset_plugin_state=true");
    // A launcher of this node's ranks, unless a launcher already made this process a rank.
    if (!dry_run && std::getenv("RANK") == nullptr) {
      const cli::LocalLaunch launch = cli::local_launch_from_environment(nproc_per_node);
      if (launch.nproc_per_node > 1 || launch.nnodes > 1) {
        cli::check_config(plugin_dirs, config_path, overrides);  // one error, before any rank starts
        std::vector<std::string> args;
        for (int i = 1; i < argc; ++i) {
          const std::string a = argv[i];
          if (a == "--nproc-per-node")
            ++i;
          else if (a.rfind("--nproc-per-node=", 0) != 0)
            args.push_back(a);
        }
        return cli::launch_local_ranks(launch, args);
      }
    }
    return cli::run_config(plugin_dirs, config_path, overrides, dry_run);
  } catch (const Error& e) {
    std::cerr << "dataflex-run: error: " << one_line(e.what()) << "\n";
    return 1;
  } catch (const nlohmann::json::exception& e) {
    // A JSON file of ours edited or cut short (a checkpoint's state, a log): say what the parser saw.
    std::cerr << "dataflex-run: error: malformed JSON: " << one_line(e.what()) << "\n";
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    // Disk full, permissions, a file where a folder should be: the user's environment, not a bug.
    std::cerr << "dataflex-run: error: " << one_line(e.what()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "dataflex-run: internal error: " << one_line(e.what()) << "\n";
    return 70;
  }
}
