// `tachyon logits --model FILE (--prompt T | --tokens 1,2,3) --top K --json`: the logits after every
// position of one sequence, evaluated in one batched forward pass.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"

namespace tachyon::app {
namespace {

std::vector<int32_t> parse_token_list(const std::string& s) {
  std::vector<int32_t> ids;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      ids.push_back(std::stoi(item));
    } catch (const std::exception&) {
      fail(fmt::format("--tokens: '{}' is not a token id", item));
    }
  }
  return ids;
}

}  // namespace

void add_logits_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("logits", "Print the top logits and log-sum-exp at every position");
  struct Opts {
    std::string model, prompt, tokens, kv_type = "f16", device = "cpu";
    int top = 16, threads = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-m,--model", o->model, "GGUF model (default: the bundled model)");
  auto* prompt = cmd->add_option("--prompt", o->prompt, "Text (tokenized with BOS, special tokens parsed)");
  auto* tokens = cmd->add_option("--tokens", o->tokens, "Comma-separated token ids");
  prompt->excludes(tokens);
  cmd->add_option("--top", o->top, "Logits listed per position")->capture_default_str();
  add_kv_type_option(*cmd, o->kv_type);
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
  add_device_option(*cmd, o->device);
  cmd->add_flag("--json", o->json, "Print one JSON array");
  cmd->callback([o, prompt, tokens] {
    if (!*prompt && !*tokens) fail("logits: one of --prompt or --tokens is required");
    const KvDType kv_dtype = kv_dtype_or_fail(o->kv_type);
    auto bundle = load_decoder_or_fail(o->model.empty() ? default_model_path() : o->model, device_or_fail(o->device));
    const auto ids = *tokens ? parse_token_list(o->tokens) : bundle->tokenizer->encode(o->prompt, true, true);
    if (ids.empty()) fail("logits: no tokens");
    const ForwardPass& model = bundle->forward();
    const auto& h = model.hparams();
    Batch batch;
    for (size_t i = 0; i < ids.size(); ++i) batch.add(ids[i], int32_t(i), 0, true);
    auto kv = model.make_contiguous_kv(model.kv_shape(kv_dtype), 1,
                                       int32_t(ids.size()));
    if (!kv) fail(kv.error().message);
    ThreadPool pool(o->threads);
    std::vector<float> logits;
    Status s = model.forward(batch, **kv, pool, logits);
    if (!s) fail(s.error().message);

    const int64_t V = h.n_vocab;
    const int top = std::clamp<int>(o->top, 0, int(V));
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    std::vector<int32_t> order(V);
    for (size_t i = 0; i < ids.size(); ++i) {
      const float* row = &logits[i * V];
      const float mx = *std::max_element(row, row + V);
      double sum = 0;
      for (int64_t j = 0; j < V; ++j) sum += std::exp(double(row[j]) - mx);
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](int32_t a, int32_t b) {
        return row[a] > row[b] || (row[a] == row[b] && a < b);
      });
      nlohmann::ordered_json top_list = nlohmann::ordered_json::array();
      for (int k = 0; k < top; ++k) top_list.push_back({order[k], row[order[k]]});
      out.push_back({{"position", i}, {"top", top_list}, {"logsumexp", double(mx) + std::log(sum)}});
    }
    if (o->json) {
      fmt::print("{}\n", out.dump());
    } else {
      for (const auto& p : out) fmt::print("{}\n", p.dump());
    }
  });
}

}  // namespace tachyon::app
