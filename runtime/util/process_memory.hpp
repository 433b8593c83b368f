// process_memory.hpp -- this process's resident memory, as the logs and benches report it.
#pragma once

namespace dataflex {

// Resident set now, MiB (/proc/self/statm); 0 where it cannot be read.
double resident_mb();
// The largest resident set so far, MiB (getrusage's ru_maxrss).
double peak_resident_mb();

}  // namespace dataflex
