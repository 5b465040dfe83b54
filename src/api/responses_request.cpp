#include "api/responses_request.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "api/json_fields.h"

namespace tachyon {
namespace {

using ojson = nlohmann::ordered_json;

// A message item's content: a string, or parts of type input_text / output_text.
Result<std::string> item_text(const ojson& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return invalid_param(param, "Invalid type for '{}': expected a string or an array", param);
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const ojson& part = content[i];
    const ojson* type = part.is_object() ? find_field(part, "type") : nullptr;
    const std::string kind = type && type->is_string() ? type->get<std::string>() : "";
    if (kind != "input_text" && kind != "output_text" && kind != "text")
      return invalid_param(param, "Invalid '{}[{}]': content of type '{}' is not supported; only text is", param, i, kind);
    const ojson* t = find_field(part, "text");
    if (t == nullptr || !t->is_string()) return invalid_param(param, "Invalid '{}[{}]': a text part needs 'text'", param, i);
    text += t->get<std::string>();
  }
  return text;
}

Result<ojson> input_messages(const ojson& input) {
  ojson messages = ojson::array();
  if (input.is_string()) {
    messages.push_back({{"role", "user"}, {"content", input}});
    return messages;
  }
  if (!input.is_array()) return invalid_param("input", "Invalid type for 'input': expected a string or an array of items");
  for (size_t i = 0; i < input.size(); ++i) {
    const std::string param = fmt::format("input[{}]", i);
    const ojson& item = input[i];
    if (!item.is_object()) return invalid_param(param, "Invalid type for '{}': expected an object", param);
    const ojson* type = find_field(item, "type");
    const std::string kind = type && type->is_string() ? type->get<std::string>() : "message";
    if (kind == "message") {
      const ojson* role = find_field(item, "role");
      const ojson* content = find_field(item, "content");
      if (role == nullptr || !role->is_string()) return invalid_param(param, "Missing required parameter: '{}.role'", param);
      if (content == nullptr) return invalid_param(param, "Missing required parameter: '{}.content'", param);
      Result<std::string> text = item_text(*content, param + ".content");
      if (!text) return text.error();
      messages.push_back({{"role", *role}, {"content", std::move(text.value())}});
    } else if (kind == "function_call") {
      const ojson* call_id = find_field(item, "call_id");
      const ojson* name = find_field(item, "name");
      const ojson* arguments = find_field(item, "arguments");
      if (!call_id || !call_id->is_string() || !name || !name->is_string())
        return invalid_param(param, "Invalid '{}': a function_call needs 'call_id' and 'name'", param);
      ojson call = {{"id", *call_id},
                    {"type", "function"},
                    {"function", {{"name", *name}, {"arguments", arguments && arguments->is_string() ? *arguments : ojson("{}")}}}};
      // Consecutive calls belong to one assistant turn.
      if (!messages.empty() && messages.back()["role"] == "assistant" && messages.back().contains("tool_calls"))
        messages.back()["tool_calls"].push_back(std::move(call));
      else
        messages.push_back({{"role", "assistant"}, {"content", nullptr}, {"tool_calls", ojson::array({std::move(call)})}});
    } else if (kind == "function_call_output") {
      const ojson* call_id = find_field(item, "call_id");
      const ojson* output = find_field(item, "output");
      if (!call_id || !call_id->is_string() || !output)
        return invalid_param(param, "Invalid '{}': a function_call_output needs 'call_id' and 'output'", param);
      Result<std::string> text = item_text(*output, param + ".output");
      if (!text) return text.error();
      messages.push_back({{"role", "tool"}, {"tool_call_id", *call_id}, {"content", std::move(text.value())}});
    } else {
      return invalid_param(param, "Invalid '{}.type': items of type '{}' are not supported", param, kind);
    }
  }
  if (messages.empty()) return invalid_param("input", "Invalid 'input': expected at least one item");
  return messages;
}

// A web_search tool (Perplexity's Agent API; OpenAI's web_search / web_search_preview) as the
// grounded chat options it means: search_context_size, and filters as chat's own fields (which
// grounded chat then checks). user_location is accepted and unused: the index has no places.
Status add_web_search(const ojson& tool, const std::string& param, ojson& chat) {
  static constexpr std::string_view kFilters[] = {"search_domain_filter",      "search_recency_filter",
                                                   "search_after_date_filter",  "search_before_date_filter",
                                                   "last_updated_after_filter", "last_updated_before_filter"};
  for (auto it = tool.begin(); it != tool.end(); ++it) {
    const std::string& key = it.key();
    if (key == "type" || key == "user_location") continue;
    if (key == "search_context_size") {
      chat["web_search_options"]["search_context_size"] = it.value();
    } else if (key == "filters") {
      if (!it->is_object()) return invalid_param(param + ".filters", "Invalid type for '{}.filters': expected an object", param);
      for (auto f = it->begin(); f != it->end(); ++f) {
        if (std::find(std::begin(kFilters), std::end(kFilters), f.key()) == std::end(kFilters))
          return invalid_param(fmt::format("{}.filters.{}", param, f.key()), "Unknown filter '{}' in '{}.filters'", f.key(), param);
        chat[f.key()] = f.value();
      }
    } else {
      return invalid_param(fmt::format("{}.{}", param, key), "'{}.{}' is not supported by this server", param, key);
    }
  }
  return Status::success();
}

}  // namespace

