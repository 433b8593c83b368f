// optimizer_state_key.hpp -- how LibTorch's optimizers key their per-parameter state: by the
// parameter's TensorImpl address, as text up to LibTorch 2.1 and as the pointer itself from 2.2 on.
// Included by translation units that already include LibTorch.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/string_utils.h>
#include <torch/version.h>

#include <string>

namespace dataflex {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
inline void* optimizer_state_key(const at::Tensor& parameter) { return parameter.unsafeGetTensorImpl(); }
#else
inline std::string optimizer_state_key(const at::Tensor& parameter) {
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}
#endif

}  // namespace dataflex
