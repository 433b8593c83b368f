#include "train/launch_env.hpp"

#include <cstdlib>

#include "util/error.hpp"

namespace dataflex {
namespace {

int int_variable(const std::string& name, const std::string& value, int low, int high) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || v < low || v > high)
    throw Error("environment variable " + name + "=\"" + value + "\": expected an integer in [" + std::to_string(low) +
                ", " + std::to_string(high) + "]");
  return static_cast<int>(v);
}

}  // namespace

std::string LaunchEnv::describe() const {
  return "rank " + std::to_string(rank) + " of " + std::to_string(world_size) + " (local " +
         std::to_string(local_rank) + " of " + std::to_string(local_world_size) + "), rendezvous " + master_addr + ":" +
         std::to_string(master_port) + " (" + launcher + ")";
}

std::string first_slurm_node(const std::string& nodelist) {
  // Up to the first comma outside brackets; a bracketed range keeps its first number.
  std::string first;
  int depth = 0;
  for (char c : nodelist) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) break;
    first += c;
  }
  // Each bracketed range keeps its first number: "rack[2,4]-n[1-3]" -> "rack2-n1".
  std::string host;
  for (std::size_t k = 0; k < first.size(); ++k) {
    if (first[k] != '[') {
      host += first[k];
      continue;
    }
    const std::size_t close = first.find(']', k);
    const std::string inside = first.substr(k + 1, close - k - 1);
    host += inside.substr(0, inside.find_first_of(",-"));
    if (close == std::string::npos) break;
    k = close;
  }
  return host;
}

LaunchEnv launch_env_from(const std::function<std::optional<std::string>(const std::string&)>& get) {
  LaunchEnv e;
  auto number = [&](const char* name, int low, int high) -> std::optional<int> {
    auto v = get(name);
    if (!v) return std::nullopt;
    return int_variable(name, *v, low, high);
  };
  constexpr int kMaxRanks = 1 << 20;
  if (auto world = number("WORLD_SIZE", 1, kMaxRanks)) {
    auto rank = number("RANK", 0, *world - 1);
    if (!rank) throw Error("environment: WORLD_SIZE is set but RANK is not (a launcher sets both)");
    e.world_size = *world;
    e.rank = *rank;
    // Unset (Kubernetes' PyTorchJob: one rank per pod): the only rank of its node.
    e.local_rank = number("LOCAL_RANK", 0, kMaxRanks).value_or(0);
    e.local_world_size = number("LOCAL_WORLD_SIZE", 1, kMaxRanks).value_or(e.local_rank + 1);
    e.launcher = "torchrun-style variables";
    if (auto a = get("MASTER_ADDR"))
      e.master_addr = *a;
    else if (e.world_size > 1)
      throw Error("environment: WORLD_SIZE is " + std::to_string(e.world_size) + " but MASTER_ADDR is not set");
    if (auto p = number("MASTER_PORT", 1, 65535))
      e.master_port = *p;
    else if (e.world_size > 1)
      throw Error("environment: WORLD_SIZE is " + std::to_string(e.world_size) + " but MASTER_PORT is not set");
    auto agent = get("TORCHELASTIC_USE_AGENT_STORE");
    e.agent_store = agent && (*agent == "True" || *agent == "true" || *agent == "1");
    e.restart_count = number("TORCHELASTIC_RESTART_COUNT", 0, kMaxRanks).value_or(0);
  } else if (get("RANK")) {
    throw Error("environment: RANK is set but WORLD_SIZE is not (a launcher sets both)");
  } else if (auto ntasks = number("SLURM_STEP_NUM_TASKS", 1, kMaxRanks)) {
    // srun: one task per rank (SLURM_STEP_NUM_TASKS is set inside a job step only: a batch script
    // running dataflex-run directly is one rank, whatever its allocation). MASTER_ADDR/MASTER_PORT,
    // when the job script exports them, win.
    e.world_size = *ntasks;
    e.rank = number("SLURM_PROCID", 0, *ntasks - 1).value_or(0);
    e.local_rank = number("SLURM_LOCALID", 0, kMaxRanks).value_or(0);
    if (auto per_node = get("SLURM_NTASKS_PER_NODE")) {
      // "4" or "4(x2)": the count before any repetition suffix.
      e.local_world_size =
          int_variable("SLURM_NTASKS_PER_NODE", per_node->substr(0, per_node->find('(')), 1, kMaxRanks);
    } else {
      e.local_world_size = e.world_size;
    }
    e.launcher = "slurm";
    if (auto a = get("MASTER_ADDR"))
      e.master_addr = *a;
    else if (auto nodes = get("SLURM_JOB_NODELIST"))
      e.master_addr = first_slurm_node(*nodes);
    else if (e.world_size > 1)
      throw Error("environment: SLURM_STEP_NUM_TASKS is set but neither MASTER_ADDR nor SLURM_JOB_NODELIST");
    if (auto p = number("MASTER_PORT", 1, 65535)) e.master_port = *p;
    // A port from the job id, so that two jobs sharing a node do not collide.
    else if (auto job = number("SLURM_JOB_ID", 0, 2147483647))
      e.master_port = 20000 + *job % 10000;
  }
  if (e.local_rank >= e.local_world_size)
    throw Error("environment: LOCAL_RANK " + std::to_string(e.local_rank) + " is not below LOCAL_WORLD_SIZE " +
                std::to_string(e.local_world_size));
  return e;
}

LaunchEnv launch_env_from_environment() {
  return launch_env_from([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace dataflex
