// scalar_sink.hpp -- where the training loop's scalars go besides trainer_log.jsonl (TensorBoard's event
// files), and which scalars a decisions.jsonl line gives. Kept free of any writer's library: the logs that
// call it are part of the LibTorch-free core.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dataflex {

using Scalars = std::vector<std::pair<std::string, double>>;  // tag, value

class ScalarSink {
 public:
  virtual ~ScalarSink() = default;
  // One record of values logged at `step`; a failure to write throws Error naming the file.
  virtual void write(int64_t step, const Scalars& values) = 0;
};

// Passes the values on until a write fails (disk full, folder removed); then warns once and drops the
// rest: a secondary output never stops a training run.
class BestEffortScalars : public ScalarSink {
 public:
  explicit BestEffortScalars(std::unique_ptr<ScalarSink> inner) : inner_(std::move(inner)) {}
  void write(int64_t step, const Scalars& values) override;

 private:
  std::unique_ptr<ScalarSink> inner_;  // null after a failure
};

// The tags of a decision line: dataflex/proportion/<domain> (mixture), dataflex/selected_share/<domain>
// and dataflex/score_mean (selection), dataflex/weight_{min,mean,max,entropy} (weights).
Scalars decision_scalars(const nlohmann::ordered_json& line);

}  // namespace dataflex
