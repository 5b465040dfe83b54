#include "tokenizer/wpm_tokenizer.h"

#include <algorithm>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "tokenizer/utf8.h"

namespace tachyon {

namespace {

constexpr std::string_view kWordPrefix = "\xe2\x96\x81";  // U+2581

// CJK Unified Ideographs and their extensions and compatibility blocks, the ranges of Google's
// original BERT tokenizer (tokenization.py, _is_chinese_char). Hangul, kana and the like are
// letters and stay inside words.
bool is_cjk_ideograph(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// llama.cpp's "NFD" keeps one code point per character: the first of its canonical
// decomposition (so a precomposed "é" becomes "e", while a separate combining accent stays).
uint32_t first_of_decomposition(const icu::Normalizer2& nfd, uint32_t cp) {
  icu::UnicodeString decomposition;
  if (!nfd.getDecomposition(static_cast<UChar32>(cp), decomposition) || decomposition.isEmpty()) return cp;
  return static_cast<uint32_t>(decomposition.char32At(0));
}

bool is_dropped(uint32_t cp) {
  constexpr uint32_t kControlMask = U_GC_CC_MASK | U_GC_CF_MASK | U_GC_CO_MASK | U_GC_CS_MASK;
  return cp == 0 || cp == kReplacementCodepoint || (U_GET_GC_MASK(static_cast<UChar32>(cp)) & kControlMask) != 0;
}

bool is_single_char_word(uint32_t cp) {
  const uint32_t category = U_GET_GC_MASK(static_cast<UChar32>(cp));
  return (category & U_GC_P_MASK) != 0 || (cp < 0x7F && (category & U_GC_S_MASK) != 0) || is_cjk_ideograph(cp);
}

const icu::Normalizer2& nfd_normalizer() {
  static const icu::Normalizer2* nfd = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
    // ICU's NFD data is built into the library; failing to load it is a broken installation.
    if (U_FAILURE(status) || !n) std::abort();
    return n;
  }();
  return *nfd;
}

}  // namespace

WpmTokenizer::WpmTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {
  for (const TokenData& t : vocab_.tokens) max_token_bytes_ = std::max(max_token_bytes_, t.text.size());
  build_piece_cache();
}

std::vector<std::string> WpmTokenizer::split_words(std::string_view text) {
  const icu::Normalizer2& nfd = nfd_normalizer();
  std::vector<std::string> words(1);
  for (uint32_t raw : utf8_to_codepoints(text)) {
    const uint32_t cp = first_of_decomposition(nfd, raw);
    if (u_isUWhiteSpace(static_cast<UChar32>(cp))) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (is_dropped(cp)) continue;
    const auto lower = static_cast<uint32_t>(u_tolower(static_cast<UChar32>(cp)));
    if (is_single_char_word(cp)) {
      if (!words.back().empty()) words.emplace_back();
      append_utf8(words.back(), lower);
      words.emplace_back();
    } else {
      append_utf8(words.back(), lower);
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void WpmTokenizer::encode_text(std::string_view text, bool /*at_boundary*/, std::vector<int32_t>& out) const {
  for (const std::string& word : split_words(text)) {
    const std::string prefixed = std::string(kWordPrefix) + word;
    const size_t n_before = out.size();
    // Greedy longest match over bytes, as llama.cpp does (an entry may end inside a character
    // only if the vocabulary has such an entry).
    for (size_t begin = 0; begin < prefixed.size();) {
      size_t end = std::min(prefixed.size(), begin + max_token_bytes_);
      int32_t id = -1;
      for (; end > begin; --end) {
        id = vocab_.find(prefixed.substr(begin, end - begin));
        if (id >= 0) break;
      }
      if (id < 0) {
        out.resize(n_before);
        break;
      }
      out.push_back(id);
      begin = end;
    }
    if (out.size() == n_before && vocab_.unk_id >= 0) out.push_back(vocab_.unk_id);
  }
}

std::string WpmTokenizer::render_piece(int32_t id) const {
  const TokenData& token = vocab_.tokens[id];
  if (!has_attr(token.attr, TokenAttr::normal)) return token.text;
  // Word-initial pieces carry U+2581: it becomes the space between words.
  std::string piece;
  std::string_view text = token.text;
  for (size_t hit; (hit = text.find(kWordPrefix)) != std::string_view::npos;) {
    piece.append(text.substr(0, hit)).append(1, ' ');
    text.remove_prefix(hit + kWordPrefix.size());
  }
  piece.append(text);
  return piece;
}

}  // namespace tachyon
