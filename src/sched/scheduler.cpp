#include "sched/scheduler.h"

#include <algorithm>
#include <cassert>
#include <span>

namespace tachyon {

Scheduler::Scheduler(SchedulerConfig config, KvBlockManager& blocks)
    : config_(config), blocks_(blocks), seq_in_use_(size_t(std::max(config.max_running, 0)), false) {
  assert(config.max_batch_tokens > 0 && config.max_running > 0);
}

Status Scheduler::add(RequestId id, std::vector<int32_t> prompt, int32_t max_new_tokens) {
  if (waiting_.size() >= size_t(config_.max_waiting))
    return make_error(ErrorKind::ResourceExhausted, "the waiting queue is full ({} requests)", waiting_.size());
  if (requests_.contains(id)) return make_error(ErrorKind::Internal, "request id {} is already queued", id);
  if (prompt.empty()) return make_error(ErrorKind::InvalidArgument, "the prompt is empty");
  if (max_new_tokens < 1) return make_error(ErrorKind::InvalidArgument, "max_new_tokens must be at least 1, got {}", max_new_tokens);
  const int64_t total = int64_t(prompt.size()) + max_new_tokens;
  if (total > config_.max_model_len)
    return make_error(ErrorKind::InvalidArgument, "prompt ({} tokens) plus max_new_tokens ({}) exceeds the context length {}", prompt.size(),
                      max_new_tokens, config_.max_model_len);
  // The last sampled token is never fed back, so it needs no KV position.
  const int64_t n_blocks = (total - 1 + blocks_.block_size() - 1) / blocks_.block_size();
  if (n_blocks > blocks_.n_blocks())
    return make_error(ErrorKind::InvalidArgument, "prompt ({} tokens) plus max_new_tokens ({}) needs {} KV blocks but the pool has {}",
                      prompt.size(), max_new_tokens, n_blocks, blocks_.n_blocks());
  Request r;
  r.n_prompt = int32_t(prompt.size());
  r.tokens = std::move(prompt);
  r.max_new_tokens = max_new_tokens;
  requests_.emplace(id, std::move(r));
  waiting_.push_back(id);
  return Status::success();
}

SchedulerOutput Scheduler::schedule(const DraftSource& drafts) {
  SchedulerOutput out;
  int32_t budget = config_.max_batch_tokens;
  // Decode tokens first: one per running stream, oldest first. A request that gets preempted is
  // the newest, hence the last in running_, so the index walk stays valid.
  for (size_t i = 0; i < running_.size() && budget > 0; ++i)
    if (requests_.at(running_[i]).n_pending() == 1) plan_running(i, 1, out, budget);
  // Then the rest of the prompts already admitted (chunked prefill, or recomputation).
  for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
    const int32_t n_pending = requests_.at(running_[i]).n_pending();
    if (n_pending > 1) plan_running(i, std::min(n_pending, budget), out, budget);
  }
  // Admit waiting requests in arrival order; none when blocks just ran out for running ones.
  if (out.preempted.empty())
    while (!waiting_.empty() && running_.size() < size_t(config_.max_running) && budget > 0 &&
           admit(waiting_.front(), out, budget)) {
    }
  if (drafts && out.preempted.empty()) add_drafts(drafts, out, budget);
  return out;
}

void Scheduler::add_drafts(const DraftSource& drafts, SchedulerOutput& out, int32_t& budget) {
  for (ScheduledChunk& chunk : out.chunks) {
    if (budget <= 0) return;
    const Request& r = requests_.at(chunk.id);
    if (!chunk.sample || chunk.tokens.size() != 1 || r.n_generated() < 1) continue;
    // Accepting every draft token adds 1 + n_draft tokens: stay within max_new_tokens.
    const int32_t room = std::min(budget, r.max_new_tokens - r.n_generated() - 1);
    if (room <= 0) continue;
    std::vector<int32_t> draft = drafts(chunk.id, r.tokens, room);
    if (draft.empty()) continue;
    // A draft takes only free blocks: it must not cost anyone their cached prefix or their place.
    const int32_t held = int32_t(blocks_.block_table(r.seq_id).size());
    const int32_t positions = (held + blocks_.stats().n_free) * blocks_.block_size();
    draft.resize(size_t(std::clamp(positions - r.n_computed - 1, 0, std::min(int32_t(draft.size()), room))));
    if (draft.empty() || !blocks_.allocate(r.seq_id, r.n_computed + 1 + int32_t(draft.size()))) continue;
    chunk.tokens.insert(chunk.tokens.end(), draft.begin(), draft.end());
    chunk.n_draft = int32_t(draft.size());
    budget -= chunk.n_draft;
  }
}

void Scheduler::plan_running(size_t index, int32_t n_tokens, SchedulerOutput& out, int32_t& budget) {
  const RequestId id = running_[index];
  Request& r = requests_.at(id);
  for (;;) {
    // A prefill chunk shrinks to the positions the pool can still give before anyone is
    // preempted for it; a decode token needs its one position or a preemption.
    const KvBlockStats stats = blocks_.stats();
    const int32_t held = int32_t(blocks_.block_table(r.seq_id).size());
    const int32_t capacity = (held + stats.n_free + stats.n_cached) * blocks_.block_size() - r.n_computed;
    if (capacity > 0) {
      n_tokens = std::min(n_tokens, capacity);
      if (blocks_.allocate(r.seq_id, r.n_computed + n_tokens)) break;
    }
    const bool self = running_.back() == id;
    preempt_newest(out, budget);
    if (self) return;
  }
  out.chunks.push_back(make_chunk(id, r, n_tokens));
  budget -= n_tokens;
}

