// Opens libdataflex_engine.so on demand (engine.hpp).
#define BOOST_DLL_USE_STD_FS
#include <dlfcn.h>
#include <boost/dll/runtime_symbol_info.hpp>

#include <cstdlib>
#include <iostream>

#include "cli/engine.hpp"
#include "util/error.hpp"

namespace dataflex::cli {

const EngineApi& open_engine() {
  static const EngineApi* api = [] {
    // LibTorch's OpenMP pool and OpenBLAS's pthread pool share the cores. libgomp's idle threads spin
    // (OMP_WAIT_POLICY=active by default) and steal the cores OpenBLAS needs: a training step runs
    // several times slower (docs/performance.md). libgomp reads the variable once, when it is loaded.
    // dataflex-run's main() sets it first thing (a plugin may load libgomp before the engine); this
    // covers other programs that open the engine. A value the user set is kept.
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
    std::error_code ec;
    const auto exe = boost::dll::program_location(ec);
    const std::string path =
        ec ? std::string(DATAFLEX_ENGINE_RELPATH)
           : (exe.parent_path().parent_path() / DATAFLEX_ENGINE_RELPATH).lexically_normal().string();
    void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr)
      throw Error(path + ": cannot load the training engine (" + one_line(::dlerror()) +
                  "); train and eval need it, the other commands do not");
    auto entry = reinterpret_cast<const EngineApi* (*)()>(::dlsym(lib, "dataflex_engine_api"));
    if (entry == nullptr || entry()->api_version != kEngineApiVersion)
      throw Error(path + ": the training engine is from another build of DataFlex (reinstall it with dataflex-run)");
    return entry();  // the library stays loaded until the process ends
  }();
  return *api;
}

int report_engine_result(int code, const std::string& error) {
  if (code != 0)
    std::cerr << "dataflex-run: " << (code == 70 || code == kPreemptedExit ? "" : "error: ") << error << "\n";
  return code;
}

}  // namespace dataflex::cli
