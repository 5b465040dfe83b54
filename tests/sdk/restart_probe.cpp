// A load that outlives its server: N chat completions (every third one streamed), `concurrency` at
// a time, through one AsyncClient with a monitor, while the test kills and restarts the server
// (tests/e2e/sdk_restart.test.mjs). Prints one JSON line: how each call ended, by error type, the
// longest call, and the monitor's counts. Exits 0 when every call ended (success or a typed
// error), none outlived its timeout, and the monitor's counts add up to N.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "tachyon/client/client.h"

namespace asio = boost::asio;
using namespace tachyon::client;
using Clock = std::chrono::steady_clock;

namespace {

struct Outcomes {
  int done = 0;
  int successes = 0;
  std::map<std::string, int> errors;
  double longest_s = 0;
};

std::string error_type(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const APITimeoutError&) {
    return "APITimeoutError";
  } catch (const APIConnectionError&) {
    return "APIConnectionError";
  } catch (const APIStatusError& e) {
    return "APIStatusError " + std::to_string(e.status());
  } catch (const std::exception& e) {
    return std::string("other: ") + e.what();
  }
}

asio::awaitable<void> one_call(AsyncClient& client, const std::string& model, int i, Outcomes& out) {
  const auto start = Clock::now();
  ChatCompletionRequest request{.model = model, .messages = {{"user", "restart probe " + std::to_string(i)}},
                                .max_tokens = 16};
  std::exception_ptr error;
  try {
    if (i % 3 == 0) {
      auto stream = co_await client.chat().completions().stream(request);
      while (co_await stream.next()) {
      }
    } else {
      co_await client.chat().completions().create(request);
    }
  } catch (...) {
    error = std::current_exception();
  }
  ++out.done;
  if (error) ++out.errors[error_type(error)];
  else ++out.successes;
  out.longest_s = std::max(out.longest_s, std::chrono::duration<double>(Clock::now() - start).count());
}

asio::awaitable<void> worker(AsyncClient& client, const std::string& model, int& next, int n, Outcomes& out) {
  while (next < n) co_await one_call(client, model, next++, out);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 300;
  const int concurrency = argc > 2 ? std::atoi(argv[2]) : 16;
  const double timeout_s = argc > 3 ? std::atof(argv[3]) : 10;
  const char* model_env = std::getenv("TACHYON_MODEL");
  const std::string model = model_env && *model_env ? model_env : "tachyon-mini";

  auto monitor = std::make_shared<PerformanceMonitor>();
  ClientOptions options;
  options.monitor = monitor;
  options.max_retries = 2;
  const auto timeout = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(timeout_s));
  options.timeouts = Timeouts{.connect = std::chrono::seconds(2), .read = timeout, .total = timeout};
  asio::io_context io;
  AsyncClient client(io.get_executor(), options);
  Outcomes out;
  int next = 0;
  for (int w = 0; w < concurrency; ++w) asio::co_spawn(io, worker(client, model, next, n, out), asio::detached);
  io.run();

  const PerformanceStats stats = monitor->stats();
  // A call may retry, each attempt bounded by the timeout, with backoff of at most 8 s between.
  const int retries = options.max_retries;
  const double bound_s = (retries + 1) * timeout_s + retries * 8.0;
  int errors = 0;
  for (const auto& [type, count] : out.errors) errors += count;
  const bool typed = std::all_of(out.errors.begin(), out.errors.end(), [](const auto& e) {
    return e.first == "APIConnectionError" || e.first == "APITimeoutError";
  });
  const bool ok = out.done == n && out.successes + errors == n && typed && out.longest_s <= bound_s &&
                  int(stats.requests) == n && int(stats.successes) == out.successes && int(stats.errors) == errors;
  nlohmann::json report = {{"calls", n},
                           {"done", out.done},
                           {"successes", out.successes},
                           {"errors", out.errors},
                           {"longest_s", out.longest_s},
                           {"bound_s", bound_s},
                           {"monitor", {{"requests", stats.requests}, {"successes", stats.successes},
                                        {"errors", stats.errors}, {"retries", stats.retries}}},
                           {"ok", ok}};
  std::printf("%s\n", report.dump().c_str());
  return ok ? 0 : 1;
}
