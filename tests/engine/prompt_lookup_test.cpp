#include "engine/prompt_lookup.h"

#include <vector>

#include <gtest/gtest.h>

namespace tachyon {
namespace {

using Tokens = std::vector<int32_t>;

TEST(PromptLookup, ProposesWhatFollowedTheLatestEarlierOccurrence) {
  // Suffix {7, 8} occurs at 1 and at 5; the latest (5) is followed by 4 3 7 8.
  const Tokens t = {6, 7, 8, 9, 9, 7, 8, 4, 3, 7, 8};
  EXPECT_EQ(prompt_lookup(t, 2, 4, 2), (Tokens{4, 3}));
  EXPECT_EQ(prompt_lookup(t, 4, 4, 2), (Tokens{4, 3, 7, 8}));
  // Too few tokens follow it for a draft of 6: the occurrence at 1 has enough.
  EXPECT_EQ(prompt_lookup(t, 6, 4, 2), (Tokens{9, 9, 7, 8, 4, 3}));
  // None has enough: the longest continuation there is.
  EXPECT_EQ(prompt_lookup(t, 9, 4, 2), (Tokens{9, 9, 7, 8, 4, 3, 7, 8}));
  EXPECT_TRUE(prompt_lookup(t, 0, 4, 2).empty());
}

TEST(PromptLookup, PrefersTheLongestRecurringSuffix) {
  // {2, 5} recurs at 0 (followed by 9) and its tail {5} more recently at 4 (followed by 1).
  const Tokens t = {2, 5, 9, 0, 5, 1, 2, 5};
  EXPECT_EQ(prompt_lookup(t, 1, 3, 1), (Tokens{9}));
  EXPECT_EQ(prompt_lookup(t, 1, 1, 1), (Tokens{1}));
}

TEST(PromptLookup, NothingWhenNoSuffixRecurs) {
  EXPECT_TRUE(prompt_lookup(Tokens{1, 2, 3, 4, 5}, 4, 4, 2).empty());
  EXPECT_TRUE(prompt_lookup(Tokens{1, 2, 1}, 4, 4, 2).empty());  // a 1-token match is below min_ngram
  EXPECT_EQ(prompt_lookup(Tokens{1, 2, 1}, 4, 4, 1), (Tokens{2, 1}));
  EXPECT_TRUE(prompt_lookup(Tokens{}, 4, 4, 1).empty());
  EXPECT_TRUE(prompt_lookup(Tokens{3}, 4, 4, 1).empty());
  // A run of one token: occurrences overlap the suffix, which is fine.
  EXPECT_EQ(prompt_lookup(Tokens{5, 5, 5, 5}, 1, 2, 2), (Tokens{5}));
  EXPECT_EQ(prompt_lookup(Tokens{5, 5, 5, 5}, 3, 2, 2), (Tokens{5, 5}));
}

TEST(PromptLookupDrafter, DraftLengthFollowsAcceptance) {
  PromptLookupDrafter drafter(PromptLookupConfig{4, 3, 1});
  const Tokens loop = {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1};
  EXPECT_EQ(drafter.propose(loop, 10).size(), 4u);
  EXPECT_EQ(drafter.propose(loop, 2).size(), 2u);  // room caps it
  drafter.record(4, 1);                            // partial: next drafts are 2 long
  EXPECT_EQ(drafter.propose(loop, 10).size(), 2u);
  drafter.record(2, 2);  // whole: doubles, up to max_draft
  EXPECT_EQ(drafter.propose(loop, 10).size(), 4u);
  // Rejected outright: drafting pauses 1, then 2, then 4 steps, and the length halves.
  drafter.record(4, 0);
  EXPECT_TRUE(drafter.propose(loop, 10).empty());
  EXPECT_EQ(drafter.propose(loop, 10).size(), 2u);
  drafter.record(2, 0);
  EXPECT_TRUE(drafter.propose(loop, 10).empty());
  EXPECT_TRUE(drafter.propose(loop, 10).empty());
  EXPECT_EQ(drafter.propose(loop, 10).size(), 1u);
  drafter.record(1, 1);  // an acceptance ends the pauses
  EXPECT_EQ(drafter.propose(loop, 10).size(), 2u);
  EXPECT_EQ(drafter.n_proposed(), 13);
  EXPECT_EQ(drafter.n_accepted(), 4);
}

}  // namespace
}  // namespace tachyon
