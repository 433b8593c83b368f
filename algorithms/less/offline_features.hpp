// offline_features.hpp -- LESS's offline workflow: pool and target features computed beforehand
// (`dataflex-run features` at one or more checkpoints, .npy files) instead of by the host at the
// decision. Scores are LESS's eq. 2 over those checkpoints: sum_c w_c * score_c / sum_c w_c, with
// score_c the max over target subtasks of the mean cosine at checkpoint c and w_c its weight
// (`checkpoint_weights`, LESS's learning rates; equal when not given).
#pragma once

#include <dataflex/npy.hpp>
#include <dataflex/plugin.hpp>

#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "feature_codec.hpp"
#include "less_math.hpp"

namespace dataflex::less {

class OfflineFeatures {
 public:
  // Reads the files the parameters name (comma-separated paths); empty `pool` = no offline features.
  OfflineFeatures(const std::string& pool, const std::string& targets, const std::vector<double>& weights,
                  FeatureDtype dtype) {
    const auto pool_files = split(pool), target_files = split(targets);
    if (pool_files.empty() && target_files.empty()) return;
    if (pool_files.size() != target_files.size())
      throw std::invalid_argument("pool_features names " + std::to_string(pool_files.size()) +
                                  " file(s) but target_features " + std::to_string(target_files.size()) +
                                  ": one of each per checkpoint");
    if (!weights.empty() && weights.size() != pool_files.size())
      throw std::invalid_argument("checkpoint_weights has " + std::to_string(weights.size()) + " values for " +
                                  std::to_string(pool_files.size()) + " checkpoint(s)");
    for (size_t c = 0; c < pool_files.size(); ++c) {
      Checkpoint k{read(pool_files[c], "pool_features"), read(target_files[c], "target_features"),
                   weights.empty() ? 1.0 : weights[c], pool_files[c], target_files[c]};
      if (k.pool.cols != k.target.cols)
        throw std::invalid_argument("pool_features " + pool_files[c] + " has " + std::to_string(k.pool.cols) +
                                    " columns but target_features " + target_files[c] + " " +
                                    std::to_string(k.target.cols));
      if (!(k.weight >= 0)) throw std::invalid_argument("checkpoint_weights: each weight must be >= 0");
      normalize_rows(k.pool.data, size_t(k.pool.rows), size_t(k.pool.cols));
      for (int64_t r = 0; r < k.pool.rows; ++r)
        round_trip(k.pool.data.data() + r * k.pool.cols, size_t(k.pool.cols), dtype);
      normalize_rows(k.target.data, size_t(k.target.rows), size_t(k.target.cols));
      total_weight_ += k.weight;
      checkpoints_.push_back(std::move(k));
    }
    if (!(total_weight_ > 0)) throw std::invalid_argument("checkpoint_weights: at least one weight must be positive");
  }

  bool empty() const { return checkpoints_.empty(); }
  size_t size() const { return checkpoints_.size(); }

  // The combined score of each pool position; `training_id(i)` maps a position to its file row.
  template <class TrainingId>
  std::vector<double> scores(size_t pool_size, bool whole_pool, TrainingId training_id,
                             const std::vector<int32_t>& target_subtask, size_t num_subtasks) const {
    std::vector<double> total(pool_size, 0.0);
    for (const auto& k : checkpoints_) {
      if (whole_pool && size_t(k.pool.rows) != pool_size)
        throw std::invalid_argument("pool_features " + k.pool_file + ": " + std::to_string(k.pool.rows) +
                                    " rows, but the training pool has " + std::to_string(pool_size) + " samples");
      if (size_t(k.target.rows) != target_subtask.size())
        throw std::invalid_argument("target_features " + k.target_file + ": " + std::to_string(k.target.rows) +
                                    " rows, but the eval set has " + std::to_string(target_subtask.size()) +
                                    " examples");
      const size_t cols = size_t(k.pool.cols);
      const auto means = subtask_means(k.target.data, size_t(k.target.rows), cols, target_subtask, num_subtasks);
      std::vector<float> rows(pool_size * cols);
      for (size_t i = 0; i < pool_size; ++i) {
        const int64_t id = training_id(int64_t(i));
        if (id < 0 || id >= k.pool.rows)
          throw std::invalid_argument("pool_features " + k.pool_file + ": no row for training sample " +
                                      std::to_string(id) + " (" + std::to_string(k.pool.rows) + " rows)");
        std::copy_n(k.pool.data.data() + id * int64_t(cols), cols, rows.data() + i * cols);
      }
      const auto s = less::scores(rows, pool_size, cols, means);
      for (size_t i = 0; i < pool_size; ++i) total[i] += k.weight * s[i] / total_weight_;
    }
    return total;
  }

 private:
  struct Checkpoint {
    npy::Matrix pool, target;
    double weight;
    std::string pool_file, target_file;
  };
  static std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> out;
    for (size_t start = 0; start <= list.size();) {
      const size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) out.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
    return out;
  }
  static npy::Matrix read(const std::string& path, const char* param) {
    try {
      return npy::read(path);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(param) + ": " + e.what());
    }
  }
  std::vector<Checkpoint> checkpoints_;
  double total_weight_ = 0;
};

}  // namespace dataflex::less
