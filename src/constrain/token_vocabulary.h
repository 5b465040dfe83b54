#pragma once
// TokenVocabulary: a model's tokens as byte strings, and a trie over them that the mask step
// walks once per automaton state. Built once per model; immutable and safe to share between
// threads afterwards.
#include <cstdint>
#include <string>
#include <vector>

namespace tachyon {

class TokenVocabulary {
 public:
  // One trie node in preorder. A node's tokens are token_ids[tokens_begin, next.tokens_begin);
  // its subtree is [this node, subtree_end). The root is implicit (depth 0).
  struct TrieNode {
    uint32_t subtree_end = 0;
    uint32_t tokens_begin = 0;
    uint16_t depth = 0;  // bytes from the root, 1 for the first byte
    uint8_t byte = 0;
  };

  // token_bytes[id]: the bytes of token id as the tokenizer's token_to_piece gives them (they
  // may end inside a UTF-8 sequence). eog_ids: tokens that end generation; they are allowed
  // exactly when the output is complete, whatever their bytes. Other tokens with no bytes
  // (control tokens), or more than 65535, are never allowed.
  TokenVocabulary(std::vector<std::string> token_bytes, std::vector<int32_t> eog_ids);

  static constexpr size_t kMaxTokenBytes = UINT16_MAX;

  size_t size() const { return token_bytes_.size(); }
  const std::string& token_bytes(int32_t id) const { return token_bytes_[id]; }
  bool is_eog(int32_t id) const { return id >= 0 && static_cast<size_t>(id) < size() && eog_[id]; }
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }

  // A trie over some tokens, with one sentinel node at the end (its tokens_begin closes the
  // last node's list).
  struct Trie {
    std::vector<TrieNode> nodes;
    std::vector<int32_t> token_ids;
    size_t n_nodes() const { return nodes.size() - 1; }
  };

  // Every token with bytes, except end-of-generation ones.
  const Trie& trie() const { return trie_; }
  const std::vector<TrieNode>& trie_nodes() const { return trie_.nodes; }
  const std::vector<int32_t>& trie_token_ids() const { return trie_.token_ids; }
  size_t n_trie_nodes() const { return trie_.n_nodes(); }
  size_t max_token_bytes() const { return max_token_bytes_; }

  // The bytes that may stand for themselves inside a JSON string or free text: printable ASCII
  // without '"' and ''. Inside a string, every one of them loops back to the same state, so
  // the tokens made only of them (plain_tokens(), a bitmask) are allowed together and only the
  // others (mixed_trie()) need walking.
  static bool is_plain_byte(uint8_t byte) { return byte >= 0x20 && byte < 0x7F && byte != '"' && byte != '\\'; }
  const std::vector<uint64_t>& plain_tokens() const { return plain_tokens_; }
  const Trie& mixed_trie() const { return mixed_trie_; }

 private:
  static Trie build_trie(const std::vector<std::string>& token_bytes, std::vector<int32_t> ids);

  std::vector<std::string> token_bytes_;
  std::vector<int32_t> eog_ids_;
  std::vector<char> eog_;
  Trie trie_;
  Trie mixed_trie_;
  std::vector<uint64_t> plain_tokens_;
  size_t max_token_bytes_ = 0;
};

}  // namespace tachyon
