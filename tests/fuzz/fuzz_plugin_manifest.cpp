// The plugin manifest (plugin.toml): read and checked, as discovery does for every manifest found.
#include "fuzz_support.hpp"
#include "plugins/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dataflex;
  const std::string path = fuzz::write_input("plugin.toml", data, size);
  fuzz::expect_clean_failure([&] { (void)read_manifest(path); });
  return 0;
}
