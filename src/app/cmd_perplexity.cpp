// `tachyon perplexity --model FILE --text-file F [--ctx N]`: the text's tokens (no BOS) are cut
// into consecutive chunks of ctx-1 tokens (a shorter tail is dropped); each chunk is evaluated
// after a BOS and every one of its tokens is scored. ppl = exp(mean negative log-likelihood).
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "kv/contiguous_kv_cache.h"

namespace tachyon::app {

void add_perplexity_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("perplexity", "Measure a model's perplexity on a text file");
  struct Opts {
    std::string model, text_file;
    int ctx = 256, threads = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-m,--model", o->model, "GGUF model (default: the bundled model)");
  cmd->add_option("--text-file", o->text_file, "UTF-8 text to score")->required();
  cmd->add_option("-c,--ctx", o->ctx, "Tokens per evaluated chunk, BOS included")->capture_default_str();
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
  cmd->add_flag("--json", o->json, "Print a JSON object");
  cmd->callback([o] {
    std::ifstream in(o->text_file, std::ios::binary);
    if (!in) fail(fmt::format("cannot read {}", o->text_file));
    std::stringstream ss;
    ss << in.rdbuf();
    auto bundle = load_or_fail(o->model.empty() ? default_model_path() : o->model);
    const Tokenizer& tok = *bundle->tokenizer;
    if (tok.bos_id() < 0) fail("perplexity: the model has no BOS token");
    if (o->ctx < 2) fail("--ctx must be at least 2");
    const auto ids = tok.encode(ss.str(), false, false);
    const size_t chunk = size_t(o->ctx) - 1;
    const size_t n_chunks = ids.size() / chunk;
    if (n_chunks == 0) fail(fmt::format("perplexity: the text has {} tokens, fewer than one chunk of {}", ids.size(), chunk));

    const int64_t V = bundle->model->hparams().n_vocab;
    ContiguousKvCache kv(bundle->model->kv_shape(KvDType::F16), 1, o->ctx);
    ThreadPool pool(o->threads);
    std::vector<float> logits;
    double nll = 0;
    size_t n_scored = 0;
    for (size_t c = 0; c < n_chunks; ++c) {
      Batch batch;
      batch.add(tok.bos_id(), 0, 0, true);
      for (size_t i = 0; i < chunk; ++i) batch.add(ids[c * chunk + i], int32_t(i + 1), 0, i + 1 < chunk);
      kv.clear(0);
      Status s = bundle->model->forward(batch, kv, pool, logits);
      if (!s) fail(s.error().message);
      for (size_t i = 0; i < chunk; ++i) {
        const float* row = &logits[i * V];
        float mx = row[0];
        for (int64_t j = 1; j < V; ++j) mx = std::max(mx, row[j]);
        double sum = 0;
        for (int64_t j = 0; j < V; ++j) sum += std::exp(double(row[j]) - mx);
        nll += double(mx) + std::log(sum) - row[ids[c * chunk + i]];
        ++n_scored;
      }
      if (!o->json) fmt::print(stderr, "[{}/{}] running ppl {:.4f}\n", c + 1, n_chunks, std::exp(nll / n_scored));
    }
    const double ppl = std::exp(nll / double(n_scored));
    if (o->json)
      fmt::print("{}\n", nlohmann::json{{"ppl", ppl}, {"n_chunks", n_chunks}, {"n_tokens_scored", n_scored},
                                        {"n_ctx", o->ctx}}.dump());
    else
      fmt::print("perplexity: {:.4f} over {} tokens in {} chunks of {}\n", ppl, n_scored, n_chunks, o->ctx);
  });
}

}  // namespace tachyon::app
