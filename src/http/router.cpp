#include "http/router.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "http/error_response.h"

namespace tachyon {

namespace {

// "/a/b/" -> {"a", "b", ""}; the empty last segment keeps "/a/b/" distinct from "/a/b".
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  Route route{std::move(method), std::string(pattern), {}, std::move(handler)};
  for (std::string_view segment : split_path(pattern)) route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

Router::Match Router::find(std::string_view method, std::string_view path) const {
  std::vector<std::string_view> segments = split_path(path);
  Match match;
  int best_literals = -1;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    int literals = 0;
    bool matches = true;
    for (size_t i = 0; i < segments.size() && matches; ++i) {
      if (is_parameter(route.segments[i])) {
        matches = !segments[i].empty();
      } else {
        matches = route.segments[i] == segments[i];
        literals++;
      }
    }
    if (!matches) continue;
    if (route.method != method) {
      match.allowed_methods.push_back(route.method);
      continue;
    }
    if (literals <= best_literals) continue;
    best_literals = literals;
    match.handler = &route.handler;
    match.pattern = &route.pattern;
    match.params.clear();
    for (size_t i = 0; i < segments.size(); ++i) {
      const std::string& name = route.segments[i];
      if (is_parameter(name)) {
        match.params[name.substr(1, name.size() - 2)] = percent_decode(segments[i], false);
      }
    }
  }
  if (match.handler) {
    match.outcome = Match::Outcome::found;
  } else if (!match.allowed_methods.empty()) {
    match.outcome = Match::Outcome::method_not_allowed;
  }
  return match;
}

asio::awaitable<void> Router::dispatch(HttpRequest& request, ResponseWriter& writer) const {
  Match match = find(request.method, request.path);
  switch (match.outcome) {
    case Match::Outcome::found:
      request.path_params = std::move(match.params);
      request.route = *match.pattern;
      co_await (*match.handler)(request, writer);
      co_return;
    case Match::Outcome::method_not_allowed: {
      HttpResponse response = error_response(
          405, fmt::format("Method {} is not allowed for {}", request.method, request.path),
          "invalid_request_error", "method_not_allowed");
      response.headers.set("Allow", fmt::format("{}", fmt::join(match.allowed_methods, ", ")));
      co_await writer.send(std::move(response));
      co_return;
    }
    case Match::Outcome::not_found:
      co_await writer.send(error_response(404, fmt::format("Unknown path: {}", request.path),
                                          "invalid_request_error", "not_found"));
      co_return;
  }
}

}  // namespace tachyon
