#pragma once
// A chat request's messages as the model's chat template will see them. A template that
// renders `tools` gets the tools and the calls as they are (arguments as JSON objects, as the
// templates' `| tojson` expects; call ids that are not 9 alphanumerics, which Mistral's
// templates require, mapped to 9 derived from them). For one that does not, this generic fallback is used: the
// tools are described compactly in a system message (`- get_weather({city: string, unit?:
// "c"|"f"}): description`) that asks for {"name": ..., "arguments": {...}},
// earlier calls are written in that form as the assistant's text, and tool results become user
// turns ("Result of NAME (call ID): ...").
#include <vector>

#include "api/chat_request.h"
#include "frontend/chat_template.h"

namespace tachyon {

std::vector<ChatMessage> template_messages(const std::vector<ChatRequestMessage>& messages, const ToolRequest& tools,
                                           bool template_supports_tools);

}  // namespace tachyon
