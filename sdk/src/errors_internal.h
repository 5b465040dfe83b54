// Helpers of the request path that are not part of the public API.
#pragma once

#include <exception>
#include <string>

#include "tachyon/client/options.h"

namespace tachyon::client::detail {

// The class name of the APIError in `error` ("RateLimitError", ...), "Exception" for any other.
std::string error_type_name(std::exception_ptr error);

// `options` with api_key and base_url filled from the environment where unset.
ClientOptions resolve_options(ClientOptions options);

}  // namespace tachyon::client::detail
