#pragma once
// UTF-8 helpers shared by the tokenizers: lenient decoding (the way llama.cpp reads text, so
// invalid input tokenizes the same), encoding, and GPT-2's byte <-> printable-codepoint map
// used by byte-level BPE vocabularies. All functions are pure and thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tachyon {

inline constexpr uint32_t kReplacementCodepoint = 0xFFFD;

// Length of the UTF-8 sequence that starts with `lead`, judged by its high bits only (1 for a
// stray continuation byte, 4 for 0xF8..0xFF); SPM splits text into symbols this way.
size_t utf8_sequence_length(uint8_t lead);

// Decodes text into codepoints; a byte that does not start a well-formed sequence becomes
// U+FFFD and decoding resumes at the next byte. Overlong forms are accepted as llama.cpp does.
std::vector<uint32_t> utf8_to_codepoints(std::string_view text);

// Appends the UTF-8 encoding of cp; codepoints above U+10FFFF are written as U+FFFD.
void append_utf8(std::string& out, uint32_t cp);

// Re-encodes text so that every ill-formed byte becomes U+FFFD (what BPE pre-tokenizers see).
std::string sanitize_utf8(std::string_view text);

// GPT-2 byte-level alphabet: each byte maps to one printable codepoint, as UTF-8.
const std::string& byte_to_bpe_char(uint8_t byte);

// Inverse of byte_to_bpe_char for one codepoint; nullopt when cp is not in the alphabet.
std::optional<uint8_t> bpe_codepoint_to_byte(uint32_t cp);

// Number of bytes at the end of `text` that form the start of a UTF-8 sequence still waiting
// for continuation bytes (0 when text ends on a complete or invalid sequence).
size_t utf8_incomplete_tail(std::string_view text);

}  // namespace tachyon
