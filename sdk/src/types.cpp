#include "tachyon/client/types.h"

namespace tachyon::client {

namespace {

// Lenient readers: a missing or null field, or one of another type, leaves the default.
std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::optional<std::string> opt_str(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}
std::int64_t int64(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}
const Json& array(const Json& j, const char* key) {
  static const Json empty = Json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}
std::optional<Usage> opt_usage(const Json& j) {
  auto it = j.find("usage");
  if (it == j.end() || !it->is_object()) return std::nullopt;
  return Usage::from_json(*it);
}

template <class T>
void put(Json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}
void merge(Json& j, const Json& extra) {
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  }
}
void put_stop(Json& j, const std::vector<std::string>& stop) {
  if (!stop.empty()) j["stop"] = stop;
}

}  // namespace

Usage Usage::from_json(const Json& j) {
  return Usage{int64(j, "prompt_tokens"), int64(j, "completion_tokens"), int64(j, "total_tokens"), j};
}

Json ChatMessage::to_json() const {
  Json j = {{"role", role}, {"content", content}};
  merge(j, extra);
  return j;
}

Json ChatCompletionRequest::to_json(bool stream) const {
  Json j = {{"model", model}, {"messages", Json::array()}};
  for (const auto& m : messages) j["messages"].push_back(m.to_json());
  put(j, "max_tokens", max_tokens);
  put(j, "temperature", temperature);
  put(j, "top_p", top_p);
  put(j, "n", n);
  put(j, "seed", seed);
  put_stop(j, stop);
  if (stream) {
    j["stream"] = true;
    if (include_usage) j["stream_options"] = {{"include_usage", true}};
  }
  merge(j, extra);
  return j;
}

ChatCompletion ChatCompletion::from_json(const Json& j) {
  ChatCompletion out{str(j, "id"), str(j, "model"), int64(j, "created"), {}, opt_usage(j), j};
  for (const auto& c : array(j, "choices")) {
    ChatCompletionChoice choice;
    choice.index = static_cast<int>(int64(c, "index"));
    choice.finish_reason = opt_str(c, "finish_reason");
    if (auto m = c.find("message"); m != c.end() && m->is_object()) {
      choice.message = {str(*m, "role"), opt_str(*m, "content"), *m};
    }
    choice.raw = c;
    out.choices.push_back(std::move(choice));
  }
  return out;
}

ChatCompletionChunk ChatCompletionChunk::from_json(const Json& j) {
  ChatCompletionChunk out{str(j, "id"), str(j, "model"), int64(j, "created"), {}, opt_usage(j), j};
  for (const auto& c : array(j, "choices")) {
    ChatCompletionChunkChoice choice;
    choice.index = static_cast<int>(int64(c, "index"));
    choice.finish_reason = opt_str(c, "finish_reason");
    if (auto d = c.find("delta"); d != c.end() && d->is_object()) {
      choice.delta = {opt_str(*d, "role"), opt_str(*d, "content"), *d};
    }
    choice.raw = c;
    out.choices.push_back(std::move(choice));
  }
  return out;
}

Json CompletionRequest::to_json(bool stream) const {
  Json j = {{"model", model}, {"prompt", prompt}};
  put(j, "max_tokens", max_tokens);
  put(j, "temperature", temperature);
  put(j, "seed", seed);
  put_stop(j, stop);
  if (stream) {
    j["stream"] = true;
    if (include_usage) j["stream_options"] = {{"include_usage", true}};
  }
  merge(j, extra);
  return j;
}

Completion Completion::from_json(const Json& j) {
  Completion out{str(j, "id"), str(j, "model"), int64(j, "created"), {}, opt_usage(j), j};
  for (const auto& c : array(j, "choices")) {
    out.choices.push_back({static_cast<int>(int64(c, "index")), str(c, "text"), opt_str(c, "finish_reason"), c});
  }
  return out;
}

Model Model::from_json(const Json& j) { return Model{str(j, "id"), str(j, "owned_by"), int64(j, "created"), j}; }

ModelList ModelList::from_json(const Json& j) {
  ModelList out;
  for (const auto& m : array(j, "data")) out.data.push_back(Model::from_json(m));
  out.raw = j;
  return out;
}

Json SearchRequest::to_json() const {
  Json j = {{"query", query}};
  put(j, "max_results", max_results);
  merge(j, extra);
  return j;
}

SearchResponse SearchResponse::from_json(const Json& j) {
  SearchResponse out;
  out.id = str(j, "id");
  for (const auto& r : array(j, "results")) {
    out.results.push_back({str(r, "title"), str(r, "url"), str(r, "snippet"), opt_str(r, "date"),
                           opt_str(r, "last_updated"), r});
  }
  out.raw = j;
  return out;
}

Json AsyncChatCompletionRequest::to_json() const {
  Json j = {{"request", request.to_json(false)}};
  put(j, "idempotency_key", idempotency_key);
  return j;
}

AsyncChatCompletion AsyncChatCompletion::from_json(const Json& j) {
  AsyncChatCompletion out;
  out.id = str(j, "id");
  out.model = str(j, "model");
  out.status = str(j, "status");
  out.created_at = int64(j, "created_at");
  if (auto r = j.find("response"); r != j.end() && r->is_object()) out.response = ChatCompletion::from_json(*r);
  out.error_message = opt_str(j, "error_message");
  out.raw = j;
  return out;
}

AsyncChatCompletionList AsyncChatCompletionList::from_json(const Json& j) {
  AsyncChatCompletionList out;
  for (const auto& r : array(j, "requests")) out.requests.push_back(AsyncChatCompletion::from_json(r));
  out.next_token = opt_str(j, "next_token");
  out.raw = j;
  return out;
}

Json ResponseCreateRequest::to_json() const {
  Json j = {{"model", model}, {"input", input}};
  put(j, "instructions", instructions);
  put(j, "max_output_tokens", max_output_tokens);
  put(j, "temperature", temperature);
  merge(j, extra);
  return j;
}

std::string Response::output_text() const {
  std::string text;
  if (!output.is_array()) return text;
  for (const auto& item : output) {
    if (str(item, "type") != "message") continue;
    for (const auto& part : array(item, "content")) {
      if (str(part, "type") == "output_text") text += str(part, "text");
    }
  }
  return text;
}

Response Response::from_json(const Json& j) {
  Response out;
  out.id = str(j, "id");
  out.model = str(j, "model");
  out.status = str(j, "status");
  out.output = array(j, "output");
  out.usage = opt_usage(j);
  out.raw = j;
  return out;
}

Json EmbeddingRequest::to_json() const {
  Json j = {{"model", model}, {"input", input}};
  merge(j, extra);
  return j;
}

EmbeddingResponse EmbeddingResponse::from_json(const Json& j) {
  EmbeddingResponse out;
  out.model = str(j, "model");
  for (const auto& e : array(j, "data")) {
    Embedding embedding;
    embedding.index = static_cast<int>(int64(e, "index"));
    for (const auto& x : array(e, "embedding")) {
      if (x.is_number()) embedding.embedding.push_back(x.get<float>());
    }
    out.data.push_back(std::move(embedding));
  }
  out.usage = opt_usage(j);
  out.raw = j;
  return out;
}

}  // namespace tachyon::client
