// Which rank a process is, from the variables torchrun, Kubernetes' PyTorchJob and Slurm's srun set.
#include <gtest/gtest.h>

#include <map>

#include "train/launch_env.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

LaunchEnv from(const std::map<std::string, std::string>& vars) {
  return launch_env_from([&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(LaunchEnv, NothingSetIsOneRank) {
  const LaunchEnv e = from({});
  EXPECT_EQ(e.world_size, 1);
  EXPECT_EQ(e.rank, 0);
  EXPECT_FALSE(e.distributed());
}

TEST(LaunchEnv, TorchrunVariables) {
  const LaunchEnv e = from({{"RANK", "3"},
                            {"WORLD_SIZE", "8"},
                            {"LOCAL_RANK", "1"},
                            {"LOCAL_WORLD_SIZE", "2"},
                            {"MASTER_ADDR", "10.0.0.5"},
                            {"MASTER_PORT", "29400"},
                            {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                            {"TORCHELASTIC_RESTART_COUNT", "2"}});
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 8);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "10.0.0.5");
  EXPECT_EQ(e.master_port, 29400);
  EXPECT_TRUE(e.agent_store);
  EXPECT_EQ(e.restart_count, 2);
}

TEST(LaunchEnv, SlurmTasksWithTheFirstNodeAsMaster) {
  const LaunchEnv e = from({{"SLURM_PROCID", "5"},
                            {"SLURM_STEP_NUM_TASKS", "8"},
                            {"SLURM_LOCALID", "1"},
                            {"SLURM_NTASKS_PER_NODE", "4(x2)"},
                            {"SLURM_JOB_NODELIST", "gpu[07-08]"},
                            {"SLURM_JOB_ID", "123456"}});
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world_size, 8);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 4);
  EXPECT_EQ(e.master_addr, "gpu07");
  EXPECT_EQ(e.master_port, 20000 + 123456 % 10000);
  EXPECT_EQ(e.launcher, "slurm");
}

TEST(LaunchEnv, TorchrunVariablesWinOverSlurms) {
  // torchrun started inside an allocation: its variables describe the ranks.
  const LaunchEnv e = from({{"RANK", "1"},
                            {"WORLD_SIZE", "2"},
                            {"MASTER_ADDR", "127.0.0.1"},
                            {"MASTER_PORT", "1234"},
                            {"SLURM_STEP_NUM_TASKS", "1"},
                            {"SLURM_PROCID", "0"}});
  EXPECT_EQ(e.world_size, 2);
  EXPECT_EQ(e.rank, 1);
}

TEST(LaunchEnv, ABatchScriptOutsideAJobStepIsOneRank) {
  // sbatch exports the allocation's task count; only srun's steps are ranks.
  const LaunchEnv e = from({{"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "0"}, {"SLURM_JOB_NODELIST", "gpu[07-08]"}});
  EXPECT_EQ(e.world_size, 1);
  EXPECT_FALSE(e.distributed());
}

TEST(LaunchEnv, APodOfAPyTorchJobIsTheOnlyRankOfItsNode) {
  const LaunchEnv e =
      from({{"RANK", "5"}, {"WORLD_SIZE", "8"}, {"MASTER_ADDR", "job-master-0"}, {"MASTER_PORT", "23456"}});
  EXPECT_EQ(e.local_rank, 0);
  EXPECT_EQ(e.local_world_size, 1);
}

TEST(LaunchEnv, SlurmNodeLists) {
  EXPECT_EQ(first_slurm_node("node03"), "node03");
  EXPECT_EQ(first_slurm_node("node[03-05,07],gpu1"), "node03");
  EXPECT_EQ(first_slurm_node("a1,b2"), "a1");
  EXPECT_EQ(first_slurm_node("rack[2,4]-n[1-3]"), "rack2-n1");
}

TEST(LaunchEnv, BadValuesNameTheVariable) {
  auto message = [](const std::map<std::string, std::string>& vars) {
    try {
      from(vars);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(
      message({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}}).find("RANK=\"2\""),
      std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "two"}}).find("WORLD_SIZE"), std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}}).find("WORLD_SIZE is not"), std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}).find("MASTER_ADDR"), std::string::npos);
  EXPECT_NE(
      message({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}}).find("MASTER_PORT"),
      std::string::npos);
}

}  // namespace
}  // namespace dataflex
