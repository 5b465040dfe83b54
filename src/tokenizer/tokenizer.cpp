#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <array>

#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/special_shield.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/wpm_tokenizer.h"

namespace tachyon {

namespace {

// A run of input text, or a special token already cut out of it.
struct Fragment {
  int32_t token;  // -1 for text
  size_t begin;
  size_t length;
};

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Cuts special tokens out of `text`, longest first, leftmost occurrence first. Tokens with the
// lstrip / rstrip attribute also swallow the whitespace before / after them.
std::vector<Fragment> partition_special(const Vocab& vocab, std::string_view text,
                                        bool parse_special) {
  std::vector<Fragment> fragments = {{-1, 0, text.size()}};
  // Vocabularies can have thousands of special tokens; most never occur, and two cheap checks
  // on the whole text rule them out before the per-fragment search.
  std::array<bool, 256> byte_present{};
  for (char c : text) byte_present[static_cast<uint8_t>(c)] = true;
  for (int32_t id : vocab.special_tokens) {
    const TokenData& token = vocab.tokens[id];
    // Without parse_special only user-defined tokens are cut out (as Hugging Face does).
    if (!parse_special && has_attr(token.attr, TokenAttr::control | TokenAttr::unknown)) continue;
    if (token.text.empty() || !byte_present[static_cast<uint8_t>(token.text[0])]) continue;
    if (text.find(token.text) == std::string_view::npos) continue;
    const bool lstrip = has_attr(token.attr, TokenAttr::lstrip);
    const bool rstrip = has_attr(token.attr, TokenAttr::rstrip);

    std::vector<Fragment> next;
    next.reserve(fragments.size());
    for (const Fragment& f : fragments) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t begin = f.begin;
      size_t end = f.begin + f.length;
      while (begin < end) {
        // Searching only this fragment keeps the cost linear in the text per special token.
        const size_t hit = text.substr(begin, end - begin).find(token.text);
        if (hit == std::string_view::npos) {
          next.push_back({-1, begin, end - begin});
          break;
        }
        const size_t match = begin + hit;
        size_t left_end = match;
        if (lstrip)
          while (left_end > begin && is_ascii_space(text[left_end - 1])) --left_end;
        if (left_end > begin) next.push_back({-1, begin, left_end - begin});
        next.push_back({id, 0, 0});
        begin = match + token.text.size();
        if (rstrip)
          while (begin < end && is_ascii_space(text[begin])) ++begin;
      }
    }
    fragments = std::move(next);
  }
  return fragments;
}

// Hugging Face's clean_up_tokenization_spaces as llama.cpp applies it, in its three passes:
// " ?" " !" " ." " ," lose the space; " ' " loses both spaces; " 's" " 'm" " 're" " 've" lose it.
std::string clean_up_spaces(const std::string& text) {
  if (text.empty()) return text;
  // Pass 1.
  std::string p1(1, text[0]);
  for (size_t i = 1; i < text.size(); ++i) {
    const char x = text[i];
    if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) p1.pop_back();
    p1 += x;
  }
  // Pass 2. The space after a lone apostrophe is consumed, so it no longer counts as the
  // character preceding the next one.
  std::string src = p1;
  std::string p2(1, src[0]);
  for (size_t i = 1; i < src.size(); ++i) {
    const char x = src[i];
    if (x == '\'' && i + 1 < src.size() && src[i - 1] == ' ' && src[i + 1] == ' ') {
      p2.pop_back();
      src[++i] = '\0';
    }
    p2 += x;
  }
  // Pass 3.
  std::string p3(1, p2[0]);
  for (size_t i = 1; i < p2.size(); ++i) {
    const char x = p2[i];
    if (p2[i - 1] == ' ' && x == '\'' && i + 1 < p2.size()) {
      const char x1 = p2[i + 1];
      const char x2 = i + 2 < p2.size() ? p2[i + 2] : '\0';
      const bool drop = x1 == 's' || x1 == 'm' ||
                        (i + 2 < p2.size() && ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')));
      if (drop) p3.pop_back();
    }
    p3 += x;
  }
  return p3;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const GgufFile& file) {
  auto vocab = load_vocab(file);
  if (!vocab) return vocab.error();
  if (vocab->type == VocabType::spm) {
    return std::unique_ptr<Tokenizer>(new SpmTokenizer(std::move(*vocab)));
  }
  if (vocab->type == VocabType::wpm) {
    return std::unique_ptr<Tokenizer>(new WpmTokenizer(std::move(*vocab)));
  }
  auto pre_tokenizer = PreTokenizer::create(vocab->pre_type);
  if (!pre_tokenizer) return pre_tokenizer.error();
  return std::unique_ptr<Tokenizer>(
      new BpeTokenizer(std::move(*vocab), std::move(*pre_tokenizer)));
}

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}

