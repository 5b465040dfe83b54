#include "model/cpu_model.h"

#include "kv/contiguous_kv_cache.h"
#include "kv/paged_kv_cache.h"

namespace tachyon {

KvShape CpuModel::kv_shape(KvDType dtype) const {
  return KvShape{hparams_.n_layer, hparams_.n_head_kv, hparams_.head_dim, dtype};
}

Result<std::unique_ptr<KvCache>> CpuModel::make_paged_kv(KvShape shape, KvBlockManager& blocks) const {
  return std::unique_ptr<KvCache>(std::make_unique<PagedKvCache>(shape, blocks));
}

Result<std::unique_ptr<KvCache>> CpuModel::make_contiguous_kv(KvShape shape, int32_t max_sequences,
                                                              int32_t max_positions) const {
  return std::unique_ptr<KvCache>(std::make_unique<ContiguousKvCache>(shape, max_sequences, max_positions));
}

}  // namespace tachyon
