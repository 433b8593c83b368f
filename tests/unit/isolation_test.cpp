// The isolated plugin (plugins/isolated_plugin.hpp) and its channel: payloads of any size cross the
// shared region intact; a malformed message is a ProtocolError, never a read past the end; every host
// service answers the same across the process boundary as in-process; a worker killed between
// decisions costs one failed call, and its successor continues from the plugin's last state.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "config/param_value.hpp"
#include "plugins/isolated_plugin.hpp"
#include "plugins/isolation_channel.hpp"
#include "plugins/plugin_instance.hpp"
#include "signals/recorded_host.hpp"
#include "test_files.hpp"

namespace dataflex {
namespace {

using namespace isolation;

TEST(IsolationChannel, PayloadsLargerThanTheRegionCrossIntactBothWays) {
  Channel a = Channel::create();
  Channel b = Channel::adopt(::dup(a.peer_socket()), ::dup(a.region_fd()));
  a.close_peer();
  std::vector<float> big(3u << 20);  // 12 MiB, beyond the 1 MiB the region starts with
  std::iota(big.begin(), big.end(), 0.0f);
  Writer w = a.begin();
  w.str("features");
  w.vec(big);
  a.send(MessageType::Reply, w);
  Message m = b.receive(1000);
  EXPECT_EQ(m.type, MessageType::Reply);
  EXPECT_EQ(m.payload.str(), "features");
  EXPECT_EQ(m.payload.vec<float>(), big);
  EXPECT_TRUE(m.payload.at_end());

  std::vector<int64_t> ids(5u << 20, 7);  // 40 MiB the other way
  Writer back = b.begin();
  back.vec(ids);
  b.send(MessageType::ServiceCall, back);
  Message r = a.receive(1000);
  EXPECT_EQ(r.payload.vec<int64_t>(), ids);
  // Sealed: nobody can shrink the region under the other side's mapping.
  EXPECT_NE(::ftruncate(b.region_fd(), 4096), 0);
}

TEST(IsolationChannel, MalformedMessagesAreProtocolErrorsAndSilenceTimesOut) {
  const uint8_t bytes[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4};
  Reader huge(bytes, sizeof bytes);  // a length of 2^63 - 1 elements in 12 bytes
  EXPECT_THROW(huge.vec<double>(), ProtocolError);
  Reader short_read(bytes, 3);
  EXPECT_THROW(short_read.pod<uint64_t>(), ProtocolError);
  Channel a = Channel::create();
  EXPECT_THROW(a.receive(50), ChannelTimeout);
  a.close_peer();
  EXPECT_THROW(a.receive(50), ChannelClosed);
}

std::vector<NamedParam> defaults(const PluginManifest& m) { return resolve_params(m.params, {}, m.name, m.path); }

TEST(IsolatedPlugin, EveryHostServiceAnswersAsInProcess) {
  const std::string file = std::string(RECORDINGS_DIR) + "/service_probe_all_services.json";
  std::ifstream in(file);
  const auto recording = nlohmann::json::parse(in);
  RecordedHost host(file, recording);
  const PluginManifest m = read_manifest(std::string(TEST_PLUGIN_DIR) + "/probe/service_probe/plugin.toml");
  std::vector<std::string> notes;
  PluginInstance in_process(PluginLibrary::load(m, &notes), host, defaults(m), 5);
  IsolatedPlugin isolated(m, host, defaults(m), 5, 0);
  in_process.take_metrics();
  isolated.take_metrics();
  const DecisionContext ctx{10, 100, 0, -1, 77};
  const Selection a = in_process.select(ctx, host.train_size(), 2, false, {});
  const Selection b = isolated.select(ctx, host.train_size(), 2, false, {});
  EXPECT_EQ(a.ids, b.ids);
  const auto ma = in_process.take_metrics(), mb = isolated.take_metrics();
  ASSERT_EQ(ma.size(), mb.size());
  ASSERT_GE(ma.size(), 8u);  // one metric per service the probe asked
  for (size_t i = 0; i < ma.size(); ++i) {
    EXPECT_EQ(ma[i].name, mb[i].name);
    EXPECT_EQ(ma[i].step, mb[i].step);
    EXPECT_DOUBLE_EQ(ma[i].value, mb[i].value) << ma[i].name;
  }
}

host::MixInput mix_input(int round) {
  host::MixInput in;
  in.domain_names = {"news", "fiction", "code"};
  in.current_proportions = {1.0 / 3, 1.0 / 3, 1.0 / 3};
  in.observed_losses = {2.0 + round * 0.1, 3.0 - round * 0.2, 1.5 + round * 0.05};
  in.observed_tokens = {100, 120, 80};
  return in;
}

TEST(IsolatedPlugin, AKilledWorkerFailsOneCallAndItsSuccessorKeepsThePluginsState) {
  class NoServices : public host::ServiceProvider {
    std::string description() const override { return "no services"; }
  } host;
  const PluginManifest m = read_manifest(std::string(SHIPPED_PLUGIN_DIR) + "/odm/plugin.toml");  // stateful
  std::vector<std::string> notes;
  PluginInstance reference(PluginLibrary::load(m, &notes), host, defaults(m), 9);
  IsolatedPlugin isolated(m, host, defaults(m), 9, 0);
  ASSERT_TRUE(isolated.has_state());
  auto ctx = [](int i) { return DecisionContext{i * 10, 100, i, -1, 1000u + static_cast<uint64_t>(i)}; };
  EXPECT_EQ(isolated.mix(ctx(0), mix_input(0)), reference.mix(ctx(0), mix_input(0)));
  EXPECT_EQ(isolated.mix(ctx(1), mix_input(1)), reference.mix(ctx(1), mix_input(1)));

  const pid_t first = isolated.worker_pid();
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  try {
    isolated.mix(ctx(2), mix_input(2));
    FAIL() << "a killed worker must fail the call";
  } catch (const PluginFailure& e) {
    EXPECT_TRUE(e.process_failed());
    EXPECT_NE(std::string(e.what()).find("(isolated) crashed with SIGKILL in mix at step 20"), std::string::npos)
        << e.what();
  }
  // The same decision again: a new worker, given the state after decision 1, answers as the reference.
  EXPECT_EQ(isolated.mix(ctx(2), mix_input(2)), reference.mix(ctx(2), mix_input(2)));
  EXPECT_NE(isolated.worker_pid(), first);
  EXPECT_EQ(isolated.mix(ctx(3), mix_input(3)), reference.mix(ctx(3), mix_input(3)));
  EXPECT_EQ(isolated.save_state(), reference.save_state());
}

// A restarted worker loads the build the trainer recorded or none: a library replaced mid-run (after
// its hash was recorded) is refused by the worker before any of its code runs.
TEST(IsolatedPlugin, ARestartedWorkerRefusesALibrarySwappedAfterItsHashWasRecorded) {
  class NoServices : public host::ServiceProvider {
    std::string description() const override { return "no services"; }
  } host;
  test::TempDir dir;
  std::filesystem::copy(std::string(SHIPPED_PLUGIN_DIR) + "/odm", dir.path() / "odm");
  const PluginManifest m = read_manifest((dir.path() / "odm" / "plugin.toml").string());
  IsolatedPlugin isolated(m, host, defaults(m), 9, 0);
  auto ctx = [](int i) { return DecisionContext{i * 10, 100, i, -1, 1000u + static_cast<uint64_t>(i)}; };
  isolated.mix(ctx(0), mix_input(0));
  std::ofstream(m.library_path, std::ios::app | std::ios::binary) << "another build";
  ::kill(isolated.worker_pid(), SIGKILL);
  EXPECT_THROW(isolated.mix(ctx(1), mix_input(1)), PluginFailure);  // the crash
  try {
    isolated.mix(ctx(1), mix_input(1));  // a new worker: refused
    FAIL() << "a swapped library was loaded";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("the library was swapped after its hash was recorded; refused"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace dataflex
