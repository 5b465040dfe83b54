// tachyon: one binary, one subcommand per job.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "app/commands.h"

namespace tachyon::app {

void fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::exit(1);
}

std::string default_model_path() {
  if (const char* env = std::getenv("TACHYON_MODEL"); env && *env) return env;
  const std::filesystem::path name = "models/tachyon-mini-q8_0.gguf";
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / name)) return (dir / name).string();
      if (std::filesystem::exists(dir / "share/tachyon" / name)) return (dir / "share/tachyon" / name).string();
    }
  }
  return (std::filesystem::path(TACHYON_SOURCE_DIR) / name).string();
}

std::unique_ptr<ModelBundle> load_or_fail(const std::string& path, Device device) {
  auto bundle = load_model_bundle(path, device);
  if (!bundle) fail(bundle.error().message);
  return std::move(*bundle);
}

std::unique_ptr<ModelBundle> load_decoder_or_fail(const std::string& path, Device device) {
  auto bundle = load_or_fail(path, device);
  if (bundle->is_encoder())
    fail(fmt::format("{} is an embedding model ({}): it cannot generate text; serve it with `tachyon serve` and "
                     "use POST /v1/embeddings",
                     path, bundle->hparams().architecture));
  return bundle;
}

void add_device_option(CLI::App& cmd, std::string& device) {
  cmd.add_option("--device", device, "Where the forward pass runs: cpu | cuda")->capture_default_str();
}

void add_kv_type_option(CLI::App& cmd, std::string& kv_type) {
  cmd.add_option("--kv-type", kv_type,
                 "KV cache element type: f16 | f32 | q8_0 (q8_0: about half of f16's memory and reads, a head "
                 "dimension that is a multiple of 32)")
      ->capture_default_str();
}

KvDType kv_dtype_or_fail(const std::string& kv_type) {
  const std::optional<KvDType> dtype = parse_kv_dtype(kv_type);
  if (!dtype) fail("--kv-type must be f16, f32 or q8_0");
  return *dtype;
}

void add_database_option(CLI::App& cmd, std::string& database_url) {
  cmd.add_option("--database", database_url,
                 "PostgreSQL database for keys, usage, logs and async jobs, shared by replicas: "
                 "postgresql://USER:PASSWORD@HOST:PORT/DB (or set TACHYON_DATABASE_URL; default: SQLite in --data-dir)");
}

std::string database_url_or_env(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("TACHYON_DATABASE_URL");
  return env ? env : "";
}

Device device_or_fail(const std::string& device) {
  auto d = parse_device(device);
  if (!d) fail(fmt::format("--device: {}", d.error().message));
  return *d;
}

}  // namespace tachyon::app

int main(int argc, char** argv) {
  CLI::App app{"tachyon: a fast OpenAI-compatible LLM inference server for GGUF models"};
  app.require_subcommand(1);
#ifdef TACHYON_SERVER
  tachyon::app::add_serve_command(app);
  tachyon::app::add_keys_command(app);
  tachyon::app::add_usage_command(app);
  tachyon::app::add_index_command(app);
  tachyon::app::add_search_command(app);
#endif
  tachyon::app::add_run_command(app);
  tachyon::app::add_tokenize_command(app);
  tachyon::app::add_logits_command(app);
  tachyon::app::add_perplexity_command(app);
  tachyon::app::add_model_command(app);
  tachyon::app::add_quantize_command(app);
#ifdef TACHYON_BENCH
  tachyon::app::add_bench_command(app);
#endif
  CLI11_PARSE(app, argc, argv);
  return 0;
}
