// c10d underneath communicator.hpp: TCPStore for rendezvous, messages and heartbeats,
// ProcessGroupGloo for the collectives.
#include "train/communicator.hpp"

#define USE_C10D_GLOO 1
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/version.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef DATAFLEX_WITH_NCCL
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "util/error.hpp"

namespace dataflex {
namespace {

// The process groups' base: c10d::ProcessGroup in LibTorch 1.x, c10d::Backend from 2.0 on.
#if TORCH_VERSION_MAJOR >= 2
using GroupBase = c10d::Backend;
#else
using GroupBase = c10d::ProcessGroup;
#endif

using Ms = std::chrono::milliseconds;
constexpr auto kBeatEvery = Ms(250);
constexpr auto kStillFor = Ms(3000);  // a rank whose heartbeat stood still this long has stopped

std::string message_of(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return one_line(c->what_without_backtrace());
  return one_line(e.what());
}

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }
std::string text_of(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

c10::intrusive_ptr<c10d::Store> open_store(const LaunchEnv& env, bool server, Ms timeout) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(env.master_port);
  o.isServer = server;
  o.numWorkers = c10::nullopt;  // the joins are counted below, so that the missing ranks can be named
  o.waitWorkers = false;
  o.timeout = timeout;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  return c10::make_intrusive<c10d::PrefixStore>("dataflex/" + std::to_string(env.restart_count), tcp);
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const LaunchEnv& env) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (env.master_addr == "localhost" || env.master_addr.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

std::string rank_list(const std::vector<int>& ranks) {
  std::string s;
  for (int r : ranks) s += (s.empty() ? "" : ", ") + std::to_string(r);
  return (ranks.size() == 1 ? "rank " : "ranks ") + s;
}

}  // namespace

struct Communicator::Impl {
  LaunchEnv env;
  CommunicatorOptions options;
  c10::intrusive_ptr<c10d::Store> store;  // this thread's connection
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  c10::intrusive_ptr<GroupBase> device_group;  // NCCL, for CUDA tensors (CUDA builds)
  std::thread heartbeat;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> step{0};
  int64_t posted = 0, received = 0;
  // receive(): rank 0's last heartbeat count and when it was seen to change.
  int64_t root_beat = -1;
  std::chrono::steady_clock::time_point root_beat_seen;

  // Also when connect() fails after the heartbeat started (a std::thread left joinable terminates).
  ~Impl() {
    stopping = true;
    if (heartbeat.joinable()) heartbeat.join();
  }

