// `tachyon run --model FILE --prompt TEXT [-n N] [--temp T] [--seed S] [--chat]`: streams a completion.
#include <cstdio>

#include <fmt/format.h>

#include "app/commands.h"
#include "engine/generator.h"

namespace tachyon::app {
namespace {

// Renders the prompt as a one-turn chat with the model's template.
std::string chat_prompt(const ModelBundle& bundle, const std::string& user_text, const std::string& system) {
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  messages.push_back({"user", user_text});
  auto rendered = bundle.render_chat(messages);
  if (!rendered) fail(fmt::format("chat template: {}", rendered.error().message));
  return *rendered;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Generate a completion and stream it to stdout");
  struct Opts {
    std::string model, prompt, system, device = "cpu";
    std::vector<std::string> stop;
    int n = 128, threads = 0, top_k = 40;
    float temp = 0.8f, top_p = 0.95f, min_p = 0.05f, repeat_penalty = 1.0f;
    uint64_t seed = 0;
    bool seed_set = false, chat = false, ignore_eos = false, verbose = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-m,--model", o->model, "GGUF model (default: the bundled model)");
  cmd->add_option("-p,--prompt", o->prompt, "Prompt text")->required();
  cmd->add_option("-n,--max-tokens", o->n, "Tokens to generate at most")->capture_default_str();
  cmd->add_option("--temp", o->temp, "Temperature; 0 is greedy")->capture_default_str();
  cmd->add_option("--top-k", o->top_k, "Top-k (0: off)")->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "Top-p (1: off)")->capture_default_str();
  cmd->add_option("--min-p", o->min_p, "Min-p (0: off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", o->repeat_penalty, "Repetition penalty (1: off)")->capture_default_str();
  auto* seed = cmd->add_option("--seed", o->seed, "Random seed (same seed, same output)");
  cmd->add_option("--stop", o->stop, "Stop string (repeatable)");
  cmd->add_flag("--chat", o->chat, "Wrap the prompt in the model's chat template");
  cmd->add_option("--system", o->system, "System message for --chat");
  cmd->add_flag("--ignore-eos", o->ignore_eos, "Keep generating past end-of-sequence tokens");
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
  add_device_option(*cmd, o->device);
  cmd->add_flag("-v,--verbose", o->verbose, "Print timings to stderr");
  cmd->callback([o, seed] {
    auto bundle = load_decoder_or_fail(o->model.empty() ? default_model_path() : o->model, device_or_fail(o->device));
    const std::string text = o->chat ? chat_prompt(*bundle, o->prompt, o->system) : o->prompt;
    GenerationRequest req;
    req.prompt = bundle->tokenizer->encode(text, true, o->chat);
    req.max_tokens = o->n;
    req.stop = o->stop;
    req.ignore_eos = o->ignore_eos;
    req.sampling.temperature = o->temp;
    req.sampling.top_k = o->top_k;
    req.sampling.top_p = o->top_p;
    req.sampling.min_p = o->min_p;
    req.sampling.repetition_penalty = o->repeat_penalty;
    if (*seed) req.sampling.seed = o->seed;
    if (Status s = validate(req.sampling); !s) fail(s.error().message);
    if (o->n <= 0) fail("--max-tokens must be positive");
    const ForwardPass& model = bundle->forward();
    auto kv_or = model.make_contiguous_kv(model.kv_shape(KvDType::F16), 1, int32_t(model.hparams().n_ctx_train));
    if (!kv_or) fail(kv_or.error().message);
    KvCache& kv = **kv_or;
    ThreadPool pool(o->threads);
    if (!o->chat) {
      std::fwrite(o->prompt.data(), 1, o->prompt.size(), stdout);
      std::fflush(stdout);
    }
    const auto start = std::chrono::steady_clock::now();
    auto result = generate(*bundle, kv, 0, pool, req, [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    });
    if (!result) fail(result.error().message);
    std::fputc('\n', stdout);
    if (o->verbose) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print(stderr, "{} prompt tokens, {} generated in {:.2f} s ({:.1f} tok/s), finish: {}\n",
                 req.prompt.size(), result->tokens.size(), s, result->tokens.size() / s,
                 result->finish == FinishReason::Stop ? "stop" : "length");
    }
  });
}

}  // namespace tachyon::app
