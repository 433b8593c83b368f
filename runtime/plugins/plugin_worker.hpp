// plugin_worker.hpp -- the child-process side of an isolated plugin (see isolated_plugin.hpp).
#pragma once

namespace dataflex {

// Serves one isolated plugin over the channel on `socket_fd` and `region_fd` until the trainer closes
// it; returns the process's exit status. The plugin's library is loaded here, never in the trainer.
int run_plugin_worker(int socket_fd, int region_fd);

}  // namespace dataflex
