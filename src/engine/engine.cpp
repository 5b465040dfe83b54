#include "engine/engine.h"

#include "frontend/stop_matcher.h"
#include "tokenizer/incremental_decoder.h"

namespace tachyon {

using Clock = std::chrono::steady_clock;

struct Engine::Live {
  EngineRequest request;
  EngineCallback callback;
  Sampler sampler;
  IncrementalDecoder decoder;
  StopMatcher stops;
  std::unique_ptr<Drafter> drafter;  // speculative decoding, when the request uses it
  std::vector<int32_t> history;  // prompt + generated
  int32_t n_generated = 0;
  int32_t cached_tokens = -1;    // known once admitted
  Clock::time_point submitted;
  Clock::time_point deadline;
  bool started = false;
  bool queued = true;  // accepted by submit() and not yet scheduled, finished or cancelled

  Live(EngineRequest r, EngineCallback cb, int32_t n_vocab, const Tokenizer& tokenizer, double timeout_s,
       std::unique_ptr<Drafter> drafter_)
      : request(std::move(r)),
        callback(std::move(cb)),
        sampler(request.sampling, n_vocab,
                request.constraint ? std::make_unique<GrammarMatcher>(request.constraint) : nullptr),
        decoder(tokenizer),
        stops(request.stop), drafter(std::move(drafter_)), history(request.prompt), submitted(Clock::now()),
        deadline(submitted + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s))) {}
};

Result<std::unique_ptr<Engine>> Engine::create(std::shared_ptr<const ModelBundle> bundle, EngineConfig config) {
  if (bundle->is_encoder()) return make_error("{} is an embedding model: it cannot generate text", bundle->path);
  const ForwardPass& model = bundle->forward();
  const int32_t n_ctx = config.n_ctx > 0 ? config.n_ctx : int32_t(model.hparams().n_ctx_train);
  if (config.kv_block_size <= 0) return make_error("kv block size must be positive");
  const KvShape shape = model.kv_shape(config.kv_dtype);
  if (Status s = shape.check(); !s) return s.error();
  const int64_t block_bytes = 2 * shape.n_layer * config.kv_block_size * shape.row_bytes();
  const int64_t n_blocks = config.kv_memory_mib * 1024 * 1024 / block_bytes;
  const int64_t blocks_per_seq = (n_ctx + config.kv_block_size - 1) / config.kv_block_size;
  if (n_blocks < blocks_per_seq)
    return make_error("KV memory of {} MiB holds {} blocks of {} tokens; one {}-token sequence needs {}",
                      config.kv_memory_mib, n_blocks, config.kv_block_size, n_ctx, blocks_per_seq);
  std::unique_ptr<Engine> engine(new Engine(std::move(bundle), config, n_ctx, int32_t(n_blocks)));
  if (Status s = engine->start(); !s) return s.error();
  return engine;
}

Engine::Engine(std::shared_ptr<const ModelBundle> bundle, EngineConfig config, int32_t n_ctx, int32_t n_blocks)
    : bundle_(std::move(bundle)),
      config_(config),
      n_ctx_(n_ctx),
      blocks_(n_blocks, config.kv_block_size, config.prefix_caching),
      // Admission is decided in submit() (at most max_running + max_waiting accepted requests);
      // the scheduler's own queue may hold all of them plus the preempted, so it never refuses.
      scheduler_(SchedulerConfig{config.max_batch_tokens, config.max_running, config.max_waiting + 2 * config.max_running, n_ctx},
                 blocks_),
      pool_(config.n_threads) {
  stats_.kv_blocks_total = n_blocks;
  stats_.kv_blocks_free = n_blocks;
}

Status Engine::start() {
  const ForwardPass& forward = bundle_->forward();
  auto kv = forward.make_paged_kv(forward.kv_shape(config_.kv_dtype), blocks_);
  if (!kv) return kv.error();
  kv_ = std::move(*kv);
  if (config_.draft_model) {
    auto draft = DraftModel::create(config_.draft_model, *bundle_->tokenizer, n_ctx_, config_.max_running,
                                    config_.draft_kv_memory_mib, pool_);
    if (!draft) return draft.error();
    draft_ = std::move(*draft);
  }
  thread_ = std::thread([this] { loop(); });
  return Status::success();
}

