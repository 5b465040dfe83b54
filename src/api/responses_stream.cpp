#include "api/responses_stream.h"

#include <chrono>

#include "api/json_fields.h"
#include "api/responses.h"

namespace tachyon {
namespace {

using ojson = nlohmann::ordered_json;


ojson message_item_json() {
  return {{"type", "message"},
          {"id", new_response_id("msg_")},
          {"status", "in_progress"},
          {"role", "assistant"},
          {"content", ojson::array()}};
}

ojson text_part(std::string text) {
  return {{"type", "output_text"}, {"text", std::move(text)}, {"annotations", ojson::array()}};
}

// Grounded answers: the chat's search_results as the Response's "search_results" output item
// (Perplexity's Agent API), each result with its number in the prompt as "id"; null dates left out.
ojson search_results_item(const ojson& search_results) {
  ojson results = ojson::array();
  int id = 1;
  for (const ojson& r : search_results) {
    ojson entry = {{"id", id++}};
    for (auto it = r.begin(); it != r.end(); ++it)
      if (!it->is_null()) entry[it.key()] = it.value();
    results.push_back(std::move(entry));
  }
  return {{"type", "search_results"}, {"results", std::move(results)}};
}

// The [n] markers of `text` that name one of `results`, as url_citation annotations over the
// marker; start_index and end_index count code points.
ojson citation_annotations(const std::string& text, const ojson& results) {
  ojson annotations = ojson::array();
  int64_t code_points = 0;  // before byte i
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '[') {
      size_t j = i + 1;
      size_t n = 0;
      while (j < text.size() && j - i <= 3 && text[j] >= '0' && text[j] <= '9') n = n * 10 + static_cast<size_t>(text[j++] - '0');
      if (j > i + 1 && j < text.size() && text[j] == ']' && n >= 1 && n <= results.size()) {
        const ojson& r = results[n - 1];
        annotations.push_back({{"type", "url_citation"},
                               {"start_index", code_points},
                               {"end_index", code_points + static_cast<int64_t>(j - i + 1)},
                               {"url", r.value("url", "")},
                               {"title", r.value("title", "")}});
      }
    }
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++code_points;
  }
  return annotations;
}

ojson function_call_json(const std::string& call_id, const std::string& name, std::string arguments) {
  return {{"type", "function_call"},
          {"id", new_response_id("fc_")},
          {"call_id", call_id},
          {"name", name},
          {"arguments", std::move(arguments)},
          {"status", "in_progress"}};
}

}  // namespace

ResponsesTranslator::ResponsesTranslator(std::string model, ojson echo)
    : id_(new_response_id("resp_")),
      created_at_(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()),
      model_(std::move(model)),
      echo_(std::move(echo)) {}

void ResponsesTranslator::add_usage(const ojson& usage) {
  if (!usage.is_object()) return;
  const int64_t in = usage.value("prompt_tokens", 0);
  const int64_t out = usage.value("completion_tokens", 0);
  int64_t cached = 0;
  if (auto d = usage.find("prompt_tokens_details"); d != usage.end() && d->is_object()) cached = d->value("cached_tokens", 0);
  usage_ = {{"input_tokens", in},
            {"input_tokens_details", {{"cached_tokens", cached}}},
            {"output_tokens", out},
            {"output_tokens_details", {{"reasoning_tokens", 0}}},
            {"total_tokens", in + out}};
  if (auto cost = usage.find("cost"); cost != usage.end()) usage_["cost"] = *cost;
}

ojson ResponsesTranslator::response_json(const std::string& status) const {
  ojson output = ojson::array();
  for (const Item& item : items_) output.push_back(item.json);
  ojson r = {{"id", id_},
             {"object", "response"},
             {"created_at", created_at_},
             {"status", status},
             {"error", nullptr},
             {"incomplete_details", nullptr},
             {"instructions", echo_.value("instructions", ojson())},
             {"max_output_tokens", echo_.value("max_output_tokens", ojson())},
             {"model", model_},
             {"output", std::move(output)},
             {"parallel_tool_calls", echo_.value("parallel_tool_calls", ojson(true))},
             {"previous_response_id", echo_.value("previous_response_id", ojson())},
             {"store", echo_.value("store", ojson(false))},
             {"temperature", echo_.value("temperature", ojson(1.0))},
             {"text", echo_.value("text", ojson{{"format", {{"type", "text"}}}})},
             {"tool_choice", echo_.value("tool_choice", ojson("auto"))},
             {"tools", echo_.value("tools", ojson::array())},
             {"top_p", echo_.value("top_p", ojson(1.0))},
             {"usage", usage_},
             {"metadata", echo_.value("metadata", ojson::object())}};
  if (status == "incomplete") r["incomplete_details"] = {{"reason", "max_output_tokens"}};
  return r;
}