  // Rank 0, before its store goes away with it: the others have read its last message (an "abort" or
  // the "continue" after a preemption checkpoint), or 2 s have passed (a rank waiting for a message
  // reads it within milliseconds; one that is dead or inside a collective never will).
  void drain() {
    if (env.rank != 0 || posted == 0 || !store) return;
    const std::string key = "read/" + std::to_string(posted - 1);
    const auto deadline = std::chrono::steady_clock::now() + Ms(2000);
    try {
      while (store->add(key, 0) < env.world_size - 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(Ms(10));
    } catch (const std::exception&) {
    }
  }

  Ms timeout() const { return Ms(static_cast<int64_t>(options.timeout_s * 1000)); }
  std::string where() const { return env.master_addr + ":" + std::to_string(env.master_port); }

  // Beats "beat/<rank>" and records the step, on a connection of its own (a store client is not
  // shared between threads). Ends quietly when the store goes away: the main thread reports that.
  void start_heartbeat() {
    auto own = open_store(env, false, timeout());
    heartbeat = std::thread([this, own] {
      const std::string beat = "beat/" + std::to_string(env.rank), at = "step/" + std::to_string(env.rank);
      try {
        while (!stopping) {
          own->add(beat, 1);
          own->set(at, bytes_of(std::to_string(step.load())));
          std::this_thread::sleep_for(kBeatEvery);
        }
      } catch (const std::exception&) {
      }
    });
  }

  // Which ranks stopped: those whose heartbeat stands still for kStillFor. Used after a failure only.
  std::string diagnosis() {
    try {
      std::vector<int64_t> before(env.world_size), after(env.world_size);
      for (int r = 0; r < env.world_size; ++r) before[r] = store->add("beat/" + std::to_string(r), 0);
      std::this_thread::sleep_for(kStillFor);
      std::vector<int> stopped;
      std::string steps;
      for (int r = 0; r < env.world_size; ++r) {
        after[r] = store->add("beat/" + std::to_string(r), 0);
        if (after[r] == before[r] && r != env.rank) stopped.push_back(r);
        std::string at = "?";
        if (store->check({"step/" + std::to_string(r)})) at = text_of(store->get("step/" + std::to_string(r)));
        steps += (steps.empty() ? "" : ", ") + std::to_string(r) + ":" + at;
      }
      if (!stopped.empty())
        return rank_list(stopped) + " stopped (no heartbeat for " +
               std::to_string(std::chrono::duration_cast<Ms>(kStillFor).count() / 1000) + " s; steps by rank " + steps +
               ")";
      return "every rank is alive but one did not take part in time (steps by rank " + steps +
             "; distributed.timeout_s = " + std::to_string(static_cast<int64_t>(options.timeout_s)) + ")";
    } catch (const std::exception&) {
      return "rank 0 stopped (the rendezvous store it served at " + where() + " is gone)";
    }
  }

  double collective_s = 0.0;

  // All-reduce (root < 0) or broadcast from `root` of one flat tensor, in place: on NCCL for a CUDA
  // tensor where built, else on Gloo (a CUDA tensor through host memory).
  void flat_collective(const char* what, at::Tensor& flat, int root) {
    const bool on_device = flat.is_cuda() && device_group;
    at::Tensor t = (flat.is_cuda() && !device_group) ? flat.to(at::kCPU) : flat;
    std::vector<at::Tensor> one = {t};
    collective(what, [&] {
      GroupBase& g = on_device ? *device_group : static_cast<GroupBase&>(*group);
      if (root < 0) {
        g.allreduce(one)->wait();
      } else {
        c10d::BroadcastOptions o;
        o.rootRank = root;
        g.broadcast(one, o)->wait();
      }
    });
    if (!t.is_same(flat)) flat.copy_(t);
  }

  // `tensors` flattened into buckets of about `bucket_mb` MiB (one dtype each), every bucket
  // all-reduced (root < 0) or broadcast from `root`, and copied back in place.
  void bucketed(const char* what, const std::vector<at::Tensor>& tensors, int64_t bucket_mb, int root) {
    const int64_t bucket_bytes = std::max<int64_t>(1, bucket_mb) << 20;
    std::vector<at::Tensor> bucket;
    int64_t bytes = 0;
    auto flush = [&] {
      if (bucket.empty()) return;
      std::vector<at::Tensor> flat;
      for (const auto& t : bucket) flat.push_back(t.detach().reshape({-1}));
      at::Tensor joined = at::cat(flat);
      flat_collective(what, joined, root);
      int64_t offset = 0;
      for (const auto& t : bucket) {
        t.detach().copy_(joined.narrow(0, offset, t.numel()).view_as(t));
        offset += t.numel();
      }
      bucket.clear();
      bytes = 0;
    };
    for (const auto& t : tensors) {
      if (!bucket.empty() && bucket.front().scalar_type() != t.scalar_type()) flush();
      bucket.push_back(t);
      bytes += t.numel() * static_cast<int64_t>(t.element_size());
      if (bytes >= bucket_bytes) flush();
    }
    flush();
  }

  template <class F>
  void collective(const char* what, F&& body) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      body();
      collective_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      const std::string cause = message_of(e);
      throw Error("distributed: " + std::string(what) + " failed on rank " + std::to_string(env.rank) + ": " +
                  diagnosis() + " [" + cause + "]");
    }
  }
};

Communicator::Communicator(int rank, int world, std::unique_ptr<Impl> impl)
    : rank_(rank), world_(world), impl_(std::move(impl)) {}

Communicator::~Communicator() {
  if (impl_) impl_->drain();
}

