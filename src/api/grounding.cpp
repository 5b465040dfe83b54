#include "api/grounding.h"

#include <fmt/format.h>

#include "api/api_error.h"
#include "api/json_fields.h"
#include "api/search_request.h"

namespace tachyon {
namespace {

// A field Perplexity offers that this server cannot honour: false (or absent) is fine, true is
// a 400 that says so.
Status refuse_if_true(const nlohmann::json& json, std::string_view key, std::string_view why) {
  bool value = false;
  if (Status s = read_bool(json, key, value); !s) return s;
  if (value) return invalid_param(std::string(key), "'{}' is not supported: {}", key, why);
  return Status::success();
}

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string cut_utf8(std::string text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

}  // namespace

Result<ChatSearchOptions> parse_chat_search_options(std::string_view body, std::string_view today) {
  Result<nlohmann::json> parsed = parse_json_object(body);
  if (!parsed) return parsed.error();
  const nlohmann::json& json = *parsed;
  ChatSearchOptions options;
  if (Status s = read_bool(json, "disable_search", options.disabled); !s) return s.error();
  if (Status s = read_search_filters(json, today, options.filters); !s) return s.error();
  if (Status s = read_enum(json, "search_mode", {"web", "academic", "sec"}); !s) return s.error();
  if (Status s = refuse_if_true(json, "return_related_questions", "this server does not generate related questions");
      !s)
    return s.error();
  if (Status s = refuse_if_true(json, "return_images", "the search index holds text pages only"); !s) return s.error();
  if (const nlohmann::json* web = find_field(json, "web_search_options")) {
    if (!web->is_object()) return type_error("web_search_options", "an object", *web);
    if (const nlohmann::json* size = find_field(*web, "search_context_size")) {
      const std::string param = "web_search_options.search_context_size";
      if (!size->is_string()) return type_error(param, "one of low, medium, high", *size);
      const std::string name = size->get<std::string>();
      if (name == "low") options.context_size = SearchContextSize::Low;
      else if (name == "medium") options.context_size = SearchContextSize::Medium;
      else if (name == "high") options.context_size = SearchContextSize::High;
      else return invalid_param(param, "Invalid '{}': expected one of low, medium, high, got '{}'", param, name);
    }
  }
  return options;
}

std::string_view context_size_name(SearchContextSize size) {
  switch (size) {
    case SearchContextSize::Low: return "low";
    case SearchContextSize::Medium: return "medium";
    case SearchContextSize::High: return "high";
  }
  return "low";
}

SourceBudget source_budget(SearchContextSize size) {
  switch (size) {
    case SearchContextSize::Low: return {3, 80};
    case SearchContextSize::Medium: return {5, 120};
    case SearchContextSize::High: return {10, 180};
  }
  return {3, 80};
}

std::string grounding_query(std::span<const ChatRequestMessage> messages, size_t max_bytes) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->role != "user") continue;
    return cut_utf8(search::collapse_spaces(it->content), max_bytes);
  }
  return {};
}

std::string sources_prompt(std::span<const search::SearchHit> hits) {
  std::string out = "Sources:\n";
  for (size_t i = 0; i < hits.size(); ++i)
    out += fmt::format("[{}] {}\n{}\n", i + 1, search::collapse_spaces(hits[i].title),
                       search::collapse_spaces(hits[i].snippet));
  out += "Answer from the sources above and cite each one you use by its number, like [1].";
  return out;
}

std::vector<ChatRequestMessage> grounded_messages(std::vector<ChatRequestMessage> messages,
                                                  std::span<const search::SearchHit> hits) {
  if (hits.empty()) return messages;
  const std::string sources = sources_prompt(hits);
  if (!messages.empty() && messages.front().role == "system") {
    std::string& content = messages.front().content;
    content += content.empty() ? sources : "\n\n" + sources;
    return messages;
  }
  ChatRequestMessage system;
  system.role = "system";
  system.content = sources;
  messages.insert(messages.begin(), std::move(system));
  return messages;
}

std::vector<SourceInfo> source_infos(std::span<const search::SearchHit> hits) {
  std::vector<SourceInfo> out;
  out.reserve(hits.size());
  for (const search::SearchHit& hit : hits) out.push_back({hit.title, hit.url, hit.snippet, hit.date, hit.last_updated});
  return out;
}

}  // namespace tachyon
