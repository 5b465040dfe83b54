// Connection pooling: limits on open and idle connections, keep-alive expiry and timeouts, then
// many concurrent requests through the pool.
#include <cstdio>
#include <vector>

#include "example_env.h"
#include "tachyon/client/client.h"

using namespace tachyon::client;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100;
  ClientOptions options;
  options.pool = {.max_connections = 10, .max_keepalive_connections = 5, .keepalive_expiry = 30s};
  options.timeouts = {.connect = 5s, .read = 60s, .total = 120s};
  AsyncClient client(options);
  std::vector<std::future<ChatCompletion>> futures;
  for (int i = 0; i < n; ++i) {
    futures.push_back(client.chat().completions().create_future(
        {.model = example_model(), .messages = {{"user", "pool " + std::to_string(i)}}, .max_tokens = 2}));
  }
  int ok = 0;
  for (auto& f : futures) ok += f.get().choices.size() == 1;
  // Connections closed beyond the 5 kept idle are replaced later, so more than 10 may be opened
  // in all; never more than 10 at once.
  std::printf("%d/%d requests over %zu connections (%zu open at most, limit %zu; %zu kept idle now)\n", ok, n,
              client.connections_opened(), client.peak_open_connections(), options.pool.max_connections,
              client.open_connections());
  return ok == n && client.peak_open_connections() <= options.pool.max_connections ? 0 : 1;
}