Tokenizer::~Tokenizer() = default;

void Tokenizer::build_piece_cache() {
  pieces_.resize(vocab_.tokens.size());
  for (int32_t id = 0; id < vocab_.n_tokens(); ++id) pieces_[id] = render_piece(id);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  return encode_fragments(text, add_special, parse_special, false);
}

std::string Tokenizer::shield_special(std::string_view text) const { return tachyon::shield_special(vocab_, text); }

std::vector<int32_t> Tokenizer::encode_chat(std::string_view prompt, bool add_special) const {
  return encode_fragments(prompt, add_special, true, true);
}

std::vector<int32_t> Tokenizer::encode_fragments(std::string_view text, bool add_special, bool parse_special,
                                                 bool shielded) const {
  std::vector<int32_t> out;
  if (add_special && vocab_.add_bos && vocab_.bos_id >= 0) out.push_back(vocab_.bos_id);
  if (!text.empty()) {
    bool at_boundary = true;
    for (const Fragment& f : partition_special(vocab_, text, parse_special)) {
      if (f.token >= 0) {
        out.push_back(f.token);
        at_boundary = true;
      } else {
        const std::string_view run = text.substr(f.begin, f.length);
        if (shielded && has_shield_marks(run)) {
          const std::string plain = unshield_special(run);
          if (!plain.empty()) encode_text(plain, at_boundary, out);
        } else {
          encode_text(run, at_boundary, out);
        }
        at_boundary = false;
      }
    }
  }
  if (add_special && vocab_.add_eos && vocab_.eos_id >= 0) out.push_back(vocab_.eos_id);
  if (add_special && vocab_.add_sep && vocab_.sep_id >= 0) out.push_back(vocab_.sep_id);
  return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool render_special) const {
  if (id < 0 || id >= n_vocab()) return "";
  if (!render_special && has_attr(vocab_.tokens[id].attr, TokenAttr::unknown | TokenAttr::control))
    return "";
  return pieces_[id];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool remove_special,
                              bool render_special) const {
  bool remove_space = vocab_.add_space_prefix;
  if (remove_special && vocab_.add_bos && !ids.empty() && ids.front() == vocab_.bos_id) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (remove_special && vocab_.add_eos && !ids.empty() && ids.back() == vocab_.eos_id)
    ids = ids.first(ids.size() - 1);
  if (remove_special && vocab_.add_sep && !ids.empty() && ids.back() == vocab_.sep_id)
    ids = ids.first(ids.size() - 1);

  std::string text;
  for (int32_t id : ids) {
    std::string piece = token_to_piece(id, render_special);
    // Only the very first token can carry the space that add_space_prefix put there.
    if (remove_space && !piece.empty() && piece.front() == ' ') piece.erase(0, 1);
    remove_space = false;
    text += piece;
  }
  // WordPiece marks every word start with a space: the one before the first word is dropped.
  if (vocab_.type == VocabType::wpm && !text.empty() && text.front() == ' ') text.erase(0, 1);
  return vocab_.clean_spaces ? clean_up_spaces(text) : text;
}

bool Tokenizer::is_eog(int32_t id) const {
  return std::binary_search(vocab_.eog_ids.begin(), vocab_.eog_ids.end(), id);
}

bool Tokenizer::is_control(int32_t id) const {
  return id >= 0 && id < n_vocab() && has_attr(vocab_.tokens[id].attr, TokenAttr::control);
}

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
  const int32_t id = vocab_.find(std::string(text));
  if (id < 0) return std::nullopt;
  return id;
}

std::string_view Tokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return {};
  return vocab_.tokens[id].text;
}

}  // namespace tachyon
