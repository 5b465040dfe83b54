// Chat templates against llama.cpp's renderings (tests/data/chat_templates, copied from the
// shared reference data) and the built-in fallback formats.
#include "frontend/chat_template.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tachyon {
namespace {

// The reference renderings were produced with the clock pinned to 2025-02-21 12:00 UTC.
constexpr std::time_t kPinnedClock = 1740139200;

std::vector<ChatMessage> to_messages(const nlohmann::json& json) {
  std::vector<ChatMessage> messages;
  for (const auto& m : json) messages.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
  return messages;
}

ChatTemplateOptions pinned_options(std::string bos, std::string eos) {
  ChatTemplateOptions opts;
  opts.bos_token = std::move(bos);
  opts.eos_token = std::move(eos);
  opts.now = [] { return kPinnedClock; };
  return opts;
}

TEST(ChatTemplateReference, AllConversationsMatchLlamaCpp) {
  std::filesystem::path dir = std::filesystem::path(TACHYON_TEST_DATA) / "chat_templates";
  ASSERT_TRUE(std::filesystem::exists(dir)) << dir;
  setenv("TZ", "UTC", 1);
  tzset();
  int n_checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    nlohmann::json spec = nlohmann::json::parse(in);
    SCOPED_TRACE(entry.path().filename().string());
    Result<ChatTemplate> tmpl = ChatTemplate::parse(spec.at("template").get<std::string>());
    ASSERT_TRUE(tmpl.ok()) << tmpl.error().message;
    for (const auto& conversation : spec.at("conversations")) {
      SCOPED_TRACE(conversation.at("name").get<std::string>());
      ChatTemplateOptions opts = pinned_options(spec.at("bos_token"), spec.at("eos_token"));
      opts.add_generation_prompt = conversation.at("add_generation_prompt").get<bool>();
      std::vector<ChatMessage> messages = to_messages(conversation.at("messages"));
      Result<std::string> prompt = tmpl->render(messages, opts);
      ASSERT_TRUE(prompt.ok()) << prompt.error().message;
      EXPECT_EQ(*prompt, conversation.at("prompt").get<std::string>());
      ++n_checked;
    }
  }
  EXPECT_EQ(n_checked, 21);
}

TEST(ChatTemplate, StripsLeadingBosAndTrailingEos) {
  auto tmpl = ChatTemplate::parse("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}");
  ASSERT_TRUE(tmpl.ok());
  std::vector<ChatMessage> messages = {{"user", "hi"}};
  auto prompt = tmpl->render(messages, pinned_options("<s>", "</s>"));
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(*prompt, "hi");
}

TEST(ChatTemplate, FoldsSystemIntoUserWhenTemplateRejectsIt) {
  auto tmpl = ChatTemplate::parse(
      "{% if messages[0].role == 'system' %}{{ raise_exception('no system') }}{% endif %}"
      "{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}");
  ASSERT_TRUE(tmpl.ok());
  EXPECT_FALSE(tmpl->supports_system_role());
  std::vector<ChatMessage> messages = {{"system", "S"}, {"user", "U"}, {"assistant", "A"}, {"system", "T"}};
  auto prompt = tmpl->render(messages, pinned_options("", ""));
  ASSERT_TRUE(prompt.ok()) << prompt.error().message;
  EXPECT_EQ(*prompt, "[user:S\nU][assistant:A][user:T]");
}

TEST(ChatTemplate, RaiseExceptionIsAnErrorValue) {
  auto tmpl = ChatTemplate::parse("{% if messages|length > 1 %}{{ raise_exception('too many: ' ~ messages|length) }}{% endif %}ok");
  ASSERT_TRUE(tmpl.ok());
  std::vector<ChatMessage> one = {{"user", "a"}};
  std::vector<ChatMessage> two = {{"user", "a"}, {"user", "b"}};
  EXPECT_EQ(*tmpl->render(one, pinned_options("", "")), "ok");
  auto failed = tmpl->render(two, pinned_options("", ""));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("too many: 2"), std::string::npos) << failed.error().message;
}

TEST(ChatTemplate, StrftimeNowUsesInjectedClock) {
  setenv("TZ", "UTC", 1);
  tzset();
  auto tmpl = ChatTemplate::parse("{{ strftime_now('%d %b %Y %H:%M') }}");
  ASSERT_TRUE(tmpl.ok());
  auto prompt = tmpl->render({}, pinned_options("", ""));
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(*prompt, "21 Feb 2025 12:00");
}

TEST(ChatTemplate, SyntaxErrorReportsLineAndColumn) {
  auto tmpl = ChatTemplate::parse("hello\n{% if x %}\n{{ 1 + }}\n{% endif %}");
  ASSERT_FALSE(tmpl.ok());
  EXPECT_NE(tmpl.error().message.find("line 3, column 8"), std::string::npos) << tmpl.error().message;
}

struct BuiltinCase {
  const char* family;
  const char* bos;
  const char* eos;
  const char* system_user;
  const char* multi_turn;
};

