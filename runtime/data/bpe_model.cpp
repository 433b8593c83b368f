#include "data/bpe_model.hpp"

#include <mutex>
#include <queue>

#include "data/utf8.hpp"

namespace dataflex {

namespace {

using tokenizer_json::child_key;
using tokenizer_json::index_key;
using tokenizer_json::Json;
using tokenizer_json::Reader;

constexpr size_t kCacheCapacity = 10000;
constexpr size_t kCacheMaxWordBytes = 256;
constexpr const char* kModel = "model";

struct Symbol {
  int32_t id;
  int32_t prev;  // index of the previous live symbol, -1 at the start
  int32_t next;  // index of the next live symbol, -1 at the end
  bool live;
};

struct QueuedMerge {
  int32_t rank;
  int32_t pos;
  int32_t new_id;
  // std::priority_queue pops the largest: make the lowest rank, then the leftmost, the largest.
  bool operator<(const QueuedMerge& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

std::string byte_token_name(int b) {
  static const char* hex = "0123456789ABCDEF";
  return std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
}

}  // namespace

BpeModel::BpeModel(const Json& m, const Reader& reader) {
  const std::string key = kModel;
  reader.expect_object(m, key);
  // Files written by old versions of tokenizers may leave "type" out; a model with merges is BPE.
  const std::string model_type =
      !m.contains("type") && m.contains("merges") ? std::string("BPE") : reader.string(m, key, "type");
  if (model_type != "BPE") reader.fail(child_key(key, "type"), "expected \"BPE\", found \"" + model_type + "\"");
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const auto v = reader.optional_string(m, key, affix);
    if (v && !v->empty()) reader.fail(child_key(key, affix), "\"" + *v + "\" is not supported (only empty)");
  }
  if (const Json* dropout = reader.optional_member(m, key, "dropout")) {
    if (!dropout->is_number() || dropout->get<double>() != 0.0)
      reader.fail(child_key(key, "dropout"), "BPE dropout is not supported (expected null)");
  }
  fuse_unk_ = reader.boolean(m, key, "fuse_unk", false);
  byte_fallback_ = reader.boolean(m, key, "byte_fallback", false);
  ignore_merges_ = reader.boolean(m, key, "ignore_merges", false);

  read_vocab(reader.member(m, key, "vocab"), reader);
  read_merges(reader.member(m, key, "merges"), reader);

