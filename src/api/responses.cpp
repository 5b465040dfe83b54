#include "api/responses.h"

#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "api/json_fields.h"

namespace tachyon {
namespace {

// Insertion-ordered, so fields come out in the order OpenAI documents them.
using ojson = nlohmann::ordered_json;

// JSON has no -inf; OpenAI reports a token too unlikely to represent as -9999.
constexpr float kMinReportedLogprob = -9999.0f;

double reported_logprob(float logprob) {
  if (std::isnan(logprob) || logprob < kMinReportedLogprob) return kMinReportedLogprob;
  return logprob;
}

ojson string_or_null(const std::string& s) { return s.empty() ? ojson(nullptr) : ojson(s); }

ojson token_bytes(const std::string& token) {
  ojson bytes = ojson::array();
  for (char c : token) bytes.push_back(static_cast<unsigned char>(c));
  return bytes;
}

ojson usage_json(const UsageCounts& usage) {
  ojson out = {
      {"prompt_tokens", usage.prompt_tokens},
      {"completion_tokens", usage.completion_tokens},
      {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
      {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}},
  };
  if (usage.cost) {
    out["cost"] = {
        {"input_tokens_cost", usage.cost->input_tokens_cost},
        {"output_tokens_cost", usage.cost->output_tokens_cost},
        {"request_cost", usage.cost->request_cost},
        {"total_cost", usage.cost->total_cost},
    };
  }
  if (usage.num_search_queries) out["num_search_queries"] = *usage.num_search_queries;
  if (usage.search_context_size) out["search_context_size"] = *usage.search_context_size;
  return out;
}

// Grounded answers: "citations" (the sources' URLs, [1] first) and "search_results".
void add_sources(ojson& body, const ResponseMeta& meta) {
  if (!meta.sources) return;
  ojson citations = ojson::array();
  ojson results = ojson::array();
  for (const SourceInfo& s : *meta.sources) {
    citations.push_back(s.url);
    results.push_back({{"title", s.title},
                       {"url", s.url},
                       {"date", s.date ? ojson(*s.date) : ojson(nullptr)},
                       {"last_updated", s.last_updated ? ojson(*s.last_updated) : ojson(nullptr)},
                       {"snippet", s.snippet},
                       {"source", "web"}});
  }
  body["citations"] = std::move(citations);
  body["search_results"] = std::move(results);
}

// The fields every response object starts with.
ojson envelope(const ResponseMeta& meta, std::string_view object) {
  return {
      {"id", meta.id},
      {"object", object},
      {"created", meta.created},
      {"model", meta.model},
      {"system_fingerprint", string_or_null(meta.system_fingerprint)},
  };
}

// Chat logprobs: {"content":[{token, logprob, bytes, top_logprobs:[{token, logprob, bytes}]}],
// "refusal": null}, or null when not requested.
ojson chat_logprobs_json(const std::optional<std::vector<TokenLogprobInfo>>& logprobs) {
  if (!logprobs) return nullptr;
  ojson content = ojson::array();
  for (const TokenLogprobInfo& info : *logprobs) {
    ojson top = ojson::array();
    for (const TopLogprob& alternative : info.top) {
      top.push_back({
          {"token", alternative.token},
          {"logprob", reported_logprob(alternative.logprob)},
          {"bytes", token_bytes(alternative.token)},
      });
    }
    content.push_back({
        {"token", info.token},
        {"logprob", reported_logprob(info.logprob)},
        {"bytes", token_bytes(info.token)},
        {"top_logprobs", std::move(top)},
    });
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

// Legacy logprobs: parallel arrays, top_logprobs as one {token: logprob} object per position.
ojson completion_logprobs_json(const std::optional<std::vector<TokenLogprobInfo>>& logprobs,
                              int32_t text_offset) {
  if (!logprobs) return nullptr;
  ojson tokens = ojson::array();
  ojson token_logprobs = ojson::array();
  ojson top_logprobs = ojson::array();
  ojson text_offsets = ojson::array();
  for (const TokenLogprobInfo& info : *logprobs) {
    tokens.push_back(info.token);
    token_logprobs.push_back(reported_logprob(info.logprob));
    ojson top = ojson::object();
    // Two ids can decode to the same text; the first listed is the more likely one.
    for (const TopLogprob& alternative : info.top) {
      top.emplace(alternative.token, reported_logprob(alternative.logprob));
    }
    top_logprobs.push_back(std::move(top));
    text_offsets.push_back(text_offset);
    text_offset += code_point_count(info.token);
  }
  return {
      {"tokens", std::move(tokens)},
      {"token_logprobs", std::move(token_logprobs)},
      {"top_logprobs", std::move(top_logprobs)},
      {"text_offset", std::move(text_offsets)},
  };
}

ojson finish_reason_json(const std::optional<std::string>& finish_reason) {
  return finish_reason ? ojson(*finish_reason) : ojson(nullptr);
}

ojson model_card_json(const ModelCard& model) {
  return {
      {"id", model.id},
      {"object", "model"},
      {"created", model.created},
      {"owned_by", model.owned_by},
  };
}

}  // namespace

std::string new_response_id(std::string_view prefix) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id.push_back(kAlphabet[pick(rng)]);
  return id;
}

int32_t code_point_count(std::string_view text) {
  int32_t count = 0;
  for (char c : text) {
    // Every byte but a continuation byte (10xxxxxx) starts a code point.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string chat_completion_json(const ResponseMeta& meta, std::span<const ChoiceResult> choices,
                                 const UsageCounts& usage) {
  ojson body = envelope(meta, "chat.completion");
  ojson out_choices = ojson::array();
  for (const ChoiceResult& choice : choices) {
    ojson message = {{"role", "assistant"}, {"content", choice.text}, {"refusal", nullptr}};
    if (!choice.tool_calls.empty()) {
      if (choice.text.empty()) message["content"] = nullptr;
      ojson calls = ojson::array();
      for (const ToolCallInfo& call : choice.tool_calls)
        calls.push_back({{"id", call.id},
                         {"type", "function"},
                         {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
      message["tool_calls"] = std::move(calls);
    }
    out_choices.push_back({
        {"index", choice.index},
        {"message", std::move(message)},
        {"logprobs", chat_logprobs_json(choice.logprobs)},
        {"finish_reason", choice.finish_reason},
    });
  }
  body["choices"] = std::move(out_choices);
  add_sources(body, meta);
  body["usage"] = usage_json(usage);
  return dump_json(body);
}

std::string chat_completion_chunk_json(const ResponseMeta& meta, const ChoiceDelta& delta,
                                       bool include_usage) {
  ojson body = envelope(meta, "chat.completion.chunk");
  ojson delta_json = ojson::object();
  if (delta.first) {
    delta_json["role"] = "assistant";
    delta_json["content"] = delta.null_content && delta.text.empty() ? ojson(nullptr) : ojson(delta.text);
  } else if (!delta.text.empty()) {
    delta_json["content"] = delta.text;
  }
  if (!delta.tool_calls.empty()) {
    ojson calls = ojson::array();
    for (const ToolCallDelta& piece : delta.tool_calls) {
      ojson call = {{"index", piece.index}};
      ojson function = ojson::object();
      if (!piece.id.empty()) {
        call["id"] = piece.id;
        call["type"] = "function";
        function["name"] = piece.name;
      }
      function["arguments"] = piece.arguments;
      call["function"] = std::move(function);
      calls.push_back(std::move(call));
    }
    delta_json["tool_calls"] = std::move(calls);
  }
  body["choices"] = ojson::array({{
      {"index", delta.index},
      {"delta", std::move(delta_json)},
      {"logprobs", chat_logprobs_json(delta.logprobs)},
      {"finish_reason", finish_reason_json(delta.finish_reason)},
  }});
  if (delta.first || delta.finish_reason) add_sources(body, meta);
  if (include_usage) body["usage"] = nullptr;
  return dump_json(body);
}

std::string chat_usage_chunk_json(const ResponseMeta& meta, const UsageCounts& usage) {
  ojson body = envelope(meta, "chat.completion.chunk");
  body["choices"] = ojson::array();
  add_sources(body, meta);
  body["usage"] = usage_json(usage);
  return dump_json(body);
}

std::string text_completion_json(const ResponseMeta& meta, std::span<const ChoiceResult> choices,
                                 const UsageCounts& usage) {
  ojson body = envelope(meta, "text_completion");
  ojson out_choices = ojson::array();
  for (const ChoiceResult& choice : choices) {
    out_choices.push_back({
        {"index", choice.index},
        {"text", choice.text},
        {"logprobs", completion_logprobs_json(choice.logprobs, choice.text_offset)},
        {"finish_reason", choice.finish_reason},
    });
  }
  body["choices"] = std::move(out_choices);
  body["usage"] = usage_json(usage);
  return dump_json(body);
}

std::string text_completion_chunk_json(const ResponseMeta& meta, const ChoiceDelta& delta,
                                       bool include_usage) {
  ojson body = envelope(meta, "text_completion");
  body["choices"] = ojson::array({{
      {"index", delta.index},
      {"text", delta.text},
      {"logprobs", completion_logprobs_json(delta.logprobs, delta.text_offset)},
      {"finish_reason", finish_reason_json(delta.finish_reason)},
  }});
  if (include_usage) body["usage"] = nullptr;
  return dump_json(body);
}

std::string text_completion_usage_chunk_json(const ResponseMeta& meta, const UsageCounts& usage) {
  ojson body = envelope(meta, "text_completion");
  body["choices"] = ojson::array();
  body["usage"] = usage_json(usage);
  return dump_json(body);
}

std::string model_list_json(std::span<const ModelCard> models) {
  ojson data = ojson::array();
  for (const ModelCard& model : models) data.push_back(model_card_json(model));
  return dump_json({{"object", "list"}, {"data", std::move(data)}});
}

std::string model_json(const ModelCard& model) { return dump_json(model_card_json(model)); }

}  // namespace tachyon
