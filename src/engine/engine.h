#pragma once
// The serving engine of one model: a thread that runs iteration-level continuous batching.
// Each step is schedule() -> forward over the planned batch -> sample -> update, so running
// streams keep decoding while new prompts are prefilled in chunks. Requests come in through
// submit() from any thread; their tokens go out through the request's callback, which runs on
// the engine thread and must not block.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/generator.h"
#include "engine/model_bundle.h"
#include "engine/draft_model.h"
#include "engine/prompt_lookup.h"
#include "kv/kv_block_manager.h"
#include "sched/scheduler.h"

namespace tachyon {

struct EngineConfig {
  int n_threads = 0;               // compute threads (0: all cores)
  int32_t n_ctx = 0;               // longest sequence (0: the model's training context)
  int32_t kv_block_size = 16;      // tokens per KV block
  int64_t kv_memory_mib = 512;     // KV pool size
  KvDType kv_dtype = KvDType::F16;
  bool prefix_caching = true;
  // Tokens per step (decode tokens first, then prefill chunks). A step is as slow as its
  // prefill chunk: on a 2-core CPU a 1B model prefills ~60 tokens/s, so 128 keeps running
  // streams to ~2 s stalls while a new prompt is split over steps (re-reading the weights per
  // chunk costs little: prefill is compute-bound).
  int32_t max_batch_tokens = 128;
  int32_t max_running = 16;
  int32_t max_waiting = 256;         // accepted requests beyond max_running; more are refused by submit()
  int64_t max_waiting_tokens = 0;    // their prompt tokens together; 0: no limit
  double request_timeout_s = 600;  // wall-clock limit per request, queueing included
  // Speculative decoding: a request that opts in (EngineRequest::speculative, else
  // speculative_default) has its decode steps extended by drafts of up to speculative.max_draft
  // tokens, verified in the same forward pass; the output is the same token for token. Drafts
  // come from draft_model when there is one (same vocabulary; its own KV pool of
  // draft_kv_memory_mib), else from prompt lookup.
  PromptLookupConfig speculative;
  bool speculative_default = false;
  std::shared_ptr<const ModelBundle> draft_model;
  int64_t draft_kv_memory_mib = 256;
};

struct EngineRequest {
  std::vector<int32_t> prompt;
  SamplingParams sampling;
  // Constrained decoding: every token keeps the output inside this language (the grammar and
  // masks of a MaskCache, possibly shared with other requests: ModelBundle::constraints), and
  // the request finishes (Stop) as soon as the output is complete and nothing may follow.
  // Null: free text.
  std::shared_ptr<MaskCache> constraint;
  int32_t max_tokens = 256;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  std::optional<bool> speculative;  // draft (by the engine's method); none: the engine's default
};

// One batch of news about a request, delivered in order. The last event has finished = true.
struct EngineEvent {
  std::string text;                    // new text that is final (stop strings resolved)
  std::vector<SampledToken> tokens;    // tokens sampled since the previous event
  bool finished = false;
  FinishReason finish_reason = FinishReason::Length;
  std::optional<Error> error;          // set on a failed or timed-out request (finished = true)
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;           // prompt tokens served from the prefix cache
  double queue_seconds = 0;            // filled on the first event
};

using EngineCallback = std::function<void(EngineEvent&&)>;

struct EngineStats {
  size_t running = 0;
  size_t waiting = 0;         // accepted, not yet running (preempted requests not counted)
  double kv_usage = 0;        // fraction of KV blocks held by live requests
  int32_t kv_blocks_total = 0;
  int32_t kv_blocks_free = 0;
  uint64_t prefix_queries = 0;  // prompt tokens looked up in the prefix cache
  uint64_t prefix_hits = 0;     // of which found
  uint64_t steps = 0;
  uint64_t preemptions = 0;
  uint64_t cancellations = 0;  // requests cancelled by their client (cancel())
  uint64_t draft_tokens = 0;     // speculative tokens proposed and verified
  uint64_t accepted_tokens = 0;  // of which accepted
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(std::shared_ptr<const ModelBundle> bundle, EngineConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ModelBundle& bundle() const { return *bundle_; }
  int32_t n_ctx() const { return n_ctx_; }

  // Queues a request; errors: invalid (prompt too long for the context: InvalidArgument),
  // waiting queue full (ResourceExhausted), engine stopping (Unavailable). Thread-safe.
  Result<uint64_t> submit(EngineRequest request, EngineCallback callback);
  // What submit() would answer right now for the request count alone: ResourceExhausted when
  // the queue is full, Unavailable when stopping. Lets a server refuse before it spends work
  // (templates, tokenizing, grammars) on a request that cannot be queued. Thread-safe.
  Status check_room() const;
  // Cancels a request (client gone): its KV blocks are freed at the start of the next step and
  // it gets no further events. Thread-safe; unknown ids are ignored.
  void cancel(uint64_t id);
  EngineStats stats() const;
  // Stops accepting, finishes in-flight requests until the deadline, then cancels the rest
  // (they get an Unavailable error event) and joins the thread.
  void shutdown(std::chrono::steady_clock::time_point deadline);

 private:
  struct Live;  // a request's engine-side state

  Engine(std::shared_ptr<const ModelBundle> bundle, EngineConfig config, int32_t n_ctx, int32_t n_blocks);
  Status start();  // makes the KV cache and starts the thread
  void loop();
  void admit_inbox();
  bool step();  // false when nothing could be scheduled
  std::vector<SampledToken> sample_chunk(Live& live, const ScheduledChunk& chunk, std::span<float> rows, int64_t n_vocab);
  void finish(uint64_t id, Live& live, FinishReason reason, std::optional<Error> error);
  void leave_queue(Live& live);  // once per request: it runs, finished or was cancelled

  std::shared_ptr<const ModelBundle> bundle_;
  EngineConfig config_;
  int32_t n_ctx_;
  KvBlockManager blocks_;
  std::unique_ptr<KvCache> kv_;  // on the forward pass's device, over blocks_
  Scheduler scheduler_;
  ThreadPool pool_;
  std::unique_ptr<DraftModel> draft_;  // outlives the requests' drafters (declared before them)

  Status check_room_locked() const;

  mutable std::mutex mutex_;  // guards inbox_, cancels_, stats_, accepting_
  std::condition_variable wake_;
  std::deque<std::pair<uint64_t, std::unique_ptr<Live>>> inbox_;
  std::vector<uint64_t> cancels_;
  EngineStats stats_;
  size_t n_queued_ = 0;          // accepted requests not yet scheduled (admission counts these)
  int64_t n_queued_tokens_ = 0;  // their prompt tokens
  bool accepting_ = true;
  bool stop_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  size_t pending_ = 0;  // submitted and not yet finished
  std::atomic<uint64_t> next_id_{1};

  std::unordered_map<uint64_t, std::unique_ptr<Live>> live_;  // engine thread only
  std::thread thread_;
};

}  // namespace tachyon
