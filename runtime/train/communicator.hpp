// communicator.hpp -- the ranks of a run talking to each other, on LibTorch's c10d.
//
// Rendezvous through c10d's TCPStore at MASTER_ADDR:MASTER_PORT (rank 0 serves it, or torchrun's
// agent does); collectives on ProcessGroupGloo. Every rank calls the collectives in the same order.
// Two kinds of waiting, because a rank may have to wait for a long time without anything being wrong:
//   collectives    bounded by distributed.timeout_s (a rank that never arrives is a fault);
//   post/receive   rank 0 tells the others what comes next (a service request of the plugin's, its
//                  decision, "evaluation done"); they wait as long as rank 0's heartbeat goes on,
//                  so a plugin that thinks for an hour is not a fault, and a dead rank 0 is seen in
//                  seconds.
// A failed collective is reported with the rank that stopped: every rank beats a counter in the store
// from a thread of its own, and the ranks whose counter stood still are named.
// One rank (nothing distributed): every collective is the identity and nothing is opened.
// No LibTorch in this header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "train/launch_env.hpp"

namespace at {
class Tensor;
}

namespace dataflex {

struct CommunicatorOptions {
  double timeout_s = 600.0;  // rendezvous and each collective
  int64_t bucket_mb = 25;    // gradients are all-reduced in buckets of about this size
  // The model's device: "cuda..." opens an NCCL group for the tensors (CUDA builds); Gloo carries
  // everything else, and CUDA tensors too (through host memory) where NCCL is not built.
  std::string device = "cpu";
};

class Communicator {
 public:
  // Joins the other ranks (every rank of `env` must join within the timeout, or the missing ones are
  // named in the error). Throws dataflex::Error.
  static std::unique_ptr<Communicator> connect(const LaunchEnv& env, const CommunicatorOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return world_ > 1; }
  // Where this rank is (shown when another rank reports a failure).
  void set_step(int64_t step);

  // Sums over all ranks, in place.
  void allreduce_sum(std::vector<double>& values);
  // Sums the gradients of `params` over all ranks, in place, in buckets; a parameter without a
  // gradient counts as zeros (and gets them).
  void allreduce_gradients(const std::vector<at::Tensor>& params);
  // Every rank's `mine` (the same length on every rank), concatenated in rank order.
  std::vector<double> allgather(const std::vector<double>& mine);
  // Rank 0's `values` on every rank (the same length everywhere).
  void broadcast(std::vector<double>& values);
  // `tensors` (the same shapes on every rank) from rank `root`, in place, in buckets of about
  // `bucket_mb` MiB.
  void broadcast_tensors(const std::vector<at::Tensor>& tensors, int root, int64_t bucket_mb);
  // On rank 0: every rank's `mine`, concatenated in rank order (lengths may differ); elsewhere empty.
  std::vector<float> gather_to_root(const std::vector<float>& mine);
  void barrier();

  // Seconds this rank has spent in collectives (waiting for the others included).
  double collective_seconds() const;

  // Rank 0 only: the next message to every other rank.
  void post(const std::string& message);
  // Other ranks: rank 0's next message; waits as long as rank 0 lives.
  std::string receive();
  // A failure that this rank met outside a collective (a service it computed for rank 0), for rank 0
  // to report: stored under `key`, read with take_report.
  void report(const std::string& key, const std::string& text);
  std::string take_report(const std::string& key);

  struct Impl;

 private:
  Communicator(int rank, int world, std::unique_ptr<Impl> impl);
  int rank_ = 0, world_ = 1;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dataflex
