#pragma once
// KV cache storage addressed by (layer, sequence, position). The forward pass writes one K and
// one V row per token and layer and reads them back for attention; it sees only this interface,
// so the storage behind it (contiguous per sequence now, paged blocks later) can change.
// Not thread-safe for writers: the engine thread owns it; attention threads only read rows.
#include <cstdint>
#include <optional>
#include <string_view>

#include "util/result.h"

namespace tachyon {

// Q8_0 is GGML's block_q8_0: 32 values as an f16 scale and 32 int8, each head's row in its own
// blocks (so head_dim must be a multiple of 32).
enum class KvDType { F32, F16, Q8_0 };

inline constexpr int64_t kKvQ8Block = 32;       // values per Q8_0 block
inline constexpr int64_t kKvQ8BlockBytes = 34;  // bytes per Q8_0 block

// "f32", "f16", "q8_0" (the --kv-type option's values).
inline std::optional<KvDType> parse_kv_dtype(std::string_view name) {
  if (name == "f32") return KvDType::F32;
  if (name == "f16") return KvDType::F16;
  if (name == "q8_0") return KvDType::Q8_0;
  return std::nullopt;
}

struct KvShape {
  int64_t n_layer = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  KvDType dtype = KvDType::F16;

  int64_t row_elements() const { return n_kv_heads * head_dim; }  // one row: (n_kv_heads, head_dim)
  int64_t row_bytes() const {
    switch (dtype) {
      case KvDType::F32: return row_elements() * 4;
      case KvDType::F16: return row_elements() * 2;
      case KvDType::Q8_0: return row_elements() / kKvQ8Block * kKvQ8BlockBytes;
    }
    return 0;
  }
  // One head's part of a row, in bytes: head h starts at h * head_bytes().
  int64_t head_bytes() const { return row_bytes() / n_kv_heads; }
  // An Error when the type cannot hold this model's rows (Q8_0 with a head_dim not a multiple of 32).
  Status check() const {
    if (dtype == KvDType::Q8_0 && head_dim % kKvQ8Block != 0)
      return make_error("a q8_0 KV cache needs a head dimension that is a multiple of {}; this model's is {}",
                        kKvQ8Block, head_dim);
    return Status::success();
  }
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
