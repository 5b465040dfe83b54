#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer/utf8.h"

namespace tachyon {

namespace {

// The regexes below are written with \s and \S, but llama.cpp's notion of whitespace also
// includes U+0085, which PCRE2's \s lacks; expand_whitespace() swaps in this explicit set.
constexpr std::string_view kWhitespaceSet =
    "\\t\\n\\x{0B}\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
    "\\x{202F}\\x{205F}\\x{3000}";

std::string expand_whitespace(std::string_view pattern) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      if (next == 's') {
        out += in_class ? std::string(kWhitespaceSet) : "[" + std::string(kWhitespaceSet) + "]";
      } else if (next == 'S' && !in_class) {
        out += "[^" + std::string(kWhitespaceSet) + "]";
      } else {
        out += c;
        out += next;
      }
      continue;
    }
    if (c == '[') in_class = true;
    if (c == ']') in_class = false;
    out += c;
  }
  return out;
}

constexpr std::string_view kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

std::vector<std::string_view> regexes_for(PreTokenizerType type) {
  switch (type) {
    case PreTokenizerType::none:
      return {};
    case PreTokenizerType::bpe_default:
      return {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"};
    case PreTokenizerType::gpt2:
      return {kGpt2};
    case PreTokenizerType::starcoder:
      return {"\\p{N}", kGpt2};
    case PreTokenizerType::llama3:
      return {
          "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
          "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"};
    case PreTokenizerType::qwen2:
      return {
          "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
          "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"};
    case PreTokenizerType::deepseek_llm:
      return {
          "[\\r\\n]",
          "\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293"
          "\u0295-\u02af\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c"
          "\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5"
          "\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77"
          "\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59"
          "\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc"
          "\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2102\u2107"
          "\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139"
          "\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee"
          "\u2cf2\u2cf3\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e"
          "\uab70-\uabbf\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\U00010400-\U0001044f"
          "\U000104b0-\U000104d3\U000104d8-\U000104fb\U00010c80-\U00010cb2\U00010cc0-\U00010cf2"
          "\U000118a0-\U000118df\U0001e900-\U0001e943]+",
          "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+",
          "\\s+$",
          "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+",
          "\\p{N}+",
      };
  }
  return {};
}

}  // namespace

struct PreTokenizer::CompiledRegex {
  pcre2_code* code = nullptr;
  ~CompiledRegex() { pcre2_code_free(code); }
};

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::create(PreTokenizerType type) {
  std::unique_ptr<PreTokenizer> pre(new PreTokenizer());
  for (std::string_view source : regexes_for(type)) {
    const std::string pattern = expand_whitespace(source);
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    // DOLLAR_ENDONLY: '$' must not match before a final newline (ECMAScript semantics).
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF,
                                     &error_code, &error_offset, nullptr);
    if (!code) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error_code, message, sizeof(message));
      return make_error("pre-tokenizer regex '{}' does not compile at offset {}: {}", source,
                        error_offset, reinterpret_cast<const char*>(message));
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
    auto compiled = std::make_unique<CompiledRegex>();
    compiled->code = code;
    pre->regexes_.push_back(std::move(compiled));
  }
  return pre;
}

PreTokenizer::~PreTokenizer() = default;

std::vector<std::string> PreTokenizer::split(std::string_view raw_text) const {
  const std::string text = sanitize_utf8(raw_text);
  // Pieces as (offset, length) into text; each regex refines every piece independently, so
  // lookarounds and '$' see only the piece.
  std::vector<std::pair<size_t, size_t>> pieces;
  if (!text.empty()) pieces.emplace_back(0, text.size());
  for (const auto& regex : regexes_) {
    pcre2_match_data* match = pcre2_match_data_create_from_pattern(regex->code, nullptr);
    std::vector<std::pair<size_t, size_t>> refined;
    for (const auto& [begin, length] : pieces) {
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data() + begin);
      size_t pos = 0;
      while (pos < length) {
        int rc = pcre2_match(regex->code, subject, length, pos, 0, match, nullptr);
        // The JIT's fixed stack can run out on very long runs; the interpreter's heap does not.
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
          rc = pcre2_match(regex->code, subject, length, pos, PCRE2_NO_JIT, match, nullptr);
        if (rc < 0) break;
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match);
        const size_t match_begin = ovector[0];
        const size_t match_end = ovector[1];
        if (match_end == match_begin) break;  // none of the regexes can match empty text
        if (match_begin > pos) refined.emplace_back(begin + pos, match_begin - pos);
        refined.emplace_back(begin + match_begin, match_end - match_begin);
        pos = match_end;
      }
      if (pos < length) refined.emplace_back(begin + pos, length - pos);
    }
    pcre2_match_data_free(match);
    pieces = std::move(refined);
  }
  std::vector<std::string> words;
  words.reserve(pieces.size());
  for (const auto& [begin, length] : pieces) words.emplace_back(text, begin, length);
  return words;
}

}  // namespace tachyon
