// Typed requests and responses mirroring the JSON of the OpenAI and Perplexity APIs. Every
// response keeps the JSON it was read from in `raw`, so fields this version does not name (a newer
// server's, or a vendor's) stay reachable; every request has `extra`, merged into its JSON last.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tachyon::client {

using Json = nlohmann::json;

// ---- shared ----

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
  Json raw;  // also prompt_tokens_details, cost, ...
  static Usage from_json(const Json& j);
};

// ---- chat completions ----

struct ChatMessage {
  std::string role;
  std::string content;
  Json extra = Json::object();  // name, tool_calls, tool_call_id, content parts, ...
  Json to_json() const;
};

struct ChatCompletionRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  std::optional<int> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> n;
  std::optional<std::int64_t> seed;
  std::vector<std::string> stop;
  // Asks a stream for its final usage chunk (stream_options.include_usage); ignored without streaming.
  bool include_usage = true;
  Json extra = Json::object();  // response_format, tools, tool_choice, search options, ...
  // The request body; `stream` sets "stream" (and stream_options when include_usage).
  Json to_json(bool stream = false) const;
};

struct ChatCompletionMessage {
  std::string role;
  std::optional<std::string> content;
  Json raw;  // tool_calls, refusal, ...
};

struct ChatCompletionChoice {
  int index = 0;
  ChatCompletionMessage message;
  std::optional<std::string> finish_reason;
  Json raw;
};

struct ChatCompletion {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::vector<ChatCompletionChoice> choices;
  std::optional<Usage> usage;
  Json raw;  // citations, search_results, system_fingerprint, ...
  static ChatCompletion from_json(const Json& j);
};

struct ChatCompletionDelta {
  std::optional<std::string> role;
  std::optional<std::string> content;
  Json raw;
};

struct ChatCompletionChunkChoice {
  int index = 0;
  ChatCompletionDelta delta;
  std::optional<std::string> finish_reason;
  Json raw;
};

struct ChatCompletionChunk {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::vector<ChatCompletionChunkChoice> choices;  // empty in the final usage chunk
  std::optional<Usage> usage;
  Json raw;
  static ChatCompletionChunk from_json(const Json& j);
};

// ---- text completions ----

struct CompletionRequest {
  std::string model;
  std::string prompt;
  std::optional<int> max_tokens;
  std::optional<double> temperature;
  std::optional<std::int64_t> seed;
  std::vector<std::string> stop;
  bool include_usage = true;
  Json extra = Json::object();
  Json to_json(bool stream = false) const;
};

struct CompletionChoice {
  int index = 0;
  std::string text;
  std::optional<std::string> finish_reason;
  Json raw;
};

// A text completion, and also each chunk of a streamed one (same shape).
struct Completion {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::vector<CompletionChoice> choices;
  std::optional<Usage> usage;
  Json raw;
  static Completion from_json(const Json& j);
};

// ---- models ----

struct Model {
  std::string id;
  std::string owned_by;
  std::int64_t created = 0;
  Json raw;
  static Model from_json(const Json& j);
};

struct ModelList {
  std::vector<Model> data;
  Json raw;
  static ModelList from_json(const Json& j);
};

// ---- search (Perplexity's POST /search) ----

struct SearchRequest {
  std::string query;
  std::optional<int> max_results;
  Json extra = Json::object();  // search_domain_filter, country, max_tokens_per_page, ...
  Json to_json() const;
};

struct SearchResult {
  std::string title;
  std::string url;
  std::string snippet;
  std::optional<std::string> date;
  std::optional<std::string> last_updated;
  Json raw;
};

struct SearchResponse {
  std::string id;
  std::vector<SearchResult> results;
  Json raw;
  static SearchResponse from_json(const Json& j);
};

// ---- async chat completions (Perplexity's /async/chat/completions) ----

struct AsyncChatCompletionRequest {
  ChatCompletionRequest request;
  std::optional<std::string> idempotency_key;
  Json to_json() const;
};

// A job: status CREATED, IN_PROGRESS, COMPLETED or FAILED; `response` once COMPLETED.
struct AsyncChatCompletion {
  std::string id;
  std::string model;
  std::string status;
  std::int64_t created_at = 0;
  std::optional<ChatCompletion> response;
  std::optional<std::string> error_message;
  Json raw;
  static AsyncChatCompletion from_json(const Json& j);
};

struct AsyncChatCompletionList {
  std::vector<AsyncChatCompletion> requests;
  std::optional<std::string> next_token;
  Json raw;
  static AsyncChatCompletionList from_json(const Json& j);
};

// ---- responses (POST /v1/responses) ----

struct ResponseCreateRequest {
  std::string model;
  Json input;  // a string, or a list of input items
  std::optional<std::string> instructions;
  std::optional<int> max_output_tokens;
  std::optional<double> temperature;
  Json extra = Json::object();
  Json to_json() const;
};

struct Response {
  std::string id;
  std::string model;
  std::string status;
  Json output;  // the output items as sent
  std::optional<Usage> usage;
  Json raw;
  // The text of every output_text part of every message item, concatenated (as the SDKs' output_text).
  std::string output_text() const;
  static Response from_json(const Json& j);
};

// ---- embeddings (POST /v1/embeddings) ----

struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> input;
  Json extra = Json::object();
  Json to_json() const;
};

struct Embedding {
  int index = 0;
  std::vector<float> embedding;
};

struct EmbeddingResponse {
  std::string model;
  std::vector<Embedding> data;
  std::optional<Usage> usage;
  Json raw;
  static EmbeddingResponse from_json(const Json& j);
};

}  // namespace tachyon::client