std::string ResponsesTranslator::from_completion(std::string_view chat_completion) {
  const ojson chat = ojson::parse(chat_completion, nullptr, false);
  const ojson& choice = chat["choices"][0];
  finish_reason_ = choice.value("finish_reason", "");
  const char* item_status = finish_reason_ == "length" ? "incomplete" : "completed";
  const ojson& message = choice["message"];
  if (auto results = chat.find("search_results"); results != chat.end() && results->is_array() && !results->empty())
    items_.push_back({search_results_item(*results)});
  if (message.contains("content") && message["content"].is_string() && !message["content"].get<std::string>().empty()) {
    Item item{message_item_json()};
    item.json["status"] = item_status;
    item.json["content"].push_back(text_part(message["content"].get<std::string>()));
    item.json["content"][0]["annotations"] = citation_annotations(message["content"].get<std::string>(), sources());
    items_.push_back(std::move(item));
  }
  if (message.contains("tool_calls")) {
    for (const ojson& call : message["tool_calls"]) {
      Item item{function_call_json(call["id"].get<std::string>(), call["function"]["name"].get<std::string>(),
                                   call["function"]["arguments"].get<std::string>())};
      item.json["status"] = item_status;
      items_.push_back(std::move(item));
    }
  }
  add_usage(chat.value("usage", ojson()));
  final_ = dump_json(response_json(finish_reason_ == "length" ? "incomplete" : "completed"));
  return final_;
}

std::string ResponsesTranslator::event(ojson body) {
  body["sequence_number"] = sequence_++;
  return dump_json(body);
}

std::vector<std::string> ResponsesTranslator::start() {
  std::vector<std::string> events;
  events.push_back(event({{"type", "response.created"}, {"response", response_json("in_progress")}}));
  events.push_back(event({{"type", "response.in_progress"}, {"response", response_json("in_progress")}}));
  return events;
}

const ojson& ResponsesTranslator::sources() const {
  static const ojson kNone = ojson::array();
  for (const Item& item : items_)
    if (item.json["type"] == "search_results") return item.json["results"];
  return kNone;
}

size_t ResponsesTranslator::message_item(std::vector<std::string>& events) {
  for (size_t i = 0; i < items_.size(); ++i)
    if (items_[i].json["type"] == "message") return i;
  items_.push_back({message_item_json()});
  const size_t index = items_.size() - 1;
  events.push_back(event({{"type", "response.output_item.added"}, {"output_index", index}, {"item", items_[index].json}}));
  items_[index].json["content"].push_back(text_part(""));
  events.push_back(event({{"type", "response.content_part.added"},
                          {"item_id", items_[index].json["id"]},
                          {"output_index", index},
                          {"content_index", 0},
                          {"part", text_part("")}}));
  return index;
}

