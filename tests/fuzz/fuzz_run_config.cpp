// The run config (TOML): parsed, checked against the schema and turned into training options, as
// `dataflex-run CONFIG` does before anything is loaded.
#include "config/run_config.hpp"
#include "fuzz_support.hpp"
#include "train/training_options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dataflex;
  const std::string path = fuzz::write_input("run.toml", data, size);
  fuzz::expect_clean_failure([&] {
    const RunConfig config = RunConfig::load(path, {});
    (void)TrainingOptions::from_config(config);
  });
  return 0;
}