  if (const auto unk = reader.optional_string(m, key, "unk_token")) {
    const auto it = vocab_.find(*unk);
    if (it == vocab_.end()) reader.fail(child_key(key, "unk_token"), "\"" + *unk + "\" is not in model.vocab");
    unk_id_ = it->second;
  }
  ascii_ids_.fill(-1);
  for (int c = 0; c < 128; ++c) {
    const auto it = vocab_.find(std::string(1, static_cast<char>(c)));
    if (it != vocab_.end()) ascii_ids_[c] = it->second;
  }
  byte_fallback_ids_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    const auto it = vocab_.find(byte_token_name(b));
    if (it != vocab_.end()) byte_fallback_ids_[b] = it->second;
  }
}

void BpeModel::read_vocab(const Json& vocab, const Reader& reader) {
  const std::string key = "model.vocab";
  reader.expect_object(vocab, key);
  vocab_.reserve(vocab.size());
  for (const auto& [token, id_value] : vocab.items()) {
    const int32_t id = reader.token_id(id_value, child_key(key, token));
    vocab_.emplace(token, id);
    if (static_cast<size_t>(id) >= id_to_token_.size()) {
      id_to_token_.resize(static_cast<size_t>(id) + 1);
      has_id_.resize(static_cast<size_t>(id) + 1);
    }
    if (!has_id_[id]) {  // an id given twice decodes as the first token (in key order)
      id_to_token_[id] = token;
      has_id_[id] = true;
    }
  }
}

void BpeModel::read_merges(const Json& merges, const Reader& reader) {
  const std::string key = "model.merges";
  reader.expect_array(merges, key);
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string item_key = index_key(key, rank);
    const Json& m = merges[rank];
    std::string a, b;
    if (m.is_string()) {  // "a b"
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        reader.fail(item_key, "expected \"left right\" with one space, found \"" + s + "\"");
      a = s.substr(0, space), b = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["a", "b"]
      a = m[0].get<std::string>(), b = m[1].get<std::string>();
    } else {
      reader.fail(item_key, "expected \"left right\" or [\"left\", \"right\"], found " + tokenizer_json::describe(m));
    }
    const auto id_of = [&](const std::string& token) {
      const auto it = vocab_.find(token);
      if (it == vocab_.end()) reader.fail(item_key, "\"" + token + "\" is not in model.vocab");
      return it->second;
    };
    const int32_t left = id_of(a), right = id_of(b), merged = id_of(a + b);
    // The first (lowest-rank) occurrence of a pair wins, as in tokenizers.
    merges_.emplace(pair_key(left, right), Merge{static_cast<int32_t>(rank), merged});
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  const auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || !has_id_[id]) return nullptr;
  return &id_to_token_[id];
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    const auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() < kCacheMaxWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::shared_lock lock(cache_mutex_);
    const auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  merge_word(word, out);
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity)
      cache_.emplace(std::move(key), std::vector<int32_t>(out.begin() + first, out.end()));
  }
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  // The initial symbols: one per character (or per byte with byte fallback).
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  bool previous_unk = false;
  const auto push = [&](int32_t id) {
    const auto n = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, n - 1, -1, true});
    if (n > 0) symbols[n - 1].next = n;
  };
  std::string ch;
  for (size_t i = 0; i < word.size();) {
    const size_t begin = i;
    const unsigned char lead = static_cast<unsigned char>(word[i]);
    int32_t id = -1;
    if (lead < 0x80) {
      id = ascii_ids_[lead];
      ++i;
    } else {
      utf8::next(word, i);
      ch.assign(word.substr(begin, i - begin));
      const auto it = vocab_.find(ch);
      if (it != vocab_.end()) id = it->second;
    }
    if (id >= 0) {
      push(id);
      previous_unk = false;
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (size_t k = begin; k < i; ++k) all = all && byte_fallback_ids_[static_cast<unsigned char>(word[k])] >= 0;
      if (all) {
        for (size_t k = begin; k < i; ++k) push(byte_fallback_ids_[static_cast<unsigned char>(word[k])]);
        previous_unk = false;
        continue;
      }
    }
    if (unk_id_) {
      if (!(fuse_unk_ && previous_unk)) push(*unk_id_);
      previous_unk = true;
    }
    // Without an unk token, an unknown character is dropped (as in tokenizers).
  }

  if (symbols.size() > 1 && !merges_.empty()) {
    std::priority_queue<QueuedMerge> queue;
    const auto enqueue = [&](int32_t pos) {
      const int32_t next = symbols[pos].next;
      if (next < 0) return;
      const auto it = merges_.find(pair_key(symbols[pos].id, symbols[next].id));
      if (it != merges_.end()) queue.push({it->second.rank, pos, it->second.new_id});
    };
    for (int32_t pos = 0; pos + 1 < static_cast<int32_t>(symbols.size()); ++pos) enqueue(pos);
    while (!queue.empty()) {
      const QueuedMerge top = queue.top();
      queue.pop();
      Symbol& left = symbols[top.pos];
      if (!left.live || left.next < 0) continue;
      Symbol& right = symbols[left.next];
      // A stale entry: the pair at this position has changed since it was queued.
      const auto it = merges_.find(pair_key(left.id, right.id));
      if (it == merges_.end() || it->second.new_id != top.new_id) continue;
      left.id = top.new_id;
      right.live = false;
      left.next = right.next;
      if (right.next >= 0) symbols[right.next].prev = top.pos;
      if (left.prev >= 0) enqueue(left.prev);
      enqueue(top.pos);
    }
  }
  for (const Symbol& s : symbols)
    if (s.live) out.push_back(s.id);
}

}  // namespace dataflex
