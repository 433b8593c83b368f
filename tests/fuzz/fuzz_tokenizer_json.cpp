// tokenizer.json: loaded as a model folder's tokenizer, then used -- text with ASCII, accents, CJK,
// emoji, digits, whitespace runs and the chat markers is encoded, decoded and every id looked up.
#include "data/tokenizer.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dataflex;
  fuzz::write_input("tokenizer.json", data, size);
  fuzz::expect_clean_failure([&] {
    const auto tokenizer = Tokenizer::load(fuzz::scratch_dir().string());
    static const std::string texts[] = {"Hello, world! It's 2026.",    "  héllo\tWörld\n\nnaïve café",
                                        "日本語のテキストと中文",      "emoji 🙂👍🏽 end",
                                        "<|user|>hi<|assistant|>",     "12345678901234567890",
                                        std::string("\x00\xff\xfe", 3)};
    for (const std::string& text : texts) {
      for (bool special : {false, true}) {
        const std::vector<int32_t> ids = tokenizer->encode(text, special);
        for (int32_t id : ids) {
          if (id < 0 || id >= tokenizer->vocab_size())
            fuzz::finding("encode gave an id outside the vocabulary", std::to_string(id));
          (void)tokenizer->id_to_token(id);
        }
        (void)tokenizer->decode(ids, false);
        (void)tokenizer->decode(ids, true);
      }
    }
    (void)tokenizer->token_to_id("<|user|>");
  });
  return 0;
}
