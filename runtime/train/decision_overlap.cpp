#include "train/decision_overlap.hpp"

#include <ATen/Parallel.h>

#include <algorithm>

#include "signals/model_host.hpp"
#include "util/blas_library.hpp"
#include "util/shared_batches.hpp"

namespace dataflex {

CoreSplitOverlap::CoreSplitOverlap(ModelHost& host, int64_t threads, int64_t worker_threads)
    : host_(host), threads_(std::max<int64_t>(1, threads)) {
  worker_ = worker_threads > 0 ? std::min(worker_threads, threads_) : std::max<int64_t>(1, threads_ / 2);
  // One core each at least: on one core the two threads take turns.
  training_ = std::max<int64_t>(1, threads_ - worker_);
}

void CoreSplitOverlap::take_snapshot() { host_.take_snapshot(); }
void CoreSplitOverlap::drop_snapshot() { host_.clear_snapshot(); }

void CoreSplitOverlap::split_cores(bool split) {
  at::set_num_threads(static_cast<int>(split ? training_ : threads_));
  // LibTorch's OpenMP threads are per calling thread; OpenBLAS's count is one for the process, so while
  // two threads call it, each call gets the smaller share (oversubscribed spinning threads cost several
  // times what they save).
  set_blas_threads(static_cast<int>(split ? std::min(training_, worker_) : threads_));
}

void CoreSplitOverlap::worker_started() {
  // A new thread's first parallel region would take the process-wide count: settle that first, then
  // give this thread its share.
  at::internal::lazy_init_num_threads();
  at::set_num_threads(static_cast<int>(worker_));
}

bool CoreSplitOverlap::help_worker() {
  // The training thread runs at its share while the cores are split; the worker's batches run at the
  // worker's (OpenBLAS's count is already the smaller share of the two, for both).
  at::set_num_threads(static_cast<int>(worker_));
  const bool helped = help_with_shared_batches();
  at::set_num_threads(static_cast<int>(training_));
  return helped;
}

}  // namespace dataflex
