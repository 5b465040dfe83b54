// The serving engine end to end on a small random model: continuous batching gives every request
// exactly the tokens it gets alone (batch invariance), whatever the chunking, the concurrency or
// preemptions; cancelled requests free their KV blocks; a full queue is refused.
#include <filesystem>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/run_requests.h"
#include "model/random_model.h"

namespace tachyon {
namespace {

namespace fs = std::filesystem;

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = new fs::path(fs::temp_directory_path() / "tachyon_engine_test.gguf");
    RandomModelSpec spec = *random_model_shape("tiny");
    spec.n_embd = 64, spec.n_layer = 2, spec.n_head = 4, spec.n_head_kv = 2, spec.n_ff = 128, spec.n_vocab = 300;
    spec.n_ctx = 256, spec.type = GgmlType::Q8_0;
    ASSERT_TRUE(write_random_model(spec, path_->string()).ok());
    auto bundle = load_model_bundle(path_->string());
    ASSERT_TRUE(bundle.ok()) << bundle.error().message;
    bundle_ = new std::shared_ptr<const ModelBundle>(std::move(*bundle));
  }
  static void TearDownTestSuite() {
    delete bundle_;
    fs::remove(*path_);
    delete path_;
  }

  static EngineRequest request(int i, bool sampled) {
    EngineRequest r;
    r.prompt = {1};
    for (int k = 0; k < 5 + 7 * (i % 6); ++k) r.prompt.push_back(3 + (i * 31 + k * 7) % 290);
    r.max_tokens = 24;
    r.ignore_eos = true;
    r.sampling.temperature = sampled ? 0.9f : 0.0f;
    if (sampled) r.sampling.seed = 1000 + i;
    return r;
  }

  // Submits `r` and returns once its first event is in, with the engine thread held inside that
  // event's callback until `released` is ready: nothing moves while the test fills the queue.
  static uint64_t submit_held(Engine& engine, EngineRequest r, std::shared_future<void> released) {
    auto first = std::make_shared<std::promise<void>>();
    auto signalled = std::make_shared<bool>(false);
    std::future<void> started = first->get_future();
    auto id = engine.submit(std::move(r), [first, signalled, released](EngineEvent&&) {
      if (*signalled) return;
      *signalled = true;
      first->set_value();
      released.wait();
    });
    if (!id.ok()) {
      ADD_FAILURE() << id.error().message;
      return 0;
    }
    started.wait();
    return *id;
  }

  static std::vector<std::vector<int32_t>> run(Engine& engine, const std::vector<EngineRequest>& requests) {
    return run_requests(engine, requests);
  }

  static fs::path* path_;
  static std::shared_ptr<const ModelBundle>* bundle_;
};

fs::path* EngineTest::path_ = nullptr;
std::shared_ptr<const ModelBundle>* EngineTest::bundle_ = nullptr;

TEST_F(EngineTest, ConcurrentRequestsGetTheTokensTheyGetAlone) {
  for (bool sampled : {false, true}) {
    std::vector<EngineRequest> requests;
    for (int i = 0; i < 16; ++i) requests.push_back(request(i, sampled));
    EngineConfig cfg;
    cfg.kv_memory_mib = 8;
    auto engine = Engine::create(*bundle_, cfg);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    std::vector<std::vector<int32_t>> alone;
    for (const auto& r : requests) alone.push_back(run(**engine, {r})[0]);
    // Small steps force chunked prefill and mixed decode/prefill batches.
    EngineConfig small = cfg;
    small.max_batch_tokens = 20;
    auto batched = Engine::create(*bundle_, small);
    ASSERT_TRUE(batched.ok());
    const auto together = run(**batched, requests);
    for (size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(alone[i].size(), 24u);
      EXPECT_EQ(together[i], alone[i]) << (sampled ? "seeded" : "greedy") << " request " << i;
    }
  }
}

