#include "api/access_control.h"

#include <gtest/gtest.h>

#include "api/api_error.h"

namespace tachyon {
namespace {

TEST(AccessControl, RateLimitHeadersInBothForms) {
  platform::RateSnapshot snapshot;
  snapshot.requests = platform::LimitState{5, 3, 24'001};
  snapshot.tokens = platform::LimitState{1000, 250, 45'000};
  const HttpHeaders h = rate_limit_headers(snapshot);
  EXPECT_EQ(h.get("x-ratelimit-limit-requests"), "5");
  EXPECT_EQ(h.get("x-ratelimit-remaining-requests"), "3");
  EXPECT_EQ(h.get("x-ratelimit-reset-requests"), "25s");
  EXPECT_EQ(h.get("x-ratelimit-limit-tokens"), "1000");
  EXPECT_EQ(h.get("x-ratelimit-remaining-tokens"), "250");
  EXPECT_EQ(h.get("x-ratelimit-reset-tokens"), "45s");
  EXPECT_EQ(h.get("X-RateLimit-Limit"), "5");
  EXPECT_EQ(h.get("X-RateLimit-Remaining"), "3");
  EXPECT_EQ(h.get("X-RateLimit-Reset"), "25");
}

TEST(AccessControl, AnUnlimitedDimensionHasNoHeaders) {
  platform::RateSnapshot snapshot;
  snapshot.tokens = platform::LimitState{1000, 1000, 0};
  const HttpHeaders h = rate_limit_headers(snapshot);
  EXPECT_FALSE(h.contains("x-ratelimit-limit-requests"));
  EXPECT_FALSE(h.contains("X-RateLimit-Limit"));
  EXPECT_EQ(h.get("x-ratelimit-reset-tokens"), "0s");
}

TEST(AccessControl, AuthErrorsMapTo401And403) {
  const ApiError unauthenticated = to_api_error(Error{"no key", ErrorKind::Unauthenticated});
  EXPECT_EQ(unauthenticated.status, 401);
  EXPECT_EQ(unauthenticated.code, "invalid_api_key");
  const ApiError model = to_api_error(Error{"not this model", ErrorKind::PermissionDenied, "model"});
  EXPECT_EQ(model.status, 403);
  EXPECT_EQ(model.code, "model_not_allowed");
  EXPECT_EQ(model.param, "model");
  EXPECT_EQ(to_api_error(Error{"admin only", ErrorKind::PermissionDenied}).code, "permission_denied");
}

TEST(AccessControl, ServersWithoutAStoreServeOpen) {
  ServerContext ctx;
  HttpRequest req;
  auto caller = authenticate(ctx, req);
  ASSERT_TRUE(caller.ok());
  EXPECT_FALSE(caller->key);
  req.remote_address = "10.0.0.7";
  EXPECT_EQ(authorize_metrics(ctx, req).error().kind, ErrorKind::PermissionDenied);
  req.remote_address = "127.0.0.1";
  EXPECT_TRUE(authorize_metrics(ctx, req).ok());
  EXPECT_EQ(authorize_admin(ctx, req).error().kind, ErrorKind::Unauthenticated);
  req.headers.set("Authorization", "Bearer something-long-enough");
  EXPECT_EQ(authorize_admin(ctx, req).error().kind, ErrorKind::PermissionDenied);  // no admin key configured
  ctx.platform.admin_key = platform::hash_secret("something-long-enough");
  EXPECT_TRUE(authorize_admin(ctx, req).ok());
}

}  // namespace
}  // namespace tachyon
