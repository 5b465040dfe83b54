// The llama forward pass on the GPU: llama.cpp's goldens within the reference data's tolerances
// (every weight type, f16 and f32 KV caches, multi-sequence batches bit-identical to single runs),
// greedy continuations, and the serving engine giving 64 concurrent seeded requests exactly the
// tokens each gets alone.
#include <filesystem>

#include "backend/cuda/cuda_forward.h"
#include "backend/cuda_test_support.h"
#include "backend/device.h"
#include "engine/engine.h"
#include "engine/run_requests.h"
#include "model/golden_check.h"
#include "model/random_model.h"

namespace tachyon::cuda {
namespace {

std::unique_ptr<ForwardPass> on_gpu(const CpuModel& model) {
  auto forward = make_device_forward(model, Device::Cuda);
  if (!forward.ok()) {
    ADD_FAILURE() << "CUDA forward pass: " << forward.error().message;
    return nullptr;
  }
  return std::move(*forward);
}

TEST(CudaForwardTest, MatchesReferenceLogits) {
  SKIP_WITHOUT_CUDA_DEVICE();
  golden::check_reference_logits(on_gpu);
}

TEST(CudaForwardTest, GreedyContinuationMatches) {
  SKIP_WITHOUT_CUDA_DEVICE();
  golden::check_greedy_continuations(on_gpu);
}

TEST(CudaForwardTest, SixtyFourConcurrentSeededRequestsGetTheirTokensAlone) {
  SKIP_WITHOUT_CUDA_DEVICE();
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::F16}) {
    const auto path = std::filesystem::temp_directory_path() / "tachyon_cuda_engine_test.gguf";
    RandomModelSpec spec = *random_model_shape("tiny");
    spec.n_embd = 256, spec.n_layer = 2, spec.n_head = 8, spec.n_head_kv = 2, spec.n_ff = 512, spec.n_vocab = 512;
    spec.n_ctx = 512, spec.type = type;
    ASSERT_TRUE(write_random_model(spec, path.string()).ok());
    auto loaded = load_model_bundle(path.string(), Device::Cuda);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    std::shared_ptr<const ModelBundle> bundle = std::move(*loaded);
    std::vector<EngineRequest> requests;
    for (int i = 0; i < 64; ++i) {
      EngineRequest r;
      r.prompt = {1};
      for (int k = 0; k < 5 + 13 * (i % 9); ++k) r.prompt.push_back(3 + (i * 31 + k * 7) % 500);
      r.max_tokens = 32;
      r.ignore_eos = true;
      r.sampling.temperature = 0.9f;
      r.sampling.seed = 7000 + i;
      requests.push_back(std::move(r));
    }
    EngineConfig cfg;
    cfg.kv_memory_mib = 64;
    cfg.max_running = 64;
    auto engine = Engine::create(bundle, cfg);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    std::vector<std::vector<int32_t>> alone;
    for (const auto& r : requests) alone.push_back(run_requests(**engine, {r})[0]);
    EngineConfig busy = cfg;
    busy.max_batch_tokens = 256;
    auto batched = Engine::create(bundle, busy);
    ASSERT_TRUE(batched.ok()) << batched.error().message;
    const auto together = run_requests(**batched, requests);
    for (size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(alone[i].size(), 32u);
      EXPECT_EQ(together[i], alone[i]) << ggml_type_name(type) << " request " << i;
    }
    std::filesystem::remove(path);
  }
}

}  // namespace
}  // namespace tachyon::cuda
