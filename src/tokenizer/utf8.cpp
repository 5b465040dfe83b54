#include "tokenizer/utf8.h"

#include <array>

#include "util/utf8_encode.h"

namespace tachyon {

size_t utf8_sequence_length(uint8_t lead) {
  // Indexed by the high nibble: 0xxx -> 1, 10xx -> 1 (stray continuation), 110x -> 2, 1110 -> 3,
  // 1111 -> 4.
  static constexpr std::array<uint8_t, 16> kLengths = {1, 1, 1, 1, 1, 1, 1, 1,
                                                       1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

namespace {

bool is_continuation(std::string_view text, size_t pos) {
  return pos < text.size() && (static_cast<uint8_t>(text[pos]) & 0xC0) == 0x80;
}

// One codepoint at `pos`, advancing pos; nullopt (pos unchanged) when the sequence is
// ill-formed or truncated.
std::optional<uint32_t> decode_one(std::string_view text, size_t& pos) {
  const uint8_t b0 = static_cast<uint8_t>(text[pos]);
  if ((b0 & 0x80) == 0) {
    pos += 1;
    return b0;
  }
  if ((b0 & 0x40) == 0) return std::nullopt;
  if ((b0 & 0x20) == 0) {
    if (!is_continuation(text, pos + 1)) return std::nullopt;
    const uint32_t cp = ((b0 & 0x1Fu) << 6) | (static_cast<uint8_t>(text[pos + 1]) & 0x3Fu);
    pos += 2;
    return cp;
  }
  if ((b0 & 0x10) == 0) {
    if (!is_continuation(text, pos + 1) || !is_continuation(text, pos + 2)) return std::nullopt;
    const uint32_t cp = ((b0 & 0x0Fu) << 12) |
                        ((static_cast<uint8_t>(text[pos + 1]) & 0x3Fu) << 6) |
                        (static_cast<uint8_t>(text[pos + 2]) & 0x3Fu);
    pos += 3;
    return cp;
  }
  if ((b0 & 0x08) == 0) {
    if (!is_continuation(text, pos + 1) || !is_continuation(text, pos + 2) ||
        !is_continuation(text, pos + 3))
      return std::nullopt;
    const uint32_t cp = ((b0 & 0x07u) << 18) |
                        ((static_cast<uint8_t>(text[pos + 1]) & 0x3Fu) << 12) |
                        ((static_cast<uint8_t>(text[pos + 2]) & 0x3Fu) << 6) |
                        (static_cast<uint8_t>(text[pos + 3]) & 0x3Fu);
    pos += 4;
    return cp;
  }
  return std::nullopt;
}

struct ByteAlphabet {
  std::array<std::string, 256> byte_to_char;
  std::array<int16_t, 324> codepoint_to_byte;  // every codepoint used is below 256 + 68
};

ByteAlphabet build_byte_alphabet() {
  ByteAlphabet a;
  a.codepoint_to_byte.fill(-1);
  // Printable Latin-1 bytes stand for themselves; the rest are shifted past U+00FF in byte order.
  uint32_t next_shifted = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    const uint32_t cp = printable ? b : next_shifted++;
    append_utf8(a.byte_to_char[b], cp);
    a.codepoint_to_byte[cp] = static_cast<int16_t>(b);
  }
  return a;
}

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet alphabet = build_byte_alphabet();
  return alphabet;
}

}  // namespace

std::vector<uint32_t> utf8_to_codepoints(std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    if (auto cp = decode_one(text, pos)) {
      out.push_back(*cp);
    } else {
      out.push_back(kReplacementCodepoint);
      ++pos;
    }
  }
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  append_utf8_codepoint(out, cp > 0x10FFFF ? kReplacementCodepoint : cp);
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (uint32_t cp : utf8_to_codepoints(text)) append_utf8(out, cp);
  return out;
}

const std::string& byte_to_bpe_char(uint8_t byte) { return byte_alphabet().byte_to_char[byte]; }

std::optional<uint8_t> bpe_codepoint_to_byte(uint32_t cp) {
  const auto& table = byte_alphabet().codepoint_to_byte;
  if (cp >= table.size() || table[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(table[cp]);
}

size_t utf8_incomplete_tail(std::string_view text) {
  // Walk back over at most three continuation bytes to the lead byte of the last sequence.
  const size_t n = text.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const uint8_t b = static_cast<uint8_t>(text[n - back]);
    if ((b & 0xC0) == 0x80) continue;
    if ((b & 0x80) == 0 || (b & 0xF8) == 0xF8) return 0;
    return utf8_sequence_length(b) > back ? back : 0;
  }
  return 0;
}

}  // namespace tachyon
