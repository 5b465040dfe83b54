// GrammarMatcher and MaskCache: masks over hand-made vocabularies (tokens spanning several
// grammar elements, split UTF-8 characters), end of generation, masks against a brute-force
// check of every token, and masks that do not depend on the cache.
#include "constrain/grammar_matcher.h"

#include <cmath>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "constrain/constrain_test_util.h"
#include "constrain/json_schema.h"
#include "constrain/regex_compiler.h"
#include "constrain/synthetic_vocabulary.h"

namespace tachyon {
namespace {

std::shared_ptr<const Grammar> schema(const char* text) {
  auto grammar = compile_json_schema_text(text, SchemaOptions{});
  EXPECT_TRUE(grammar.ok()) << (grammar.ok() ? "" : grammar.error().message);
  return *grammar;
}

// Token ids whose logits stay finite after masking.
std::set<int32_t> allowed_ids(GrammarMatcher& matcher) {
  std::vector<float> logits(matcher.cache()->vocabulary().size(), 0.0f);
  matcher.mask_logits(logits);
  std::set<int32_t> ids;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isfinite(logits[i])) ids.insert(static_cast<int32_t>(i));
  }
  return ids;
}

// The mask as a brute force would compute it: try every token from the current state.
std::set<int32_t> brute_force_ids(const GrammarMatcher& matcher) {
  const TokenVocabulary& vocab = matcher.cache()->vocabulary();
  std::set<int32_t> ids;
  for (size_t id = 0; id < vocab.size(); ++id) {
    GrammarMatcher copy = matcher;
    if (copy.accept_token(static_cast<int32_t>(id))) ids.insert(static_cast<int32_t>(id));
  }
  return ids;
}

// A small vocabulary with tokens that span several elements and cut UTF-8 characters.
std::shared_ptr<const TokenVocabulary> hand_vocabulary() {
  std::vector<std::string> pieces = {
      "{",          // 0
      "}",          // 1
      "{\"",        // 2
      "\"name\":",  // 3
      "\":\"",      // 4
      "na",         // 5
      "me",         // 6
      "\"",         // 7
      "\xe4\xb8",   // 8  first two bytes of 中
      "\xad",       // 9  its last byte
      "\xe4\xb8\xad",  // 10 中 whole
      "\"}",        // 11
      "\",",        // 12
      "x",          // 13
      "",           // 14 a control token without bytes
      "<eos>",      // 15 end of generation (its bytes do not matter)
      " ",          // 16
      "\xad\"}",    // 17 end of 中, closing quote and brace
      "\xff",       // 18 never valid
      "}{",         // 19 runs past the end of the object
  };
  return std::make_shared<const TokenVocabulary>(std::move(pieces), std::vector<int32_t>{15});
}

TEST(GrammarMatcher, HandVocabularyMasks) {
  auto grammar = schema(R"({"type":"object","properties":{"name":{"type":"string"}},"required":["name"],
                           "additionalProperties":false})");
  GrammarMatcher matcher(grammar, hand_vocabulary());
  EXPECT_EQ(allowed_ids(matcher), (std::set<int32_t>{0, 2}));
  EXPECT_FALSE(matcher.accept_token(1));
  EXPECT_FALSE(matcher.accept_token(15));  // not complete yet
  ASSERT_TRUE(matcher.accept_token(2));    // {"
  EXPECT_EQ(allowed_ids(matcher), (std::set<int32_t>{5}));  // "na" only: "name": starts with a quote
  ASSERT_TRUE(matcher.accept_token(5));
  ASSERT_TRUE(matcher.accept_token(6));
  EXPECT_EQ(allowed_ids(matcher), (std::set<int32_t>{4, 7}));  // ":" (spans three elements) or "
  ASSERT_TRUE(matcher.accept_token(4));
  // Inside the string: any text ('{' and '}' too), split and whole multi-byte characters, the
  // closing quote alone or with the brace; not '",' (no other property may follow).
  EXPECT_EQ(allowed_ids(matcher), (std::set<int32_t>{0, 1, 2, 5, 6, 7, 8, 10, 11, 13, 16, 19}));
  ASSERT_TRUE(matcher.accept_token(8));  // half a character
  EXPECT_EQ(allowed_ids(matcher), (std::set<int32_t>{9, 17}));
  ASSERT_TRUE(matcher.accept_token(17));  // the rest of it, and the end of the object
  EXPECT_TRUE(matcher.is_complete());
  EXPECT_TRUE(matcher.must_stop());
  EXPECT_EQ(allowed_ids(matcher), (std::set<int32_t>{15}));
  EXPECT_FALSE(matcher.accept_token(16));
  EXPECT_TRUE(matcher.accept_token(15));
  EXPECT_TRUE(matcher.must_stop());
}

