// single_threaded_openmp.hpp -- runs a FAISS call on the calling thread alone (plugins that use FAISS:
// cluster_less's k-means, near's and tsds's approximate neighbour index).
//
// FAISS parallelises with OpenMP. Where the plugin brought libgomp into the process (the CLI, the
// isolation worker: no LibTorch there), a libgomp thread pool outliving the plugin's unloading crashes
// the process; in the trainer the calling thread's OpenMP setting is LibTorch's. So FAISS runs on the
// calling thread, and the setting is restored afterwards.
#pragma once

#include <omp.h>

namespace dataflex::plugin_support {

class SingleThreadedOpenMp {
 public:
  SingleThreadedOpenMp() : before_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleThreadedOpenMp() { omp_set_num_threads(before_); }
  SingleThreadedOpenMp(const SingleThreadedOpenMp&) = delete;
  SingleThreadedOpenMp& operator=(const SingleThreadedOpenMp&) = delete;

 private:
  int before_;
};

}  // namespace dataflex::plugin_support
