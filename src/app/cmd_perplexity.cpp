// `tachyon perplexity --model FILE --text-file F [--ctx N]` (protocol: engine/perplexity.h).
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "engine/perplexity.h"

namespace tachyon::app {

void add_perplexity_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("perplexity", "Measure a model's perplexity on a text file");
  struct Opts {
    std::string model, text_file, device = "cpu";
    int ctx = 256, threads = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-m,--model", o->model, "GGUF model (default: the bundled model)");
  cmd->add_option("--text-file", o->text_file, "UTF-8 text to score")->required();
  add_device_option(*cmd, o->device);
  cmd->add_option("-c,--ctx", o->ctx, "Tokens per evaluated chunk, BOS included")->capture_default_str();
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
  cmd->add_flag("--json", o->json, "Print a JSON object");
  cmd->callback([o] {
    std::ifstream in(o->text_file, std::ios::binary);
    if (!in) fail(fmt::format("cannot read {}", o->text_file));
    std::stringstream ss;
    ss << in.rdbuf();
    auto bundle = load_decoder_or_fail(o->model.empty() ? default_model_path() : o->model, device_or_fail(o->device));
    const auto ids = bundle->tokenizer->encode(ss.str(), false, false);
    ThreadPool pool(o->threads);
    const bool quiet = o->json;
    auto r = perplexity(*bundle, ids, o->ctx, pool, [&](size_t c, double running) {
      if (!quiet) fmt::print(stderr, "[{}] running ppl {:.4f}\n", c + 1, running);
    });
    if (!r) fail(r.error().message);
    const double ppl = r->ppl;
    const size_t n_chunks = r->n_chunks, n_scored = r->n_tokens_scored;
    if (o->json)
      fmt::print("{}\n", nlohmann::json{{"ppl", ppl}, {"n_chunks", n_chunks}, {"n_tokens_scored", n_scored},
                                        {"n_ctx", o->ctx}}.dump());
    else
      fmt::print("perplexity: {:.4f} over {} tokens in {} chunks of {}\n", ppl, n_scored, n_chunks, o->ctx);
  });
}

}  // namespace tachyon::app
