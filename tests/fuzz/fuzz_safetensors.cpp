// The safetensors file: the header is parsed and checked, then every tensor's bytes are read, so
// that an offset the checks let through is caught by AddressSanitizer rather than by a user's eval.
#include "fuzz_support.hpp"
#include "model/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dataflex;
  const std::string path = fuzz::write_input("model.safetensors", data, size);
  fuzz::expect_clean_failure([&] {
    const auto file = SafetensorsFile::open(path);
    volatile uint8_t sink = 0;
    for (const TensorView& t : file->tensors()) {
      if (t.nbytes != static_cast<size_t>(t.numel()) * dtype_size(t.dtype))
        fuzz::finding("a tensor whose byte size disagrees with its shape and dtype", t.name);
      for (size_t i = 0; i < t.nbytes; ++i) sink = sink ^ t.data[i];
      if (file->find(t.name) != &t) fuzz::finding("find() does not return the listed tensor", t.name);
    }
    (void)sink;
  });
  return 0;
}
