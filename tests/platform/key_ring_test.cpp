#include "platform/key_ring.h"

#include <gtest/gtest.h>

#include "platform/key_admin.h"
#include "platform/sqlite_store.h"
#include "temp_dir.h"

namespace tachyon::platform {
namespace {

using testing::ManualClock;
using testing::TempDir;

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store(tmp.path());
    ASSERT_TRUE(s.ok());
    store = std::move(*s);
  }
  IssuedKey create(NewKeySpec spec) {
    auto k = create_key(*store, spec, clock.now);
    EXPECT_TRUE(k.ok());
    return *k;
  }

  TempDir tmp;
  ManualClock clock;
  std::unique_ptr<Store> store;
};

TEST_F(KeyRingTest, AuthenticatesWithLimitsFromTheKeyOrTheDefaults) {
  const IssuedKey limited = create({.name = "limited", .requests_per_minute = 5, .models = {"m1"}});
  const IssuedKey plain = create({.name = "plain"});
  KeyRing ring(*store, clock.fn(), RateLimits{60, 10'000});
  auto a = ring.authenticate(limited.secret);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->id, limited.key.id);
  EXPECT_EQ(a->limits.requests_per_minute, 5);
  EXPECT_EQ(a->limits.tokens_per_minute, 10'000);
  EXPECT_TRUE(a->allows_model("m1"));
  EXPECT_FALSE(a->allows_model("m2"));
  auto b = ring.authenticate(plain.secret);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->limits.requests_per_minute, 60);
  EXPECT_TRUE(b->allows_model("anything"));
}

TEST_F(KeyRingTest, RejectsUnknownRevokedAndExpiredKeys) {
  const IssuedKey k = create({.name = "k", .expires_ms = clock.now + 10'000});
  KeyRing ring(*store, clock.fn(), {}, 0);
  EXPECT_EQ(ring.authenticate("tk-not-a-key").error().kind, ErrorKind::Unauthenticated);
  EXPECT_EQ(ring.authenticate("").error().kind, ErrorKind::Unauthenticated);
  EXPECT_EQ(ring.authenticate(k.secret.substr(0, 42)).error().kind, ErrorKind::Unauthenticated);
  ASSERT_TRUE(ring.authenticate(k.secret).ok());
  clock.now += 10'000;
  auto expired = ring.authenticate(k.secret);
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
  EXPECT_TRUE(*ring.has_keys());  // an expired key still means the server requires keys

  const IssuedKey r = create({.name = "r"});
  ASSERT_TRUE(ring.authenticate(r.secret).ok());
  ASSERT_TRUE(ring.find(r.key.id).ok());
  EXPECT_EQ(ring.find("key_missing").error().kind, ErrorKind::Unauthenticated);
  ASSERT_TRUE(store->revoke_key(r.key.id, clock.now).ok());
  auto revoked = ring.authenticate(r.secret);
  ASSERT_FALSE(revoked.ok());
  EXPECT_NE(revoked.error().message.find("revoked"), std::string::npos);
  EXPECT_FALSE(ring.find(r.key.id).ok());  // work queued for a revoked key does not run
}

TEST_F(KeyRingTest, RotationKeepsTheOldSecretForTheGracePeriod) {
  const IssuedKey k = create({.name = "k"});
  auto rotated = rotate_key(*store, k.key.id, 60'000, clock.now);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(rotated->secret, k.secret);
  EXPECT_EQ(rotated->key.id, k.key.id);
  KeyRing ring(*store, clock.fn(), {}, 0);
  EXPECT_TRUE(ring.authenticate(k.secret).ok());
  EXPECT_TRUE(ring.authenticate(rotated->secret).ok());
  clock.now += 60'000;
  EXPECT_FALSE(ring.authenticate(k.secret).ok());
  EXPECT_TRUE(ring.authenticate(rotated->secret).ok());
}

TEST_F(KeyRingTest, SeesKeysCreatedElsewhereAfterTheRefreshInterval) {
  KeyRing ring(*store, clock.fn(), {}, 1000);
  EXPECT_FALSE(*ring.has_keys());
  const IssuedKey k = create({.name = "late"});
  EXPECT_FALSE(ring.authenticate(k.secret).ok());  // the cache is fresh
  clock.now += 1000;
  EXPECT_TRUE(ring.authenticate(k.secret).ok());
}

}  // namespace
}  // namespace tachyon::platform