ojson ResponsesRequest::chat_body_with(const ojson& earlier) const {
  ojson messages = ojson::array();
  if (instructions) messages.push_back({{"role", "system"}, {"content", *instructions}});
  for (const ojson& m : earlier) messages.push_back(m);
  for (const ojson& m : input_messages) messages.push_back(m);
  ojson body = chat_body;
  body["messages"] = std::move(messages);
  return body;
}

ojson response_output_messages(const ojson& response) {
  std::string text;
  ojson calls = ojson::array();
  for (const ojson& item : response.value("output", ojson::array())) {
    if (item.value("type", "") == "message") {
      for (const ojson& part : item.value("content", ojson::array())) text += part.value("text", "");
    } else if (item.value("type", "") == "function_call") {
      calls.push_back({{"id", item.value("call_id", "")},
                       {"type", "function"},
                       {"function", {{"name", item.value("name", "")}, {"arguments", item.value("arguments", "{}")}}}});
    }
  }
  ojson message = {{"role", "assistant"}, {"content", text.empty() && !calls.empty() ? ojson() : ojson(text)}};
  if (!calls.empty()) message["tool_calls"] = std::move(calls);
  return ojson::array({std::move(message)});
}

Result<ResponsesRequest> parse_responses_request(std::string_view body) {
  Result<ojson> parsed = parse_ordered_json_object(body);
  if (!parsed) return parsed.error();
  const ojson& request = *parsed;
  ResponsesRequest out;
  if (const ojson* previous = find_field(request, "previous_response_id")) {
    if (!previous->is_string() || previous->get<std::string>().empty())
      return invalid_param("previous_response_id", "Invalid 'previous_response_id': expected a response id");
    out.previous_response_id = previous->get<std::string>();
  }
  if (const ojson* store = find_field(request, "store")) {
    if (!store->is_boolean()) return invalid_param("store", "Invalid type for 'store': expected a boolean");
    out.store = store->get<bool>();
  }
  ojson& chat = out.chat_body;
  if (const ojson* model = find_field(request, "model")) chat["model"] = *model;
  const ojson* input = find_field(request, "input");
  if (input == nullptr) return invalid_param("input", "Missing required parameter: 'input'");
  Result<ojson> messages = input_messages(*input);
  if (!messages) return messages.error();
  out.input_messages = std::move(messages.value());
  if (const ojson* instructions = find_field(request, "instructions")) {
    if (!instructions->is_string()) return invalid_param("instructions", "Invalid type for 'instructions': expected a string");
    out.instructions = instructions->get<std::string>();
  }
  if (const ojson* max = find_field(request, "max_output_tokens")) chat["max_tokens"] = *max;
  for (const char* key : {"temperature", "top_p", "seed", "parallel_tool_calls", "user", "top_logprobs", "disable_search"})
    if (const ojson* v = find_field(request, key)) chat[key] = *v;
  if (const ojson* text = find_field(request, "text")) {
    if (!text->is_object()) return invalid_param("text", "Invalid type for 'text': expected an object");
    if (const ojson* format = find_field(*text, "format")) {
      if (!format->is_object()) return invalid_param("text.format", "Invalid type for 'text.format': expected an object");
      const ojson* type = find_field(*format, "type");
      if (type && *type == "json_schema") {
        ojson schema = {{"schema", format->value("schema", ojson())}};
        for (const char* key : {"name", "strict", "description"})
          if (const ojson* v = find_field(*format, key)) schema[key] = *v;
        chat["response_format"] = {{"type", "json_schema"}, {"json_schema", std::move(schema)}};
      } else {
        chat["response_format"] = *format;
      }
    }
  }
  if (const ojson* tools = find_field(request, "tools")) {
    if (!tools->is_array()) return invalid_param("tools", "Invalid type for 'tools': expected an array");
    ojson nested = ojson::array();
    for (size_t i = 0; i < tools->size(); ++i) {
      const ojson& tool = (*tools)[i];
      const ojson* type = tool.is_object() ? find_field(tool, "type") : nullptr;
      if (type && (*type == "web_search" || *type == "web_search_preview")) {
        if (Status s = add_web_search(tool, fmt::format("tools[{}]", i), chat); !s) return s.error();
        continue;
      }
      if (!type || *type != "function")
        return invalid_param(fmt::format("tools[{}]", i),
                             "Invalid 'tools[{}].type': only 'function' and 'web_search' tools are supported", i);
      ojson fn = ojson::object();
      for (const char* key : {"name", "description", "parameters", "strict"})
        if (const ojson* v = find_field(tool, key)) fn[key] = *v;
      nested.push_back({{"type", "function"}, {"function", std::move(fn)}});
    }
    if (!nested.empty()) chat["tools"] = std::move(nested);
  }
  if (const ojson* choice = find_field(request, "tool_choice")) {
    if (choice->is_object() && find_field(*choice, "name")) {
      chat["tool_choice"] = {{"type", "function"}, {"function", {{"name", (*choice)["name"]}}}};
    } else {
      chat["tool_choice"] = *choice;
    }
  }
  if (const ojson* stream = find_field(request, "stream")) {
    if (!stream->is_boolean()) return invalid_param("stream", "Invalid type for 'stream': expected a boolean");
    out.stream = stream->get<bool>();
    chat["stream"] = out.stream;
    if (out.stream) chat["stream_options"] = {{"include_usage", true}};
  }
  for (const char* key : {"instructions", "max_output_tokens", "temperature", "top_p", "parallel_tool_calls",
                          "tool_choice", "tools", "text", "metadata", "user"})
    if (const ojson* v = find_field(request, key)) out.echo[key] = *v;
  return out;
}

}  // namespace tachyon
