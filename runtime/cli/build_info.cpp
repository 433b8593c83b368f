// `dataflex-run version`: what this build is, without loading LibTorch (its version is the one the
// build found).
#include <dataflex/dataflex_plugin.h>
#include <sched.h>

#include <string>
#include <thread>

#include "cli/commands.hpp"

namespace dataflex::cli {

std::string build_info() {
  std::string s = "dataflex-run " DATAFLEX_VERSION "\n";
  s += "plugin SDK ABI " + std::to_string(DATAFLEX_ABI_VERSION_MAJOR) + "." +
       std::to_string(DATAFLEX_ABI_VERSION_MINOR) + "\n";
  // The threads a run uses by default (training.num_threads = 0): the cores this process may use.
  cpu_set_t set;
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  s += "LibTorch " DATAFLEX_LIBTORCH_VERSION " (loaded by train and eval only), default threads " +
       std::to_string(cores) + "\n";
#ifdef DATAFLEX_WITH_CUDA
  s += "build features: CUDA on";
#else
  s += "build features: CUDA off";
#endif
#ifdef DATAFLEX_WITH_NCCL
  s += ", NCCL on";
#else
  s += ", NCCL off";
#endif
  return s;
}

}  // namespace dataflex::cli
