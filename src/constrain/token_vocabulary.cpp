#include "constrain/token_vocabulary.h"

#include <algorithm>
#include <numeric>

namespace tachyon {

TokenVocabulary::TokenVocabulary(std::vector<std::string> token_bytes, std::vector<int32_t> eog_ids)
    : token_bytes_(std::move(token_bytes)), eog_(token_bytes_.size(), 0) {
  for (int32_t id : eog_ids) {
    if (id >= 0 && static_cast<size_t>(id) < size() && !eog_[id]) {
      eog_[id] = 1;
      eog_ids_.push_back(id);
    }
  }
  std::sort(eog_ids_.begin(), eog_ids_.end());

  std::vector<int32_t> ids;
  for (size_t id = 0; id < size(); ++id) {
    const std::string& bytes = token_bytes_[id];
    if (eog_[id] || bytes.empty() || bytes.size() > kMaxTokenBytes) continue;
    ids.push_back(static_cast<int32_t>(id));
  }
  std::vector<int32_t> mixed;
  plain_tokens_.assign((size() + 63) / 64, 0);
  for (int32_t id : ids) {
    const std::string& bytes = token_bytes_[id];
    max_token_bytes_ = std::max(max_token_bytes_, bytes.size());
    if (std::all_of(bytes.begin(), bytes.end(), [](char c) { return is_plain_byte(static_cast<uint8_t>(c)); })) {
      plain_tokens_[id >> 6] |= uint64_t{1} << (id & 63);
    } else {
      mixed.push_back(id);
    }
  }
  trie_ = build_trie(token_bytes_, std::move(ids));
  mixed_trie_ = build_trie(token_bytes_, std::move(mixed));
}

TokenVocabulary::Trie TokenVocabulary::build_trie(const std::vector<std::string>& token_bytes,
                                                  std::vector<int32_t> ids) {
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    return token_bytes[a] != token_bytes[b] ? token_bytes[a] < token_bytes[b] : a < b;
  });
  // Sorted strings give the trie in preorder: keep the path of the previous string, pop to the
  // common prefix, push the rest. Identical strings share one node and list their ids together.
  Trie trie;
  std::vector<uint32_t> path;
  std::string_view previous;
  for (int32_t id : ids) {
    const std::string& bytes = token_bytes[id];
    size_t common = 0;
    while (common < previous.size() && common < bytes.size() && previous[common] == bytes[common]) {
      ++common;
    }
    while (path.size() > common) {
      trie.nodes[path.back()].subtree_end = static_cast<uint32_t>(trie.nodes.size());
      path.pop_back();
    }
    for (size_t k = common; k < bytes.size(); ++k) {
      TrieNode node;
      node.depth = static_cast<uint16_t>(k + 1);
      node.byte = static_cast<uint8_t>(bytes[k]);
      node.tokens_begin = static_cast<uint32_t>(trie.token_ids.size());
      path.push_back(static_cast<uint32_t>(trie.nodes.size()));
      trie.nodes.push_back(node);
    }
    trie.token_ids.push_back(id);
    previous = bytes;
  }
  while (!path.empty()) {
    trie.nodes[path.back()].subtree_end = static_cast<uint32_t>(trie.nodes.size());
    path.pop_back();
  }
  TrieNode sentinel;
  sentinel.tokens_begin = static_cast<uint32_t>(trie.token_ids.size());
  trie.nodes.push_back(sentinel);
  return trie;
}

}  // namespace tachyon
