#pragma once
// The tool-calling fields of a chat request: `tools` (function definitions with JSON-Schema
// parameters), `tool_choice` and `parallel_tool_calls`, parsed and checked into plain values.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace tachyon {

struct ToolFunction {
  std::string name;
  std::string description;
  nlohmann::ordered_json parameters = nullptr;  // a JSON Schema; null: takes no arguments
  bool strict = false;
};

struct ToolRequest {
  enum class Choice { None, Auto, Required, Named };
  std::vector<ToolFunction> functions;
  nlohmann::ordered_json tools_json = nullptr;  // `tools` as sent, for the chat template
  Choice choice = Choice::None;                 // without tools: None; with tools, default Auto
  std::string named;                            // Choice::Named: the function to call
  bool parallel_tool_calls = true;

  bool active() const { return choice != Choice::None && !functions.empty(); }
  // The model must call a function (required or named): its output is constrained to a call.
  bool forced() const { return choice == Choice::Required || choice == Choice::Named; }
  const ToolFunction* find(const std::string& name) const;
};

// Reads `tools`, `tool_choice` and `parallel_tool_calls` from a chat request body. Errors are
// 400s naming the field: a tool of a type other than "function", a missing or invalid function
// name (letters, digits, '_' and '-', at most 64), duplicate names, parameters that are not an
// object, a tool_choice naming a function that is not in `tools`, or "required"/named without
// tools. `flat` reads the Responses API's shape ({"type": "function", "name", "parameters"}).
Result<ToolRequest> parse_tool_request(const nlohmann::ordered_json& body, bool flat = false);

}  // namespace tachyon
