#include "tokenizer/special_shield.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace tachyon {

std::string shield_special(const Vocab& vocab, std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const size_t mark = text.find(kShieldMark, at);
    if (mark == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, mark + kShieldMark.size() - at));
    out.append(kShieldMark);
    at = mark + kShieldMark.size();
  }
  // A mark never makes a new match (no token holds one), so one pass per token leaves none.
  for (int32_t id : vocab.special_tokens) {
    const TokenData& token = vocab.tokens[id];
    if (!has_attr(token.attr, TokenAttr::control | TokenAttr::unknown) || token.text.empty()) continue;
    const size_t first = std::max<size_t>(1, utf8_sequence_length(uint8_t(token.text[0])));
    if (first >= token.text.size() || token.text.find(kShieldMark) != std::string::npos) continue;
    for (size_t hit = out.find(token.text); hit != std::string::npos; hit = out.find(token.text, hit + first)) {
      out.insert(hit + first, kShieldMark);
    }
  }
  return out;
}

std::string unshield_special(std::string_view text) {
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
    if (text.substr(at, kShieldMark.size()) == kShieldMark) {  // the client's own U+E000
      out.append(kShieldMark);
      at += kShieldMark.size();
    }
  }
  return out;
}

}  // namespace tachyon
