// chat_template.hpp -- LLaMA-Factory's chat templates and its encode_multiturn.
//
// A template is LLaMA-Factory's register_template(...) as data (src/llamafactory/data/template.py at
// commit ff6d4d12): per role a list of slots -- text with a {{content}} placeholder, or the tokenizer's
// BOS / EOS id -- plus the default system prompt and the EOS replacement. Encoding follows
// Template._encode: the first message gets the prefix and, when there is a system prompt or tools,
// the system slots with system + tool prompt; every text slot is tokenized on its own (no special
// tokens added), so special-token strings in it (<|eot_id|>) become their ids when the tokenizer has
// them. Messages then pair up as (source, target) per turn.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/chat_tools.hpp"
#include "data/conversation.hpp"

namespace dataflex {

class Tokenizer;

struct TemplateSlot {
  enum class Kind { Text, Bos, Eos };
  Kind kind = Kind::Text;
  std::string text;  // Kind::Text: may hold "{{content}}"
};
using TemplateSlots = std::vector<TemplateSlot>;

struct ChatTemplate {
  std::string name;
  TemplateSlots user, assistant, system, function, observation, prefix;
  ToolFormat tool_format = ToolFormat::Default;
  std::string default_system;
  std::vector<std::string> stop_words;
  bool efficient_eos = false;  // EOS once at the end instead of per assistant turn (see supervised encoding)
  bool replace_eos = false;    // the EOS becomes stop_words[0]
};

// The built-in templates: default, empty, llama3, qwen. Throws dataflex::Error listing them (with a
// "did you mean") for an unknown name.
const ChatTemplate& find_chat_template(const std::string& name);
std::vector<std::string> chat_template_names();

struct EncodedTurn {
  std::vector<int32_t> source;  // the prompt side: prefix, system, user / observation message
  std::vector<int32_t> target;  // the response: assistant / function message
};

// A template bound to a tokenizer. The EOS id is the tokenizer's, or the template's first stop word
// when replace_eos and the tokenizer has that token (LLaMA-Factory would add it to the vocabulary;
// we cannot, and keep the tokenizer's EOS).
class TemplateEncoder {
 public:
  TemplateEncoder(const ChatTemplate& chat_template, const Tokenizer& tokenizer);

  const ChatTemplate& chat_template() const { return template_; }
  int32_t eos_id() const { return eos_id_; }

  // One (source, target) pair per user/assistant turn. `where` prefixes errors in tool JSON.
  std::vector<EncodedTurn> encode_multiturn(const Conversation& conversation, const std::string& where) const;

 private:
  const ChatTemplate& template_;
  const Tokenizer& tokenizer_;
  int32_t eos_id_ = -1;
  std::optional<int32_t> bos_id_;
};

}  // namespace dataflex
