#include <cstdlib>

#include "errors_internal.h"
#include "tachyon/client/options.h"

namespace tachyon::client {

namespace {
std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}
}  // namespace

ClientOptions ClientOptions::for_perplexity() {
  ClientOptions options;
  options.base_url = env("TACHYON_BASE_URL").value_or("https://api.perplexity.ai");
  options.api_key = env("PERPLEXITY_API_KEY");
  if (!options.api_key) options.api_key = env("TACHYON_API_KEY");
  options.paths.chat_completions = "/chat/completions";
  return options;
}

namespace detail {

ClientOptions resolve_options(ClientOptions options) {
  if (!options.api_key) options.api_key = env("TACHYON_API_KEY");
  if (!options.api_key) options.api_key = env("PERPLEXITY_API_KEY");
  if (!options.api_key) options.api_key = "";
  if (!options.base_url) options.base_url = env("TACHYON_BASE_URL").value_or("http://127.0.0.1:8080");
  return options;
}

}  // namespace detail
}  // namespace tachyon::client
