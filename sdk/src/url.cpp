#include "url.h"

namespace tachyon::client::detail {

std::string BaseUrl::host_header() const {
  bool default_port = (tls && port == "443") || (!tls && port == "80");
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + port;
}

std::optional<BaseUrl> parse_base_url(const std::string& url) {
  BaseUrl out;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  if (out.prefix.size() >= 3 && out.prefix.compare(out.prefix.size() - 3, 3, "/v1") == 0) {
    out.prefix.resize(out.prefix.size() - 3);
  }
  // [v6]:port, host:port or host.
  std::size_t port_colon = std::string::npos;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port_colon = close + 1;
  } else {
    port_colon = authority.rfind(':');
    out.host = authority.substr(0, port_colon);
  }
  out.port = port_colon == std::string::npos ? (out.tls ? "443" : "80") : authority.substr(port_colon + 1);
  if (out.host.empty() || out.port.empty()) return std::nullopt;
  return out;
}

}  // namespace tachyon::client::detail