Engine::~Engine() { shutdown(Clock::now()); }

Result<uint64_t> Engine::submit(EngineRequest request, EngineCallback callback) {
  if (request.prompt.empty()) return make_error("the prompt is empty");
  const int32_t n_prompt = int32_t(request.prompt.size());
  if (n_prompt >= n_ctx_)
    return make_error("the prompt has {} tokens but the context holds {} (including at least one generated token)",
                      n_prompt, n_ctx_);
  request.max_tokens = std::min(request.max_tokens, n_ctx_ - n_prompt);
  const int32_t n_vocab = int32_t(bundle_->model->hparams().n_vocab);
  for (const auto& [token, bias] : request.sampling.logit_bias)
    if (token < 0 || token >= n_vocab) return make_error("logit_bias: token id {} is not in the vocabulary", token);
  for (int32_t token : request.prompt)
    if (token < 0 || token >= n_vocab) return make_error("prompt token id {} is not in the vocabulary", token);
  // Everything the scheduler could refuse is settled here, so an accepted request is served (a
  // 200 is never followed by a refusal): the prompt fits the context, max_tokens is clamped to
  // it, and the KV pool holds a full-context sequence (checked in create()).
  const bool speculative = request.speculative.value_or(config_.speculative_default) && config_.speculative.max_draft > 0;
  std::unique_ptr<Drafter> drafter;
  if (speculative)
    drafter = draft_ ? draft_->drafter(config_.speculative.max_draft)
                     : std::make_unique<PromptLookupDrafter>(config_.speculative);
  auto live = std::make_unique<Live>(std::move(request), std::move(callback), n_vocab, *bundle_->tokenizer,
                                     config_.request_timeout_s, std::move(drafter));
  const uint64_t id = next_id_++;
  {
    std::lock_guard lock(mutex_);
    if (Status room = check_room_locked(); !room) return room.error();
    // A queue of long prompts is refused by its tokens too, but an empty queue takes any prompt.
    if (config_.max_waiting_tokens > 0 && n_queued_ > 0 && n_queued_tokens_ + n_prompt > config_.max_waiting_tokens)
      return make_error(ErrorKind::ResourceExhausted,
                        "the waiting queue is full ({} prompt tokens queued, at most {}); retry later",
                        n_queued_tokens_, config_.max_waiting_tokens);
    ++n_queued_;
    n_queued_tokens_ += n_prompt;
    inbox_.emplace_back(id, std::move(live));
    ++pending_;
  }
  wake_.notify_one();
  return id;
}

Status Engine::check_room() const {
  std::lock_guard lock(mutex_);
  return check_room_locked();
}

Status Engine::check_room_locked() const {
  if (!accepting_) return make_error(ErrorKind::Unavailable, "the server is shutting down");
  // Room for max_running + max_waiting requests in all: a burst that arrives before the engine
  // has moved anything from the queue to the running batch still fills both.
  if (pending_ >= size_t(config_.max_running) + size_t(config_.max_waiting))
    return make_error(ErrorKind::ResourceExhausted, "the waiting queue is full ({} requests); retry later",
                      config_.max_waiting);
  return Status::success();
}

void Engine::cancel(uint64_t id) {
  {
    std::lock_guard lock(mutex_);
    cancels_.push_back(id);
  }
  wake_.notify_one();
}

EngineStats Engine::stats() const {
  std::lock_guard lock(mutex_);
  EngineStats stats = stats_;
  stats.waiting = n_queued_;
  return stats;
}

