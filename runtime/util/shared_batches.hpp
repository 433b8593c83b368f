// shared_batches.hpp -- a long host computation cut into batches that a waiting thread may help with.
//
// A decision computed beside training (dataflex.decision_staleness) runs on the worker's share of the
// cores; when training reaches the step the decision applies at, the training thread waits for it. It
// then takes whole batches of the decision's computation (train/decision_overlap.cpp), at the worker's
// thread settings, so that which thread computed a batch changes no bit of the result. One computation
// is shared at a time; a second one started meanwhile runs on its own thread alone.
#pragma once

#include <cstdint>
#include <functional>

namespace dataflex {

// Runs run(i) for every i in [0, n) on the calling thread, sharing them with a thread in
// help_with_shared_batches while it lasts. run(i) must be safe to call concurrently for distinct i (it
// writes only its own outputs) and set its own thread-local state (grad mode). Returns when every batch
// is done; rethrows the first error of any batch (no batch starts after one failed).
void run_shared_batches(int64_t n, const std::function<void(int64_t)>& run);

// On another thread: computes batches of the computation now in run_shared_batches until none is left
// to take. False when it took none (no computation, or its last batches already taken: the caller
// should then wait a little rather than ask again at once).
bool help_with_shared_batches();

}  // namespace dataflex
