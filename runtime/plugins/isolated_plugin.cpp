#include "plugins/isolated_plugin.hpp"
#include "plugins/plugin_library.hpp"

#include <dlfcn.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "plugins/isolation_protocol.hpp"
#include "plugins/plugin_guard.hpp"
#include "plugins/plugin_instance.hpp"

#ifndef DATAFLEX_PLUGIN_WORKER_RELPATH
#define DATAFLEX_PLUGIN_WORKER_RELPATH "lib/dataflex/dataflex-plugin-worker"
#endif

extern char** environ;

namespace dataflex {
namespace fs = std::filesystem;
using namespace isolation;

namespace {

// The descriptors a worker finds its channel on.
constexpr int kWorkerSocketFd = 3;
constexpr int kWorkerRegionFd = 4;

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sig == SIGSEGV   ? "SIGSEGV (invalid memory access)"
                       : sig == SIGBUS  ? "SIGBUS (bad memory access)"
                       : sig == SIGABRT ? "SIGABRT (aborted)"
                       : sig == SIGFPE  ? "SIGFPE (arithmetic fault)"
                       : sig == SIGILL  ? "SIGILL (illegal instruction)"
                       : sig == SIGKILL ? "SIGKILL"
                                        : nullptr;
    return std::string("crashed with ") + (name ? name : ("signal " + std::to_string(sig)).c_str());
  }
  if (WIFEXITED(status))
    return "ended its process with exit status " + std::to_string(WEXITSTATUS(status)) +
           " (a plugin must return a status, never end the process)";
  return "ended its process";
}

}  // namespace

std::string plugin_worker_path() {
  if (const char* env = std::getenv("DATAFLEX_PLUGIN_WORKER"); env && *env) return env;
  // The object this code is linked into: the engine library in lib/dataflex/, or an executable in bin/.
  Dl_info info{};
  fs::path self;
  if (::dladdr(reinterpret_cast<void*>(&plugin_worker_path), &info) && info.dli_fname)
    self = fs::weakly_canonical(info.dli_fname);
  else
    self = fs::read_symlink("/proc/self/exe");
  const fs::path dir = self.parent_path();
  const fs::path beside = dir / "dataflex-plugin-worker";
  if (fs::exists(beside)) return beside.string();
  return (dir.parent_path() / DATAFLEX_PLUGIN_WORKER_RELPATH).string();
}

IsolatedPlugin::IsolatedPlugin(PluginManifest manifest, host::ServiceProvider& services,
                               const std::vector<NamedParam>& params, uint64_t seed, double timeout_s)
    : manifest_(std::move(manifest)),
      services_(services),
      params_(to_host_params(params)),
      seed_(seed),
      timeout_s_(timeout_s) {
  record_library_digest(manifest_);  // the worker loads these bytes (and checks the pin again)
  start();
}

IsolatedPlugin::~IsolatedPlugin() { stop_worker(); }

std::string IsolatedPlugin::prefix() const { return manifest_.path + ": plugin '" + manifest_.name + "' "; }

