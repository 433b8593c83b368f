#include "plugins/plugin_worker.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <optional>

#include "plugins/isolation_protocol.hpp"
#include "plugins/plugin_instance.hpp"
#include "plugins/plugin_library.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

namespace dataflex {
namespace {

using namespace isolation;

// The trainer's host services, asked over the channel. Plugins may call services from threads of
// their own: one question is in flight at a time.
class RemoteServices final : public host::ServiceProvider {
 public:
  explicit RemoteServices(Channel& channel) : channel_(channel) {}
  std::string description() const override { return "runtime host"; }

  host::DatasetInfo dataset_info(host::Dataset d) override {
    return ask(
        Service::DatasetInfo, [&](Writer& w) { w.pod<int32_t>(static_cast<int32_t>(d)); },
        [](Reader& r) {
          host::DatasetInfo info;
          info.num_samples = r.pod<uint64_t>();
          info.num_domains = r.pod<uint64_t>();
          return info;
        });
  }
  std::vector<int32_t> sample_domains(host::Dataset d, const host::SampleIds& ids) override {
    return ask(
        Service::SampleDomains, [&](Writer& w) { w.pod<int32_t>(static_cast<int32_t>(d)), w.vec(ids); },
        [](Reader& r) { return r.vec<int32_t>(); });
  }
  std::vector<float> sample_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override {
    return ask(
        Service::SampleLosses, [&](Writer& w) { dataset_model(w, d, m), w.vec(ids); },
        [](Reader& r) { return r.vec<float>(); });
  }
  std::size_t token_count(host::Dataset d, host::Model m, const host::SampleIds& ids) override {
    return ask(
        Service::TokenCount, [&](Writer& w) { dataset_model(w, d, m), w.vec(ids); },
        [](Reader& r) { return static_cast<std::size_t>(r.pod<uint64_t>()); });
  }
  host::TokenLosses token_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override {
    return ask(
        Service::TokenLosses, [&](Writer& w) { dataset_model(w, d, m), w.vec(ids); },
        [](Reader& r) {
          host::TokenLosses t;
          t.losses = r.vec<float>();
          t.offsets = r.vec<int64_t>();
          t.domains = r.vec<int32_t>();
          return t;
        });
  }
  std::vector<double> domain_losses(host::Dataset d, host::Model m) override {
    return ask(
        Service::DomainLosses, [&](Writer& w) { dataset_model(w, d, m); }, [](Reader& r) { return r.vec<double>(); });
  }
  std::size_t gradient_feature_dim(const host::GradientRequest& q) override {
    return ask(
        Service::GradientFeatureDim, [&](Writer& w) { put(w, q); },
        [](Reader& r) { return static_cast<std::size_t>(r.pod<uint64_t>()); });
  }
  std::vector<float> gradient_features(const host::GradientRequest& q, const host::SampleIds& ids) override {
    return ask(
        Service::GradientFeatures, [&](Writer& w) { put(w, q), w.vec(ids); }, [](Reader& r) { return r.vec<float>(); });
  }
  std::size_t embedding_dim(const host::EmbeddingRequest& q) override {
    return ask(
        Service::EmbeddingDim, [&](Writer& w) { put(w, q); },
        [](Reader& r) { return static_cast<std::size_t>(r.pod<uint64_t>()); });
  }
  std::vector<float> embeddings(const host::EmbeddingRequest& q, const host::SampleIds& ids) override {
    return ask(
        Service::Embeddings, [&](Writer& w) { put(w, q), w.vec(ids); }, [](Reader& r) { return r.vec<float>(); });
  }
  host::SampleTokens sample_tokens(host::Dataset d, const host::SampleIds& ids) override {
    return ask(
        Service::SampleTokens, [&](Writer& w) { w.pod<int32_t>(static_cast<int32_t>(d)), w.vec(ids); },
        [](Reader& r) {
          host::SampleTokens t;
          t.token_ids = r.vec<int32_t>();
          t.trained = r.vec<uint8_t>();
          t.offsets = r.vec<int64_t>();
          return t;
        });
  }
  host::Responses generate(const host::GenerateRequest& q, const host::SampleIds& ids) override {
    return ask(
        Service::Generate, [&](Writer& w) { put(w, q), w.vec(ids); }, [](Reader& r) { return get_responses(r); });
  }
  std::vector<float> reward(host::Dataset d, dfx_reward kind, const host::SampleIds& ids,
                            const host::Responses& responses) override {
    return ask(
        Service::Reward,
        [&](Writer& w) {
          w.pod<int32_t>(static_cast<int32_t>(d)), w.pod<int32_t>(kind), w.vec(ids), put(w, responses);
        },
        [](Reader& r) { return r.vec<float>(); });
  }
  std::size_t response_feature_dim(const host::ResponseFeatureRequest& q) override {
    return ask(
        Service::ResponseFeatureDim, [&](Writer& w) { put(w, q); },
        [](Reader& r) { return static_cast<std::size_t>(r.pod<uint64_t>()); });
  }
  std::vector<float> response_gradient_features(const host::ResponseFeatureRequest& q, const host::SampleIds& ids,
                                                const host::Responses& responses) override {
    return ask(
        Service::ResponseFeatures, [&](Writer& w) { put(w, q), w.vec(ids), put(w, responses); },
        [](Reader& r) { return r.vec<float>(); });
  }

