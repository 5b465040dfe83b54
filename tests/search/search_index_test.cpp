// The FTS5 index: ranking on the fixture corpus, one result per page, filters, replacement and
// removal, read-only use.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "search/page_reader.h"
#include "search/search_index.h"
#include "temp_index.h"

namespace tachyon::search {
namespace {

namespace fs = std::filesystem;

class SearchIndexTest : public TempIndexTest {
 protected:
  void SetUp() override {
    TempIndexTest::SetUp();
    if (HasFatalFailure()) return;
    std::vector<IndexedPage> pages;
    read_pages(std::string(TACHYON_TEST_DATA) + "/search/fixture", [&](Page&& p) { pages.push_back(prepare_page(std::move(p))); },
               [](IngestError&& e) { FAIL() << e.source << ": " << e.message; });
    ASSERT_TRUE(index_->add(pages).ok());
  }

  std::vector<std::string> urls(const std::string& query, SearchFilters filters = {}, int max_results = 10) {
    auto hits = index_->search(SearchQuery{query, std::move(filters), max_results});
    EXPECT_TRUE(hits.ok());
    std::vector<std::string> out;
    if (hits.ok())
      for (const SearchHit& h : *hits) out.push_back(h.url);
    return out;
  }
};

constexpr const char* kHacker = "http://www.catb.org/jargon/html/H/hacker.html";

TEST_F(SearchIndexTest, RanksTheEntryForTheQuestionFirst) {
  auto hits = index_->search(SearchQuery{"What is a hacker?", {}, 10});
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ((*hits)[0].url, kHacker);
  EXPECT_EQ((*hits)[0].title, "hacker");
  EXPECT_EQ((*hits)[0].date, "2003-12-29");
  EXPECT_NE((*hits)[0].snippet.find("programmable systems"), std::string::npos);
  for (size_t i = 1; i < hits->size(); ++i) EXPECT_GE((*hits)[i - 1].score, (*hits)[i].score);
  EXPECT_EQ(urls("cynic")[0], "https://www.gutenberg.org/ebooks/972#cynic");
  EXPECT_EQ(urls("kluge").size(), 2u);
  EXPECT_EQ(urls("Mr. Bennet Netherfield")[0], "https://www.gutenberg.org/ebooks/1342#chapter-1");
}

TEST_F(SearchIndexTest, EachPageOnceWithItsBestPassage) {
  const auto found = urls("cracker hacker security", {}, 20);
  EXPECT_EQ(std::set<std::string>(found.begin(), found.end()).size(), found.size());
  EXPECT_EQ(urls("hacker", {}, 2).size(), 2u);
}

TEST_F(SearchIndexTest, NothingMatchesOrNoWords) {
  EXPECT_TRUE(urls("zyzzyva quux-not-here").empty());
  EXPECT_TRUE(urls("?!  ...").empty());
  EXPECT_FALSE(urls("the").empty());  // only stop words: they are searched after all
  EXPECT_FALSE(urls("\"hacker\" OR NEAR(x) AND *").empty());  // FTS5 syntax is just words
}

TEST_F(SearchIndexTest, DomainFilters) {
  SearchFilters only_example;
  only_example.allow_domains = {"example.org"};
  EXPECT_EQ(urls("hacker", only_example), std::vector<std::string>{"https://example.org/notes/hacker-culture"});
  SearchFilters no_catb;
  no_catb.deny_domains = {"catb.org"};
  for (const std::string& url : urls("hacker", no_catb)) EXPECT_EQ(url.find("catb.org"), std::string::npos);
  EXPECT_FALSE(urls("hacker", no_catb).empty());
  SearchFilters two;
  two.allow_domains = {"exemple.fr", "example.org"};
  EXPECT_EQ(urls("hacker", two).size(), 2u);
}

TEST_F(SearchIndexTest, DateAndLanguageFilters) {
  SearchFilters recent;
  recent.published_after = "2020-01-01";
  const auto recent_urls = urls("hacker", recent);
  EXPECT_EQ(std::set<std::string>(recent_urls.begin(), recent_urls.end()),
            (std::set<std::string>{"https://example.org/notes/hacker-culture", "https://exemple.fr/pirate"}));
  SearchFilters old;
  old.published_before = "1912-01-01";
  for (const std::string& url : urls("love cynic lawyer", old)) EXPECT_NE(url.find("gutenberg.org"), std::string::npos);
  SearchFilters updated;
  updated.updated_after = "2025-01-15";
  updated.updated_before = "2025-01-15";  // bounds are inclusive
  EXPECT_EQ(urls("hacker", updated), std::vector<std::string>{"https://example.org/notes/hacker-culture"});
  SearchFilters french;
  french.languages = {"fr"};
  EXPECT_EQ(urls("hacker", french), std::vector<std::string>{"https://exemple.fr/pirate"});
}

TEST_F(SearchIndexTest, ReAddingAUrlReplacesItAndRemoveDeletes) {
  Page page;
  page.url = kHacker;
  page.title = "hacker (rewritten)";
  page.text = "Now about zebras only.";
  ASSERT_TRUE(index_->add(std::vector<IndexedPage>{prepare_page(page)}).ok());
  EXPECT_EQ(urls("zebras"), std::vector<std::string>{kHacker});
  EXPECT_EQ(urls("programmable systems enjoys exploring").front() == kHacker, false);
  auto stats = index_->stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->n_pages, 14);
  ASSERT_TRUE(*index_->remove(kHacker));
  EXPECT_FALSE(*index_->remove(kHacker));
  EXPECT_TRUE(urls("zebras").empty());
  EXPECT_EQ(index_->stats()->n_pages, 13);
}

TEST_F(SearchIndexTest, ReadOnlyFromManyThreads) {
  index_.reset();
  auto reader = SearchIndex::open(index_file(dir_), SearchIndex::Mode::ReadOnly);
  ASSERT_TRUE(reader.ok());
  std::vector<std::thread> threads;
  std::atomic<int> first_is_hacker{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto hits = (*reader)->search(SearchQuery{"What is a hacker?", {}, 5});
        if (hits.ok() && !hits->empty() && (*hits)[0].url == kHacker) ++first_is_hacker;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(first_is_hacker.load(), 100);
  EXPECT_FALSE((*reader)->add({}).ok());
  auto missing = SearchIndex::open(dir_ / "elsewhere.db", SearchIndex::Mode::ReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

TEST(MatchExpression, QuotedContentWordsJoinedByOr) {
  EXPECT_EQ(match_expression("What is a hacker?"), "\"hacker\"");
  EXPECT_EQ(match_expression("Hacker ethic, hacker!"), "\"hacker\" OR \"ethic\"");
  EXPECT_EQ(match_expression("what is it"), "\"what\" OR \"is\" OR \"it\"");
  EXPECT_EQ(match_expression(" ?? "), "");
}

TEST(TitleMatch, ExactTitlesCountMost) {
  EXPECT_DOUBLE_EQ(title_match_factor({"hacker"}, "hacker"), 1.5);
  EXPECT_DOUBLE_EQ(title_match_factor({"hackers"}, "Hacker"), 1.5);
  EXPECT_NEAR(title_match_factor({"hacker"}, "dark-side hacker"), 1 + 0.5 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(title_match_factor({"hacker"}, "wizard"), 1.0);
}

}  // namespace
}  // namespace tachyon::search
