// launch_env.hpp -- which rank this process is, read from the variables launchers set.
//
// torchrun, Kubernetes' PyTorchJob and LLaMA-Factory's launcher set RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT; Slurm's srun sets SLURM_PROCID,
// SLURM_STEP_NUM_TASKS, SLURM_LOCALID and SLURM_JOB_NODELIST (the first node is the master). Nothing set: one rank.
// No LibTorch here: dataflex-run's own launcher (--nproc-per-node) uses it too.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace dataflex {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string launcher = "none";  // "torchrun-style variables", "slurm" or "none"
  // torchrun's agent already serves the rendezvous store (TORCHELASTIC_USE_AGENT_STORE): every rank
  // connects to it as a client. Its restart count keeps a restarted attempt's keys apart.
  bool agent_store = false;
  int restart_count = 0;

  bool distributed() const { return world_size > 1; }
  std::string describe() const;
};

// Reads the environment through `get` (getenv by default; tests pass a map). Throws dataflex::Error
// naming the variable for a value that is not a number or out of range, or a half-set environment
// (RANK without WORLD_SIZE).
LaunchEnv launch_env_from(const std::function<std::optional<std::string>(const std::string&)>& get);
LaunchEnv launch_env_from_environment();

// The first host of a Slurm node list ("node[03-05,07],gpu1" -> "node03").
std::string first_slurm_node(const std::string& nodelist);

}  // namespace dataflex