std::vector<std::string> ResponsesTranslator::on_chunk(std::string_view chat_chunk) {
  std::vector<std::string> events;
  const ojson chunk = ojson::parse(chat_chunk, nullptr, false);
  if (!chunk.is_object()) return events;
  if (chunk.contains("error")) {
    const ojson& e = chunk["error"];
    events.push_back(event({{"type", "error"},
                            {"code", e.value("code", ojson())},
                            {"message", e.value("message", "")},
                            {"param", e.value("param", ojson())}}));
    return events;
  }
  if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) add_usage(*usage);
  // Grounded chat sends its sources on the first chunk: they become a finished output item.
  if (auto results = chunk.find("search_results"); results != chunk.end() && results->is_array() && !results->empty() &&
      sources().empty()) {
    items_.push_back({search_results_item(*results)});
    const size_t index = items_.size() - 1;
    events.push_back(event({{"type", "response.output_item.added"}, {"output_index", index}, {"item", items_[index].json}}));
    events.push_back(event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", items_[index].json}}));
  }
  if (!chunk.contains("choices") || chunk["choices"].empty()) return events;
  const ojson& choice = chunk["choices"][0];
  if (auto reason = choice.find("finish_reason"); reason != choice.end() && reason->is_string())
    finish_reason_ = reason->get<std::string>();
  const ojson& delta = choice["delta"];
  if (auto content = delta.find("content"); content != delta.end() && content->is_string() && !content->get<std::string>().empty()) {
    const size_t index = message_item(events);
    Item& item = items_[index];
    item.json["content"][0]["text"] = item.json["content"][0]["text"].get<std::string>() + content->get<std::string>();
    events.push_back(event({{"type", "response.output_text.delta"},
                            {"item_id", item.json["id"]},
                            {"output_index", index},
                            {"content_index", 0},
                            {"delta", *content},
                            {"logprobs", ojson::array()}}));
  }
  if (auto calls = delta.find("tool_calls"); calls != delta.end() && calls->is_array()) {
    for (const ojson& piece : *calls) {
      const int tool_index = piece.value("index", 0);
      const std::string arguments = piece["function"].value("arguments", "");
      size_t index = items_.size();
      for (size_t i = 0; i < items_.size(); ++i)
        if (items_[i].tool_index == tool_index) index = i;
      if (index == items_.size()) {
        items_.push_back({function_call_json(piece.value("id", ""), piece["function"].value("name", ""), ""), tool_index});
        events.push_back(event({{"type", "response.output_item.added"}, {"output_index", index}, {"item", items_[index].json}}));
      }
      if (arguments.empty()) continue;
      Item& item = items_[index];
      item.json["arguments"] = item.json["arguments"].get<std::string>() + arguments;
      events.push_back(event({{"type", "response.function_call_arguments.delta"},
                              {"item_id", item.json["id"]},
                              {"output_index", index},
                              {"delta", arguments}}));
    }
  }
  return events;
}

std::vector<std::string> ResponsesTranslator::finish() {
  std::vector<std::string> events;
  const bool incomplete = finish_reason_ == "length";
  for (size_t index = 0; index < items_.size(); ++index) {
    Item& item = items_[index];
    if (item.json["type"] == "search_results") continue;  // done when it came
    item.json["status"] = incomplete ? "incomplete" : "completed";
    if (item.json["type"] == "message") {
      ojson& text = item.json["content"][0];
      text["annotations"] = citation_annotations(text["text"].get<std::string>(), sources());
      for (size_t k = 0; k < text["annotations"].size(); ++k)
        events.push_back(event({{"type", "response.output_text.annotation.added"},
                                {"item_id", item.json["id"]},
                                {"output_index", index},
                                {"content_index", 0},
                                {"annotation_index", k},
                                {"annotation", text["annotations"][k]}}));
      const ojson& part = item.json["content"][0];
      events.push_back(event({{"type", "response.output_text.done"},
                              {"item_id", item.json["id"]},
                              {"output_index", index},
                              {"content_index", 0},
                              {"text", part["text"]},
                              {"logprobs", ojson::array()}}));
      events.push_back(event({{"type", "response.content_part.done"},
                              {"item_id", item.json["id"]},
                              {"output_index", index},
                              {"content_index", 0},
                              {"part", part}}));
    } else {
      events.push_back(event({{"type", "response.function_call_arguments.done"},
                              {"item_id", item.json["id"]},
                              {"output_index", index},
                              {"name", item.json["name"]},
                              {"arguments", item.json["arguments"]}}));
    }
    events.push_back(event({{"type", "response.output_item.done"}, {"output_index", index}, {"item", item.json}}));
  }
  const ojson response = response_json(incomplete ? "incomplete" : "completed");
  final_ = dump_json(response);
  events.push_back(event({{"type", incomplete ? "response.incomplete" : "response.completed"}, {"response", response}}));
  return events;
}

}  // namespace tachyon
