#pragma once
// The serving side of an embedding model: one worker thread with its own compute ThreadPool (made
// on the first request, so a model nobody embeds with costs no threads) that runs embedding
// requests in arrival order. Requests waiting together are run in the same
// encoder call (the encoder packs them into forward passes), which changes no result: each
// input's vector is bit-identical whatever it shares a pass with. Requests come in through
// submit() from any thread; their result goes out through the request's callback, which runs
// on the worker thread and must not block.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "engine/model_bundle.h"
#include "util/thread_pool.h"

namespace tachyon {

struct EmbeddingEngineConfig {
  int n_threads = 0;          // compute threads (0: all cores)
  int32_t max_waiting = 256;  // requests queued at once; beyond it submit() is ResourceExhausted
  // Tokens of the requests run in one encoder call (at least one whole request per call).
  int64_t max_batch_tokens = 8192;
};

struct EmbeddingRequest {
  std::vector<std::vector<int32_t>> inputs;  // token ids of each input, special tokens included
  bool normalize = true;                     // scale each vector to Euclidean norm 1
};

// One vector (n_embd) per input, in input order; or why the request failed.
using EmbeddingCallback = std::function<void(Result<std::vector<std::vector<float>>>&&)>;

class EmbeddingEngine {
 public:
  // Errors: the bundle has no embedding model (an encoder, or a decoder's embedder).
  static Result<std::unique_ptr<EmbeddingEngine>> create(std::shared_ptr<const ModelBundle> bundle,
                                                         EmbeddingEngineConfig config);
  ~EmbeddingEngine();
  EmbeddingEngine(const EmbeddingEngine&) = delete;
  EmbeddingEngine& operator=(const EmbeddingEngine&) = delete;

  const ModelBundle& bundle() const { return *bundle_; }
  // The longest input, in tokens.
  int64_t n_ctx() const { return bundle_->embedding_model()->n_ctx(); }
  int64_t n_embd() const { return bundle_->embedding_model()->n_embd(); }
  // How hidden states become one vector: the file's pooling, mean where it asks for none.
  Pooling pooling() const { return pooling_; }

  // Queues a request. Errors: no inputs, an empty input, one longer than n_ctx() or a token id
  // outside the vocabulary (InvalidArgument, naming the input); the queue is full
  // (ResourceExhausted); the engine is stopping (Unavailable). Thread-safe.
  Status submit(EmbeddingRequest request, EmbeddingCallback callback);
  // Requests queued and not yet started. Thread-safe.
  size_t waiting() const;
  // Stops accepting, runs what is queued until the deadline, fails the rest (Unavailable), and
  // joins the worker. Idempotent.
  void shutdown(std::chrono::steady_clock::time_point deadline);

 private:
  struct Job {
    EmbeddingRequest request;
    EmbeddingCallback callback;
  };

  EmbeddingEngine(std::shared_ptr<const ModelBundle> bundle, EmbeddingEngineConfig config);
  void loop();
  void run(std::vector<Job>& jobs);  // one encoder call for all of them

  std::shared_ptr<const ModelBundle> bundle_;
  EmbeddingEngineConfig config_;
  Pooling pooling_;
  std::optional<ThreadPool> pool_;  // made by the worker on its first request, not at start-up
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool accepting_ = true;
  bool stop_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  std::thread worker_;
};

}  // namespace tachyon
