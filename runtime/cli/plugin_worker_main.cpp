// dataflex-plugin-worker: the process an isolated plugin runs in (dataflex.plugin_isolation =
// "process"). Started by the trainer, never by hand:
//   dataflex-plugin-worker SOCKET_FD REGION_FD [LOG_LEVEL]
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "plugins/plugin_worker.hpp"

#ifdef DATAFLEX_SANITIZE_BUILD
// In the sanitizer build (scripts/sanitize.sh) ASan would catch a plugin's SIGSEGV/SIGBUS/SIGFPE in the
// worker, report it and abort, and the trainer would name SIGABRT. The worker exists to let those
// signals end it as they are, so that the trainer names them as in a user's build.
extern "C" const char* __asan_default_options() { return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0"; }
#endif

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "dataflex-plugin-worker: started by dataflex-run for an isolated plugin, not by hand\n");
    return 2;
  }
  auto logger = spdlog::stderr_color_mt("dataflex");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$: %v");
  if (argc > 3) spdlog::set_level(static_cast<spdlog::level::level_enum>(std::atoi(argv[3])));
  return dataflex::run_plugin_worker(std::atoi(argv[1]), std::atoi(argv[2]));
}
