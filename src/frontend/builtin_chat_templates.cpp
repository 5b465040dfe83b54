// Built-in chat formats for models whose GGUF carries no tokenizer.chat_template. They are
// ordinary Jinja sources so that they go through the same renderer (and the same bos/eos and
// system-role handling) as templates read from a model.
#include <string_view>
#include <utility>

#include "frontend/chat_template.h"

namespace tachyon {

namespace {

constexpr std::string_view kChatml = R"(
{%- for message in messages %}
    {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
)";

// Meta's Llama 2 chat format: the system prompt sits inside the first [INST] block.
constexpr std::string_view kLlama2 = R"(
{%- if messages and messages[0].role == 'system' %}
    {%- set system = '<<SYS>>\n' + messages[0].content + '\n<</SYS>>\n\n' %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system = '' %}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == 'user' %}
        {{- bos_token + '[INST] ' + (system if loop.first else '') + message.content | trim + ' [/INST]' }}
    {%- elif message.role == 'assistant' %}
        {{- ' ' + message.content | trim + ' ' + eos_token }}
    {%- endif %}
{%- endfor %}
)";

constexpr std::string_view kLlama3 = R"(
{{- bos_token }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message.role + '<|end_header_id|>\n\n' + message.content | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
)";

constexpr std::string_view kZephyr = R"(
{%- for message in messages %}
    {{- '<|' + message.role + '|>\n' + message.content + eos_token + '\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|assistant|>\n' }}
{%- endif %}
)";

// Mistral Instruct (v1 layout): a system prompt is prepended to the first user turn.
constexpr std::string_view kMistral = R"(
{%- if messages and messages[0].role == 'system' %}
    {%- set system = messages[0].content + '\n\n' %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system = '' %}
{%- endif %}
{{- bos_token }}
{%- for message in messages %}
    {%- if message.role == 'user' %}
        {{- '[INST] ' + (system if loop.first else '') + message.content + ' [/INST]' }}
    {%- elif message.role == 'assistant' %}
        {{- ' ' + message.content + eos_token }}
    {%- endif %}
{%- endfor %}
)";

constexpr std::string_view kPhi3 = R"(
{%- for message in messages %}
    {{- '<|' + message.role + '|>\n' + message.content + '<|end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|assistant|>\n' }}
{%- endif %}
)";

// Gemma has no system role: the renderer folds system text into the first user turn.
constexpr std::string_view kGemma = R"(
{{- bos_token }}
{%- for message in messages %}
    {%- if message.role == 'system' %}
        {{- raise_exception('System role not supported') }}
    {%- endif %}
    {%- set role = 'model' if message.role == 'assistant' else message.role %}
    {{- '<start_of_turn>' + role + '\n' + message.content | trim + '<end_of_turn>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<start_of_turn>model\n' }}
{%- endif %}
)";

constexpr std::pair<std::string_view, std::string_view> kBuiltins[] = {
    {"chatml", kChatml}, {"llama2", kLlama2},   {"llama3", kLlama3}, {"zephyr", kZephyr},
    {"mistral", kMistral}, {"phi3", kPhi3}, {"gemma", kGemma},
};

}  // namespace

Result<ChatTemplate> builtin_chat_template(std::string_view family) {
  for (const auto& [name, source] : kBuiltins) {
    if (name == family) return ChatTemplate::parse(std::string(source));
  }
  return make_error("no built-in chat template for '{}'", family);
}

}  // namespace tachyon