std::unique_ptr<Communicator> Communicator::connect(const LaunchEnv& env, const CommunicatorOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->options = options;
  if (!env.distributed()) return std::unique_ptr<Communicator>(new Communicator(0, 1, std::move(impl)));
  Impl& m = *impl;
  const bool server = env.rank == 0 && !env.agent_store;
  try {
    m.store = open_store(env, server, m.timeout());
  } catch (const std::exception& e) {
    if (server)
      throw Error("distributed: rank 0 could not serve the rendezvous store on port " +
                  std::to_string(env.master_port) + " (in use? set MASTER_PORT) [" + message_of(e) + "]");
    throw Error("distributed: rank " + std::to_string(env.rank) + " could not reach the rendezvous store at " +
                m.where() + " within " + std::to_string(static_cast<int64_t>(options.timeout_s)) +
                " s (is rank 0 running? MASTER_ADDR/MASTER_PORT) [" + message_of(e) + "]");
  }
  // Every rank announces itself; a rank that never does is named.
  std::vector<std::string> joined;
  for (int r = 0; r < env.world_size; ++r) joined.push_back("joined/" + std::to_string(r));
  // Polled with check(): a TCPStore wait that times out leaves its answer pending on the connection.
  try {
    m.store->set(joined[env.rank], bytes_of("1"));
    const auto deadline = std::chrono::steady_clock::now() + m.timeout();
    while (!m.store->check(joined)) {
      if (std::chrono::steady_clock::now() > deadline) throw Error("rendezvous timed out");
      std::this_thread::sleep_for(Ms(10));
    }
  } catch (const std::exception& e) {
    std::vector<int> missing;
    try {
      for (int r = 0; r < env.world_size; ++r)
        if (!m.store->check({joined[r]})) missing.push_back(r);
    } catch (const std::exception&) {
      throw Error("distributed: rank 0 stopped before every rank joined (the rendezvous store at " + m.where() +
                  " is gone) [" + message_of(e) + "]");
    }
    throw Error("distributed: " + (missing.empty() ? std::string("a rank") : rank_list(missing)) + " of " +
                std::to_string(env.world_size) + " did not join within " +
                std::to_string(static_cast<int64_t>(options.timeout_s)) + " s (distributed.timeout_s) at " + m.where());
  }
  m.start_heartbeat();
  m.collective("creating the Gloo process group", [&] {
    auto o = c10d::ProcessGroupGloo::Options::create(m.timeout());
    o->devices.push_back(gloo_device(env));
    m.group = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", m.store),
                                                          env.rank, env.world_size, o);
  });
#ifdef DATAFLEX_WITH_NCCL
  if (options.device.rfind("cuda", 0) == 0)
    m.collective("creating the NCCL process group", [&] {
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = m.timeout();
      m.device_group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
          c10::make_intrusive<c10d::PrefixStore>("nccl", m.store), env.rank, env.world_size, o);
    });
#endif
  return std::unique_ptr<Communicator>(new Communicator(env.rank, env.world_size, std::move(impl)));
}

void Communicator::set_step(int64_t step) { impl_->step = step; }

double Communicator::collective_seconds() const { return impl_->collective_s; }

void Communicator::allreduce_sum(std::vector<double>& values) {
  if (!distributed() || values.empty()) return;
  impl_->collective("all-reduce", [&] {
    std::vector<at::Tensor> t = {at::from_blob(values.data(), {static_cast<int64_t>(values.size())}, at::kDouble)};
    impl_->group->allreduce(t)->wait();
  });
}

void Communicator::allreduce_gradients(const std::vector<at::Tensor>& params) {
  if (!distributed()) return;
  std::vector<at::Tensor> grads;
  for (const auto& p : params) {
    at::Tensor& g = const_cast<at::Tensor&>(p).mutable_grad();
    if (!g.defined()) g = at::zeros_like(p);
    grads.push_back(g);
  }
  impl_->bucketed("gradient all-reduce", grads, impl_->options.bucket_mb, -1);
}

std::vector<double> Communicator::allgather(const std::vector<double>& mine) {
  if (!distributed()) return mine;
  std::vector<double> out(mine.size() * static_cast<std::size_t>(world_));
  impl_->collective("all-gather", [&] {
    const int64_t n = static_cast<int64_t>(mine.size());
    std::vector<at::Tensor> in = {at::tensor(at::ArrayRef<double>(mine), at::kDouble)};
    std::vector<std::vector<at::Tensor>> outs(1);
    for (int r = 0; r < world_; ++r) outs[0].push_back(at::from_blob(out.data() + r * n, {n}, at::kDouble));
    impl_->group->allgather(outs, in)->wait();
  });
  return out;
}

void Communicator::broadcast(std::vector<double>& values) {
  if (!distributed() || values.empty()) return;
  impl_->collective("broadcast", [&] {
    std::vector<at::Tensor> t = {at::from_blob(values.data(), {static_cast<int64_t>(values.size())}, at::kDouble)};
    c10d::BroadcastOptions o;
    o.rootRank = 0;
    impl_->group->broadcast(t, o)->wait();
  });
}