TEST(GrammarMatcher, RejectedTokenChangesNothing) {
  GrammarMatcher matcher(*compile_regex("ab|ac"), hand_vocabulary());
  EXPECT_FALSE(matcher.accept_bytes("ax"));
  EXPECT_TRUE(matcher.accept_bytes("a"));
  EXPECT_FALSE(matcher.accept_token(18));
  EXPECT_FALSE(matcher.accept_token(14));  // no bytes: never allowed
  EXPECT_FALSE(matcher.accept_token(-1));
  EXPECT_FALSE(matcher.accept_token(1000));
  EXPECT_TRUE(matcher.accept_bytes("c"));
  EXPECT_TRUE(matcher.must_stop());
}

TEST(GrammarMatcher, EndOfGenerationOnlyWhenComplete) {
  // Complete after "a", but more may follow: EOG and 'a' are both allowed.
  auto vocab = std::make_shared<const TokenVocabulary>(std::vector<std::string>{"a", "b", "</s>"},
                                                       std::vector<int32_t>{2});
  GrammarMatcher matcher(*compile_regex("a+"), vocab);
  EXPECT_EQ(allowed_ids(matcher), (std::set<int32_t>{0}));
  ASSERT_TRUE(matcher.accept_token(0));
  EXPECT_TRUE(matcher.is_complete());
  EXPECT_FALSE(matcher.must_stop());
  EXPECT_EQ(allowed_ids(matcher), (std::set<int32_t>{0, 2}));

  // A vocabulary without EOG: after must_stop nothing is allowed; the caller stops.
  auto no_eog = std::make_shared<const TokenVocabulary>(std::vector<std::string>{"a", "b"}, std::vector<int32_t>{});
  GrammarMatcher stopped(*compile_regex("ab"), no_eog);
  ASSERT_TRUE(stopped.accept_token(0));
  ASSERT_TRUE(stopped.accept_token(1));
  EXPECT_TRUE(stopped.must_stop());
  EXPECT_TRUE(allowed_ids(stopped).empty());
}

TEST(GrammarMatcher, LongerLogitsAreMaskedPastTheVocabulary) {
  GrammarMatcher matcher(*compile_regex("name"), hand_vocabulary());
  std::vector<float> logits(100, 1.0f);
  matcher.mask_logits(logits);
  for (size_t i = 20; i < logits.size(); ++i) EXPECT_TRUE(std::isinf(logits[i]));
  EXPECT_FALSE(std::isinf(logits[5]));  // "na"
  EXPECT_TRUE(std::isinf(logits[6]));   // "me"
}

// Walks the vocabulary randomly and compares the trie-walk mask with trying every token, for
// many states of several grammars; the same with the cache shared, private and disabled.
TEST(GrammarMatcher, MaskEqualsBruteForceAndIgnoresTheCache) {
  auto synthetic = constrain_test::make_synthetic_vocabulary(1500, 5);
  auto vocab = std::make_shared<const TokenVocabulary>(std::move(synthetic.pieces), std::move(synthetic.eog_ids));
  const std::vector<std::shared_ptr<const Grammar>> grammars = {
      schema(R"({"type":"object","properties":{"a":{"type":"string","maxLength":5},"b":{"type":"array",
               "items":{"type":"integer","minimum":-20,"maximum":300}},"c":{"enum":["x y","z"]}},"required":["b"]})"),
      json_object_grammar(),
      *compile_regex(R"(\d{4}-\d{2}-\d{2}|[a-z]+( [a-z]+)*\.)"),
  };
  for (const auto& grammar : grammars) {
    auto shared = std::make_shared<MaskCache>(grammar, vocab);
    for (int seed = 0; seed < 6; ++seed) {
      GrammarMatcher walker(shared);
      GrammarMatcher uncached(std::make_shared<MaskCache>(grammar, vocab, /*cache_masks=*/false));
      std::mt19937_64 rng(seed);
      for (int step = 0; step < 40 && !walker.must_stop(); ++step) {
        const auto ids = allowed_ids(walker);
        ASSERT_EQ(ids, brute_force_ids(walker)) << "seed " << seed << " step " << step;
        ASSERT_EQ(ids, allowed_ids(uncached));
        std::vector<int32_t> choices;
        for (int32_t id : ids) {
          if (!vocab->is_eog(id)) choices.push_back(id);
        }
        if (choices.empty()) break;
        const int32_t id = choices[rng() % choices.size()];
        ASSERT_TRUE(walker.accept_token(id));
        ASSERT_TRUE(uncached.accept_token(id));
      }
    }
  }
}

