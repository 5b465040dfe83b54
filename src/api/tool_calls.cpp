#include "api/tool_calls.h"

#include <nlohmann/json.hpp>

#include "api/responses.h"

namespace tachyon {
namespace {

using ojson = nlohmann::ordered_json;

constexpr std::string_view kWhitespace = " \t\r\n";
constexpr std::string_view kHermesOpen = "<tool_call>";
constexpr std::string_view kHermesClose = "</tool_call>";
constexpr std::string_view kMistralMarker = "[TOOL_CALLS]";
constexpr std::string_view kPythonTag = "<|python_tag|>";

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(kWhitespace);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(kWhitespace);
  return s.substr(b, e - b + 1);
}

// A call object of any of the accepted spellings whose function is one of `tools`.
std::optional<ToolCallInfo> call_from_json(const ojson& call, const ToolRequest& tools) {
  if (!call.is_object()) return std::nullopt;
  const ojson* fn = &call;
  if (auto it = call.find("function"); it != call.end() && it->is_object()) fn = &*it;
  auto name = fn->find("name");
  if (name == fn->end() || !name->is_string() || !tools.find(name->get<std::string>())) return std::nullopt;
  const ojson* args = nullptr;
  for (const char* key : {"arguments", "parameters"})
    if (auto it = fn->find(key); it != fn->end()) args = &*it;
  std::string arguments = "{}";
  if (args != nullptr) {
    if (args->is_string()) {
      // Some models write the arguments as a JSON string holding an object.
      const ojson inner = ojson::parse(args->get<std::string>(), nullptr, false);
      if (!inner.is_object()) return std::nullopt;
      arguments = inner.dump();
    } else if (args->is_object()) {
      arguments = args->dump();
    } else {
      return std::nullopt;
    }
  }
  return ToolCallInfo{new_tool_call_id(), name->get<std::string>(), std::move(arguments)};
}

// One call object, or an array of them; nothing unless every element is a valid call.
std::vector<ToolCallInfo> calls_from_text(std::string_view text, const ToolRequest& tools) {
  const ojson parsed = ojson::parse(trim(text), nullptr, false);
  std::vector<ToolCallInfo> calls;
  if (parsed.is_array()) {
    for (const ojson& element : parsed) {
      auto call = call_from_json(element, tools);
      if (!call) return {};
      calls.push_back(std::move(*call));
    }
  } else if (auto call = call_from_json(parsed, tools)) {
    calls.push_back(std::move(*call));
  }
  return calls;
}

}  // namespace

std::string new_tool_call_id() { return new_response_id("call_"); }

ParsedToolOutput parse_tool_output(std::string_view text, const ToolRequest& tools, bool forced) {
  ParsedToolOutput out;
  if (forced) {
    const ojson parsed = ojson::parse(text, nullptr, false);
    if (parsed.is_object() && parsed.contains("name") && parsed["name"].is_string()) {
      // The exact generated text of the arguments, so a stream and a body agree byte for byte.
      const size_t key = text.find("\"arguments\"");
      const size_t colon = key == std::string_view::npos ? key : text.find(':', key);
      const size_t close = text.find_last_of('}');
      if (colon != std::string_view::npos && close != std::string_view::npos && close > colon) {
        out.calls.push_back({new_tool_call_id(), parsed["name"].get<std::string>(),
                             std::string(trim(text.substr(colon + 1, close - colon - 1)))});
        return out;
      }
    }
    out.content = std::string(text);  // cut short (max_tokens): what there is, as content
    return out;
  }
  std::string_view rest = trim(text);
  // Hermes / Qwen: any number of <tool_call>...</tool_call> blocks, content around them.
  if (rest.find(kHermesOpen) != std::string_view::npos) {
    std::string content;
    size_t pos = 0;
    while (true) {
      const size_t open = rest.find(kHermesOpen, pos);
      if (open == std::string_view::npos) break;
      const size_t close = rest.find(kHermesClose, open);
      const std::string_view body = rest.substr(open + kHermesOpen.size(),
                                                (close == std::string_view::npos ? rest.size() : close) - open - kHermesOpen.size());
      std::vector<ToolCallInfo> calls = calls_from_text(body, tools);
      if (calls.empty()) return {std::string(trim(text)), {}};
      content += rest.substr(pos, open - pos);
      for (auto& c : calls) out.calls.push_back(std::move(c));
      if (close == std::string_view::npos) {
        pos = rest.size();
        break;
      }
      pos = close + kHermesClose.size();
    }
    content += rest.substr(std::min(pos, rest.size()));
    out.content = std::string(trim(content));
    return out;
  }
  std::string_view candidate = rest;
  size_t marker_at = std::string_view::npos;
  for (std::string_view marker : {kMistralMarker, kPythonTag}) {
    if (size_t at = rest.find(marker); at != std::string_view::npos) {
      marker_at = at;
      candidate = rest.substr(at + marker.size());
      break;
    }
  }
  std::vector<ToolCallInfo> calls = calls_from_text(candidate, tools);
  if (calls.empty()) return {std::string(rest), {}};
  out.calls = std::move(calls);
  if (marker_at != std::string_view::npos) out.content = std::string(trim(rest.substr(0, marker_at)));
  return out;
}

