// The CUDA kernels against their CPU twins on random data and odd shapes: dequantization is
// bit-identical to gguf's, the matmul matches a float64 reference of its f16-rounded inputs and is
// bit-identical whatever the batch size, RMSNorm and SiLU match the CPU within float rounding.
#include <cmath>
#include <random>

#include "backend/cuda/kernels.h"
#include "backend/cuda_test_support.h"
#include "gguf/quantize.h"
#include "kernels/vector_ops.h"
#include "util/fp16.h"

namespace tachyon::cuda {
namespace {

const GgmlType kTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0,
                           GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q6_K};

std::vector<float> random_floats(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// A (rows, cols) matrix of random values stored in `type`, and its CPU dequantization.
struct HostMatrix {
  std::vector<uint8_t> bytes;
  std::vector<float> dequantized;
  size_t row_bytes;
};

HostMatrix make_matrix(GgmlType type, int64_t rows, int64_t cols, uint64_t seed) {
  HostMatrix m;
  m.row_bytes = ggml_row_size(type, cols);
  m.bytes.resize(m.row_bytes * size_t(rows));
  m.dequantized.resize(size_t(rows * cols));
  const auto values = random_floats(size_t(rows * cols), seed, 0.5f);
  for (int64_t r = 0; r < rows; ++r) {
    quantize_row(type, &values[size_t(r * cols)], &m.bytes[size_t(r) * m.row_bytes], cols);
    dequantize_row(type, &m.bytes[size_t(r) * m.row_bytes], &m.dequantized[size_t(r * cols)], cols);
  }
  return m;
}

float to_f16_value(float v) { return fp16_to_f32(f32_to_fp16(v)); }

TEST(CudaKernelsTest, EmbeddingRowsAreGgufsDequantization) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const int64_t rows = 7, cols = 512;
  const std::vector<int32_t> tokens{6, 0, 3, 3, 1};
  for (GgmlType type : kTypes) {
    const HostMatrix m = make_matrix(type, rows, cols, 11 + uint64_t(type));
    DeviceBuffer w = to_device(m.bytes), ids = to_device(tokens), x;
    ASSERT_TRUE(x.allocate(tokens.size() * cols * sizeof(float), "x").ok());
    const DeviceMatrix dm{uint32_t(type), w.get<uint8_t>(), rows, cols, m.row_bytes};
    ASSERT_EQ(embed_rows(dm, ids.get<int32_t>(), int64_t(tokens.size()), x.get<float>(), nullptr), cudaSuccess);
    const auto out = to_host<float>(x, tokens.size() * cols);
    for (size_t t = 0; t < tokens.size(); ++t)
      for (int64_t k = 0; k < cols; ++k)
        ASSERT_EQ(out[t * cols + k], m.dequantized[size_t(tokens[t] * cols + k)])
            << ggml_type_name(type) << " token " << tokens[t] << " column " << k;
  }
}

TEST(CudaKernelsTest, MatmulMatchesReferenceAndIsBatchInvariant) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const int64_t rows = 100, cols = 768, n_tokens = 70;  // rows and tokens off the 16-tiles
  const auto x_host = random_floats(size_t(n_tokens * cols), 5);
  DeviceBuffer x = to_device(x_host), x_half;
  const int64_t padded = (n_tokens + kHalfRowTile - 1) / kHalfRowTile * kHalfRowTile;
  ASSERT_TRUE(x_half.allocate(size_t(padded * cols) * sizeof(uint16_t), "x_half").ok());
  ASSERT_EQ(cudaMemset(x_half.get(), 0, size_t(padded * cols) * sizeof(uint16_t)), cudaSuccess);
  ASSERT_EQ(to_half(x.get<float>(), x_half.get<uint16_t>(), n_tokens * cols, nullptr), cudaSuccess);
  // to_half rounds as the CPU does.
  const auto halves = to_host<uint16_t>(x_half, size_t(n_tokens * cols));
  for (size_t i = 0; i < halves.size(); ++i) ASSERT_EQ(halves[i], f32_to_fp16(x_host[i])) << "element " << i;
  for (GgmlType type : kTypes) {
    const HostMatrix m = make_matrix(type, rows, cols, 23 + uint64_t(type));
    DeviceBuffer w = to_device(m.bytes), y;
    ASSERT_TRUE(y.allocate(size_t(n_tokens * rows) * sizeof(float), "y").ok());
    const DeviceMatrix dm{uint32_t(type), w.get<uint8_t>(), rows, cols, m.row_bytes};
    ASSERT_EQ(matmul(dm, x.get<float>(), x_half.get<uint16_t>(), y.get<float>(), n_tokens, false, nullptr), cudaSuccess);
    const auto all = to_host<float>(y, size_t(n_tokens * rows));

    // Against float64 sums of the inputs as the kernel sees them (f16 unless the weights are F32).
    const bool f16 = type != GgmlType::F32;
    double worst = 0;
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        double ref = 0, magnitude = 0;
        for (int64_t k = 0; k < cols; ++k) {
          const float wv = m.dequantized[size_t(r * cols + k)], xv = x_host[size_t(t * cols + k)];
          const double p = double(f16 ? to_f16_value(wv) : wv) * double(f16 ? to_f16_value(xv) : xv);
          ref += p;
          magnitude += std::abs(p);
        }
        const double err = std::abs(all[size_t(t * rows + r)] - ref) / (magnitude + 1e-6);
        worst = std::max(worst, err);
      }
    EXPECT_LT(worst, 1e-5) << ggml_type_name(type);