void Communicator::broadcast_tensors(const std::vector<at::Tensor>& tensors, int root, int64_t bucket_mb) {
  if (!distributed()) return;
  impl_->bucketed("parameter broadcast", tensors, bucket_mb, root);
}

std::vector<float> Communicator::gather_to_root(const std::vector<float>& mine) {
  if (!distributed()) return mine;
  const std::vector<double> lengths = allgather({static_cast<double>(mine.size())});
  int64_t longest = 1;
  for (double l : lengths) longest = std::max(longest, static_cast<int64_t>(l));
  at::Tensor padded = at::zeros({longest}, at::kFloat);
  if (!mine.empty()) std::copy(mine.begin(), mine.end(), padded.data_ptr<float>());
  std::vector<at::Tensor> in = {padded};
  std::vector<std::vector<at::Tensor>> outs;
  if (is_root()) {
    outs.resize(1);
    for (int r = 0; r < world_; ++r) outs[0].push_back(at::empty({longest}, at::kFloat));
  }
  impl_->collective("gather", [&] {
    c10d::GatherOptions o;
    o.rootRank = 0;
    impl_->group->gather(outs, in, o)->wait();
  });
  std::vector<float> out;
  if (!is_root()) return out;
  for (int r = 0; r < world_; ++r) {
    const float* p = outs[0][r].data_ptr<float>();
    out.insert(out.end(), p, p + static_cast<int64_t>(lengths[r]));
  }
  return out;
}

void Communicator::barrier() {
  if (!distributed()) return;
  impl_->collective("barrier", [&] { impl_->group->barrier()->wait(); });
}

void Communicator::post(const std::string& message) {
  if (!distributed()) return;
  Impl& m = *impl_;
  const int64_t seq = m.posted++;
  m.collective("posting a message", [&] {
    m.store->set("msg/" + std::to_string(seq), bytes_of(message));
    // The previous message is dropped once every other rank has read it (keeps the store small).
    if (seq > 0) {
      const std::string prev = std::to_string(seq - 1);
      if (m.store->add("read/" + prev, 0) >= world_ - 1) {
        m.store->deleteKey("msg/" + prev);
        m.store->deleteKey("read/" + prev);
      }
    }
  });
}

std::string Communicator::receive() {
  Impl& m = *impl_;
  const std::string key = "msg/" + std::to_string(m.received);
  if (m.root_beat < 0) m.root_beat_seen = std::chrono::steady_clock::now();
  // Polled (see connect); every second rank 0's heartbeat is looked at.
  for (int polls = 0;; ++polls) {
    int64_t beat = 0;
    try {
      if (m.store->check({key})) {
        std::string message = text_of(m.store->get(key));
        m.store->add("read/" + std::to_string(m.received), 1);
        ++m.received;
        return message;
      }
      std::this_thread::sleep_for(Ms(polls < 100 ? 1 : 10));
      if (polls % 100 != 99) continue;
      beat = m.store->add("beat/0", 0);
    } catch (const std::exception& e) {
      throw Error("distributed: rank " + std::to_string(rank_) +
                  " waiting for rank 0: rank 0 stopped (the rendezvous store it served at " + m.where() +
                  " is gone) [" + message_of(e) + "]");
    }
    {
      const auto now = std::chrono::steady_clock::now();
      if (beat != m.root_beat) {
        m.root_beat = beat;
        m.root_beat_seen = now;
      } else if (now - m.root_beat_seen > std::max<std::chrono::steady_clock::duration>(kStillFor, m.timeout())) {
        throw Error("distributed: rank " + std::to_string(rank_) +
                    " waiting for rank 0: rank 0's heartbeat stood still for " +
                    std::to_string(static_cast<int64_t>(m.options.timeout_s)) + " s");
      }
    }
  }
}

void Communicator::report(const std::string& key, const std::string& text) {
  if (!distributed()) return;
  try {
    impl_->store->set("report/" + key, bytes_of(text));
  } catch (const std::exception&) {
  }
}

std::string Communicator::take_report(const std::string& key) {
  if (!distributed()) return "";
  try {
    if (!impl_->store->check({"report/" + key})) return "";
    std::string text = text_of(impl_->store->get("report/" + key));
    impl_->store->deleteKey("report/" + key);
    return text;
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace dataflex