// A Q8_0 KV cache: each head's row in whole blocks, so this suite's model (head_dim 16) is
// refused, and a head_dim-32 model serves concurrent requests, with chunked prefill, exactly as
// it serves each alone.
TEST_F(EngineTest, AQ8_0KvCacheServesConcurrentRequestsAsAlone) {
  EngineConfig cfg;
  cfg.kv_memory_mib = 8;
  cfg.kv_dtype = KvDType::Q8_0;
  auto refused = Engine::create(*bundle_, cfg);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("multiple of 32"), std::string::npos) << refused.error().message;

  const fs::path path = fs::temp_directory_path() / "tachyon_engine_test_q8kv.gguf";
  RandomModelSpec spec = *random_model_shape("tiny");
  spec.n_embd = 128, spec.n_layer = 2, spec.n_head = 4, spec.n_head_kv = 2, spec.n_ff = 128, spec.n_vocab = 300;
  spec.n_ctx = 256, spec.type = GgmlType::Q8_0;
  ASSERT_TRUE(write_random_model(spec, path.string()).ok());
  auto loaded = load_model_bundle(path.string());
  fs::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const std::shared_ptr<const ModelBundle> bundle = std::move(*loaded);
  std::vector<EngineRequest> requests;
  for (int i = 0; i < 8; ++i) requests.push_back(request(i, i % 2 == 1));
  auto engine = Engine::create(bundle, cfg);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  std::vector<std::vector<int32_t>> alone;
  for (const auto& r : requests) alone.push_back(run(**engine, {r})[0]);
  EngineConfig small = cfg;
  small.max_batch_tokens = 20;
  auto batched = Engine::create(bundle, small);
  ASSERT_TRUE(batched.ok());
  EXPECT_EQ(run(**batched, requests), alone);
}

TEST_F(EngineTest, PreemptionUnderMemoryPressureKeepsTheTokens) {
  std::vector<EngineRequest> requests;
  for (int i = 0; i < 8; ++i) requests.push_back(request(i, true));
  EngineConfig roomy;
  roomy.kv_memory_mib = 8;
  auto reference = Engine::create(*bundle_, roomy);
  ASSERT_TRUE(reference.ok());
  const auto expected = run(**reference, requests);
  // 16 blocks of 16 tokens: one full-context sequence fits, eight growing ones do not.
  EngineConfig tight = roomy;
  const KvShape shape = (*bundle_)->model->kv_shape(KvDType::F16);
  tight.kv_memory_mib = 1;
  tight.kv_block_size = 16;
  const int64_t block_bytes = 2 * shape.n_layer * 16 * shape.row_bytes();
  ASSERT_GE(1024 * 1024 / block_bytes, 16);
  tight.n_ctx = 256;
  auto engine = Engine::create(*bundle_, tight);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  EXPECT_EQ(run(**engine, requests), expected);
}

TEST_F(EngineTest, CancelFreesBlocksAndFullQueueIsRefused) {
  EngineConfig cfg;
  cfg.kv_memory_mib = 8;
  cfg.max_running = 1;
  cfg.max_waiting = 2;
  auto engine = Engine::create(*bundle_, cfg);
  ASSERT_TRUE(engine.ok());
  const int32_t free_before = (*engine)->stats().kv_blocks_free;
  EngineRequest long_request = request(0, false);
  long_request.max_tokens = 200;
  std::promise<void> release;
  const uint64_t id = submit_held(**engine, long_request, release.get_future().share());
  // One runs, so exactly max_waiting more are accepted and the rest refused.
  std::vector<uint64_t> accepted;
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    // check_room() foretells what submit() answers.
    const Status room = (*engine)->check_room();
    auto r = (*engine)->submit(request(i, false), [](EngineEvent&&) {});
    EXPECT_EQ(room.ok(), r.ok()) << i;
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, ErrorKind::ResourceExhausted);
      EXPECT_EQ(room.error().message, r.error().message);
      ++refused;
    } else {
      accepted.push_back(*r);
    }
  }
  EXPECT_EQ(refused, 4);
  EXPECT_EQ((*engine)->stats().waiting, 2u);
  for (uint64_t queued : accepted) (*engine)->cancel(queued);
  (*engine)->cancel(id);
  release.set_value();
  for (int i = 0; i < 400 && ((*engine)->stats().kv_blocks_free != free_before || (*engine)->stats().running ||
                              (*engine)->stats().cancellations < 3);
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ((*engine)->stats().running, 0u);
  EXPECT_EQ((*engine)->stats().waiting, 0u);
  EXPECT_EQ((*engine)->stats().cancellations, 3u);
  EXPECT_EQ((*engine)->stats().kv_blocks_free, free_before);
}