 private:
  static void dataset_model(Writer& w, host::Dataset d, host::Model m) {
    w.pod<int32_t>(static_cast<int32_t>(d)), w.pod<int32_t>(static_cast<int32_t>(m));
  }

  template <class Encode, class Decode>
  auto ask(Service service, Encode&& encode, Decode&& decode) -> decltype(decode(std::declval<Reader&>())) {
    std::lock_guard<std::mutex> lock(mutex_);
    Writer w = channel_.begin();
    w.pod<uint32_t>(static_cast<uint32_t>(service));
    encode(w);
    channel_.send(MessageType::ServiceCall, w);
    Message answer = channel_.receive();
    if (answer.type == MessageType::ServiceAnswer) return decode(answer.payload);
    if (answer.type != MessageType::ServiceFailed) throw ProtocolError{"an unexpected answer to a host service"};
    const auto status = answer.payload.pod<int32_t>();
    std::string message = answer.payload.str();
    if (status < 0) throw std::runtime_error(message);  // the provider's own failure, as in-process
    throw host::ServiceError(static_cast<dfx_status>(status), message);
  }

  Channel& channel_;
  std::mutex mutex_;
};

struct Plugin {
  std::shared_ptr<PluginLibrary> library;
  std::unique_ptr<host::HostBridge> bridge;
  std::unique_ptr<host::Instance> instance;
  ~Plugin() {
    instance.reset();  // before the bridge it calls through, and both before the library
    bridge.reset();
  }
};

// Answers one call; the payload is decoded completely before the plugin runs (its service calls reuse
// the shared region).
void answer(Channel& channel, RemoteServices& services, std::unique_ptr<Plugin>& plugin, MessageType type, Reader& in) {
  auto reply = [&](auto&& write) {
    Writer w = channel.begin();
    write(w);
    put(w, plugin ? plugin->bridge->take_metrics() : std::vector<host::Metric>{});
    channel.send(MessageType::Reply, w);
  };
  if (type == MessageType::Create) {
    const std::string manifest_path = in.str();
    const auto params = get_params(in);
    const auto seed = in.pod<uint64_t>();
    const std::string recorded_sha256 = in.str();
    const bool insecure_allowed = in.pod<uint8_t>() != 0;
    auto p = std::make_unique<Plugin>();
    PluginManifest manifest = read_manifest(manifest_path);
    manifest.insecure_allowed = insecure_allowed;
    // Hashed before any of its code runs, and again by the loader on the bytes it maps.
    auto refuse_swapped = [&](const std::string& now) {
      if (now != recorded_sha256)
        throw Error(manifest_path + ": library " + manifest.library_path + " now has SHA-256 " + now +
                    ", but the run recorded " + recorded_sha256 +
                    " when it started (the library was swapped after its hash was recorded; refused)");
    };
    refuse_swapped(sha256_of_file(manifest.library_path));
    std::vector<std::string> notes;  // the trainer has reported them already
    p->library = PluginLibrary::load(manifest, &notes);
    refuse_swapped(p->library->manifest().library_sha256);
    p->bridge = std::make_unique<host::HostBridge>(services, manifest.name, &log_plugin_line);
    plugin = std::move(p);
    plugin->instance = std::make_unique<host::Instance>(plugin->library->api(), *plugin->bridge, params, seed);
    reply([&](Writer& w) { w.pod<uint8_t>(plugin->instance->has_state()); });
    return;
  }
  if (!plugin || !plugin->instance) throw ProtocolError{"a call before the plugin was created"};
  host::Instance& instance = *plugin->instance;
  switch (type) {
    case MessageType::Select: {
      const auto ctx = get_context(in);
      const auto pool = in.pod<uint64_t>(), num = in.pod<uint64_t>();
      const bool duplicates = in.pod<uint8_t>() != 0;
      const auto pool_sample_ids = in.vec<int64_t>();
      const host::Selection s = instance.select(ctx, pool, num, duplicates, pool_sample_ids);
      reply([&](Writer& w) { w.vec(s.ids), w.vec(s.scores); });
      return;
    }
    case MessageType::Mix: {
      host::MixInput mix;
      const auto ctx = get_context(in);
      mix.domain_names = in.strings();
      mix.current_proportions = in.vec<double>();
      mix.observed_losses = in.vec<double>();
      mix.observed_tokens = in.vec<int64_t>();
      mix.observed_excess_losses = in.vec<double>();
      const auto p = instance.mix(ctx, mix);
      reply([&](Writer& w) { w.vec(p); });
      return;
    }
    case MessageType::Weight: {
      host::WeightInput weight;
      const auto ctx = get_context(in);
      weight.sample_ids = in.vec<int64_t>();
      weight.domains = in.vec<int32_t>();
      weight.losses = in.vec<float>();
      const auto w = instance.weight(ctx, weight);
      reply([&](Writer& out) { out.vec(w.values), out.pod<uint8_t>(w.absolute ? 1 : 0); });
      return;
    }
    case MessageType::SaveState: {
      const auto blob = instance.save_state();
      reply([&](Writer& w) { w.vec(blob); });
      return;
    }
    case MessageType::LoadState: {
      instance.load_state(in.vec<uint8_t>());
      reply([](Writer&) {});
      return;
    }
    default: throw ProtocolError{"an unknown call " + std::to_string(static_cast<uint32_t>(type))};
  }
}

}  // namespace

int run_plugin_worker(int socket_fd, int region_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the trainer
  if (::getppid() == 1) return 0;
  Channel channel = Channel::adopt(socket_fd, region_fd);
  RemoteServices services(channel);
  std::unique_ptr<Plugin> plugin;
  for (;;) {
    std::optional<Message> m;
    try {
      m.emplace(channel.receive());
    } catch (const ChannelClosed&) {
      return 0;  // the trainer is done with this plugin
    }
    try {
      answer(channel, services, plugin, m->type, m->payload);
    } catch (const host::PluginCallError& e) {
      Writer w = channel.begin();
      w.pod<int32_t>(e.status()), w.str(e.call()), w.str(e.message());
      put(w, plugin ? plugin->bridge->take_metrics() : std::vector<host::Metric>{});
      channel.send(MessageType::CallFailed, w);
    } catch (const ProtocolError& e) {
      spdlog::error("plugin worker: the trainer broke the isolation protocol: {}", e.what);
      return 70;
    } catch (const ChannelClosed&) {
      return 0;
    } catch (const std::exception& e) {
      Writer w = channel.begin();
      w.str(e.what());
      channel.send(MessageType::WorkerError, w);
    }
  }
}

}  // namespace dataflex
