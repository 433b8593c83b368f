// The one translation unit of the CLI that sees LibTorch: it reports the LibTorch build and the
// thread settings the runtime will train with.
#include <ATen/Parallel.h>
#include <torch/version.h>
#include <dataflex/dataflex_plugin.h>

#include <string>

#include "cli/commands.hpp"

namespace dataflex::cli {

std::string build_info() {
  std::string s = "dataflex-run " DATAFLEX_VERSION "\n";
  s += "plugin SDK ABI " + std::to_string(DATAFLEX_ABI_VERSION_MAJOR) + "." +
       std::to_string(DATAFLEX_ABI_VERSION_MINOR) + "\n";
  s += "LibTorch " TORCH_VERSION ", intra-op threads " + std::to_string(at::get_num_threads()) + "\n";
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
