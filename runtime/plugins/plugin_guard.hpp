// plugin_guard.hpp -- a plugin's crash, exit() or hang ends a run with one line that says so.
//
// Plugin code runs in the trainer's process. Without a guard, a segfault in a plugin killed training
// with nothing naming the plugin, a plugin calling exit(0) ended the run with status 0 and no
// results, and a plugin that never returned stalled the run forever. While a guard is armed (for the
// length of one call into plugin code), SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT, exit() and, when
// a timeout is set, the call outlasting it, each print one line -- the plugin, its version, the call,
// the step, and where the run can resume from -- and end the process with kPluginFaultExit. The last
// checkpoint is intact: it was written atomically before the call. Outside guarded calls nothing
// changes: a crash of the runtime's own code behaves as it always did.
#pragma once

#include <cstdint>
#include <string>

namespace dataflex {

constexpr int kPluginFaultExit = 3;

class PluginCallGuard {
 public:
  // Arms the guard for `call` of plugin `name` `version` at `step` (-1: not a decision).
  PluginCallGuard(const std::string& name, const std::string& version, const char* call, int64_t step);
  ~PluginCallGuard();
  PluginCallGuard(const PluginCallGuard&) = delete;
  PluginCallGuard& operator=(const PluginCallGuard&) = delete;

  // Every call's limit in seconds (dataflex.plugin_timeout_s); 0: none.
  static void set_timeout(double seconds);
  // What a fault's message says about resuming: "the run can resume from DIR/checkpoint-N (...)";
  // empty (the default) outside a training run.
  static void set_resume_hint(const std::string& hint);
  static std::string resume_hint();
};

}  // namespace dataflex
