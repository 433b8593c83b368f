#include "plugins/plugin_guard.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace dataflex {
namespace {

// What a fault handler writes, composed before the call: a signal handler may not allocate.
struct Message {
  char before[512];  // "dataflex-run: error: plugin 'x' 1.0 "
  char after[1024];  // " in select at step 10; the run can resume from ...\n"
};

// The guard's state lives as long as the process: the watchdog thread may still wait on it while the
// process exits, so it is never destroyed (a destroyed condition variable with a waiter blocks exit).
struct GuardState {
  std::mutex mutex;  // guards everything below except armed, which the handlers read
  Message message;
  std::atomic<bool> armed{false};
  std::string resume_hint;  // empty outside a training run (plugins run, a config check)
  double timeout_s = 0;
  uint64_t call = 0;  // numbers the armed calls, for the watchdog
  std::condition_variable wake;
  bool watchdog_started = false;
};
GuardState& g = *new GuardState;

void write_all(const char* text) {
  std::size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<std::size_t>(n);
  }
}

[[noreturn]] void report_and_exit(const char* what) {
  if (::isatty(STDERR_FILENO)) write_all("\n");  // below a progress line drawn in place
  write_all(g.message.before);
  write_all(what);
  write_all(g.message.after);
  ::_exit(kPluginFaultExit);
}

void on_signal(int sig) {
  if (!g.armed.load()) {  // not the plugin's: the default behaviour, as without a guard
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  switch (sig) {
    case SIGSEGV: report_and_exit("crashed with SIGSEGV (invalid memory access)");
    case SIGBUS: report_and_exit("crashed with SIGBUS (bad memory access)");
    case SIGFPE: report_and_exit("crashed with SIGFPE (arithmetic fault)");
    case SIGILL: report_and_exit("crashed with SIGILL (illegal instruction)");
    default: report_and_exit("aborted (SIGABRT)");
  }
}

void on_exit() {
  if (g.armed.load()) report_and_exit("called exit() (a plugin must return a status, never end the process)");
}

// Installed once, at the first guarded call.
void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = &on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(sig, &sa, nullptr);
    std::atexit(&on_exit);
  });
}

// Waits on the armed call; one that outlasts the timeout ends the process.
void watchdog() {
  std::unique_lock<std::mutex> lock(g.mutex);
  for (;;) {
    g.wake.wait(lock, [] { return g.armed.load() && g.timeout_s > 0; });
    const uint64_t call = g.call;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(g.timeout_s);
    if (!g.wake.wait_until(lock, deadline, [&] { return !g.armed.load() || g.call != call; })) {
      char what[128];
      std::snprintf(what, sizeof what, "did not return within %g s (dataflex.plugin_timeout_s)", g.timeout_s);
      report_and_exit(what);
    }
  }
}

void copy_into(char* dst, std::size_t size, const std::string& text) {
  std::strncpy(dst, text.c_str(), size - 1);
  dst[size - 1] = '\0';
}

}  // namespace

PluginCallGuard::PluginCallGuard(const std::string& name, const std::string& version, const char* call, int64_t step) {
  install_handlers();
  std::lock_guard<std::mutex> lock(g.mutex);
  copy_into(g.message.before, sizeof g.message.before, "dataflex-run: error: plugin '" + name + "' " + version + " ");
  const std::string at = step >= 0 ? " at step " + std::to_string(step) : std::string();
  copy_into(g.message.after, sizeof g.message.after,
            " in " + std::string(call) + at + (g.resume_hint.empty() ? "" : "; " + g.resume_hint) + "\n");
  ++g.call;
  g.armed.store(true);
  if (g.timeout_s > 0 && !g.watchdog_started) {
    std::thread(&watchdog).detach();
    g.watchdog_started = true;
  }
  g.wake.notify_all();
}

PluginCallGuard::~PluginCallGuard() {
  std::lock_guard<std::mutex> lock(g.mutex);
  g.armed.store(false);
  g.wake.notify_all();
}

void PluginCallGuard::set_timeout(double seconds) {
  std::lock_guard<std::mutex> lock(g.mutex);
  g.timeout_s = seconds;
}

void PluginCallGuard::set_resume_hint(const std::string& hint) {
  std::lock_guard<std::mutex> lock(g.mutex);
  g.resume_hint = hint;
}

std::string PluginCallGuard::resume_hint() {
  std::lock_guard<std::mutex> lock(g.mutex);
  return g.resume_hint;
}

}  // namespace dataflex
