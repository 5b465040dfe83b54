// Ranking metrics and the labelled set's format.
#include <gtest/gtest.h>

#include <cmath>

#include "search/search_eval.h"

namespace tachyon::search {
namespace {

TEST(SearchEval, Metrics) {
  const std::vector<std::string> relevant = {"a", "b"};
  EXPECT_DOUBLE_EQ(ndcg_at({"a", "b", "c"}, relevant, 10), 1.0);
  EXPECT_DOUBLE_EQ(ndcg_at({"x", "y"}, relevant, 10), 0.0);
  const double ideal = 1.0 + 1.0 / std::log2(3.0);
  EXPECT_NEAR(ndcg_at({"x", "a"}, relevant, 10), (1.0 / std::log2(3.0)) / ideal, 1e-12);
  EXPECT_DOUBLE_EQ(ndcg_at({"x", "a"}, relevant, 1), 0.0);
  EXPECT_DOUBLE_EQ(reciprocal_rank({"x", "y", "b"}, relevant), 1.0 / 3);
  EXPECT_DOUBLE_EQ(reciprocal_rank({}, relevant), 0.0);
  EXPECT_DOUBLE_EQ(recall_at({"b", "x"}, relevant, 10), 0.5);
  EXPECT_DOUBLE_EQ(recall_at({"x", "b"}, relevant, 1), 0.0);
}

TEST(SearchEval, ParsesTheSetAndNamesBadEntries) {
  auto set = parse_eval_set(R"({"queries":[{"query":"q1","relevant":["u1","u2"]}]})");
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->size(), 1u);
  EXPECT_EQ((*set)[0].relevant_urls.size(), 2u);
  EXPECT_FALSE(parse_eval_set("[]").ok());
  EXPECT_EQ(parse_eval_set(R"({"queries":[{"query":"q"}]})").error().message,
            "queries[0]: needs a \"query\" string and a non-empty \"relevant\" list");
}

TEST(SearchEval, TheDefaultCorpusSetIsWellFormed) {
  auto set = load_eval_set(std::string(TACHYON_TEST_DATA) + "/search/default_corpus_eval.json");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_GE(set->size(), 50u);
}

}  // namespace
}  // namespace tachyon::search
