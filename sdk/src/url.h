// A base URL split into what a connection and a request target need.
#pragma once

#include <optional>
#include <string>

namespace tachyon::client::detail {

struct BaseUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string prefix;  // path before each resource's path, without a trailing '/'
  // The Host header value: host, with the port unless it is the scheme's default.
  std::string host_header() const;
};

// http://host[:port][/prefix] or https://...; a trailing "/v1" is dropped (see ClientOptions).
// None when the scheme is neither or the host is missing.
std::optional<BaseUrl> parse_base_url(const std::string& url);

}  // namespace tachyon::client::detail
