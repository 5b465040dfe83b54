// `tachyon bench usage`: what recording usage costs a request (the usage writer's commit wait and
// rows/s). Wiring only; the measurement lives in src/bench/usage_bench.
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "app/commands.h"
#include "bench/usage_bench.h"

namespace tachyon::app {

void add_bench_usage_subcommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("usage", "What recording usage costs a request: commit wait and writer rows/s");
  auto o = std::make_shared<bench::UsageBenchOptions>();
  o->data_dir = (std::filesystem::temp_directory_path() / fmt::format("tachyon-usage-bench-{}", ::getpid())).string();
  cmd->add_option("--data-dir", o->data_dir, "A fresh folder for the database (removed afterwards)");
  cmd->add_option("--sequential", o->n_sequential, "Rows recorded one at a time")->capture_default_str();
  cmd->add_option("--concurrent", o->n_concurrent, "Requests finishing together")->capture_default_str();
  cmd->add_option("--rows-per-client", o->n_rows_per_client, "Rows per concurrent request loop")->capture_default_str();
  cmd->add_option("--burst", o->n_burst, "Rows queued at once")->capture_default_str();
  cmd->callback([o] {
    auto result = bench::run_usage_bench(*o);
    if (!result) fail(result.error().message);
    fmt::print("{}", bench::usage_bench_markdown(*o, *result));
  });
}

}  // namespace tachyon::app
