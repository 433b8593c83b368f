// util/shared_batches: a computation's batches taken by its own thread and a helper, each exactly once,
// and an error in any batch reaching the computation's caller.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "util/shared_batches.hpp"

namespace dataflex {
namespace {

TEST(SharedBatches, NothingToHelpWithWhenNoComputationRuns) { EXPECT_FALSE(help_with_shared_batches()); }

TEST(SharedBatches, EveryBatchRunsOnceWhetherTheHelperOrTheOwnerTakesIt) {
  constexpr int64_t kBatches = 64;
  std::vector<std::atomic<int>> runs(kBatches);
  std::atomic<int> by_helper{0};
  std::atomic<bool> done{false}, helper_in{false};
  std::thread helper([&] {
    while (!done.load())
      if (help_with_shared_batches())
        helper_in = true;
      else
        std::this_thread::yield();
  });
  const std::thread::id owner = std::this_thread::get_id();
  run_shared_batches(kBatches, [&](int64_t i) {
    runs[static_cast<std::size_t>(i)]++;
    if (std::this_thread::get_id() != owner) {
      by_helper++;
      return;
    }
    // The owner's batches wait for the helper's first one (a bound, not a timing: 30 s).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (by_helper.load() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  });
  done = true;
  helper.join();
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
  EXPECT_TRUE(helper_in.load());
  EXPECT_GT(by_helper.load(), 0);
}

TEST(SharedBatches, AnErrorInAHelpedBatchReachesTheCaller) {
  std::atomic<bool> done{false};
  std::thread helper([&] {
    while (!done.load())
      if (!help_with_shared_batches()) std::this_thread::yield();
  });
  std::atomic<int> started{0};
  EXPECT_THROW(run_shared_batches(1000,
                                  [&](int64_t i) {
                                    started++;
                                    if (i == 5) throw std::runtime_error("batch 5 failed");
                                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                  }),
               std::runtime_error);
  done = true;
  helper.join();
  EXPECT_LT(started.load(), 1000);  // no batch starts after the failure is seen
  EXPECT_FALSE(help_with_shared_batches());
}

TEST(SharedBatches, ASecondComputationMeanwhileRunsAlone) {
  std::atomic<int> inner_runs{0};
  run_shared_batches(2, [&](int64_t) {
    run_shared_batches(3, [&](int64_t) { inner_runs++; });  // the slot is taken: not shared, still complete
  });
  EXPECT_EQ(inner_runs.load(), 6);
}

}  // namespace
}  // namespace dataflex
