#include "http/router.h"

#include <gtest/gtest.h>

namespace tachyon {
namespace {

// Handlers are never run here; the tests only check which one a lookup picks.
Handler tagged_handler() {
  return [](const HttpRequest&, ResponseWriter&) -> asio::awaitable<void> { co_return; };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.get("/v1/models", tagged_handler());
    router.get("/v1/models/{id}", tagged_handler());
    router.get("/v1/models/special", tagged_handler());
    router.add("DELETE", "/v1/models/{id}", tagged_handler());
    router.post("/v1/chat/completions", tagged_handler());
  }
  Router router;
};

TEST_F(RouterTest, ExactPathMatches) {
  Router::Match match = router.find("POST", "/v1/chat/completions");
  EXPECT_EQ(match.outcome, Router::Match::Outcome::found);
  EXPECT_TRUE(match.params.empty());
}

TEST_F(RouterTest, ParameterCapturesOneDecodedSegment) {
  Router::Match match = router.find("GET", "/v1/models/org%2Fllama-3");
  ASSERT_EQ(match.outcome, Router::Match::Outcome::found);
  EXPECT_EQ(match.params["id"], "org/llama-3");
  EXPECT_EQ(router.find("GET", "/v1/models/a/b").outcome, Router::Match::Outcome::not_found);
  EXPECT_EQ(router.find("GET", "/v1/models/").outcome, Router::Match::Outcome::not_found);
}

TEST_F(RouterTest, LiteralSegmentBeatsParameter) {
  Router::Match match = router.find("GET", "/v1/models/special");
  ASSERT_EQ(match.outcome, Router::Match::Outcome::found);
  EXPECT_TRUE(match.params.empty());
  EXPECT_EQ(*match.pattern, "/v1/models/special");
}

// Metrics label requests by pattern: the path is the client's to choose, the pattern is not.
TEST_F(RouterTest, MatchNamesThePatternNotThePath) {
  Router::Match match = router.find("DELETE", "/v1/models/anything-at-all");
  ASSERT_EQ(match.outcome, Router::Match::Outcome::found);
  EXPECT_EQ(*match.pattern, "/v1/models/{id}");
  EXPECT_EQ(router.find("GET", "/nope").pattern, nullptr);
}

TEST_F(RouterTest, WrongMethodIs405WithAllowedMethods) {
  Router::Match match = router.find("PUT", "/v1/models/x");
  EXPECT_EQ(match.outcome, Router::Match::Outcome::method_not_allowed);
  EXPECT_EQ(match.allowed_methods, (std::vector<std::string>{"GET", "DELETE"}));
  EXPECT_EQ(router.find("GET", "/v1/chat/completions").outcome,
            Router::Match::Outcome::method_not_allowed);
}

TEST_F(RouterTest, UnknownPathIs404) {
  EXPECT_EQ(router.find("GET", "/nope").outcome, Router::Match::Outcome::not_found);
  EXPECT_EQ(router.find("GET", "/v1/models/x/").outcome, Router::Match::Outcome::not_found);
  EXPECT_EQ(router.find("GET", "/").outcome, Router::Match::Outcome::not_found);
}

}  // namespace
}  // namespace tachyon
