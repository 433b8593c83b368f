// Chat templates and tool calls: exact ids of rendered conversations.
//
// Every expected string below is written out by hand from LLaMA-Factory's template.py and
// tool_utils.py (commit ff6d4d12): the slots of register_template(...) with {{content}} filled in.
// The tokenizers are byte tokenizers that know the template's special tokens, so "<|eot_id|>" in an
// expected string is one id, as it is for the real Llama-3 tokenizer.
#include <gtest/gtest.h>

#include <ctime>

#include "data/chat_template.hpp"
#include "data/chat_tools.hpp"
#include "data/corpus.hpp"
#include "dataset_test_support.hpp"

namespace dataflex {
namespace {

using test::expect_turns;
using test::TestByteTokenizer;

// chat_small.json row 1: system "Be brief.", Hi -> Hello!, 2+2? -> 4; row 2: Bye -> Goodbye.
Corpus load_chat(const Tokenizer& tok, const std::string& template_name, const std::string& dataset = "chat_small") {
  DataOptions o;
  o.dataset_dir = DATASET_FIXTURES_DIR;
  o.dataset = {dataset};
  o.template_name = template_name;
  o.cutoff_len = 4096;  // the tool prompts are long; nothing is truncated
  return load_corpus(o, tok);
}

int count(const std::vector<int32_t>& ids, int32_t id) {
  return static_cast<int>(std::count(ids.begin(), ids.end(), id));
}

TEST(ChatTemplateDefault, TwoTurnsWithSystem) {
  const auto tok = test::bytes_tokenizer();
  const Corpus c = load_chat(*tok, "default");
  expect_turns(c.train[0], *tok,
               {{"System: Be brief.<|eos|>\nHuman: Hi<|eos|>\nAssistant:", "Hello!<|eos|>\n"},
                {"Human: 2+2?<|eos|>\nAssistant:", "4<|eos|>\n"}});
}

TEST(ChatTemplateEmpty, TwoTurnsAreTheBareContents) {
  // "empty": assistant "{{content}}", everything else the default "{{content}}"; no EOS anywhere
  const auto tok = test::bytes_tokenizer();
  const Corpus c = load_chat(*tok, "empty");
  expect_turns(c.train[0], *tok, {{"Be brief.Hi", "Hello!"}, {"2+2?", "4"}});
}

TEST(ChatTemplateLlama3, TwoTurnsWithHeadersEotAndBos) {
  const auto tok = TestByteTokenizer::llama3_like();
  const Corpus c = load_chat(*tok, "llama3");
  expect_turns(c.train[0], *tok,
               {{"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                 "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                 "<|start_header_id|>assistant<|end_header_id|>\n\n",
                 "Hello!<|eot_id|>"},
                {"<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
                 "<|start_header_id|>assistant<|end_header_id|>\n\n",
                 "4<|eot_id|>"}});
  // the special-token strings of the template are single ids, not their bytes
  EXPECT_EQ(count(c.train[0].input_ids, *tok->token_to_id("<|eot_id|>")), 5);
  EXPECT_EQ(c.train[0].input_ids.front(), *tok->bos_id());
  EXPECT_EQ(count(c.train[0].input_ids, '<'), 0);
}

TEST(ChatTemplateQwen, TwoTurnsWithImStartAndImEnd) {
  const auto tok = TestByteTokenizer::qwen_like();
  const Corpus c = load_chat(*tok, "qwen");
  expect_turns(c.train[0], *tok,
               {{"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                 "Hello!<|im_end|>\n"},
                {"<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", "4<|im_end|>\n"}});
}

TEST(ChatTemplateQwen, WithoutASystemPromptTheDefaultSystemIsUsed) {
  // qwen's default_system at ff6d4d12 is Qwen2.5's (older LLaMA-Factory had "You are a helpful assistant.")
  const auto tok = TestByteTokenizer::qwen_like();
  const Corpus c = load_chat(*tok, "qwen");
  expect_turns(c.train[1], *tok,
               {{"<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                 "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
                 "Goodbye.<|im_end|>\n"}});
}

// tool_calls.json: tools [get_time(zone: string, required, enum UTC/CET)]; human "Time?",
// function_call {"name": "get_time", "arguments": {"zone": "UTC"}}, observation {"time": "12:00"},
// gpt "It is 12:00."

TEST(ChatToolsDefault, ToolsGoToTheSystemPromptAndCallsBecomeActionLines) {
  const auto tok = test::bytes_tokenizer();
  const Corpus c = load_chat(*tok, "default", "tool_calls");
  const std::string tools =  // DEFAULT_TOOL_PROMPT with DefaultToolUtils.tool_formatter's text
      "You have access to the following tools:\n"
      "> Tool Name: get_time\nTool Description: Current time\nTool Args:\n"
      "  - zone (string, required): Time zone, should be one of [UTC, CET]\n\n"
      "Use the following format if using a tool:\n```\n"
      "Action: tool name (one of [get_time])\n"
      "Action Input: the input to the tool, in a JSON format representing the kwargs "
      "(e.g. ```{\"input\": \"hello world\", \"num_beams\": 5}```)\n```\n";
  expect_turns(c.train[0], *tok,
               {{"System: " + tools + "<|eos|>\nHuman: Time?<|eos|>\nAssistant:",
                 "Action: get_time\nAction Input: {\"zone\": \"UTC\"}<|eos|>\n"},
                {"Human: {\"time\": \"12:00\"}<|eos|>\nAssistant:", "It is 12:00.<|eos|>\n"}});
}

TEST(ChatToolsQwen, ToolsAreJsonInToolsTagsAndCallsAreToolCallBlocks) {
  const auto tok = TestByteTokenizer::qwen_like();
  const Corpus c = load_chat(*tok, "qwen", "tool_calls");
  const std::string system =  // default_system + QWEN_TOOL_PROMPT
      "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
      "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
      "{\"type\": \"function\", \"function\": {\"name\": \"get_time\", \"description\": \"Current time\", "
      "\"parameters\": {\"type\": \"object\", \"properties\": {\"zone\": {\"type\": \"string\", "
      "\"description\": \"Time zone\", \"enum\": [\"UTC\", \"CET\"]}}, \"required\": [\"zone\"]}}}"
      "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
      "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
      "<args-json-object>}\n</tool_call>";
  expect_turns(
      c.train[0], *tok,
      {{"<|im_start|>system\n" + system + "<|im_end|>\n<|im_start|>user\nTime?<|im_end|>\n<|im_start|>assistant\n",
        "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}\n</tool_call><|im_end|>\n"},
       {"<|im_start|>user\n<tool_response>\n{\"time\": \"12:00\"}\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n",
        "It is 12:00.<|im_end|>\n"}});
}

TEST(ChatToolsLlama3, ToolsAreIndentedJsonWithTodaysDateAndCallsUseParameters) {
  const auto tok = TestByteTokenizer::llama3_like();
  const Corpus c = load_chat(*tok, "llama3", "tool_calls");
  // LLAMA3_TOOL_PROMPT writes datetime.now().strftime("%d %b %Y")
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::strftime(date, sizeof date, "%d %b %Y", &local);
  const std::string system = std::string("Cutting Knowledge Date: December 2023\nToday Date: ") + date +
                             "\n\nYou have access to the following functions. To call a function, please respond "
                             "with JSON for a function call. Respond in the format {\"name\": function name, "
                             "\"parameters\": dictionary of argument name and its value}. Do not use variables.\n\n"
                             "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_time\",\n"
                             "        \"description\": \"Current time\",\n        \"parameters\": {\n"
                             "            \"type\": \"object\",\n            \"properties\": {\n"
                             "                \"zone\": {\n                    \"type\": \"string\",\n"
                             "                    \"description\": \"Time zone\",\n                    \"enum\": [\n"
                             "                        \"UTC\",\n                        \"CET\"\n"
                             "                    ]\n                }\n            },\n            \"required\": [\n"
                             "                \"zone\"\n            ]\n        }\n    }\n}\n\n";
  expect_turns(c.train[0], *tok,
               {{"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + system +
                     "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTime?<|eot_id|>"
                     "<|start_header_id|>assistant<|end_header_id|>\n\n",
                 "{\"name\": \"get_time\", \"parameters\": {\"zone\": \"UTC\"}}<|eot_id|>"},
                {"<|start_header_id|>ipython<|end_header_id|>\n\n{\"time\": \"12:00\"}<|eot_id|>"
                 "<|start_header_id|>assistant<|end_header_id|>\n\n",
                 "It is 12:00.<|eot_id|>"}});
}

TEST(ChatTools, FunctionCallsMayCarryAThoughtAndParallelCalls) {
  // formatter.py FunctionFormatter: a <think>\n...\n</think>\n\n thought is kept in front of the calls;
  // a JSON list is parallel calls, joined by "\n"
  const std::string content =
      "<think>\nneed both\n</think>\n\n[{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {\"x\": "
      "1.5}}]";
  EXPECT_EQ(format_function_call(ToolFormat::Default, content, "here"),
            "<think>\nneed both\n</think>\n\nAction: a\nAction Input: {}\nAction: b\nAction Input: {\"x\": 1.5}");
  EXPECT_EQ(format_function_call(ToolFormat::Qwen,
                                 "<tool_call>{\"name\": \"a\", \"arguments\": {\"k\": [1, 2]}}</tool_call>", "here"),
            "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"k\": [1, 2]}}\n</tool_call>");
}

TEST(PythonJsonDumps, MatchesPythonsSeparatorsEscapesAndFloats) {
  // expected: Python 3.11 json.dumps(..., ensure_ascii=False), run by hand
  using nlohmann::ordered_json;
  const auto v = ordered_json::parse(R"({"s": "é\u0001\"\\\n\t/", "a": [1, {}, []], "b": {"c": null, "d": true}})");
  EXPECT_EQ(python_json_dumps(v), R"({"s": "é\u0001\"\\\n\t/", "a": [1, {}, []], "b": {"c": null, "d": true}})");
  const auto w = ordered_json::parse(R"({"s": "é", "a": [1, {}, []], "b": {"c": null, "d": true}})");
  EXPECT_EQ(python_json_dumps(w, 4),
            "{\n    \"s\": \"é\",\n    \"a\": [\n        1,\n        {},\n        []\n    ],\n    \"b\": {\n"
            "        \"c\": null,\n        \"d\": true\n    }\n}");
  const std::vector<std::pair<double, std::string>> floats = {
      {1.0, "1.0"},       {1e-05, "1e-05"},         {1e16, "1e+16"},   {1e15, "1000000000000000.0"},
      {0.1, "0.1"},       {-0.0, "-0.0"},           {1e300, "1e+300"}, {2.5e-7, "2.5e-07"},
      {0.0001, "0.0001"}, {1234.5678, "1234.5678"}, {5e-324, "5e-324"}};
  for (const auto& [x, text] : floats) EXPECT_EQ(python_json_dumps(ordered_json(x)), text);
}

}  // namespace
}  // namespace dataflex