void Engine::shutdown(Clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    accepting_ = false;
    if (!stop_) {
      stop_ = true;
      deadline_ = deadline;
    }
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Engine::admit_inbox() {
  std::deque<std::pair<uint64_t, std::unique_ptr<Live>>> inbox;
  std::vector<uint64_t> cancels;
  {
    std::lock_guard lock(mutex_);
    inbox.swap(inbox_);
    cancels.swap(cancels_);
  }
  for (auto& [id, live] : inbox) {
    Status s = scheduler_.add(id, live->request.prompt, live->request.max_tokens);
    if (!s) {
      leave_queue(*live);
      EngineEvent event;
      event.finished = true;
      event.error = s.error();
      live->callback(std::move(event));
      std::lock_guard lock(mutex_);
      --pending_;
      continue;
    }
    live_.emplace(id, std::move(live));
  }
  for (uint64_t id : cancels) {
    auto it = live_.find(id);
    if (it == live_.end()) continue;
    leave_queue(*it->second);
    scheduler_.finish(id);
    live_.erase(it);
    std::lock_guard lock(mutex_);
    --pending_;
    ++stats_.cancellations;
  }
}

void Engine::leave_queue(Live& live) {
  if (!live.queued) return;
  live.queued = false;
  std::lock_guard lock(mutex_);
  --n_queued_;
  n_queued_tokens_ -= int64_t(live.request.prompt.size());
}

void Engine::finish(uint64_t id, Live& live, FinishReason reason, std::optional<Error> error) {
  EngineEvent event;
  event.finished = true;
  event.finish_reason = reason;
  event.error = std::move(error);
  if (!event.error) {
    const StopMatcher::Output tail = live.stops.push(live.decoder.flush());
    event.text = tail.text;
    if (tail.stopped) event.finish_reason = FinishReason::Stop;
    else event.text += live.stops.flush();
  }
  event.prompt_tokens = int32_t(live.request.prompt.size());
  event.completion_tokens = live.n_generated;
  event.cached_tokens = std::max(0, live.cached_tokens);
  live.callback(std::move(event));
  leave_queue(live);
  scheduler_.finish(id);
  live_.erase(id);
  std::lock_guard lock(mutex_);
  --pending_;
}

// Samples a chunk's rows in order: the first row always, each later one only while the draft
// token before it was drawn. Every draw sees the history a plain decode would have at that
// point, and the sampler advances its random stream and grammar once per draw, so the tokens
// are those of plain decoding, draft or no draft.
std::vector<SampledToken> Engine::sample_chunk(Live& live, const ScheduledChunk& chunk, std::span<float> rows, int64_t n_vocab) {
  std::vector<SampledToken> drawn;
  const size_t n_history = live.history.size();
  for (int32_t j = 0; j <= chunk.n_draft; ++j) {
    drawn.push_back(live.sampler.sample(rows.subspan(size_t(j * n_vocab), size_t(n_vocab)), live.history));
    const int32_t token = drawn.back().token;
    // A complete constrained output ends the request at this token, as it would without a draft.
    if (j == chunk.n_draft || token != chunk.tokens[size_t(1 + j)] || live.sampler.must_stop()) break;
    live.history.push_back(token);
  }
  live.history.resize(n_history);
  if (chunk.n_draft > 0 && live.drafter) live.drafter->record(chunk.n_draft, int32_t(drawn.size()) - 1);
  return drawn;
}

bool Engine::step() {
  const DraftSource drafts = [this](RequestId id, std::span<const int32_t> tokens, int32_t room) {
    Live& live = *live_.at(id);
    return live.drafter ? live.drafter->propose(tokens, room) : std::vector<int32_t>{};
  };
  const SchedulerOutput plan = scheduler_.schedule(drafts);
  if (plan.chunks.empty()) return false;
  for (const auto& chunk : plan.chunks) leave_queue(*live_.at(chunk.id));
  Batch batch;
  for (const auto& chunk : plan.chunks) {
    const size_t first_sampled = chunk.tokens.size() - 1 - size_t(chunk.n_draft);
    for (size_t i = 0; i < chunk.tokens.size(); ++i)
      batch.add(chunk.tokens[i], chunk.start_pos + int32_t(i), chunk.seq_id, chunk.sample && i >= first_sampled);
  }
  std::vector<float> logits;
  Status s = bundle_->forward().forward(batch, *kv_, pool_, logits);
  if (!s) {
    for (const auto& chunk : plan.chunks)
      if (auto it = live_.find(chunk.id); it != live_.end())
        finish(chunk.id, *it->second, FinishReason::Stop, make_error(ErrorKind::Internal, "{}", s.error().message));
    return true;
  }

  const int64_t V = bundle_->model->hparams().n_vocab;
  const Tokenizer& tokenizer = *bundle_->tokenizer;
  std::vector<std::pair<uint64_t, int32_t>> sampled;
  std::vector<std::pair<uint64_t, SampledToken>> results;
  size_t row = 0;
  uint64_t n_draft = 0, n_accepted = 0;
  const auto now = Clock::now();
  for (const auto& chunk : plan.chunks) {
    Live& live = *live_.at(chunk.id);
    if (live.cached_tokens < 0) live.cached_tokens = scheduler_.cached_tokens(chunk.id);
    if (!chunk.sample) continue;
    const size_t n_rows = 1 + size_t(chunk.n_draft);
    std::vector<SampledToken> drawn = sample_chunk(live, chunk, std::span<float>(&logits[row * V], n_rows * V), V);
    row += n_rows;
    n_draft += uint64_t(chunk.n_draft);
    n_accepted += drawn.size() - 1;
    for (SampledToken& token : drawn) {
      sampled.emplace_back(chunk.id, token.token);
      results.emplace_back(chunk.id, std::move(token));
    }
  }
  scheduler_.update(plan, sampled);

  for (size_t i = 0; i < results.size(); ++i) {
    auto& [id, token] = results[i];
    // A request's tokens of this step are adjacent; the sampler's state is that after its last.
    const bool last_of_request = i + 1 == results.size() || results[i + 1].first != id;
    const auto it = live_.find(id);
    if (it == live_.end()) continue;  // finished by an earlier token of this step
    Live& live = *it->second;
    EngineEvent event;
    if (!live.started) {
      live.started = true;
      event.queue_seconds = std::chrono::duration<double>(now - live.submitted).count();
    }
    if (!live.request.ignore_eos && tokenizer.is_eog(token.token)) {
      finish(id, live, FinishReason::Stop, std::nullopt);
      continue;
    }
    const int32_t token_id = token.token;
    live.history.push_back(token_id);
    ++live.n_generated;
    const StopMatcher::Output out = live.stops.push(live.decoder.push(token_id));
    event.tokens.push_back(std::move(token));
    event.text = out.text;
    const bool stopped = out.stopped;
    const bool full = live.n_generated >= live.request.max_tokens || int32_t(live.history.size()) >= n_ctx_;
    live.callback(std::move(event));
    // A constrained output that is complete and can take no further byte ends here: the only
    // token left would be end-of-generation, which is not worth a forward step.
    if (stopped || (last_of_request && live.sampler.must_stop())) finish(id, live, FinishReason::Stop, std::nullopt);
    else if (full) finish(id, live, FinishReason::Length, std::nullopt);
  }
  std::lock_guard lock(mutex_);
  stats_.preemptions += plan.preempted.size();
  stats_.draft_tokens += n_draft;
  stats_.accepted_tokens += n_accepted;
  ++stats_.steps;
  return true;
}

void Engine::loop() {
  bool progressed = false;
  for (;;) {
    {
      // Sleep when idle, or briefly when requests wait for KV blocks that no step can free.
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(live_.empty() ? 100 : progressed ? 0 : 1),
                     [&] { return stop_ || !inbox_.empty() || !cancels_.empty() || (progressed && !live_.empty()); });
      if (stop_ && Clock::now() >= deadline_ && inbox_.empty() && live_.empty()) break;
    }
    admit_inbox();
    const auto now = Clock::now();
    bool past_deadline;
    {
      std::lock_guard lock(mutex_);
      past_deadline = stop_ && now >= deadline_;
    }
    std::vector<uint64_t> expired;
    for (auto& [id, live] : live_)
      if (past_deadline || now >= live->deadline) expired.push_back(id);
    for (uint64_t id : expired) {
      Live& live = *live_.at(id);
      finish(id, live, FinishReason::Length,
             past_deadline ? make_error(ErrorKind::Unavailable, "the server shut down before the request finished")
                           : make_error(ErrorKind::Unavailable, "the request timed out after {} s",
                                        config_.request_timeout_s));
    }
    {
      std::lock_guard lock(mutex_);
      if (stop_ && live_.empty() && inbox_.empty()) break;
    }
    progressed = !live_.empty() && step();
    const KvBlockStats kv = blocks_.stats();
    std::lock_guard lock(mutex_);
    stats_.running = scheduler_.n_running();
    stats_.kv_usage = blocks_.usage();
    stats_.kv_blocks_free = kv.n_free + kv.n_cached;  // cached-but-unreferenced blocks are reusable
    stats_.prefix_queries = kv.prefix_queries;
    stats_.prefix_hits = kv.prefix_hits;
  }
}

}  // namespace tachyon
