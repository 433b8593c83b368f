// tensorboard_writer.hpp -- TensorBoard event files (report_to = "tensorboard"): TFRecord framing with
// masked CRC-32C around protobuf Events of scalar summaries, as TensorBoard and W&B's importer read them.
#pragma once

#include <fstream>
#include <string>

#include "report/scalar_sink.hpp"

namespace dataflex {

class TensorBoardWriter : public ScalarSink {
 public:
  // A new event file in `log_dir` (created): events.out.tfevents.<seconds>.<host>.<pid>.0, opening with
  // the file_version event. Throws Error naming the folder when it cannot be written.
  explicit TensorBoardWriter(const std::string& log_dir);
  // Each call is one Event, written whole and flushed (a reader during the run sees whole records).
  void write(int64_t step, const Scalars& values) override;
  const std::string& path() const { return path_; }

  // The folder a run's events go to: output_dir/runs/<Mon>DD_HH-MM-SS_<host> as transformers names it; a
  // resumed run continues in the folder of the newest event file, so TensorBoard shows one run.
  static std::string log_dir_for(const std::string& output_dir, bool resumed);

 private:
  void write_record(const std::string& data);
  std::string path_;
  std::ofstream out_;
};

}  // namespace dataflex