bool Scheduler::admit(RequestId id, SchedulerOutput& out, int32_t& budget) {
  Request& r = requests_.at(id);
  const int32_t seq_id = take_seq_id();
  const int32_t n_cached = blocks_.match_prefix(seq_id, r.tokens);
  const int32_t n_tokens = std::min(int32_t(r.tokens.size()) - n_cached, budget);
  if (!blocks_.allocate(seq_id, n_cached + n_tokens)) {
    blocks_.free(seq_id);
    seq_in_use_[size_t(seq_id)] = false;
    return false;
  }
  waiting_.pop_front();
  running_.push_back(id);
  r.seq_id = seq_id;
  r.n_computed = n_cached;
  if (!r.admitted_once) {
    r.admitted_once = true;
    r.cached_tokens = std::min(n_cached, r.n_prompt);
  }
  out.chunks.push_back(make_chunk(id, r, n_tokens));
  budget -= n_tokens;
  return true;
}

void Scheduler::preempt_newest(SchedulerOutput& out, int32_t& budget) {
  const RequestId victim = running_.back();
  running_.pop_back();
  const auto planned = std::ranges::find(out.chunks, victim, &ScheduledChunk::id);
  if (planned != out.chunks.end()) {
    budget += int32_t(planned->tokens.size());
    out.chunks.erase(planned);
  }
  release(requests_.at(victim));
  waiting_.push_front(victim);
  out.preempted.push_back(victim);
}

ScheduledChunk Scheduler::make_chunk(RequestId id, const Request& r, int32_t n_tokens) const {
  ScheduledChunk chunk;
  chunk.id = id;
  chunk.seq_id = r.seq_id;
  chunk.start_pos = r.n_computed;
  chunk.tokens.assign(r.tokens.begin() + r.n_computed, r.tokens.begin() + r.n_computed + n_tokens);
  chunk.sample = r.n_computed + n_tokens == int32_t(r.tokens.size());
  return chunk;
}

void Scheduler::update(const SchedulerOutput& out, const std::vector<std::pair<RequestId, int32_t>>& sampled) {
  std::vector<std::pair<RequestId, int32_t>> drafted;  // requests whose draft rows this step wrote
  for (const ScheduledChunk& chunk : out.chunks) {
    const auto it = requests_.find(chunk.id);
    if (it == requests_.end()) continue;
    Request& r = it->second;
    if (r.seq_id != chunk.seq_id || r.n_computed != chunk.start_pos) continue;
    r.n_computed += int32_t(chunk.tokens.size()) - chunk.n_draft;
    if (chunk.n_draft > 0) drafted.emplace_back(chunk.id, chunk.n_draft);
  }
  for (const auto& [id, token] : sampled) {
    const auto it = requests_.find(id);
    if (it == requests_.end()) continue;
    Request& r = it->second;
    if (r.seq_id < 0) continue;
    if (r.n_pending() == 1) {
      // A second or later token of the step: the token before it was an accepted draft token,
      // whose row this step wrote after the right prefix, so it counts as computed.
      const auto d = std::ranges::find(drafted, id, &std::pair<RequestId, int32_t>::first);
      if (d == drafted.end() || d->second == 0) continue;
      --d->second;
      ++r.n_computed;
    }
    if (r.n_pending() != 0) continue;
    r.tokens.push_back(token);
  }
  for (const ScheduledChunk& chunk : out.chunks) {
    const auto it = requests_.find(chunk.id);
    if (it == requests_.end() || it->second.seq_id != chunk.seq_id) continue;
    Request& r = it->second;
    blocks_.commit(r.seq_id, std::span<const int32_t>(r.tokens).first(size_t(r.n_computed)));
    // Done: its blocks go back now; the request stays known (cached_tokens) until finish().
    if (r.n_generated() >= r.max_new_tokens) {
      std::erase(running_, chunk.id);
      release(r);
    }
  }
}

void Scheduler::finish(RequestId id) {
  const auto it = requests_.find(id);
  if (it == requests_.end()) return;
  if (it->second.seq_id >= 0) {
    std::erase(running_, id);
    release(it->second);
  } else {
    std::erase(waiting_, id);
  }
  requests_.erase(it);
}

int32_t Scheduler::cached_tokens(RequestId id) const {
  const auto it = requests_.find(id);
  return it == requests_.end() ? 0 : it->second.cached_tokens;
}

int32_t Scheduler::take_seq_id() {
  const auto it = std::ranges::find(seq_in_use_, false);
  assert(it != seq_in_use_.end());
  *it = true;
  return int32_t(it - seq_in_use_.begin());
}

void Scheduler::release(Request& r) {
  blocks_.free(r.seq_id);
  seq_in_use_[size_t(r.seq_id)] = false;
  r.seq_id = -1;
  r.n_computed = 0;
}

}  // namespace tachyon
