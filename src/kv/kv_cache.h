#pragma once
// KV cache storage addressed by (layer, sequence, position). The forward pass writes one K and
// one V row per token and layer and reads them back for attention; it sees only this interface,
// so the storage behind it (contiguous per sequence now, paged blocks later) can change.
// Not thread-safe for writers: the engine thread owns it; attention threads only read rows.
#include <cstdint>

#include "util/result.h"

namespace tachyon {

enum class KvDType { F32, F16 };

inline int kv_dtype_size(KvDType t) { return t == KvDType::F32 ? 4 : 2; }

struct KvShape {
  int64_t n_layer = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  KvDType dtype = KvDType::F16;

  int64_t row_elements() const { return n_kv_heads * head_dim; }  // one row: (n_kv_heads, head_dim)
  int64_t row_bytes() const { return row_elements() * kv_dtype_size(dtype); }
};

class KvCache {
 public:
  virtual ~KvCache() = default;

  virtual const KvShape& shape() const = 0;
  // Makes positions [0, n_positions) of seq_id writable; an Error when the sequence id or length
  // is beyond what the cache holds.
  virtual Status reserve(int32_t seq_id, int32_t n_positions) = 0;
  // Row (n_kv_heads, head_dim) of K or V for a reserved (layer, seq, pos), in shape().dtype.
  virtual uint8_t* k_row(int64_t layer, int32_t seq_id, int32_t pos) = 0;
  virtual uint8_t* v_row(int64_t layer, int32_t seq_id, int32_t pos) = 0;
  // Forgets every position of the sequence (its storage may be reused).
  virtual void clear(int32_t seq_id) = 0;
};

}  // namespace tachyon
