// The recorded-host JSON (`dataflex-run plugins run PLUGIN --recording FILE`): parsed, answered to a
// real plugin call by call, decisions checked. The plugin is a built one, named by the environment
// variable DATAFLEX_FUZZ_PLUGIN (its plugin.toml), so that one target covers a selector, a mixer and
// a weighter; the service-probe test plugin asks every host service in turn.
#include <cstdlib>

#include "fuzz_support.hpp"
#include "plugins/manifest.hpp"
#include "plugins/recorded_run.hpp"

namespace {

const dataflex::PluginManifest& manifest() {
  static const dataflex::PluginManifest m = [] {
    const char* path = std::getenv("DATAFLEX_FUZZ_PLUGIN");
    if (!path || !*path) {
      std::fprintf(stderr, "set DATAFLEX_FUZZ_PLUGIN to a built plugin's plugin.toml\n");
      std::exit(2);
    }
    return dataflex::read_manifest(path);
  }();
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)manifest();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dataflex;
  RecordedRunOptions options;
  options.recording_path = fuzz::write_input("recording.json", data, size);
  fuzz::expect_clean_failure([&] {
    std::vector<std::string> notes;
    (void)run_recorded(manifest(), options, &notes);
  });
  return 0;
}
