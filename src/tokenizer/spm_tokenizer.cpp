#include "tokenizer/spm_tokenizer.h"

#include <algorithm>
#include <cstdlib>
#include <queue>

#include <fmt/format.h>

#include "tokenizer/utf8.h"

namespace tachyon {

namespace {

constexpr std::string_view kSpaceMarker = "\xe2\x96\x81";  // U+2581, SentencePiece's space

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos)).append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

// A run of the input that is currently one token candidate; symbols form a linked list so that
// merging is O(1).
struct Symbol {
  int prev;
  int next;
  size_t begin;
  size_t length;
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t length;  // bytes of left + right when queued; a different length means it is stale
};

// Highest score first, then the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

SpmTokenizer::SpmTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {
  for (int b = 0; b < 256; ++b) {
    int32_t id = vocab_.find(fmt::format("<0x{:02X}>", b));
    if (id < 0) id = vocab_.find(std::string(1, static_cast<char>(b)));
    if (id < 0) id = vocab_.unk_id;
    byte_tokens_[b] = id;
  }
  build_piece_cache();
}

void SpmTokenizer::encode_text(std::string_view raw, bool at_boundary,
                               std::vector<int32_t>& out) const {
  std::string prefixed;
  if (vocab_.add_space_prefix && at_boundary) prefixed = " ";
  prefixed.append(raw);
  const std::string text = replace_all(prefixed, " ", kSpaceMarker);

  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < text.size();) {
    const size_t len =
        std::min(utf8_sequence_length(static_cast<uint8_t>(text[pos])), text.size() - pos);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, pos + len == text.size() ? -1 : index + 1, pos, len});
    pos += len;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add_bigram = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t length = symbols[left].length + symbols[right].length;
    const int32_t id = vocab_.find(text.substr(symbols[left].begin, length));
    if (id < 0) return;
    queue.push({left, right, vocab_.tokens[id].score, length});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add_bigram(i - 1, i);

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length)
      continue;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add_bigram(left.prev, bigram.left);
    try_add_bigram(bigram.left, left.next);
  }

  if (symbols.empty()) return;
  for (int i = 0; i != -1; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    const int32_t id = vocab_.find(text.substr(s.begin, s.length));
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // Only single characters can be missing (merges always form tokens): spell them in bytes.
    for (size_t b = 0; b < s.length; ++b) {
      const int32_t byte_id = byte_tokens_[static_cast<uint8_t>(text[s.begin + b])];
      if (byte_id >= 0) out.push_back(byte_id);
    }
  }
}

std::string SpmTokenizer::render_piece(int32_t id) const {
  const TokenData& token = vocab_.tokens[id];
  if (has_attr(token.attr, TokenAttr::unknown | TokenAttr::control | TokenAttr::user_defined))
    return token.text;
  if (has_attr(token.attr, TokenAttr::normal)) return replace_all(token.text, kSpaceMarker, " ");
  if (has_attr(token.attr, TokenAttr::byte)) {
    // "<0xNN>": the hex digits after "<0x".
    const std::string hex = token.text.size() > 3 ? token.text.substr(3) : "";
    return std::string(1, static_cast<char>(std::strtol(hex.c_str(), nullptr, 16)));
  }
  return "";
}

}  // namespace tachyon
