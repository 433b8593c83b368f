// The .npy readers of the SDK (dataflex/npy.hpp): precomputed embeddings, `dataflex-run features`
// output, LESS's offline feature files, NEAR's top_indices.npy and TSDS's tsds_probs.npy all pass
// through them. A bad file must end in one std::invalid_argument line; a good one must hold exactly
// the values its shape says.
#include <dataflex/npy.hpp>

#include <cstdint>
#include <string>

#include "fuzz_support.hpp"

namespace {

template <class Parse>
void expect_one_line_errors(Parse&& parse) {
  try {
    parse();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos || message.empty())
      dataflex::fuzz::finding("an error message that is not one line", message);
  } catch (const std::exception& e) {
    dataflex::fuzz::finding("an exception other than std::invalid_argument escaped", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dataflex;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  expect_one_line_errors([&] {
    const npy::Matrix m = npy::parse(bytes, "features.npy");
    if (m.rows < 0 || m.cols < 0 || m.data.size() != static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols))
      fuzz::finding("a parsed matrix whose size disagrees with its shape", std::to_string(m.rows));
    // What serialize() writes, parse() reads back.
    const npy::Matrix again = npy::parse(npy::serialize(m.data.data(), m.rows, m.cols), "again.npy");
    if (again.data != m.data && !(again.data.empty() && m.data.empty()))
      fuzz::finding("serialize() and parse() disagree", std::to_string(m.rows));
  });
  expect_one_line_errors([&] {
    const npy::IndexMatrix m = npy::parse_indices(bytes, "top_indices.npy");
    if (m.rows < 0 || m.cols < 0 || m.data.size() != static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols))
      fuzz::finding("a parsed index matrix whose size disagrees with its shape", std::to_string(m.rows));
  });
  expect_one_line_errors([&] { npy::parse_vector(bytes, "tsds_probs.npy"); });
  return 0;
}
