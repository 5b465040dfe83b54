#pragma once
// Error responses in OpenAI's shape: {"error":{"message","type","param","code"}}.
// The server uses it for its own 404/405/413/500; the API layer maps its errors through it too.
#include <optional>
#include <string>
#include <string_view>

#include "http/http_message.h"

namespace tachyon {

// JSON response with `status` and the OpenAI error body; `param` is null when absent.
HttpResponse error_response(int status, std::string_view message,
                            std::string_view type = "invalid_request_error",
                            std::optional<std::string_view> code = std::nullopt,
                            std::optional<std::string_view> param = std::nullopt);

}  // namespace tachyon
