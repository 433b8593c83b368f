#include "data/chat_template.hpp"

#include "data/tokenizer.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

TemplateSlot text(std::string s) { return {TemplateSlot::Kind::Text, std::move(s)}; }
const TemplateSlot kBos{TemplateSlot::Kind::Bos, ""};
const TemplateSlot kEos{TemplateSlot::Kind::Eos, ""};

// register_template(...) of LLaMA-Factory, with its defaults spelled out: format_system and
// format_observation fall back to format_user (or "{{content}}"), format_function to the assistant's
// slots, format_tools to the "default" tool format.
std::vector<ChatTemplate> make_templates() {
  std::vector<ChatTemplate> all;

  ChatTemplate d;  // name="default"
  d.name = "default";
  d.user = {text("Human: {{content}}"), kEos, text("\nAssistant:")};
  d.assistant = {text("{{content}}"), kEos, text("\n")};
  d.system = {text("System: {{content}}"), kEos, text("\n")};
  d.function = d.assistant;
  d.observation = d.user;
  all.push_back(d);

  ChatTemplate e;  // name="empty": only format_assistant is given
  e.name = "empty";
  e.user = {text("{{content}}")};
  e.assistant = {text("{{content}}")};
  e.system = e.user;
  e.function = e.assistant;
  e.observation = e.user;
  all.push_back(e);

  ChatTemplate l;  // name="llama3"
  l.name = "llama3";
  l.user = {
      text("<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|>"
           "<|start_header_id|>assistant<|end_header_id|>\n\n")};
  l.assistant = {text("{{content}}<|eot_id|>")};
  l.system = {text("<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>")};
  l.function = {text("{{content}}<|eot_id|>")};
  l.observation = {
      text("<|start_header_id|>ipython<|end_header_id|>\n\n{{content}}<|eot_id|>"
           "<|start_header_id|>assistant<|end_header_id|>\n\n")};
  l.prefix = {kBos};
  l.tool_format = ToolFormat::Llama3;
  l.stop_words = {"<|eot_id|>", "<|eom_id|>"};
  l.replace_eos = true;
  all.push_back(l);

  ChatTemplate q;  // name="qwen" (Qwen2.5's default system prompt, as at ff6d4d12)
  q.name = "qwen";
  q.user = {text("<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n")};
  q.assistant = {text("{{content}}<|im_end|>\n")};
  q.system = {text("<|im_start|>system\n{{content}}<|im_end|>\n")};
  q.function = {text("{{content}}<|im_end|>\n")};
  q.observation = {
      text("<|im_start|>user\n<tool_response>\n{{content}}\n</tool_response><|im_end|>\n"
           "<|im_start|>assistant\n")};
  q.tool_format = ToolFormat::Qwen;
  q.default_system = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
  q.stop_words = {"<|im_end|>"};
  q.replace_eos = true;
  all.push_back(q);

  return all;
}

const std::vector<ChatTemplate>& templates() {
  static const std::vector<ChatTemplate> all = make_templates();
  return all;
}

// StringFormatter.apply: the first "{{content}}" of each text slot becomes `content`.
void apply(const TemplateSlots& slots, const std::string& content, std::vector<TemplateSlot>& out) {
  for (const auto& slot : slots) {
    TemplateSlot s = slot;
    if (s.kind == TemplateSlot::Kind::Text) {
      const size_t at = s.text.find("{{content}}");
      if (at != std::string::npos) s.text.replace(at, 11, content);
    }
    out.push_back(std::move(s));
  }
}

}  // namespace

std::vector<std::string> chat_template_names() {
  std::vector<std::string> names;
  for (const auto& t : templates()) names.push_back(t.name);
  return names;
}

const ChatTemplate& find_chat_template(const std::string& name) {
  for (const auto& t : templates())
    if (t.name == name) return t;
  std::string known;
  for (const auto& n : chat_template_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("template: unknown chat template '" + name + "'" + did_you_mean(name, chat_template_names()) +
              "; known templates: " + known);
}

TemplateEncoder::TemplateEncoder(const ChatTemplate& chat_template, const Tokenizer& tokenizer)
    : template_(chat_template), tokenizer_(tokenizer), bos_id_(tokenizer.bos_id()) {
  std::optional<int32_t> eos = tokenizer.eos_id();
  if (template_.replace_eos && !template_.stop_words.empty())
    if (const auto stop = tokenizer.token_to_id(template_.stop_words.front())) eos = stop;
  if (!eos)
    throw Error("tokenizer: no EOS token, which template '" + template_.name +
                "' and pre-training samples need (LLaMA-Factory would add <|endoftext|> to the vocabulary)");
  eos_id_ = *eos;
}

std::vector<EncodedTurn> TemplateEncoder::encode_multiturn(const Conversation& conversation,
                                                           const std::string& where) const {
  const std::string& system = conversation.system.empty() ? template_.default_system : conversation.system;
  std::vector<std::vector<int32_t>> encoded;
  for (size_t i = 0; i < conversation.messages.size(); ++i) {
    const Message& message = conversation.messages[i];
    std::vector<TemplateSlot> elements;
    if (i == 0) {
      elements = template_.prefix;
      if (!system.empty() || !conversation.tools.empty()) {
        const std::string tool_text =
            conversation.tools.empty() ? "" : format_tool_prompt(template_.tool_format, conversation.tools, where);
        apply(template_.system, system + tool_text, elements);
      }
    }
    switch (message.role) {
      case Role::User: apply(template_.user, message.content, elements); break;
      case Role::Assistant: apply(template_.assistant, message.content, elements); break;
      case Role::Observation: apply(template_.observation, message.content, elements); break;
      case Role::Function:
        apply(template_.function, format_function_call(template_.tool_format, message.content, where), elements);
        break;
      case Role::System: throw Error(where + ": a system message inside the conversation");
    }
    std::vector<int32_t> ids;
    for (const auto& e : elements) {
      if (e.kind == TemplateSlot::Kind::Text) {
        if (e.text.empty()) continue;
        const std::vector<int32_t> piece = tokenizer_.encode(e.text, /*add_special_tokens=*/false);
        ids.insert(ids.end(), piece.begin(), piece.end());
      } else if (e.kind == TemplateSlot::Kind::Bos) {
        if (bos_id_) ids.push_back(*bos_id_);
      } else {
        ids.push_back(eos_id_);
      }
    }
    encoded.push_back(std::move(ids));
  }
  std::vector<EncodedTurn> turns;
  for (size_t i = 0; i + 1 < encoded.size(); i += 2)
    turns.push_back({std::move(encoded[i]), std::move(encoded[i + 1])});
  return turns;
}

}  // namespace dataflex
