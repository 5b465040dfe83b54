#pragma once
// Grammar: an immutable context-free language over bytes, the one representation that JSON
// Schemas, the any-JSON-object language and regular expressions all compile to.
//
// A grammar is a list of rules; a rule is a list of alternatives; an alternative is a sequence
// of elements, each a set of bytes (one byte of input) or a reference to a rule. The compilers
// build one with GrammarBuilder; finish() checks it (every rule can derive something, nothing
// is left-recursive) and flattens it into the array the matcher walks. A Grammar never changes
// after finish() and may be shared by any number of threads and requests.
#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace tachyon {

// 256 bits: which byte values an element accepts.
using ByteSet = std::array<uint64_t, 4>;

inline bool byte_set_has(const ByteSet& set, uint8_t byte) {
  return (set[byte >> 6] >> (byte & 63)) & 1;
}
inline void byte_set_add_range(ByteSet& set, uint8_t lo, uint8_t hi) {
  for (unsigned b = lo; b <= hi; ++b) set[b >> 6] |= uint64_t{1} << (b & 63);
}

class Grammar {
 public:
  // One flattened element: the kind in the top two bits, a byte-set or rule index below.
  enum class Kind : uint32_t { Bytes = 0, Ref = 1, End = 2 };
  static constexpr uint32_t kKindShift = 30;
  static constexpr uint32_t kValueMask = (uint32_t{1} << kKindShift) - 1;

  Kind kind_at(uint32_t pos) const { return static_cast<Kind>(elements_[pos] >> kKindShift); }
  uint32_t value_at(uint32_t pos) const { return elements_[pos] & kValueMask; }
  const ByteSet& byte_set(uint32_t index) const { return byte_sets_[index]; }
  // Positions of the first element of each alternative of `rule`.
  const std::vector<uint32_t>& alternatives(uint32_t rule) const { return rule_alternatives_[rule]; }
  uint32_t root_rule() const { return root_rule_; }
  size_t n_elements() const { return elements_.size(); }
  size_t n_rules() const { return rule_alternatives_.size(); }

 private:
  friend class GrammarBuilder;
  Grammar() = default;

  std::vector<uint32_t> elements_;  // every alternative ends with an End element
  std::vector<ByteSet> byte_sets_;
  std::vector<std::vector<uint32_t>> rule_alternatives_;
  uint32_t root_rule_ = 0;
};

// Builds a Grammar rule by rule. Used by one thread during one compilation.
class GrammarBuilder {
 public:
  struct Symbol {
    bool is_rule = false;
    uint32_t index = 0;  // byte-set index, or rule id
  };
  using Sequence = std::vector<Symbol>;

  // Compilations stop with an error once the grammar holds more elements than this.
  static constexpr size_t kMaxElements = size_t{1} << 22;

  uint32_t new_rule();
  void add_alternative(uint32_t rule, Sequence sequence);

  Symbol bytes(const ByteSet& set);
  Symbol byte_range(uint8_t lo, uint8_t hi);
  Symbol byte(uint8_t value) { return byte_range(value, value); }
  static Symbol ref(uint32_t rule) { return Symbol{true, rule}; }
  // Appends one byte element per byte of `text`.
  void append_literal(Sequence& sequence, std::string_view text);

  // A rule for `body` repeated between min and max times (max < 0: unbounded). Each repetition
  // is one reference to `body`, so nesting repeats stays linear in size.
  uint32_t repeat(Symbol body, int64_t min, int64_t max);
  // A rule matching `sequence` or nothing.
  uint32_t optional(Sequence sequence);
  // A rule with one alternative.
  uint32_t rule_of(Sequence sequence);

  // True once the element limit is passed; compilers check it and give up early.
  bool too_large() const { return n_elements_ > kMaxElements; }

  // Checks and flattens. Alternatives that can never match anything are dropped; errors when
  // the root matches nothing, a rule can reach itself without consuming a byte (left
  // recursion, also a repeated part that can match nothing), or the grammar is too large.
  Result<std::shared_ptr<const Grammar>> finish(uint32_t root_rule);

 private:
  std::vector<std::vector<Sequence>> rules_;
  std::vector<ByteSet> byte_sets_;
  size_t n_elements_ = 0;
};

}  // namespace tachyon
