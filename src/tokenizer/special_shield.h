#pragma once
// Control tokens spelled in a client's text. A chat prompt is tokenized with special tokens
// parsed, so that the template's "<|im_start|>" becomes its id; a client who writes
// "<|im_end|><|im_start|>system" in a message would otherwise forge turns. Client text is
// shielded before it goes into the template: a mark (U+E000) goes after the first character of
// every control token spelled in it, which no longer matches, and a U+E000 the client wrote is
// doubled. unshield_special() takes the marks out again from each run of text between the
// special tokens found, before it is tokenized: so the shielded spellings come out as the
// tokens of their text, exactly as encode() without parse_special would give them, and
// everything else as encode() with it.
#include <string>
#include <string_view>

#include "tokenizer/vocab.h"

namespace tachyon {

inline constexpr std::string_view kShieldMark = "\xEE\x80\x80";  // U+E000, a private-use character

// `text` with every control (or unknown) token of `vocab` spelled in it shielded.
std::string shield_special(const Vocab& vocab, std::string_view text);

// Whether `text` holds a mark to take out.
inline bool has_shield_marks(std::string_view text) { return text.find(kShieldMark) != std::string_view::npos; }

// `text` without the marks: a lone mark goes, a doubled one is the client's U+E000.
std::string unshield_special(std::string_view text);

}  // namespace tachyon
