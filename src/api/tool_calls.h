#pragma once
// A model's output read as tool calls. Forced calls (tool_choice "required" or a named
// function) are generated under a grammar as {"name": ..., "arguments": {...}}; with "auto" the
// model's own syntax is recognised: Hermes/Qwen `<tool_call>{...}</tool_call>`, Mistral
// `[TOOL_CALLS][{...}]` (or the bare array when the marker is a control token), Llama 3
// `{"name": ..., "parameters": {...}}` (after `<|python_tag|>` or alone), and the generic
// {"name", "arguments"} object this server asks templates without tool support for. Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/responses.h"
#include "api/tool_request.h"

namespace tachyon {

struct ParsedToolOutput {
  std::string content;                // text outside the calls (trimmed); empty when none
  std::vector<ToolCallInfo> calls;  // empty: the output is plain content
};

// The output of a request whose tools are active. `forced`: the whole output is one
// grammar-generated call; the arguments are its exact text. Otherwise calls are recognised only
// when they name a function of `tools` and their arguments are a JSON object.
ParsedToolOutput parse_tool_output(std::string_view text, const ToolRequest& tools, bool forced);

// Streams a forced call: feed() text as it is generated and get the call's deltas, the name
// once it is complete and then the arguments piece by piece, so that their concatenation is
// exactly parse_tool_output()'s arguments.
class ForcedCallStream {
 public:
  struct Delta {
    bool header = false;    // first delta: id, type and name
    std::string id;
    std::string name;
    std::string arguments;  // the next piece of arguments text
  };
  // New deltas for `text` (empty when nothing can be sent yet); finish() flushes the rest.
  std::vector<Delta> feed(std::string_view text);
  std::vector<Delta> finish();

 private:
  std::string buffer_;     // all text so far
  size_t sent_ = 0;        // bytes of buffer_ already sent as arguments
  size_t args_start_ = 0;  // where the arguments begin in buffer_, once known
  bool started_ = false;
  std::string id_;
};

// Whether streamed `text` (everything so far) might still turn out to be a tool call in the
// model's own syntax, so that it must be held back rather than sent as content.
bool may_start_tool_call(std::string_view text);

// A fresh tool call id.
std::string new_tool_call_id();

}  // namespace tachyon
