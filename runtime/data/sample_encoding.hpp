// sample_encoding.hpp -- token ids and labels of one sample, as LLaMA-Factory's processors build them.
//
// Supervised (processor/supervised.py, mask_history off): turns are appended in order while the total
// stays under cutoff_len; each (source, target) pair is cut by infer_seqlen to the room left; the
// source is labelled kIgnoreIndex (all of it trained with train_on_prompt), the target is trained.
// Pre-training (processor/pretrain.py): text ids + EOS, truncated to cutoff_len; with packing, a
// domain's sequences are concatenated and cut into blocks of exactly cutoff_len, the rest dropped.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "data/chat_template.hpp"

namespace dataflex {

// processor_utils.infer_seqlen: lengths of source and target after truncation to cutoff_len. The
// target keeps its length when it is short (< cutoff/2), else the source does when it is short, else
// both shrink in proportion: target = int(cutoff * target / (source + target)).
std::pair<int64_t, int64_t> infer_seqlen(int64_t source_len, int64_t target_len, int64_t cutoff_len);

struct TokenSequence {
  std::vector<int32_t> input_ids;
  std::vector<int32_t> labels;
};

// SupervisedDatasetProcessor._encode_data_example. With efficient_eos, EOS is appended once at the
// end (and labelled), and each later turn's first source label is EOS (unless train_on_prompt).
TokenSequence encode_supervised(const std::vector<EncodedTurn>& turns, int64_t cutoff_len, bool train_on_prompt,
                                bool efficient_eos, int32_t eos_id);

struct PackedBlock {
  std::vector<int32_t> input_ids;  // exactly block_size ids
  size_t first_sequence = 0;       // the sequences whose ids the block holds, first..last
  size_t last_sequence = 0;
};

// Concatenates `sequences` in order and cuts blocks of block_size; the remainder is dropped.
std::vector<PackedBlock> pack_blocks(const std::vector<std::vector<int32_t>>& sequences, int64_t block_size);

}  // namespace dataflex
