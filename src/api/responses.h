#pragma once
// Response bodies in OpenAI's exact shapes: chat completions and their stream chunks, legacy text
// completions and their chunks, and the model list. Inputs are plain values the endpoint glue
// fills from engine output; outputs are JSON text ready to send (or to wrap in an SSE "data:"
// line). Invalid UTF-8 in any text is replaced, never thrown on. Pure, callable from any thread.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tachyon {

// One alternative at a position of the output, for top_logprobs.
struct TopLogprob {
  std::string token{};  // the token's text; may be a partial UTF-8 sequence
  float logprob = 0;
};

// The sampled token at one position and the most likely alternatives, best first.
struct TokenLogprobInfo {
  std::string token{};
  float logprob = 0;
  std::vector<TopLogprob> top{};
};

// A page a grounded answer drew on, as Perplexity lists it in "search_results".
struct SourceInfo {
  std::string title{};
  std::string url{};
  std::string snippet{};
  std::optional<std::string> date{};          // "YYYY-MM-DD"; nullopt: null
  std::optional<std::string> last_updated{};  // "YYYY-MM-DD"; nullopt: null
};

// The fields every response object of one request repeats.
struct ResponseMeta {
  std::string id{};       // "chatcmpl-..." or "cmpl-...", from new_response_id()
  int64_t created = 0;  // Unix seconds at which the request was accepted
  std::string model{};
  std::string system_fingerprint{};  // empty: JSON null
  // Grounded chat: the numbered sources of the prompt ([1] first), sent as "citations" (their
  // URLs) and "search_results". nullopt: the request did not search, and neither field is sent.
  std::optional<std::vector<SourceInfo>> sources{};
};

// What a request cost in USD, as Perplexity returns it in usage.cost; each part is already
// rounded to the micro-dollar and total_cost is their sum.
struct UsageCost {
  double input_tokens_cost = 0;
  double output_tokens_cost = 0;
  double request_cost = 0;
  double total_cost = 0;
};

struct UsageCounts {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;  // prompt tokens served from the prefix cache
  std::optional<UsageCost> cost{};  // nullopt: no "cost" field
  // Grounded chat, as Perplexity reports them: searches run and "low" / "medium" / "high".
  std::optional<int32_t> num_search_queries{};
  std::optional<std::string> search_context_size{};
};

// A function call the model made.
struct ToolCallInfo {
  std::string id{};         // "call_" + 24 alphanumerics
  std::string name{};
  std::string arguments{};  // JSON text
};

// A streamed piece of a call: the first piece of call `index` carries its id and name.
struct ToolCallDelta {
  int32_t index = 0;
  std::string id{};    // empty after the first piece
  std::string name{};  // empty after the first piece
  std::string arguments{};
};

// A finished choice of a non-streamed response.
struct ChoiceResult {
  int32_t index = 0;
  std::string text{};
  std::string finish_reason{};  // "stop", "length" or "tool_calls"
  std::optional<std::vector<TokenLogprobInfo>> logprobs{};  // nullopt: not requested (null)
  // Text completions: the text_offset of the first logprobs token, in code points.
  int32_t text_offset = 0;
  std::vector<ToolCallInfo> tool_calls{};  // chat: the calls; content is null when text is empty
};

// The news about one choice that a stream chunk carries.
struct ChoiceDelta {
  int32_t index = 0;
  bool first = false;  // chat: the choice's first chunk, which announces role "assistant"
  std::string text{};
  std::optional<std::vector<TokenLogprobInfo>> logprobs{};  // nullopt: not requested (null)
  std::optional<std::string> finish_reason{};               // set on the choice's last chunk
  // Text completions: the text_offset of the first logprobs token, in code points.
  int32_t text_offset = 0;
  std::vector<ToolCallDelta> tool_calls{};  // chat: pieces of tool calls
  bool null_content = false;                // chat, first chunk: "content": null (a tool call follows)
};

// An entry of GET /v1/models.
struct ModelCard {
  std::string id{};
  int64_t created = 0;
  std::string owned_by = "tachyon";
};

// A fresh id: `prefix` followed by 24 random alphanumerics ("chatcmpl-", "cmpl-").
// Safe to call from any thread.
std::string new_response_id(std::string_view prefix);

// Length of `text` in Unicode code points, the unit of text_offset (as Python's len()): a
// streaming caller sums it over the text it has sent to get the next chunk's text_offset.
int32_t code_point_count(std::string_view text);

// {"object":"chat.completion", choices[{index, message{role, content, refusal, tool_calls?},
// logprobs, finish_reason}], usage{...}}, and "citations" and "search_results" when grounded.
std::string chat_completion_json(const ResponseMeta& meta, std::span<const ChoiceResult> choices,
                                 const UsageCounts& usage);

// {"object":"chat.completion.chunk", choices[{index, delta, logprobs, finish_reason}]}. The delta
// holds role "assistant" and content (even "") on the first chunk, content when there is text,
// tool_calls [{index, id?, type?, function{name?, arguments}}] when there are pieces of calls,
// and is {} otherwise. With include_usage every chunk has "usage": null, as OpenAI sends it.
// Grounded, a choice's first and last chunks carry "citations" and "search_results".
std::string chat_completion_chunk_json(const ResponseMeta& meta, const ChoiceDelta& delta,
                                       bool include_usage);

// The last chunk of a stream with include_usage: "choices": [] and the usage object (and the
// sources when grounded).
std::string chat_usage_chunk_json(const ResponseMeta& meta, const UsageCounts& usage);

// {"object":"text_completion", choices[{index, text, logprobs{tokens, token_logprobs,
// top_logprobs, text_offset} | null, finish_reason}], usage{...}}.
std::string text_completion_json(const ResponseMeta& meta, std::span<const ChoiceResult> choices,
                                 const UsageCounts& usage);

// A stream chunk of a text completion (also "object":"text_completion", as OpenAI sends it).
std::string text_completion_chunk_json(const ResponseMeta& meta, const ChoiceDelta& delta,
                                       bool include_usage);

// The usage chunk ending a text completion stream with include_usage.
std::string text_completion_usage_chunk_json(const ResponseMeta& meta, const UsageCounts& usage);

// GET /v1/models: {"object":"list","data":[model...]}.
std::string model_list_json(std::span<const ModelCard> models);

// GET /v1/models/{id}: {"id","object":"model","created","owned_by"}.
std::string model_json(const ModelCard& model);

}  // namespace tachyon
