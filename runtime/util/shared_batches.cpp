#include "util/shared_batches.hpp"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>

namespace dataflex {
namespace {

struct Job {
  const std::function<void(int64_t)>* run = nullptr;
  int64_t n = 0;
  std::atomic<int64_t> next{0};
  std::mutex mutex;  // guards error and helpers
  std::condition_variable helpers_done;
  std::exception_ptr error;
  int helpers = 0;
};

std::mutex g_mutex;  // guards g_job
std::shared_ptr<Job> g_job;

int64_t take_batches(Job& job) {  // how many it took
  for (int64_t taken = 0;; ++taken) {
    const int64_t i = job.next.fetch_add(1);
    if (i >= job.n) return taken;
    try {
      (*job.run)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(job.mutex);
      if (!job.error) job.error = std::current_exception();
      job.next.store(job.n);  // no further batch starts
    }
  }
}

}  // namespace

void run_shared_batches(int64_t n, const std::function<void(int64_t)>& run) {
  auto job = std::make_shared<Job>();
  job->run = &run;
  job->n = n;
  bool shared = false;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_job) g_job = job, shared = true;
  }
  take_batches(*job);
  if (shared) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_job.reset();  // no helper joins any more
  }
  // A helper may still be inside a batch: `run` and the outputs must outlive it.
  std::unique_lock<std::mutex> lock(job->mutex);
  job->helpers_done.wait(lock, [&] { return job->helpers == 0; });
  if (job->error) std::rethrow_exception(job->error);
}

bool help_with_shared_batches() {
  std::shared_ptr<Job> job;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_job) return false;
    job = g_job;
    std::lock_guard<std::mutex> job_lock(job->mutex);
    ++job->helpers;
  }
  const int64_t taken = take_batches(*job);
  {
    std::lock_guard<std::mutex> lock(job->mutex);
    --job->helpers;
  }
  job->helpers_done.notify_all();
  return taken > 0;
}

}  // namespace dataflex
