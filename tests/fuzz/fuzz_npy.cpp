// The .npy reader of the SDK (dataflex/npy.hpp): precomputed embeddings, `dataflex-run features`
// output and LESS's offline feature files all pass through it. A bad file must end in one
// std::invalid_argument line; a good one must hold exactly rows x cols floats.
#include <dataflex/npy.hpp>

#include <cstdint>
#include <string>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dataflex;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const npy::Matrix m = npy::parse(bytes, "features.npy");
    if (m.rows < 0 || m.cols < 0 || m.data.size() != static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols))
      fuzz::finding("a parsed matrix whose size disagrees with its shape", std::to_string(m.rows));
    // What serialize() writes, parse() reads back.
    const npy::Matrix again = npy::parse(npy::serialize(m.data.data(), m.rows, m.cols), "again.npy");
    if (again.data != m.data && !(again.data.empty() && m.data.empty()))
      fuzz::finding("serialize() and parse() disagree", std::to_string(m.rows));
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos || message.empty())
      fuzz::finding("an error message that is not one line", message);
  } catch (const std::exception& e) {
    fuzz::finding("an exception other than std::invalid_argument escaped", e.what());
  }
  return 0;
}
