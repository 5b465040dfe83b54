#include "engine/embedding_engine.h"

namespace tachyon {

using Clock = std::chrono::steady_clock;

Result<std::unique_ptr<EmbeddingEngine>> EmbeddingEngine::create(std::shared_ptr<const ModelBundle> bundle,
                                                                 EmbeddingEngineConfig config) {
  if (!bundle->embedding_model()) return make_error("{}: this model does not produce embeddings", bundle->path);
  if (config.max_waiting <= 0 || config.max_batch_tokens <= 0)
    return make_error("embedding engine: max_waiting and max_batch_tokens must be positive");
  std::unique_ptr<EmbeddingEngine> engine(new EmbeddingEngine(std::move(bundle), config));
  engine->worker_ = std::thread([e = engine.get()] { e->loop(); });
  return engine;
}

EmbeddingEngine::EmbeddingEngine(std::shared_ptr<const ModelBundle> bundle, EmbeddingEngineConfig config)
    : bundle_(std::move(bundle)),
      config_(config),
      pooling_(bundle_->embedding_model()->pooling() == Pooling::none ? Pooling::mean
                                                                      : bundle_->embedding_model()->pooling()) {}

EmbeddingEngine::~EmbeddingEngine() { shutdown(Clock::now()); }

Status EmbeddingEngine::submit(EmbeddingRequest request, EmbeddingCallback callback) {
  const Encoder& encoder = *bundle_->embedding_model();
  if (request.inputs.empty()) return make_error("there are no inputs");
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const std::vector<int32_t>& input = request.inputs[i];
    if (input.empty()) return make_error("input {} has no tokens", i);
    if (int64_t(input.size()) > encoder.n_ctx())
      return make_error("input {} has {} tokens, more than the model's context of {}", i, input.size(),
                        encoder.n_ctx());
    for (int32_t id : input)
      if (id < 0 || id >= encoder.hparams().n_vocab)
        return make_error("input {}: token id {} is not in the vocabulary", i, id);
  }
  {
    std::lock_guard lock(mutex_);
    if (!accepting_) return make_error(ErrorKind::Unavailable, "the server is shutting down");
    if (queue_.size() >= size_t(config_.max_waiting))
      return make_error(ErrorKind::ResourceExhausted, "the embedding queue is full ({} requests); retry later",
                        config_.max_waiting);
    queue_.push_back(Job{std::move(request), std::move(callback)});
  }
  wake_.notify_one();
  return Status::success();
}

size_t EmbeddingEngine::waiting() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void EmbeddingEngine::shutdown(Clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    accepting_ = false;
    if (!stop_) {
      stop_ = true;
      deadline_ = deadline;
    }
  }
  wake_.notify_all();
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

void EmbeddingEngine::loop() {
  while (true) {
    std::vector<Job> jobs;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      if (stop_ && Clock::now() >= deadline_) {
        // Past the shutdown deadline: what is still queued is refused, not run.
        std::deque<Job> left = std::move(queue_);
        queue_.clear();
        lock.unlock();
        for (Job& job : left) job.callback(make_error(ErrorKind::Unavailable, "the server is shutting down"));
        return;
      }
      // The oldest request, then whoever waited behind it while the token budget lasts.
      int64_t n_tokens = 0;
      while (!queue_.empty()) {
        int64_t n = 0;
        for (const auto& input : queue_.front().request.inputs) n += int64_t(input.size());
        if (!jobs.empty() && n_tokens + n > config_.max_batch_tokens) break;
        n_tokens += n;
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run(jobs);
  }
}

void EmbeddingEngine::run(std::vector<Job>& jobs) {
  std::vector<std::vector<int32_t>> inputs;
  for (Job& job : jobs)
    for (auto& input : job.request.inputs) inputs.push_back(std::move(input));
  if (!pool_) pool_.emplace(config_.n_threads);
  auto outputs = bundle_->embedding_model()->embed(inputs, pooling_, *pool_);
  if (!outputs) {
    for (Job& job : jobs) job.callback(Error(outputs.error()));
    return;
  }
  size_t next = 0;
  for (Job& job : jobs) {
    std::vector<std::vector<float>> vectors;
    for (size_t i = 0; i < job.request.inputs.size(); ++i) {
      std::vector<float> v = std::move((*outputs)[next++].pooled);
      if (job.request.normalize) l2_normalize(v);
      vectors.push_back(std::move(v));
    }
    job.callback(std::move(vectors));
  }
}

}  // namespace tachyon
