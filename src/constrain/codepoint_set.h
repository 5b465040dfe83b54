#pragma once
// CodepointSet: a set of Unicode scalar values as sorted, disjoint ranges, and its UTF-8
// encoding as byte-range sequences (the way RE2 and Rust's regex compile classes to bytes).
// Surrogates (U+D800..U+DFFF) are never members: only valid UTF-8 can come out.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tachyon {

inline constexpr uint32_t kMaxCodepoint = 0x10FFFF;

class CodepointSet {
 public:
  struct Range {
    uint32_t lo = 0;
    uint32_t hi = 0;
    bool operator==(const Range&) const = default;
    auto operator<=>(const Range&) const = default;
  };

  CodepointSet() = default;
  static CodepointSet of(uint32_t codepoint) { return range(codepoint, codepoint); }
  static CodepointSet range(uint32_t lo, uint32_t hi);
  static CodepointSet all() { return range(0, kMaxCodepoint); }

  void add(uint32_t lo, uint32_t hi);
  void add(const CodepointSet& other);
  CodepointSet complement() const;
  CodepointSet minus(const CodepointSet& other) const;
  bool contains(uint32_t codepoint) const;
  bool empty() const { return ranges_.empty(); }
  const std::vector<Range>& ranges() const { return ranges_; }
  bool operator==(const CodepointSet&) const = default;
  auto operator<=>(const CodepointSet&) const = default;

 private:
  void normalize();
  std::vector<Range> ranges_;  // sorted, disjoint, not adjacent, surrogates removed
};

// One UTF-8 byte-range sequence: the encodings whose i-th byte lies in bytes[i] for i < length.
struct Utf8Sequence {
  int length = 0;
  std::array<std::pair<uint8_t, uint8_t>, 4> bytes{};
};

// The UTF-8 encodings of the code points in [lo, hi] (surrogates skipped), as a list of
// sequences whose languages are disjoint.
std::vector<Utf8Sequence> utf8_sequences(uint32_t lo, uint32_t hi);

// Decodes one code point from the front of `text`, advancing it; -1 when the bytes there are not
// valid UTF-8 (then nothing is consumed).
int32_t pop_codepoint_utf8(std::string_view& text);

}  // namespace tachyon
