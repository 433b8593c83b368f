#include "util/blas_library.hpp"

#include <algorithm>

// Weak: resolved when OpenBLAS is in the process (loaded with LibTorch), null otherwise.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" char* openblas_get_corename(void) __attribute__((weak));

namespace dataflex {

void set_blas_threads(int n) {
  if (openblas_set_num_threads) openblas_set_num_threads(std::max(1, n));
}

std::string blas_core_name() {
  if (!openblas_get_corename) return "";
  const char* name = openblas_get_corename();
  return name ? name : "";
}

}  // namespace dataflex
