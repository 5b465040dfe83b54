// attend_kv_group over a filled cache, past one kernel tile of positions: against attention in
// double precision on the stored K and V values (f16 and f32 caches, with and without a sliding
// window), and each head against the same head attended alone (group of one).
#include "model/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kv/contiguous_kv_cache.h"
#include "util/fp16.h"

namespace tachyon {
namespace {

constexpr int64_t kHeads = 16, kKvHeads = 2, kHeadDim = 64;
constexpr int32_t kPositions = 200;

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> out(n);
  for (float& v : out) v = normal(rng);
  return out;
}

// The cache's copy of element j of a row, widened to double.
double stored(const uint8_t* row, int64_t j, KvDType dtype) {
  if (dtype == KvDType::F32) return reinterpret_cast<const float*>(row)[j];
  return fp16_to_f32(reinterpret_cast<const uint16_t*>(row)[j]);
}

class AttentionTest : public ::testing::TestWithParam<KvDType> {
 protected:
  void SetUp() override {
    const KvShape shape{1, kKvHeads, kHeadDim, GetParam()};
    kv_ = std::make_unique<ContiguousKvCache>(shape, 1, kPositions);
    ASSERT_TRUE(kv_->reserve(0, kPositions).ok());
    const int64_t row_elements = shape.row_elements();
    for (int32_t pos = 0; pos < kPositions; ++pos) {
      const std::vector<float> k = random_values(row_elements, 2 * pos), v = random_values(row_elements, 2 * pos + 1);
      for (int64_t j = 0; j < row_elements; ++j) {
        if (GetParam() == KvDType::F32) {
          std::memcpy(kv_->k_row(0, 0, pos) + 4 * j, &k[j], 4);
          std::memcpy(kv_->v_row(0, 0, pos) + 4 * j, &v[j], 4);
        } else {
          const uint16_t kh = f32_to_fp16(k[j]), vh = f32_to_fp16(v[j]);
          std::memcpy(kv_->k_row(0, 0, pos) + 2 * j, &kh, 2);
          std::memcpy(kv_->v_row(0, 0, pos) + 2 * j, &vh, 2);
        }
      }
    }
  }

  // out for head h of the group of kv_head, in double precision.
  std::vector<double> reference(const AttentionParams& p, int32_t pos, int64_t kv_head, const float* q) {
    const KvDType dtype = GetParam();
    const size_t offset = size_t(kv_head * kHeadDim) * (dtype == KvDType::F32 ? 4 : 2);
    const int32_t first = p.sliding_window > 0 ? std::max<int32_t>(0, pos - int32_t(p.sliding_window) + 1) : 0;
    std::vector<double> scores;
    for (int32_t i = first; i <= pos; ++i) {
      double s = 0.0;
      for (int64_t j = 0; j < kHeadDim; ++j) s += double(q[j]) * stored(kv_->k_row(0, 0, i) + offset, j, dtype);
      scores.push_back(s / std::sqrt(double(kHeadDim)));
    }
    const double max = *std::max_element(scores.begin(), scores.end());
    double sum = 0.0;
    for (double& s : scores) sum += (s = std::exp(s - max));
    std::vector<double> out(kHeadDim, 0.0);
    for (int32_t i = first; i <= pos; ++i) {
      for (int64_t j = 0; j < kHeadDim; ++j)
        out[j] += scores[i - first] / sum * stored(kv_->v_row(0, 0, i) + offset, j, dtype);
    }
    return out;
  }

  std::unique_ptr<ContiguousKvCache> kv_;
};

TEST_P(AttentionTest, MatchesDoublePrecisionAttentionAndHeadsAlone) {
  const int64_t group = kHeads / kKvHeads;
  const std::vector<float> q = random_values(size_t(group * kHeadDim), 999);
  std::vector<float> scratch;
  for (int64_t window : {0, 50}) {
    for (int32_t pos : {0, 1, 63, 64, 65, 150, kPositions - 1}) {
      SCOPED_TRACE("window=" + std::to_string(window) + " pos=" + std::to_string(pos));
      const AttentionParams p{kHeads, kKvHeads, kHeadDim, window};
      std::vector<float> out(size_t(group * kHeadDim));
      attend_kv_group(p, *kv_, 0, 0, pos, pos, 1, q.data(), out.data(), scratch);
      for (int64_t h = 0; h < group; ++h) {
        const std::vector<double> want = reference(p, pos, 1, &q[h * kHeadDim]);
        for (int64_t j = 0; j < kHeadDim; ++j) EXPECT_NEAR(out[h * kHeadDim + j], want[j], 1e-5) << "h=" << h;

        // One query head per KV head: the same head, alone in its group.
        const AttentionParams alone_params{kKvHeads, kKvHeads, kHeadDim, window};
        std::vector<float> alone(kHeadDim);
        attend_kv_group(alone_params, *kv_, 0, 0, pos, pos, 1, &q[h * kHeadDim], alone.data(), scratch);
        EXPECT_TRUE(std::equal(alone.begin(), alone.end(), out.begin() + h * kHeadDim)) << "h=" << h;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(KvTypes, AttentionTest, ::testing::Values(KvDType::F16, KvDType::F32),
                         [](const auto& info) { return info.param == KvDType::F16 ? "f16" : "f32"; });

}  // namespace
}  // namespace tachyon