std::vector<ForcedCallStream::Delta> ForcedCallStream::feed(std::string_view text) {
  buffer_ += text;
  std::vector<Delta> out;
  if (!started_) {
    // The header goes out once `"arguments":` has been written: the name before it is final.
    const size_t key = buffer_.find("\"arguments\"");
    if (key == std::string::npos) return out;
    const size_t colon = buffer_.find(':', key);
    if (colon == std::string::npos) return out;
    const ojson head = ojson::parse(buffer_.substr(0, key) + "\"x\":0}", nullptr, false);
    if (!head.is_object() || !head.contains("name") || !head["name"].is_string()) return out;
    started_ = true;
    id_ = new_tool_call_id();
    args_start_ = colon + 1;
    sent_ = args_start_;
    out.push_back({true, id_, head["name"].get<std::string>(), ""});
  }
  // Whitespace and closing braces at the end may be the call's own closing brace: held back
  // until more text shows they belong to the arguments.
  size_t end = buffer_.size();
  while (end > sent_ && (kWhitespace.find(buffer_[end - 1]) != std::string_view::npos || buffer_[end - 1] == '}')) --end;
  size_t from = sent_;
  if (from == args_start_) {
    while (from < end && kWhitespace.find(buffer_[from]) != std::string_view::npos) ++from;
  }
  if (end > from) {
    out.push_back({false, id_, "", buffer_.substr(from, end - from)});
    sent_ = end;
  } else if (from > sent_) {
    sent_ = from;
  }
  return out;
}

std::vector<ForcedCallStream::Delta> ForcedCallStream::finish() {
  std::vector<Delta> out;
  if (!started_) return out;
  // The rest, minus the call's closing brace and the whitespace around it.
  std::string_view tail = std::string_view(buffer_).substr(sent_);
  if (sent_ == args_start_) tail = trim(tail);
  size_t close = tail.find_last_of('}');
  if (close != std::string_view::npos) tail = tail.substr(0, close);
  const size_t last = tail.find_last_not_of(kWhitespace);
  tail = last == std::string_view::npos ? std::string_view{} : tail.substr(0, last + 1);
  if (!tail.empty()) out.push_back({false, id_, "", std::string(tail)});
  sent_ = buffer_.size();
  return out;
}

bool may_start_tool_call(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty()) return true;
  if (t.front() == '{' || t.front() == '[') return true;
  for (std::string_view marker : {kHermesOpen, kMistralMarker, kPythonTag}) {
    const size_t n = std::min(t.size(), marker.size());
    if (t.substr(0, n) == marker.substr(0, n)) return true;
  }
  return false;
}

}  // namespace tachyon
