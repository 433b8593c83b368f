// versioned: one test selector built twice, as 1.0.0 and 1.1.0 (VERSIONED_MINOR), for the deployment
// tests: side-by-side installs, pins, swaps across a resume.
// - Decisions differ: 1.0.0 takes the lowest pool ids, 1.1.0 the highest, each rotated by 3 per decision
//   taken so far; every selected sample's score is that count, so decisions.jsonl shows whether the
//   state (the count) survived a resume.
// - State formats differ: 1.0.0 saves "v1:N", 1.1.0 saves "v2:N"; 1.1.0 reads both (its manifest says
//   reads_state_from = "1.0.x"), 1.0.0 reads only its own.
// - Loading the library appends a line to $VERSIONED_LOADED_MARK, if set: listing plugins must not.
#include <dataflex/plugin.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#ifndef VERSIONED_MINOR
#error "VERSIONED_MINOR must be 0 or 1"
#endif
#define VERSIONED_STR2(x) #x
#define VERSIONED_STR(x) VERSIONED_STR2(x)
#define VERSIONED_VERSION "1." VERSIONED_STR(VERSIONED_MINOR) ".0"

namespace {

__attribute__((constructor)) void mark_loaded() {
  if (const char* path = std::getenv("VERSIONED_LOADED_MARK")) {
    if (FILE* f = std::fopen(path, "a")) {
      std::fputs("loaded " VERSIONED_VERSION "\n", f);
      std::fclose(f);
    }
  }
}

class Versioned : public dataflex::Selector {
 public:
  explicit Versioned(const dataflex::PluginContext& ctx) : Selector(ctx) {}

  Selection select(const dfx_decision_context&, size_t pool_size, size_t num_select, bool) override {
    Selection s;
    const size_t shift = (decisions_ * 3) % pool_size;
    for (size_t i = 0; i < num_select && i < pool_size; ++i) {
      const size_t k = (i + shift) % pool_size;
      s.ids.push_back(static_cast<int64_t>(VERSIONED_MINOR == 0 ? k : pool_size - 1 - k));
      s.scores.push_back(static_cast<double>(decisions_));
    }
    ++decisions_;
    return s;
  }

  std::string save_state() const override {
    return std::string(VERSIONED_MINOR == 0 ? "v1:" : "v2:") + std::to_string(decisions_);
  }

  void load_state(const std::string& blob) override {
    const bool v1 = blob.rfind("v1:", 0) == 0, v2 = blob.rfind("v2:", 0) == 0;
    if (!(v1 || (v2 && VERSIONED_MINOR >= 1)))
      throw std::invalid_argument("state \"" + blob + "\" is not one this build reads");
    decisions_ = std::stoull(blob.substr(3));
  }

 private:
  size_t decisions_ = 0;
};

}  // namespace

DATAFLEX_PLUGIN(Versioned, "versioned", VERSIONED_VERSION)
