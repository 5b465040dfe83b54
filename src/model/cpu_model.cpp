#include "model/cpu_model.h"

#include "kv/contiguous_kv_cache.h"
#include "kv/paged_kv_cache.h"

namespace tachyon {

KvShape CpuModel::kv_shape(KvDType dtype) const {
  return KvShape{hparams_.n_layer, hparams_.n_head_kv, hparams_.head_dim, dtype};
}

Status CpuModel::forward(const Batch& batch, KvCache& kv, ThreadPool& pool, std::vector<float>& logits) const {
  logits.clear();
  std::vector<float> hidden;  // (n_out, D)
  if (Status s = final_hidden_states(batch, kv, pool, hidden); !s) return s;
  if (!hidden.empty()) output_logits(hidden, pool, logits);
  return Status::success();
}

Result<std::unique_ptr<KvCache>> CpuModel::make_paged_kv(KvShape shape, KvBlockManager& blocks) const {
  return std::unique_ptr<KvCache>(std::make_unique<PagedKvCache>(shape, blocks));
}

Result<std::unique_ptr<KvCache>> CpuModel::make_contiguous_kv(KvShape shape, int32_t max_sequences,
                                                              int32_t max_positions) const {
  if (Status s = shape.check(); !s) return s.error();
  return std::unique_ptr<KvCache>(std::make_unique<ContiguousKvCache>(shape, max_sequences, max_positions));
}

}  // namespace tachyon
