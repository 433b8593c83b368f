// decision_overlap.hpp -- how a decision runs beside training (dataflex.decision_staleness > 0):
// the host services answer from a snapshot of the weights, and the cores are split between the
// training thread and the decision's worker for the steps the decision is in flight.
#pragma once

#include <cstdint>

#include "train/data_policy.hpp"

namespace dataflex {

class ModelHost;

class CoreSplitOverlap : public DecisionOverlap {
 public:
  // `threads`: the run's threads (training.num_threads, resolved); `worker_threads`:
  // dataflex.decision_threads (0: half of them, at least one).
  CoreSplitOverlap(ModelHost& host, int64_t threads, int64_t worker_threads);

  void take_snapshot() override;
  void drop_snapshot() override;
  void split_cores(bool split) override;
  void worker_started() override;
  bool help_worker() override;

  int64_t training_threads() const { return training_; }
  int64_t worker_threads() const { return worker_; }

 private:
  ModelHost& host_;
  int64_t threads_, worker_, training_;
};

}  // namespace dataflex
