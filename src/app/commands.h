#pragma once
// Each subcommand registers itself on the CLI; the callbacks only parse, wire and print.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/model_bundle.h"
#include "kv/kv_cache.h"

namespace tachyon::app {

void add_run_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_perplexity_command(CLI::App& app);
void add_model_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_bench_command(CLI::App& app);  // only in builds with TACHYON_BENCH
void add_keys_command(CLI::App& app);
void add_usage_command(CLI::App& app);
// `index` and `search`; only in builds with TACHYON_SERVER (they need SQLite).
void add_index_command(CLI::App& app);
void add_search_command(CLI::App& app);
// Under `bench`; only in builds with TACHYON_SERVER.
void add_bench_serve_subcommand(CLI::App& bench);
void add_bench_usage_subcommand(CLI::App& bench);
void add_bench_search_subcommand(CLI::App& bench);

// Adds --device (cpu | cuda) to a command; device_or_fail parses the value it stored.
void add_device_option(CLI::App& cmd, std::string& device);
Device device_or_fail(const std::string& device);

// Adds --kv-type (f16 | f32 | q8_0) to a command; kv_dtype_or_fail parses the value it stored.
void add_kv_type_option(CLI::App& cmd, std::string& kv_type);
KvDType kv_dtype_or_fail(const std::string& kv_type);

// Adds --database URL to a command that opens the platform store: a PostgreSQL database that
// server replicas share, instead of SQLite in --data-dir. database_url_or_env gives the URL to
// use: the flag's value, else TACHYON_DATABASE_URL, else "" (SQLite). The variable is read by
// hand, not by the CLI parser, since `keys` binds one variable to the flag of each subcommand.
void add_database_option(CLI::App& cmd, std::string& database_url);
std::string database_url_or_env(const std::string& flag_value);

// Ends the process with the message on stderr and exit status 1 (the CLI's error path).
[[noreturn]] void fail(const std::string& message);

// The model used when --model is not given: TACHYON_MODEL, else the bundled model next to the
// binary's source tree or install prefix.
std::string default_model_path();

// Loads a model file (and uploads it to the device) or fails with its error message.
std::unique_ptr<ModelBundle> load_or_fail(const std::string& path, Device device = Device::Cpu);
// The same for the commands that generate text: an embedding model fails, saying so.
std::unique_ptr<ModelBundle> load_decoder_or_fail(const std::string& path, Device device = Device::Cpu);

}  // namespace tachyon::app
