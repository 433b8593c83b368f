// What running a plugin isolated (dataflex.plugin_isolation = "process") costs per decision, against
// running it in the trainer's process: the same plugin, the same host answers, the same decisions.
//   bench_isolation_overhead PLUGIN_DIR [POOL] [REPEATS]
// PLUGIN_DIR holds the shipped plugins (build/lib/dataflex/plugins). The host answers from memory (no
// model), so the numbers are the boundary's cost alone: a selector that asks for POOL losses, a mixer
// over 16 domains, a weighter over a batch of 64. Run with the worker beside it or DATAFLEX_PLUGIN_WORKER.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "config/param_value.hpp"
#include "plugins/isolated_plugin.hpp"
#include "plugins/manifest.hpp"
#include "plugins/plugin_instance.hpp"
#include "plugins/plugin_library.hpp"

using namespace dataflex;

namespace {

class MemoryHost : public host::ServiceProvider {
 public:
  explicit MemoryHost(size_t pool) : pool_(pool) {}
  std::string description() const override { return "memory host (bench)"; }
  host::DatasetInfo dataset_info(host::Dataset) override { return {pool_, 4}; }
  std::vector<int32_t> sample_domains(host::Dataset, const host::SampleIds& ids) override {
    std::vector<int32_t> out;
    for (int64_t id : ids) out.push_back(static_cast<int32_t>(id % 4));
    return out;
  }
  std::vector<float> sample_losses(host::Dataset, host::Model, const host::SampleIds& ids) override {
    std::vector<float> out;
    for (int64_t id : ids) out.push_back(1.0f + static_cast<float>((id * 2654435761u) % 1000) / 250.0f);
    return out;
  }

 private:
  size_t pool_;
};

double median_us(int repeats, const std::function<void()>& decide) {
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    decide();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<NamedParam> defaults(const PluginManifest& m) { return resolve_params(m.params, {}, m.name, m.path); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_isolation_overhead PLUGIN_DIR [POOL] [REPEATS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const size_t pool = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 200;
  MemoryHost host(pool);
  std::printf("%-14s %-30s %12s %12s %10s\n", "plugin", "decision", "in-process", "isolated", "overhead");
  struct Case {
    const char* plugin;
    std::string what;
    std::function<void(DecisionPlugin&, int64_t)> decide;
  };
  host::MixInput mix;
  for (int d = 0; d < 16; ++d) {
    mix.domain_names.push_back("d" + std::to_string(d));
    mix.current_proportions.push_back(1.0 / 16);
    mix.observed_losses.push_back(2.0 + d * 0.1);
    mix.observed_tokens.push_back(1000);
  }
  host::WeightInput weight;
  for (int i = 0; i < 64; ++i) {
    weight.sample_ids.push_back(i);
    weight.domains.push_back(i % 4);
    weight.losses.push_back(1.0f + static_cast<float>(i % 7) / 3.0f);
  }
  const Case cases[] = {
      {"loss", "select " + std::to_string(pool / 10) + " of " + std::to_string(pool) + " (losses)",
       [&](DecisionPlugin& p, int64_t i) {
         p.select({i, 1000, i, -1, static_cast<uint64_t>(i)}, pool, pool / 10, false);
       }},
      {"random", "select " + std::to_string(pool / 10) + " of " + std::to_string(pool),
       [&](DecisionPlugin& p, int64_t i) {
         p.select({i, 1000, i, -1, static_cast<uint64_t>(i)}, pool, pool / 10, false);
       }},
      {"odm", "mix 16 domains (stateful)",
       [&](DecisionPlugin& p, int64_t i) {
         p.mix({i, 1000, i, -1, static_cast<uint64_t>(i)}, mix);
       }},
      {"loss_reweight", "weight a batch of 64",
       [&](DecisionPlugin& p, int64_t i) {
         p.weight({i, 1000, i, -1, static_cast<uint64_t>(i)}, weight);
       }},
  };
  for (const Case& c : cases) {
    const PluginManifest m = read_manifest(dir + "/" + c.plugin + "/plugin.toml");
    std::vector<std::string> notes;
    auto library = PluginLibrary::load(m, &notes);
    PluginInstance in_process(library, host, defaults(m), 1);
    IsolatedPlugin isolated(m, host, defaults(m), 1, 0);
    int64_t i = 0, j = 0;
    for (int w = 0; w < 5; ++w) c.decide(in_process, i++), c.decide(isolated, j++);  // warm both
    const double a = median_us(repeats, [&] { c.decide(in_process, i++); });
    const double b = median_us(repeats, [&] { c.decide(isolated, j++); });
    std::printf("%-14s %-30s %10.1f us %10.1f us %+8.1f us\n", c.plugin, c.what.c_str(), a, b, b - a);
  }
  return 0;
}