    // The same rows from smaller batches and from each token alone are bit-identical.
    for (int64_t n : {1, 5, 16, 17, 33}) {
      ASSERT_EQ(matmul(dm, x.get<float>(), x_half.get<uint16_t>(), y.get<float>(), n, false, nullptr), cudaSuccess);
      const auto part = to_host<float>(y, size_t(n * rows));
      for (size_t i = 0; i < part.size(); ++i)
        ASSERT_EQ(part[i], all[i]) << ggml_type_name(type) << " batch of " << n << " element " << i;
    }
    for (int64_t t : {int64_t(0), int64_t(42), n_tokens - 1}) {
      ASSERT_EQ(matmul(dm, x.get<float>() + t * cols, x_half.get<uint16_t>() + t * cols, y.get<float>(), 1, false, nullptr), cudaSuccess);
      const auto one = to_host<float>(y, size_t(rows));
      for (int64_t r = 0; r < rows; ++r)
        ASSERT_EQ(one[size_t(r)], all[size_t(t * rows + r)]) << ggml_type_name(type) << " token " << t << " alone";
    }
    // accumulate adds to what is there.
    std::vector<float> ones(size_t(n_tokens * rows), 1.0f);
    ASSERT_EQ(cudaMemcpy(y.get(), ones.data(), ones.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(matmul(dm, x.get<float>(), x_half.get<uint16_t>(), y.get<float>(), n_tokens, true, nullptr), cudaSuccess);
    const auto acc = to_host<float>(y, ones.size());
    for (size_t i = 0; i < acc.size(); ++i) ASSERT_EQ(acc[i], 1.0f + all[i]) << ggml_type_name(type);
  }
}

TEST(CudaKernelsTest, RmsNormAndSiluMatchTheCpu) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const int64_t n = 4096;
  const auto x_host = random_floats(size_t(3 * n), 7, 3.0f), w_host = random_floats(size_t(n), 8);
  const std::vector<int32_t> rows{2, 0};
  DeviceBuffer x = to_device(x_host), w = to_device(w_host), idx = to_device(rows), y;
  ASSERT_TRUE(y.allocate(size_t(2 * n) * sizeof(float), "y").ok());
  ASSERT_EQ(rms_norm(x.get<float>(), w.get<float>(), y.get<float>(), idx.get<int32_t>(), 2, n, 1e-5f, nullptr),
            cudaSuccess);
  const auto got = to_host<float>(y, size_t(2 * n));
  std::vector<float> expect(static_cast<size_t>(n));
  for (size_t i = 0; i < rows.size(); ++i) {
    tachyon::rms_norm(&x_host[size_t(rows[i] * n)], w_host.data(), expect.data(), n, 1e-5f);
    for (int64_t k = 0; k < n; ++k)
      ASSERT_NEAR(got[size_t(int64_t(i) * n + k)], expect[size_t(k)], 1e-6f * (1 + std::abs(expect[size_t(k)])));
  }

  const auto up_host = random_floats(size_t(n), 9);
  DeviceBuffer gate = to_device(x_host), up = to_device(up_host);
  ASSERT_EQ(silu_mul(gate.get<float>(), up.get<float>(), n, nullptr), cudaSuccess);
  const auto silu = to_host<float>(gate, size_t(n));
  std::vector<float> cpu(static_cast<size_t>(n));
  tachyon::silu_mul(x_host.data(), up_host.data(), cpu.data(), n);
  for (int64_t k = 0; k < n; ++k) ASSERT_NEAR(silu[size_t(k)], cpu[size_t(k)], 1e-5f * (1 + std::abs(cpu[size_t(k)])));
}

}  // namespace
}  // namespace tachyon::cuda
