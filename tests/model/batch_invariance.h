#pragma once
// Shared by every architecture's tests: sequences interleaved in one batch (token i of every
// sequence before token i+1 of any) give the same logits, bit for bit, as each sequence run alone
// on one thread.
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "model/forward_pass.h"

namespace tachyon::testing_support {

inline void expect_mixed_batch_equals_sequences_alone(const ForwardPass& model,
                                                      const std::vector<std::vector<int32_t>>& seqs,
                                                      ThreadPool& pool) {
  const int64_t V = model.hparams().n_vocab;
  const int32_t n_seqs = int32_t(seqs.size());
  int32_t longest = 0;
  for (const auto& s : seqs) longest = std::max(longest, int32_t(s.size()));
  auto kv = model.make_contiguous_kv(model.kv_shape(KvDType::F16), n_seqs, longest);
  ASSERT_TRUE(kv.ok());
  Batch mixed;
  for (int32_t i = 0; i < longest; ++i)
    for (int32_t s = 0; s < n_seqs; ++s)
      if (i < int32_t(seqs[s].size())) mixed.add(seqs[s][i], i, s, true);
  std::vector<float> mixed_logits;
  ASSERT_TRUE(model.forward(mixed, **kv, pool, mixed_logits).ok());
  for (int32_t s = 0; s < n_seqs; ++s) {
    auto kv1 = model.make_contiguous_kv(model.kv_shape(KvDType::F16), 1, longest);
    ASSERT_TRUE(kv1.ok());
    Batch alone;
    for (size_t i = 0; i < seqs[s].size(); ++i) alone.add(seqs[s][i], int32_t(i), 0, true);
    std::vector<float> logits;
    ThreadPool one_thread(1);
    ASSERT_TRUE(model.forward(alone, **kv1, one_thread, logits).ok());
    for (size_t row = 0, i = 0; row < mixed.size(); ++row) {
      if (mixed.seq_ids[row] != s) continue;
      ASSERT_TRUE(std::equal(logits.begin() + i * V, logits.begin() + (i + 1) * V, mixed_logits.begin() + row * V))
          << "sequence " << s << " position " << i;
      ++i;
    }
  }
}

}  // namespace tachyon::testing_support
