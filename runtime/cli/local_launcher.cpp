#include "cli/local_launcher.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "util/error.hpp"

namespace dataflex::cli {
namespace {

std::atomic<int> pending_signal{0};
extern "C" void on_launcher_signal(int sig) { pending_signal = sig; }

int env_int(const char* name, int fallback, int low, int high) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < low || x > high)
    throw Error(std::string("environment variable ") + name + "=\"" + v + "\": expected an integer in [" +
                std::to_string(low) + ", " + std::to_string(high) + "]");
  return static_cast<int>(x);
}

// A port nobody listens on now (the kernel's pick), for a one-node run's rendezvous.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 29500;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 29500;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "ended";
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

LocalLaunch local_launch_from_environment(int flag) {
  LocalLaunch l;
  l.nproc_per_node = flag > 0 ? flag : env_int("NPROC_PER_NODE", 1, 1, 4096);
  l.nnodes = env_int("NNODES", 1, 1, 1 << 16);
  l.node_rank = env_int("NODE_RANK", 0, 0, l.nnodes - 1);
  if (const char* a = std::getenv("MASTER_ADDR")) l.master_addr = a;
  l.master_port = env_int("MASTER_PORT", 0, 0, 65535);
  if (l.nnodes > 1 && l.master_addr.empty())
    throw Error("environment: NNODES is " + std::to_string(l.nnodes) + " but MASTER_ADDR is not set (rank 0's node)");
  return l;
}

int launch_local_ranks(const LocalLaunch& launch, const std::vector<std::string>& args) {
  const int n = launch.nproc_per_node, world = n * launch.nnodes;
  const std::string addr = launch.master_addr.empty() ? "127.0.0.1" : launch.master_addr;
  const int port = launch.master_port > 0 ? launch.master_port : (launch.nnodes == 1 ? free_port() : 29500);
  std::cerr << "dataflex-run: starting ranks " << launch.node_rank * n << ".." << launch.node_rank * n + n - 1 << " of "
            << world << " on this node (rendezvous " << addr << ":" << port << ")\n";

  struct sigaction sa {
  }, old_term{}, old_usr1{}, old_int{};
  sa.sa_handler = on_launcher_signal;
  sigemptyset(&sa.sa_mask);  // no SA_RESTART: waitpid returns to pass the signal on
  ::sigaction(SIGTERM, &sa, &old_term);
  ::sigaction(SIGUSR1, &sa, &old_usr1);
  ::sigaction(SIGINT, &sa, &old_int);

  // Everything a rank's exec needs is built before fork: between fork and exec the child only makes
  // async-signal-safe calls.
  std::vector<char*> argv;
  static char self[] = "dataflex-run";
  argv.push_back(self);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  static const char* kRankVariables[] = {
      "RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT=", "NPROC_PER_NODE="};
  std::vector<std::string> inherited;
  for (char** e = environ; *e != nullptr; ++e) {
    bool replaced = false;
    for (const char* v : kRankVariables) replaced = replaced || std::strncmp(*e, v, std::strlen(v)) == 0;
    if (!replaced) inherited.emplace_back(*e);
  }
  std::vector<std::vector<std::string>> env_text(n, inherited);
  std::vector<std::vector<char*>> envp(n);
  for (int local = 0; local < n; ++local) {
    auto& t = env_text[local];
    t.push_back("RANK=" + std::to_string(launch.node_rank * n + local));
    t.push_back("WORLD_SIZE=" + std::to_string(world));
    t.push_back("LOCAL_RANK=" + std::to_string(local));
    t.push_back("LOCAL_WORLD_SIZE=" + std::to_string(n));
    t.push_back("MASTER_ADDR=" + addr);
    t.push_back("MASTER_PORT=" + std::to_string(port));
    for (auto& x : t) envp[local].push_back(x.data());
    envp[local].push_back(nullptr);
  }
  const pid_t launcher = ::getpid();
  static const char kExecFailed[] = "dataflex-run: a rank could not exec /proc/self/exe\n";

  std::vector<pid_t> pids(n, -1);
  for (int local = 0; local < n; ++local) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int err = errno;
      for (pid_t p : pids)
        if (p > 0) ::kill(p, SIGKILL);
      throw Error(std::string("--nproc-per-node: fork failed: ") + std::strerror(err));
    }
    if (pid == 0) {
      ::sigaction(SIGTERM, &old_term, nullptr);
      ::sigaction(SIGUSR1, &old_usr1, nullptr);
      ::sigaction(SIGINT, &old_int, nullptr);
      // A launcher killed outright (SIGKILL) takes its ranks with it.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != launcher) ::_exit(1);
      ::execve("/proc/self/exe", argv.data(), envp[local].data());
      const ssize_t ignored = ::write(STDERR_FILENO, kExecFailed, sizeof kExecFailed - 1);
      (void)ignored;
      ::_exit(127);
    }
    pids[local] = pid;
  }

  auto signal_all = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) ::kill(p, sig);
  };
  int running = n, result = 0;
  bool failed = false;
  std::chrono::steady_clock::time_point kill_at{};
  while (running > 0) {
    if (const int sig = pending_signal.exchange(0)) signal_all(sig);
    if (failed && std::chrono::steady_clock::now() >= kill_at) signal_all(SIGKILL);
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    int local = -1;
    for (int i = 0; i < n; ++i)
      if (pids[i] == pid) local = i;
    if (local < 0) continue;
    pids[local] = -1;
    --running;
    const int rank = launch.node_rank * n + local;
    const int code = exit_code_of(status);
    if (code != 0 && !failed) {  // 75: every rank stopped on a signal after its checkpoint
      failed = true;
      result = code;
      kill_at =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(launch.grace_s * 1000));
      if (running > 0 && code != 75)
        std::cerr << "dataflex-run: rank " << rank << " (pid " << pid << ") " << describe_status(status)
                  << "; the other ranks stop (killed after " << launch.grace_s << " s if they have not)\n";
    }
  }
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGUSR1, &old_usr1, nullptr);
  ::sigaction(SIGINT, &old_int, nullptr);
  return result;
}

}  // namespace dataflex::cli
