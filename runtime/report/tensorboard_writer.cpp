#include "report/tensorboard_writer.hpp"

#include <unistd.h>

#include <boost/crc.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "report/tensorboard_event.pb.h"
#include "util/error.hpp"

namespace dataflex {
namespace fs = std::filesystem;

namespace {

// CRC-32C (Castagnoli), reflected, as TFRecord uses; masked so that a CRC of data holding CRCs is not
// itself a likely CRC.
uint32_t masked_crc32c(const std::string& bytes) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(bytes.data(), bytes.size());
  const uint32_t c = crc.checksum();
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string little_endian(uint64_t v, int bytes) {
  std::string s(static_cast<std::size_t>(bytes), '\0');
  for (int i = 0; i < bytes; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

}  // namespace

std::string TensorBoardWriter::log_dir_for(const std::string& output_dir, bool resumed) {
  const fs::path runs = fs::path(output_dir) / "runs";
  if (resumed && fs::is_directory(runs)) {
    // The folder of the newest event file, by the creation time in its name (copies keep names, not mtimes).
    fs::path latest;
    long long newest = -1;
    for (const auto& e : fs::recursive_directory_iterator(runs)) {
      const std::string name = e.path().filename().string();
      const std::string prefix = "events.out.tfevents.";
      if (!e.is_regular_file() || name.rfind(prefix, 0) != 0) continue;
      const long long created = std::atoll(name.c_str() + prefix.size());
      if (created > newest) newest = created, latest = e.path().parent_path();
    }
    if (!latest.empty()) return latest.string();
  }
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%b%d_%H-%M-%S", &local);
  return (runs / (std::string(stamp) + "_" + host_name())).string();
}

TensorBoardWriter::TensorBoardWriter(const std::string& log_dir) {
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec) throw Error(log_dir + ": cannot create the TensorBoard folder (" + ec.message() + ")");
  const auto seconds = static_cast<long long>(wall_time());
  path_ = (fs::path(log_dir) / ("events.out.tfevents." + std::to_string(seconds) + "." + host_name() + "." +
                                std::to_string(getpid()) + ".0"))
              .string();
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error(path_ + ": cannot create the TensorBoard event file");
  tensorboard::Event first;
  first.set_wall_time(wall_time());
  first.set_file_version("brain.Event:2");
  write_record(first.SerializeAsString());
}

void TensorBoardWriter::write(int64_t step, const Scalars& values) {
  if (values.empty()) return;
  tensorboard::Event event;
  event.set_wall_time(wall_time());
  event.set_step(step);
  for (const auto& [tag, value] : values) {
    tensorboard::Summary::Value* v = event.mutable_summary()->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  write_record(event.SerializeAsString());
}

// TFRecord: length (u64 LE), its masked CRC (u32 LE), the data, the data's masked CRC.
void TensorBoardWriter::write_record(const std::string& data) {
  const std::string length = little_endian(data.size(), 8);
  out_ << length << little_endian(masked_crc32c(length), 4) << data << little_endian(masked_crc32c(data), 4);
  out_.flush();
  if (!out_) throw Error(path_ + ": cannot write (disk full?)");
}

}  // namespace dataflex
