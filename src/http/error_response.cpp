#include "http/error_response.h"

#include <nlohmann/json.hpp>

namespace tachyon {

HttpResponse error_response(int status, std::string_view message, std::string_view type,
                            std::optional<std::string_view> code,
                            std::optional<std::string_view> param) {
  nlohmann::json error = {
      {"message", message},
      {"type", type},
      {"param", param ? nlohmann::json(*param) : nlohmann::json(nullptr)},
      {"code", code ? nlohmann::json(*code) : nlohmann::json(nullptr)},
  };
  // Replace rather than throw on invalid UTF-8: the message may echo client input.
  return HttpResponse::json(
      status, nlohmann::json{{"error", error}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace));
}

}  // namespace tachyon
