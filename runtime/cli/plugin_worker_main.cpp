// dataflex-plugin-worker: the process an isolated plugin runs in (dataflex.plugin_isolation =
// "process"). Started by the trainer, never by hand:
//   dataflex-plugin-worker SOCKET_FD REGION_FD [LOG_LEVEL]
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "plugins/plugin_worker.hpp"

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
