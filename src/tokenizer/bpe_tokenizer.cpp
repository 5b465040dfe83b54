#include "tokenizer/bpe_tokenizer.h"

#include <algorithm>
#include <queue>

#include <fmt/format.h>

#include "tokenizer/utf8.h"

namespace tachyon {

namespace {

struct BpeSymbol {
  int prev;
  int next;
  size_t begin;
  size_t length;
};

struct BpeBigram {
  int left;
  int right;
  int32_t rank;
  // Bytes of left + right when queued. Symbols only grow, so a pair whose two sides are still
  // alive with this combined length is unchanged; any other length means it is stale.
  size_t length;
};

// Lowest rank first, then the leftmost pair.
struct BpeBigramOrder {
  bool operator()(const BpeBigram& a, const BpeBigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

std::string to_byte_alphabet(std::string_view word) {
  std::string out;
  out.reserve(word.size() * 2);
  for (char c : word) out += byte_to_bpe_char(static_cast<uint8_t>(c));
  return out;
}

// Byte-level token text back to bytes. A codepoint outside the alphabet cannot come from a
// well-formed vocabulary; it is made visible the way llama.cpp does rather than dropped.
std::string from_byte_alphabet(const std::string& text) {
  std::string out;
  for (uint32_t cp : utf8_to_codepoints(text)) {
    if (auto byte = bpe_codepoint_to_byte(cp)) {
      out += static_cast<char>(*byte);
      continue;
    }
    std::string utf8;
    append_utf8(utf8, cp);
    out += "[UNK_BYTE_0x";
    for (char c : utf8) out += fmt::format("{:02x}", static_cast<uint8_t>(c));
    out += text + "]";
  }
  return out;
}

}  // namespace

BpeTokenizer::BpeTokenizer(Vocab vocab, std::unique_ptr<PreTokenizer> pre_tokenizer)
    : Tokenizer(std::move(vocab)), pre_tokenizer_(std::move(pre_tokenizer)) {
  build_piece_cache();
}

void BpeTokenizer::encode_text(std::string_view text, bool /*at_boundary*/,
                               std::vector<int32_t>& out) const {
  for (const std::string& word : pre_tokenizer_->split(text)) encode_word(to_byte_alphabet(word), out);
}

void BpeTokenizer::encode_word(const std::string& word, std::vector<int32_t>& out) const {
  if (vocab_.ignore_merges) {
    if (const int32_t id = vocab_.find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }

  std::vector<BpeSymbol> symbols;
  for (size_t pos = 0; pos < word.size();) {
    const size_t len =
        std::min(utf8_sequence_length(static_cast<uint8_t>(word[pos])), word.size() - pos);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, pos + len == word.size() ? -1 : index + 1, pos, len});
    pos += len;
  }

  std::priority_queue<BpeBigram, std::vector<BpeBigram>, BpeBigramOrder> queue;
  const std::string_view word_view = word;
  auto symbol_text = [&](int i) { return word_view.substr(symbols[i].begin, symbols[i].length); };
  auto try_add_bigram = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const int32_t rank = vocab_.merge_rank(symbol_text(left), symbol_text(right));
    if (rank < 0) return;
    queue.push({left, right, rank, symbols[left].length + symbols[right].length});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add_bigram(i - 1, i);

  while (!queue.empty()) {
    const BpeBigram bigram = queue.top();
    queue.pop();
    BpeSymbol& left = symbols[bigram.left];
    BpeSymbol& right = symbols[bigram.right];
    if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length)
      continue;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add_bigram(left.prev, bigram.left);
    try_add_bigram(bigram.left, left.next);
  }

  for (const BpeSymbol& s : symbols) {
    if (s.length == 0) continue;
    const std::string text = word.substr(s.begin, s.length);
    if (const int32_t id = vocab_.find(text); id >= 0) {
      out.push_back(id);
      continue;
    }
    // A symbol no merge produced and the vocabulary lacks: keep whichever of its single bytes
    // are tokens, as llama.cpp does.
    for (char c : text) {
      if (const int32_t id = vocab_.find(std::string(1, c)); id >= 0) out.push_back(id);
    }
  }
}

std::string BpeTokenizer::render_piece(int32_t id) const {
  const TokenData& token = vocab_.tokens[id];
  if (has_attr(token.attr, TokenAttr::unknown | TokenAttr::control | TokenAttr::user_defined))
    return token.text;
  if (has_attr(token.attr, TokenAttr::normal)) return from_byte_alphabet(token.text);
  return "";
}

}  // namespace tachyon