// Admission is decided once, in submit(): whatever the timing, an accepted request is served to
// the end (never refused later), and while the queue has room nothing is refused.
TEST_F(EngineTest, AcceptedRequestsAreServedUnderOverload) {
  EngineConfig cfg;
  cfg.kv_memory_mib = 8;
  cfg.max_running = 2;
  cfg.max_waiting = 3;
  cfg.max_batch_tokens = 16;
  auto engine = Engine::create(*bundle_, cfg);
  ASSERT_TRUE(engine.ok());
  std::mutex mutex;
  int finished_ok = 0, finished_error = 0;
  std::atomic<int> accepted = 0, refused = 0;
  auto submit_burst = [&](int base) {
    for (int i = 0; i < 16; ++i) {
      EngineRequest r = request(base + i, false);
      r.max_tokens = 4;
      auto id = (*engine)->submit(r, [&](EngineEvent&& e) {
        if (!e.finished) return;
        std::lock_guard lock(mutex);
        ++(e.error ? finished_error : finished_ok);
      });
      ++(id.ok() ? accepted : refused);
      if (!id.ok()) {
        EXPECT_EQ(id.error().kind, ErrorKind::ResourceExhausted);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(submit_burst, 100 * t);
  for (auto& t : threads) t.join();
  EXPECT_GE(accepted.load(), cfg.max_waiting);
  EXPECT_GT(refused.load(), 0);
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard lock(mutex);
      if (finished_ok + finished_error == accepted.load()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mutex);
  EXPECT_EQ(finished_error, 0);
  EXPECT_EQ(finished_ok, accepted.load());
}

TEST_F(EngineTest, QueuedPromptTokensAreLimited) {
  EngineConfig cfg;
  cfg.kv_memory_mib = 8;
  cfg.max_running = 1;
  cfg.max_waiting_tokens = 40;
  auto engine = Engine::create(*bundle_, cfg);
  ASSERT_TRUE(engine.ok());
  EngineRequest running = request(0, false);
  running.max_tokens = 200;
  std::promise<void> release;
  const uint64_t id = submit_held(**engine, running, release.get_future().share());
  EngineRequest r = request(0, false);
  r.prompt.resize(30, 5);
  auto first = (*engine)->submit(r, [](EngineEvent&&) {});
  EXPECT_TRUE(first.ok());  // an empty queue takes any prompt
  auto second = (*engine)->submit(r, [](EngineEvent&&) {});
  EXPECT_FALSE(second.ok());  // 30 + 30 queued tokens > 40
  if (!second.ok()) {
    EXPECT_EQ(second.error().kind, ErrorKind::ResourceExhausted);
  }
  r.prompt.resize(10);
  EXPECT_TRUE((*engine)->submit(r, [](EngineEvent&&) {}).ok());  // 30 + 10 fits
  (*engine)->cancel(id);
  release.set_value();
}

}  // namespace
}  // namespace tachyon

namespace tachyon {
namespace {

TEST_F(EngineTest, RequestTimeoutEndsTheRequestWithAnError) {
  EngineConfig cfg;
  cfg.kv_memory_mib = 8;
  cfg.request_timeout_s = 1e-6;  // expired by the time the engine first looks at it
  auto engine = Engine::create(*bundle_, cfg);
  ASSERT_TRUE(engine.ok());
  EngineRequest r = request(1, false);
  r.max_tokens = 230;
  std::promise<EngineEvent> last;
  auto id = (*engine)->submit(r, [&](EngineEvent&& e) {
    if (e.finished) last.set_value(std::move(e));
  });
  ASSERT_TRUE(id.ok());
  const EngineEvent e = last.get_future().get();
  ASSERT_TRUE(e.error.has_value());
  EXPECT_EQ(e.error->kind, ErrorKind::Unavailable);
  EXPECT_NE(e.error->message.find("timed out"), std::string::npos) << e.error->message;
  EXPECT_EQ(e.completion_tokens, 0);
}

}  // namespace
}  // namespace tachyon