TEST(GrammarMatcher, CopiesForkAndResetRestarts) {
  GrammarMatcher a(*compile_regex("(ab|cd)e"), constrain_test::byte_vocabulary());
  ASSERT_TRUE(a.accept_bytes("a"));
  GrammarMatcher b = a;
  EXPECT_TRUE(b.accept_bytes("be"));
  EXPECT_TRUE(b.must_stop());
  EXPECT_FALSE(a.must_stop());
  EXPECT_FALSE(a.accept_bytes("d"));
  a.reset();
  EXPECT_TRUE(a.accept_bytes("cde"));
  EXPECT_TRUE(a.is_complete());
  EXPECT_TRUE(a.is_allowed(constrain_test::kByteEog));
}

// Requests on several threads share one cache; each walk's masks and output are the same as on
// a cache of its own.
TEST(GrammarMatcher, SharedCacheAcrossThreadsIsDeterministic) {
  auto synthetic = constrain_test::make_synthetic_vocabulary(3000, 9);
  auto vocab = std::make_shared<const TokenVocabulary>(std::move(synthetic.pieces), std::move(synthetic.eog_ids));
  auto grammar = schema(R"({"type":"object","properties":{"items":{"type":"array","items":{"type":"object",
      "properties":{"n":{"type":"integer"},"s":{"type":"string","maxLength":6}},"required":["n","s"],
      "additionalProperties":false},"maxItems":3}},"required":["items"],"additionalProperties":false})");
  auto shared = std::make_shared<MaskCache>(grammar, vocab);
  constexpr int kThreads = 4, kWalks = 10;
  std::vector<std::string> threaded(kThreads * kWalks);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int w = 0; w < kWalks; ++w) {
        GrammarMatcher matcher(shared);
        threaded[t * kWalks + w] = constrain_test::random_walk(matcher, t * kWalks + w, 1000, 10).text;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int seed = 0; seed < kThreads * kWalks; ++seed) {
    GrammarMatcher alone(grammar, vocab);
    EXPECT_EQ(constrain_test::random_walk(alone, seed, 1000, 10).text, threaded[seed]) << seed;
  }
}

TEST(TokenVocabulary, TrieHoldsEveryTokenWithBytes) {
  auto vocab = hand_vocabulary();
  std::multiset<int32_t> in_trie(vocab->trie_token_ids().begin(), vocab->trie_token_ids().end());
  EXPECT_EQ(in_trie.count(14), 0u);  // no bytes
  EXPECT_EQ(in_trie.count(15), 0u);  // end of generation
  EXPECT_EQ(in_trie.size(), vocab->size() - 2);
  // Reconstruct each token's bytes from the preorder trie.
  std::string path;
  const auto& trie = vocab->trie_nodes();
  for (size_t i = 0; i < vocab->n_trie_nodes(); ++i) {
    path.resize(trie[i].depth - 1);
    path += static_cast<char>(trie[i].byte);
    for (uint32_t k = trie[i].tokens_begin; k < trie[i + 1].tokens_begin; ++k) {
      EXPECT_EQ(vocab->token_bytes(vocab->trie_token_ids()[k]), path);
    }
    EXPECT_GT(trie[i].subtree_end, i);
  }
  // Plain-only tokens and the mixed trie split the vocabulary.
  const auto& plain = vocab->plain_tokens();
  std::set<int32_t> mixed(vocab->mixed_trie().token_ids.begin(), vocab->mixed_trie().token_ids.end());
  for (int32_t id : in_trie) {
    const bool is_plain = (plain[id >> 6] >> (id & 63)) & 1;
    EXPECT_NE(is_plain, mixed.count(id) == 1) << id;
  }
  EXPECT_TRUE((plain[0] >> 5) & 1);   // "na"
  EXPECT_FALSE((plain[0] >> 3) & 1);  // "\"name\":"
}

}  // namespace
}  // namespace tachyon