TEST(BuiltinChatTemplate, RendersKnownFormats) {
  const BuiltinCase cases[] = {
      {"chatml", "", "<|im_end|>",
       "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n",
       "<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n<|im_start|>user\nV<|im_end|>\n"
       "<|im_start|>assistant\n"},
      {"llama2", "<s>", "</s>", "[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]",
       "[INST] U [/INST] A </s><s>[INST] V [/INST]"},
      {"llama3", "<|begin_of_text|>", "<|eot_id|>",
       "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU"
       "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
       "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA"
       "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nV<|eot_id|><|start_header_id|>assistant"
       "<|end_header_id|>\n\n"},
      {"zephyr", "<s>", "</s>", "<|system|>\nS</s>\n<|user|>\nU</s>\n<|assistant|>\n",
       "<|user|>\nU</s>\n<|assistant|>\nA</s>\n<|user|>\nV</s>\n<|assistant|>\n"},
      {"mistral", "<s>", "</s>", "[INST] S\n\nU [/INST]", "[INST] U [/INST] A</s>[INST] V [/INST]"},
      {"phi3", "<s>", "<|endoftext|>", "<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n",
       "<|user|>\nU<|end|>\n<|assistant|>\nA<|end|>\n<|user|>\nV<|end|>\n<|assistant|>\n"},
      {"gemma", "<bos>", "<eos>", "<start_of_turn>user\nS\nU<end_of_turn>\n<start_of_turn>model\n",
       "<start_of_turn>user\nU<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n<start_of_turn>user\nV"
       "<end_of_turn>\n<start_of_turn>model\n"},
  };
  std::vector<ChatMessage> system_user = {{"system", "S"}, {"user", "U"}};
  std::vector<ChatMessage> multi_turn = {{"user", "U"}, {"assistant", "A"}, {"user", "V"}};
  for (const BuiltinCase& c : cases) {
    SCOPED_TRACE(c.family);
    auto tmpl = builtin_chat_template(c.family);
    ASSERT_TRUE(tmpl.ok()) << tmpl.error().message;
    auto first = tmpl->render(system_user, pinned_options(c.bos, c.eos));
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(*first, c.system_user);
    auto second = tmpl->render(multi_turn, pinned_options(c.bos, c.eos));
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(*second, c.multi_turn);
  }
  EXPECT_FALSE(builtin_chat_template("no-such-family").ok());
}

// Tools and tool calls reach templates that take them: the Llama 3.1/3.2, Qwen 2.5 and Mistral
// templates print the tool's schema and earlier calls; Gemma 2, Phi-3.5 and Zephyr do not take
// tools (the API then describes them itself).
TEST(ChatTemplateReference, ToolsReachTemplatesThatTakeThem) {
  std::filesystem::path dir = std::filesystem::path(TACHYON_TEST_DATA) / "chat_templates";
  const nlohmann::ordered_json tools = nlohmann::ordered_json::parse(R"([{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])");
  const nlohmann::ordered_json calls = nlohmann::ordered_json::parse(R"([{"id": "call0abc1", "type": "function",
    "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}])");
  const std::map<std::string, bool> expected = {
      {"Qwen-Qwen2.5-7B-Instruct.json", true},           {"meta-llama-Llama-3.1-8B-Instruct.json", true},
      {"meta-llama-Llama-3.2-3B-Instruct.json", true},   {"mistralai-Mistral-Nemo-Instruct-2407.json", true},
      {"google-gemma-2-2b-it.json", false},              {"microsoft-Phi-3.5-mini-instruct.json", false},
      {"tinyllama-zephyr.json", false}};
  for (const auto& [file, takes_tools] : expected) {
    SCOPED_TRACE(file);
    std::ifstream in(dir / file);
    nlohmann::json spec = nlohmann::json::parse(in);
    Result<ChatTemplate> tmpl = ChatTemplate::parse(spec.at("template").get<std::string>());
    ASSERT_TRUE(tmpl.ok()) << tmpl.error().message;
    EXPECT_EQ(tmpl->supports_tools(), takes_tools);
    if (!takes_tools) continue;
    ChatTemplateOptions opts = pinned_options(spec.at("bos_token"), spec.at("eos_token"));
    opts.tools = tools;
    ChatMessage user{"user", "Weather in Paris?"};
    ChatMessage call{"assistant", ""};
    call.tool_calls = calls;
    ChatMessage result{"tool", "18 C"};
    result.tool_call_id = "call0abc1";
    result.name = "get_weather";
    const std::vector<ChatMessage> messages = {user, call, result};
    Result<std::string> prompt = tmpl->render(messages, opts);
    ASSERT_TRUE(prompt.ok()) << prompt.error().message;
    EXPECT_NE(prompt->find("Current weather"), std::string::npos) << *prompt;
    EXPECT_NE(prompt->find("\"city\": \"Paris\""), std::string::npos) << *prompt;
    EXPECT_NE(prompt->find("18 C"), std::string::npos) << *prompt;
  }
}

}  // namespace
}  // namespace tachyon
