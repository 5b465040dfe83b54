#pragma once
// Each subcommand registers itself on the CLI; the callbacks only parse, wire and print.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/model_bundle.h"

namespace tachyon::app {

void add_run_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_perplexity_command(CLI::App& app);
void add_model_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_bench_usage_subcommand(CLI::App& bench);  // under `bench`
void add_keys_command(CLI::App& app);
void add_usage_command(CLI::App& app);

// Ends the process with the message on stderr and exit status 1 (the CLI's error path).
[[noreturn]] void fail(const std::string& message);

// The model used when --model is not given: TACHYON_MODEL, else the bundled model next to the
// binary's source tree or install prefix.
std::string default_model_path();

// Loads a model file or fails with its error message.
std::unique_ptr<ModelBundle> load_or_fail(const std::string& path);

}  // namespace tachyon::app
