#pragma once
// Chat completion output recast as the Responses API's: a Response object from a
// chat.completion body, and the typed stream events (response.created, response.output_item.added,
// response.content_part.added, response.output_text.delta, response.function_call_arguments.delta,
// the matching .done events, response.completed / response.incomplete) from chat.completion.chunk
// events, each with its sequence_number. Pure; one translator per response.
// A grounded answer (the chat body or its first chunk carries search_results) gets a
// "search_results" output item ahead of its message, as Perplexity's Agent API lists sources,
// and the message's [n] markers become url_citation annotations of its output_text (streamed
// as response.output_text.annotation.added events before response.output_text.done).
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tachyon {

class ResponsesTranslator {
 public:
  // echo: the request fields the Response object repeats (see ResponsesRequest), "store" and
  // "previous_response_id" among them.
  ResponsesTranslator(std::string model, nlohmann::ordered_json echo);

  // A complete chat.completion body (JSON text) as a Response object (JSON text).
  std::string from_completion(std::string_view chat_completion);

  // Streaming: the opening events, then the events for each chat chunk, then the closing ones.
  std::vector<std::string> start();
  std::vector<std::string> on_chunk(std::string_view chat_chunk);
  std::vector<std::string> finish();

  const std::string& id() const { return id_; }
  // The finished Response object (JSON), once from_completion() or finish() has made it.
  const std::string& final_response() const { return final_; }

 private:
  struct Item {
    nlohmann::ordered_json json;  // the output item as it stands
    int tool_index = -1;          // function_call: the chat delta's tool_calls index
  };

  nlohmann::ordered_json response_json(const std::string& status) const;
  std::string event(nlohmann::ordered_json body);
  size_t message_item(std::vector<std::string>& events);
  const nlohmann::ordered_json& sources() const;  // the search_results item's results, or []
  void add_usage(const nlohmann::ordered_json& usage);

  std::string id_;
  int64_t created_at_;
  std::string model_;
  nlohmann::ordered_json echo_;
  std::vector<Item> items_;
  nlohmann::ordered_json usage_ = nullptr;
  std::string finish_reason_;
  int64_t sequence_ = 0;
  std::string final_;
};

}  // namespace tachyon