void IsolatedPlugin::start() {
  const std::string worker = plugin_worker_path();
  if (::access(worker.c_str(), X_OK) != 0)
    throw Error(prefix() + "cannot run isolated: the worker program " + worker +
                " is missing (set DATAFLEX_PLUGIN_WORKER, or use dataflex.plugin_isolation = \"none\")");
  Channel channel = Channel::create();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, channel.peer_socket(), kWorkerSocketFd);
  posix_spawn_file_actions_adddup2(&actions, channel.region_fd(), kWorkerRegionFd);
  const std::string sock = std::to_string(kWorkerSocketFd), region = std::to_string(kWorkerRegionFd);
  const std::string level = std::to_string(static_cast<int>(spdlog::get_level()));
  std::vector<char*> argv{const_cast<char*>(worker.c_str()), const_cast<char*>(sock.c_str()),
                          const_cast<char*>(region.c_str()), const_cast<char*>(level.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, worker.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw Error(prefix() + "cannot start the worker " + worker + ": " + std::strerror(rc));
  channel.close_peer();
  channel_.emplace(std::move(channel));
  pid_ = pid;

  has_state_ = call(
      MessageType::Create, "create", -1,
      [&](Writer& w) {
        w.str(manifest_.path);
        put(w, params_);
        w.pod(seed_);
        // The build recorded here is the only one the worker may load (also when it restarts later).
        w.str(manifest_.library_sha256);
        w.pod<uint8_t>(manifest_.insecure_allowed);
      },
      [](Reader& r) { return r.pod<uint8_t>() != 0; });
  if (last_state_) {  // a restarted worker continues from the state after the last successful call
    const std::vector<uint8_t> blob = *last_state_;
    load_state(blob);
  }
}

void IsolatedPlugin::stop_worker() {
  channel_.reset();  // the worker sees end-of-file and leaves; a stuck one is killed
  if (pid_ <= 0) return;
  int status = 0;
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    ::usleep(2000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void IsolatedPlugin::worker_failed(const char* what, int64_t step, const std::string& how) {
  std::string reason = how;
  if (pid_ > 0) {
    int status = 0;
    if (how.empty()) {  // the channel closed: the process has ended or is ending
      ::waitpid(pid_, &status, 0);
      reason = describe_wait_status(status);
    } else {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  channel_.reset();
  const std::string at = step >= 0 ? " at step " + std::to_string(step) : std::string();
  throw PluginFailure(prefix() + manifest_.version + " (isolated) " + reason + " in " + what + at,
                      /*process_failed=*/true, PluginCallGuard::resume_hint());
}

template <class Encode, class Decode>
auto IsolatedPlugin::call(MessageType type, const char* what, int64_t step, Encode&& encode, Decode&& decode)
    -> decltype(decode(std::declval<Reader&>())) {
  if (!channel_) start();
  using Clock = std::chrono::steady_clock;
  double left_ms = timeout_s_ > 0 ? timeout_s_ * 1000.0 : -1.0;
  try {
    Writer w = channel_->begin();
    encode(w);
    channel_->send(type, w);
    for (;;) {
      const auto t0 = Clock::now();
      Message m = channel_->receive(left_ms < 0 ? -1 : static_cast<int>(std::ceil(std::max(0.0, left_ms))));
      if (left_ms >= 0) left_ms -= std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      switch (m.type) {
        case MessageType::ServiceCall: serve_service(m.payload); break;  // not counted against the timeout
        case MessageType::Reply: {
          auto out = decode(m.payload);
          for (auto& metric : get_metrics(m.payload)) metrics_.push_back(std::move(metric));
          return out;
        }
        case MessageType::CallFailed: {
          const auto status = static_cast<dfx_status>(m.payload.pod<int32_t>());
          const std::string call = m.payload.str(), message = m.payload.str();
          get_metrics(m.payload);
          const std::string at = step >= 0 ? " at step " + std::to_string(step) : std::string();
          if (status == DFX_OK)
            throw PluginFailure(prefix() + "returned an invalid " + call + " decision" + at + ", refused: " + message);
          throw PluginFailure(prefix() + "failed in " + call + at + " with " + host::status_name(status) + ": " +
                              message);
        }
        case MessageType::WorkerError: throw Error(host::one_line(m.payload.str()));
        default: throw ProtocolError{"an unexpected message of type " + std::to_string(static_cast<uint32_t>(m.type))};
      }
    }
  } catch (const ChannelClosed&) {
    worker_failed(what, step, "");
  } catch (const ChannelTimeout&) {
    char how[160];
    std::snprintf(how, sizeof how, "did not return within %g s (dataflex.plugin_timeout_s)", timeout_s_);
    worker_failed(what, step, how);
  } catch (const ProtocolError& e) {
    worker_failed(what, step, "broke the isolation protocol (" + e.what + ")");
  }
}

void IsolatedPlugin::serve_service(Reader& r) {
  const auto service = static_cast<Service>(r.pod<uint32_t>());
  Writer w = channel_->begin();
  try {
    auto dataset = [&] { return static_cast<host::Dataset>(r.pod<int32_t>()); };
    auto model = [&] { return static_cast<host::Model>(r.pod<int32_t>()); };
    switch (service) {
      case Service::DatasetInfo: {
        const auto info = services_.dataset_info(dataset());
        w = channel_->begin();
        w.pod<uint64_t>(info.num_samples), w.pod<uint64_t>(info.num_domains);
        break;
      }
      case Service::SampleDomains: {
        const auto d = dataset();
        const auto out = services_.sample_domains(d, r.vec<int64_t>());
        w = channel_->begin(), w.vec(out);
        break;
      }
      case Service::SampleLosses: {
        const auto d = dataset();
        const auto m = model();
        const auto out = services_.sample_losses(d, m, r.vec<int64_t>());
        w = channel_->begin(), w.vec(out);
        break;
      }
      case Service::TokenCount: {
        const auto d = dataset();
        const auto m = model();
        const auto n = services_.token_count(d, m, r.vec<int64_t>());
        w = channel_->begin(), w.pod<uint64_t>(n);
        break;
      }
      case Service::TokenLosses: {
        const auto d = dataset();
        const auto m = model();
        const auto out = services_.token_losses(d, m, r.vec<int64_t>());
        w = channel_->begin(), w.vec(out.losses), w.vec(out.offsets), w.vec(out.domains);
        break;
      }
      case Service::DomainLosses: {
        const auto d = dataset();
        const auto out = services_.domain_losses(d, model());
        w = channel_->begin(), w.vec(out);
        break;
      }
      case Service::GradientFeatureDim: {
        const auto n = services_.gradient_feature_dim(get_gradient_request(r));
        w = channel_->begin(), w.pod<uint64_t>(n);
        break;
      }
      case Service::GradientFeatures: {
        const auto q = get_gradient_request(r);
        const auto out = services_.gradient_features(q, r.vec<int64_t>());
        w = channel_->begin(), w.vec(out);
        break;
      }
      case Service::EmbeddingDim: {
        const auto n = services_.embedding_dim(get_embedding_request(r));
        w = channel_->begin(), w.pod<uint64_t>(n);
        break;
      }
      case Service::Embeddings: {
        const auto q = get_embedding_request(r);
        const auto out = services_.embeddings(q, r.vec<int64_t>());
        w = channel_->begin(), w.vec(out);
        break;
      }
      case Service::SampleTokens: {
        const auto d = dataset();
        const auto out = services_.sample_tokens(d, r.vec<int64_t>());
        w = channel_->begin(), w.vec(out.token_ids), w.vec(out.trained), w.vec(out.offsets);
        break;
      }
      case Service::Generate: {
        const auto q = get_generate_request(r);
        const auto out = services_.generate(q, r.vec<int64_t>());
        w = channel_->begin(), put(w, out);
        break;
      }
      case Service::Reward: {
        const auto d = dataset();
        const auto kind = static_cast<dfx_reward>(r.pod<int32_t>());
        const auto ids = r.vec<int64_t>();
        const auto out = services_.reward(d, kind, ids, get_responses(r));
        w = channel_->begin(), w.vec(out);
        break;
      }
      case Service::ResponseFeatureDim: {
        const auto n = services_.response_feature_dim(get_response_feature_request(r));
        w = channel_->begin(), w.pod<uint64_t>(n);
        break;
      }
      case Service::ResponseFeatures: {
        const auto q = get_response_feature_request(r);
        const auto ids = r.vec<int64_t>();
        const auto out = services_.response_gradient_features(q, ids, get_responses(r));
        w = channel_->begin(), w.vec(out);
        break;
      }
      default: throw ProtocolError{"an unknown host service " + std::to_string(static_cast<uint32_t>(service))};
    }
  } catch (const host::ServiceError& e) {
    w = channel_->begin();
    w.pod<int32_t>(e.status()), w.str(e.what());
    channel_->send(MessageType::ServiceFailed, w);
    return;
  } catch (const ProtocolError&) {
    throw;
  } catch (const std::exception& e) {  // the provider's own failure, reported as the in-process bridge would
    w = channel_->begin();
    w.pod<int32_t>(-1), w.str(e.what());
    channel_->send(MessageType::ServiceFailed, w);
    return;
  }
  channel_->send(MessageType::ServiceAnswer, w);
}

Selection IsolatedPlugin::select(const DecisionContext& ctx, size_t pool_size, size_t num_select, bool allow_duplicates,
                                 const std::vector<int64_t>& pool_sample_ids) {
  Selection out = call(
      MessageType::Select, "select", ctx.step,
      [&](Writer& w) {
        put(w, ctx);
        w.pod<uint64_t>(pool_size), w.pod<uint64_t>(num_select), w.pod<uint8_t>(allow_duplicates);
        w.vec(pool_sample_ids);
      },
      [](Reader& r) {
        Selection s;
        s.ids = r.vec<int64_t>();
        s.scores = r.vec<double>();
        return s;
      });
  // The worker checked the decision with the SDK's rules; a worker whose memory the plugin corrupted
  // could still send anything, so the trainer checks again before it trusts an id.
  if (out.scores.size() != out.ids.size())
    worker_failed("select", ctx.step, "broke the isolation protocol (scores and ids of different lengths)");
  if (auto rule = host::check_selection(out.ids, out.ids.size(), pool_size, num_select, allow_duplicates))
    worker_failed("select", ctx.step, "broke the isolation protocol (" + *rule + ")");
  remember_state();
  return out;
}

std::vector<double> IsolatedPlugin::mix(const DecisionContext& ctx, const MixInput& in) {
  std::vector<double> p = call(
      MessageType::Mix, "mix", ctx.step,
      [&](Writer& w) {
        put(w, ctx);
        w.strings(in.domain_names), w.vec(in.current_proportions), w.vec(in.observed_losses);
        w.vec(in.observed_tokens), w.vec(in.observed_excess_losses);
      },
      [](Reader& r) { return r.vec<double>(); });
  if (p.size() != in.domain_names.size())
    worker_failed("mix", ctx.step, "broke the isolation protocol (proportions of the wrong length)");
  if (auto rule = host::check_proportions(p))
    worker_failed("mix", ctx.step, "broke the isolation protocol (" + *rule + ")");
  remember_state();
  return host::normalized(std::move(p));
}

host::Weights IsolatedPlugin::weight(const DecisionContext& ctx, const WeightInput& in) {
  host::Weights weights = call(
      MessageType::Weight, "weight", ctx.step,
      [&](Writer& w) {
        put(w, ctx);
        w.vec(in.sample_ids), w.vec(in.domains), w.vec(in.losses);
      },
      [](Reader& r) {
        host::Weights out;
        out.values = r.vec<double>();
        out.absolute = r.pod<uint8_t>() != 0;
        return out;
      });
  if (weights.values.size() != in.sample_ids.size())
    worker_failed("weight", ctx.step, "broke the isolation protocol (weights of the wrong length)");
  if (auto rule = host::check_weights(weights.values))
    worker_failed("weight", ctx.step, "broke the isolation protocol (" + *rule + ")");
  remember_state();
  return weights;
}

std::vector<host::Metric> IsolatedPlugin::take_metrics() {
  std::vector<host::Metric> out;
  out.swap(metrics_);
  return out;
}

std::vector<uint8_t> IsolatedPlugin::save_state() {
  if (!has_state_) return {};
  auto blob = call(
      MessageType::SaveState, "save_state", -1, [](Writer&) {}, [](Reader& r) { return r.vec<uint8_t>(); });
  last_state_ = blob;
  return blob;
}

void IsolatedPlugin::load_state(const std::vector<uint8_t>& blob) {
  if (!has_state_ && !blob.empty()) throw Error(prefix() + "has no load_state but the checkpoint holds state for it");
  if (!has_state_) return;
  call(
      MessageType::LoadState, "load_state", -1, [&](Writer& w) { w.vec(blob); }, [](Reader&) { return 0; });
  last_state_ = blob;
}

// After every successful decision the state is fetched (one round trip through shared memory): a
// worker restarted after a failure then resumes exactly where the plugin was.
void IsolatedPlugin::remember_state() {
  if (has_state_) last_state_ = save_state();
}

}  // namespace dataflex
