#pragma once
// A chat request's prompt: its messages in the model's chat template, tools included as the
// template or the generic fallback (tool_prompt) takes them, and its tokens. Every text the
// client sent, and every source grounding added, is shielded (Tokenizer::shield_special)
// before it goes into the template, so the control tokens it spells ("</s>", "<|im_end|>")
// stay text: a message cannot forge a turn of another role (F13 in docs/SECURITY.md), while
// the template's own control tokens become their ids.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/chat_request.h"
#include "api/tool_request.h"
#include "engine/model_bundle.h"
#include "util/result.h"

namespace tachyon {

// The prompt text, with the client's text shielded.
Result<std::string> render_chat_prompt(const ModelBundle& bundle, const std::vector<ChatRequestMessage>& messages,
                                       const ToolRequest& tools);

// The tokens of a prompt render_chat_prompt() made, BOS first when the vocabulary adds one.
std::vector<int32_t> chat_prompt_tokens(const ModelBundle& bundle, std::string_view prompt);

}  // namespace tachyon
