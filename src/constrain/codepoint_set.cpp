#include "constrain/codepoint_set.h"

#include <algorithm>

#include "util/utf8_encode.h"

namespace tachyon {

namespace {
constexpr uint32_t kSurrogateLo = 0xD800;
constexpr uint32_t kSurrogateHi = 0xDFFF;
}  // namespace

CodepointSet CodepointSet::range(uint32_t lo, uint32_t hi) {
  CodepointSet set;
  set.add(lo, hi);
  return set;
}

void CodepointSet::add(uint32_t lo, uint32_t hi) {
  hi = std::min(hi, kMaxCodepoint);
  if (lo > hi) return;
  ranges_.push_back({lo, hi});
  normalize();
}

void CodepointSet::add(const CodepointSet& other) {
  ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end());
  normalize();
}

void CodepointSet::normalize() {
  std::vector<Range> split;
  for (const Range& r : ranges_) {
    if (r.hi < kSurrogateLo || r.lo > kSurrogateHi) {
      split.push_back(r);
      continue;
    }
    if (r.lo < kSurrogateLo) split.push_back({r.lo, kSurrogateLo - 1});
    if (r.hi > kSurrogateHi) split.push_back({kSurrogateHi + 1, r.hi});
  }
  std::sort(split.begin(), split.end());
  ranges_.clear();
  for (const Range& r : split) {
    // Ranges that touch across the surrogate gap stay apart; that changes nothing.
    if (!ranges_.empty() && r.lo <= ranges_.back().hi + 1) {
      ranges_.back().hi = std::max(ranges_.back().hi, r.hi);
    } else {
      ranges_.push_back(r);
    }
  }
}

CodepointSet CodepointSet::complement() const {
  CodepointSet out;
  uint32_t next = 0;
  for (const Range& r : ranges_) {
    if (r.lo > next) out.ranges_.push_back({next, r.lo - 1});
    next = r.hi + 1;
  }
  if (next <= kMaxCodepoint) out.ranges_.push_back({next, kMaxCodepoint});
  out.normalize();
  return out;
}

CodepointSet CodepointSet::minus(const CodepointSet& other) const {
  CodepointSet out = other.complement();
  // this ∩ ¬other, by walking both sorted lists.
  CodepointSet result;
  size_t j = 0;
  for (const Range& a : ranges_) {
    while (j < out.ranges_.size() && out.ranges_[j].hi < a.lo) ++j;
    for (size_t k = j; k < out.ranges_.size() && out.ranges_[k].lo <= a.hi; ++k) {
      result.ranges_.push_back({std::max(a.lo, out.ranges_[k].lo), std::min(a.hi, out.ranges_[k].hi)});
    }
  }
  result.normalize();
  return result;
}

bool CodepointSet::contains(uint32_t codepoint) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), codepoint,
                             [](uint32_t c, const Range& r) { return c < r.lo; });
  return it != ranges_.begin() && std::prev(it)->hi >= codepoint;
}


int32_t pop_codepoint_utf8(std::string_view& text) {
  if (text.empty()) return -1;
  const auto b0 = static_cast<uint8_t>(text[0]);
  int length = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if (b0 < 0x80) {
    text.remove_prefix(1);
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    length = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (text.size() < static_cast<size_t>(length)) return -1;
  for (int i = 1; i < length; ++i) {
    const auto b = static_cast<uint8_t>(text[i]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > kMaxCodepoint || (cp >= kSurrogateLo && cp <= kSurrogateHi)) return -1;
  text.remove_prefix(length);
  return static_cast<int32_t>(cp);
}

std::vector<Utf8Sequence> utf8_sequences(uint32_t lo, uint32_t hi) {
  std::vector<Utf8Sequence> out;
  std::vector<std::pair<uint32_t, uint32_t>> work{{lo, std::min(hi, kMaxCodepoint)}};
  while (!work.empty()) {
    auto [a, b] = work.back();
    work.pop_back();
    if (a > b) continue;
    if (a <= kSurrogateHi && b >= kSurrogateLo) {
      if (b > kSurrogateHi) work.push_back({kSurrogateHi + 1, b});
      if (a < kSurrogateLo) work.push_back({a, kSurrogateLo - 1});
      continue;
    }
    // Split where the encoded length changes.
    bool split = false;
    for (uint32_t max : {0x7Fu, 0x7FFu, 0xFFFFu}) {
      if (a <= max && max < b) {
        work.push_back({max + 1, b});
        work.push_back({a, max});
        split = true;
        break;
      }
    }
    if (split) continue;
    if (b <= 0x7F) {
      Utf8Sequence seq;
      seq.length = 1;
      seq.bytes[0] = {static_cast<uint8_t>(a), static_cast<uint8_t>(b)};
      out.push_back(seq);
      continue;
    }
    // Split until every continuation byte spans a full or a single-prefix range.
    for (int i = 1; i < 4 && !split; ++i) {
      const uint32_t m = (uint32_t{1} << (6 * i)) - 1;
      if ((a & ~m) != (b & ~m)) {
        if ((a & m) != 0) {
          work.push_back({(a | m) + 1, b});
          work.push_back({a, a | m});
          split = true;
        } else if ((b & m) != m) {
          work.push_back({b & ~m, b});
          work.push_back({a, (b & ~m) - 1});
          split = true;
        }
      }
    }
    if (split) continue;
    std::string ea, eb;
    append_utf8_codepoint(ea, a);
    append_utf8_codepoint(eb, b);
    Utf8Sequence seq;
    seq.length = static_cast<int>(ea.size());
    for (int i = 0; i < seq.length; ++i) {
      seq.bytes[i] = {static_cast<uint8_t>(ea[i]), static_cast<uint8_t>(eb[i])};
    }
    out.push_back(seq);
  }
  return out;
}

}  // namespace tachyon
