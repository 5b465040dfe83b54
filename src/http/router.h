#pragma once
// Maps (method, path) to a handler. Patterns are exact paths whose segments may be
// one-segment parameters: "/v1/models/{id}".
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/http_message.h"
#include "http/response_writer.h"

namespace tachyon {

// A request handler. Runs on the connection's strand; must not block the thread (co_await
// instead), because one I/O thread serves many connections.
using Handler = std::function<asio::awaitable<void>(const HttpRequest&, ResponseWriter&)>;

// Route table. Built once before the server starts, then read concurrently without locks.
class Router {
 public:
  // Registers `handler` for `method` (e.g. "POST") on `pattern` (must start with '/').
  void add(std::string method, std::string_view pattern, Handler handler);
  void get(std::string_view pattern, Handler handler) { add("GET", pattern, std::move(handler)); }
  void post(std::string_view pattern, Handler handler) { add("POST", pattern, std::move(handler)); }

  // Result of a lookup: a handler with its path parameters, or why there is none.
  struct Match {
    enum class Outcome { found, not_found, method_not_allowed };
    Outcome outcome = Outcome::not_found;
    const Handler* handler = nullptr;
    const std::string* pattern = nullptr;  // the route's pattern, as registered
    std::map<std::string, std::string, std::less<>> params;  // percent-decoded
    std::vector<std::string> allowed_methods;  // for 405's Allow header
  };

  // Finds the route for `method` and `path`; a literal segment beats a parameter.
  Match find(std::string_view method, std::string_view path) const;

  // Routes `request` and runs its handler, or sends the 404/405 error response.
  asio::awaitable<void> dispatch(HttpRequest& request, ResponseWriter& writer) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" marks a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace tachyon
