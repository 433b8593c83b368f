// Post-processors: TemplateProcessing, ByteLevel (nothing to do on ids), RobertaProcessing,
// BertProcessing, Sequence. Only the single-sequence template is used: encode() takes one text.
#include "data/tokenizer_components.hpp"

namespace dataflex {

namespace {

using tokenizer_json::child_key;
using tokenizer_json::index_key;
using tokenizer_json::Json;
using tokenizer_json::Reader;

class TemplatePostProcessor : public PostProcessor {
 public:
  TemplatePostProcessor(std::vector<int32_t> prefix, std::vector<int32_t> suffix)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}
  void process(std::vector<int32_t>& ids) const override {
    ids.insert(ids.begin(), prefix_.begin(), prefix_.end());
    ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  }

 private:
  std::vector<int32_t> prefix_, suffix_;
};

class NoOpPostProcessor : public PostProcessor {
 public:
  void process(std::vector<int32_t>&) const override {}
};

class SequencePostProcessor : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& s : steps_) s->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::unique_ptr<PostProcessor> make_template(const Json& value, const std::string& key, const Reader& reader) {
  const std::string single_key = child_key(key, "single");
  const Json& single = reader.member(value, key, "single");
  reader.expect_array(single, single_key);
  const std::string specials_key = child_key(key, "special_tokens");
  const Json* specials = reader.optional_member(value, key, "special_tokens");
  std::vector<int32_t> prefix, suffix;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const std::string item_key = index_key(single_key, i);
    const Json& item = single[i];
    reader.expect_object(item, item_key);
    if (const Json* seq = reader.optional_member(item, item_key, "Sequence")) {
      const std::string id = reader.string(*seq, child_key(item_key, "Sequence"), "id");
      if (id != "A") reader.fail(child_key(item_key, "Sequence.id"), "expected \"A\" in the single template");
      if (seen_sequence) reader.fail(item_key, "the sequence appears twice in the single template");
      seen_sequence = true;
    } else if (const Json* special = reader.optional_member(item, item_key, "SpecialToken")) {
      const std::string name = reader.string(*special, child_key(item_key, "SpecialToken"), "id");
      if (!specials || !specials->contains(name))
        reader.fail(child_key(item_key, "SpecialToken.id"), "\"" + name + "\" is not in " + specials_key);
      const std::string entry_key = child_key(specials_key, name);
      const Json& ids = reader.member(*specials, specials_key, name);
      const Json& list = reader.member(ids, entry_key, "ids");
      reader.expect_array(list, child_key(entry_key, "ids"));
      for (size_t k = 0; k < list.size(); ++k)
        (seen_sequence ? suffix : prefix)
            .push_back(reader.token_id(list[k], index_key(child_key(entry_key, "ids"), k)));
    } else {
      reader.fail(item_key, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
  }
  if (!seen_sequence) reader.fail(single_key, "the single template has no {\"Sequence\": {\"id\": \"A\"}}");
  return make_template_post_processor(std::move(prefix), std::move(suffix));
}

// RobertaProcessing / BertProcessing: "cls": [token, id], "sep": [token, id] -> cls A sep.
std::unique_ptr<PostProcessor> make_cls_sep(const Json& value, const std::string& key, const Reader& reader) {
  const auto id_of = [&](const char* name) {
    const Json& pair = reader.member(value, key, name);
    const std::string pair_key = child_key(key, name);
    if (!pair.is_array() || pair.size() != 2) reader.fail(pair_key, "expected [token, id]");
    return reader.token_id(pair[1], index_key(pair_key, 1));
  };
  return make_template_post_processor({id_of("cls")}, {id_of("sep")});
}

}  // namespace

std::unique_ptr<PostProcessor> make_template_post_processor(std::vector<int32_t> prefix, std::vector<int32_t> suffix) {
  return std::make_unique<TemplatePostProcessor>(std::move(prefix), std::move(suffix));
}

std::unique_ptr<PostProcessor> make_post_processor(const Json& value, const std::string& key, const Reader& reader) {
  const std::string type = reader.string(value, key, "type");
  if (type == "TemplateProcessing") return make_template(value, key, reader);
  if (type == "ByteLevel") return std::make_unique<NoOpPostProcessor>();  // it only trims offsets
  if (type == "RobertaProcessing" || type == "BertProcessing") return make_cls_sep(value, key, reader);
  if (type == "Sequence") {
    const std::string list_key = child_key(key, "processors");
    const Json& list = reader.member(value, key, "processors");
    reader.expect_array(list, list_key);
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      steps.push_back(make_post_processor(list[i], index_key(list_key, i), reader));
    return std::make_unique<SequencePostProcessor>(std::move(steps));
  }
  reader.fail(child_key(key, "type"), "unsupported post-processor \"" + type +
                                          "\" (supported: TemplateProcessing, ByteLevel, RobertaProcessing, "
                                          "BertProcessing, Sequence)");
}

}  // namespace dataflex
