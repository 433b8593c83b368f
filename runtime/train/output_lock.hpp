// output_lock.hpp -- one run per output folder.
//
// Two runs on one folder would interleave their logs and overwrite each other's checkpoints. A run
// holds an advisory lock (flock) on output_dir/.dataflex.lock for its whole life; the kernel drops it
// when the process ends, however it ends, so a killed run leaves no stale lock behind.
#pragma once

#include <string>

namespace dataflex {

class OutputLock {
 public:
  // Locks `output_dir` (created if missing), or throws dataflex::Error naming the process that holds it.
  explicit OutputLock(const std::string& output_dir);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace dataflex
