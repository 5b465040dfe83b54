#include "engine/draft_model.h"

#include <algorithm>

namespace tachyon {

bool same_vocabulary(const Tokenizer& a, const Tokenizer& b) {
  if (a.n_vocab() != b.n_vocab()) return false;
  for (int32_t id = 0; id < a.n_vocab(); ++id)
    if (a.token_text(id) != b.token_text(id)) return false;
  return true;
}

class DraftModel::SequenceDrafter final : public Drafter {
 public:
  SequenceDrafter(DraftModel& model, int32_t max_draft) : Drafter(max_draft), model_(model) {}
  ~SequenceDrafter() override {
    if (seq_id_ >= 0) model_.release_sequence(seq_id_);
  }

 protected:
  std::vector<int32_t> draft(std::span<const int32_t> tokens, int32_t n) override {
    if (seq_id_ < 0) seq_id_ = model_.take_sequence();
    return model_.draft(seq_id_, cached_, tokens, n);
  }

 private:
  DraftModel& model_;
  int32_t seq_id_ = -1;
  std::vector<int32_t> cached_;  // the tokens whose K/V rows the draft's cache holds, in order
};

Result<std::unique_ptr<DraftModel>> DraftModel::create(std::shared_ptr<const ModelBundle> draft, const Tokenizer& target,
                                                       int32_t n_ctx, int32_t max_sequences, int64_t kv_memory_mib,
                                                       ThreadPool& pool) {
  if (draft->is_encoder()) return make_error("draft model {}: an embedding model cannot draft tokens", draft->path);
  if (!same_vocabulary(*draft->tokenizer, target))
    return make_error("draft model {}: its vocabulary ({} tokens) differs from the served model's ({} tokens); "
                      "a draft model must use the same tokenizer",
                      draft->path, draft->tokenizer->n_vocab(), target.n_vocab());
  const ForwardPass& forward = draft->forward();
  n_ctx = std::min(n_ctx, int32_t(forward.hparams().n_ctx_train));
  const KvShape shape = forward.kv_shape(KvDType::F16);
  if (Status s = shape.check(); !s) return s.error();
  constexpr int32_t kBlockSize = 16;
  const int64_t block_bytes = 2 * shape.n_layer * kBlockSize * shape.row_bytes();
  const int64_t blocks_per_seq = (n_ctx + kBlockSize - 1) / kBlockSize;
  const int64_t n_blocks = std::clamp<int64_t>(kv_memory_mib * 1024 * 1024 / block_bytes, blocks_per_seq,
                                               blocks_per_seq * std::max(max_sequences, 1));
  std::unique_ptr<DraftModel> model(new DraftModel(std::move(draft), n_ctx, int32_t(n_blocks), kBlockSize, pool));
  auto kv = model->draft_->forward().make_paged_kv(shape, model->blocks_);
  if (!kv) return make_error("draft model {}: {}", model->draft_->path, kv.error().message);
  model->kv_ = std::move(*kv);
  return model;
}

DraftModel::DraftModel(std::shared_ptr<const ModelBundle> draft, int32_t n_ctx, int32_t n_blocks, int32_t block_size,
                       ThreadPool& pool)
    : draft_(std::move(draft)), n_ctx_(n_ctx), blocks_(n_blocks, block_size, /*prefix_caching=*/false), pool_(pool) {}

std::unique_ptr<Drafter> DraftModel::drafter(int32_t max_draft) {
  return std::make_unique<SequenceDrafter>(*this, max_draft);
}

int32_t DraftModel::take_sequence() {
  if (free_sequences_.empty()) return n_sequences_++;
  const int32_t seq_id = free_sequences_.back();
  free_sequences_.pop_back();
  return seq_id;
}

void DraftModel::release_sequence(int32_t seq_id) {
  blocks_.free(seq_id);
  free_sequences_.push_back(seq_id);
}

std::vector<int32_t> DraftModel::draft(int32_t seq_id, std::vector<int32_t>& cached, std::span<const int32_t> tokens,
                                       int32_t n) {
  const int32_t n_tokens = int32_t(tokens.size());
  // The last drafted token is never fed, so the cache needs n_tokens + n - 1 rows.
  if (n_tokens == 0 || n_tokens + n - 1 > n_ctx_) return {};
  if (!blocks_.allocate(seq_id, n_tokens + n - 1)) return {};
  // Rows of tokens the request still has are kept; the first differing one (a rejected draft
  // token) and everything after it are written again. The last token is fed even when cached:
  // its logits give the first draft token.
  int32_t keep = int32_t(std::ranges::mismatch(cached, tokens).in1 - cached.begin());
  keep = std::min(keep, n_tokens - 1);
  cached.assign(tokens.begin(), tokens.end());

  const int64_t n_vocab = draft_->forward().hparams().n_vocab;
  std::vector<int32_t> out;
  Batch batch;
  for (int32_t i = keep; i < n_tokens; ++i) batch.add(tokens[size_t(i)], i, seq_id, i + 1 == n_tokens);
  for (;;) {
    if (!draft_->forward().forward(batch, *kv_, pool_, logits_)) {
      cached.resize(size_t(keep));  // rows past keep may be partly written
      return {};
    }
    const int32_t token = int32_t(std::max_element(logits_.begin(), logits_.begin() + n_vocab) - logits_.begin());
    out.push_back(token);
    if (int32_t(out.size()) == n) break;
    batch.clear();
    batch.add(token, int32_t(cached.size()), seq_id, true);
    cached.push_back(token);
  }
  return out;
}

}  // namespace tachyon
