// Compiled by the tests with -std=c++17 -Wall -Wextra -Wpedantic -Werror: the C ABI header and the
// header-only C++ helpers for plugin authors.
#include <dataflex/dataflex_plugin.h>
#include <dataflex/plugin.hpp>
#include <dataflex/random.hpp>

namespace {
class Nothing : public dataflex::Weighter {
 public:
  using Weighter::Weighter;
  std::vector<double> weight(const dfx_decision_context&, const Batch& b) override {
    return std::vector<double>(b.losses.size(), 1.0);
  }
};
}  // namespace

DATAFLEX_PLUGIN(Nothing, "nothing", "0.0.1")

int main() { return dataflex_plugin_get_api(DATAFLEX_ABI_VERSION) == nullptr; }
