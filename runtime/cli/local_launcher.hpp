// local_launcher.hpp -- dataflex-run --nproc-per-node N: this node's ranks, started and watched here.
//
// What torchrun does for a node, without Python: N copies of this executable, each with RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (NNODES, NODE_RANK,
// MASTER_ADDR and MASTER_PORT from the environment, as LLaMA-Factory's launcher reads them). SIGTERM,
// SIGUSR1 and SIGINT are passed on to every rank. When a rank fails the others are given a grace
// period to end on their own (they name the failed rank), then killed.
#pragma once

#include <string>
#include <vector>

namespace dataflex::cli {

struct LocalLaunch {
  int nproc_per_node = 1;
  int nnodes = 1;
  int node_rank = 0;
  std::string master_addr;  // empty: 127.0.0.1 (one node)
  int master_port = 0;      // 0: a free port (one node), else 29500
  double grace_s = 30.0;    // after a rank fails, before the others are killed
};

// NPROC_PER_NODE, NNODES, NODE_RANK, MASTER_ADDR, MASTER_PORT over `launch`'s defaults; `flag` is
// --nproc-per-node (0 when not given), which wins over NPROC_PER_NODE.
LocalLaunch local_launch_from_environment(int flag);

// Runs `args` (argv without the program and without --nproc-per-node) as this node's ranks; returns
// the exit code for dataflex-run: 0 when every rank succeeded, else the first failed rank's code.
int launch_local_ranks(const LocalLaunch& launch, const std::vector<std::string>& args);

}  // namespace dataflex::cli
