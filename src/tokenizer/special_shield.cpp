#include "tokenizer/special_shield.h"

#include <algorithm>
#include <array>

#include "tokenizer/utf8.h"

namespace tachyon {
namespace {

// `text` with each mark in it rewritten: doubled (escape), or taken out, a doubled one standing
// for one (unescape).
std::string rewrite_marks(std::string_view text, bool escape) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const size_t mark = text.find(kShieldMark, at);
    if (mark == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, mark - at));
    at = mark + kShieldMark.size();
    if (escape) {
      out.append(kShieldMark).append(kShieldMark);
    } else if (text.substr(at, kShieldMark.size()) == kShieldMark) {  // the client's own U+E000
      out.append(kShieldMark);
      at += kShieldMark.size();
    }
  }
  return out;
}

}  // namespace

std::string shield_special(const Vocab& vocab, std::string_view text) {
  std::string out = rewrite_marks(text, true);
  // Most control tokens never occur: a token whose first byte is not in the text is skipped
  // without a search.
  std::array<bool, 256> byte_present{};
  for (char c : out) byte_present[static_cast<uint8_t>(c)] = true;
  // A mark never makes a new match (no token holds one), so one pass per token leaves none.
  for (int32_t id : vocab.special_tokens) {
    const TokenData& token = vocab.tokens[id];
    if (!has_attr(token.attr, TokenAttr::control | TokenAttr::unknown) || token.text.empty()) continue;
    if (!byte_present[static_cast<uint8_t>(token.text[0])]) continue;
    const size_t first = std::max<size_t>(1, utf8_sequence_length(uint8_t(token.text[0])));
    if (first >= token.text.size() || token.text.find(kShieldMark) != std::string::npos) continue;
    for (size_t hit = out.find(token.text); hit != std::string::npos; hit = out.find(token.text, hit + first))
      out.insert(hit + first, kShieldMark);
  }
  return out;
}

std::string unshield_special(std::string_view text) { return rewrite_marks(text, false); }

}  // namespace tachyon
