#include "platform/api_key.h"

#include <set>

#include <gtest/gtest.h>

namespace tachyon::platform {
namespace {

bool is_base62(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

TEST(ApiKey, SecretsAreTkAnd40Base62Characters) {
  std::set<std::string> seen;
  std::set<char> characters;
  for (int i = 0; i < 200; ++i) {
    auto s = generate_secret();
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(s->size(), 43u);
    EXPECT_EQ(s->substr(0, 3), "tk-");
    for (char c : s->substr(3)) {
      EXPECT_TRUE(is_base62(c)) << *s;
      characters.insert(c);
    }
    EXPECT_TRUE(seen.insert(*s).second) << "repeated secret " << *s;
  }
  // 8,000 uniform draws from 62 symbols leave none unseen.
  EXPECT_EQ(characters.size(), 62u);
}

TEST(ApiKey, KeyIdsAreDistinct) {
  auto a = generate_key_id(), b = generate_key_id();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->substr(0, 4), "key_");
  EXPECT_EQ(a->size(), 20u);
  EXPECT_NE(*a, *b);
}

TEST(ApiKey, HashIsSha256AndRoundTripsThroughHex) {
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_EQ(to_hex(hash_secret("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const SecretHash h = hash_secret("tk-example");
  auto back = from_hex(to_hex(h));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(hashes_equal(*back, h));
  EXPECT_FALSE(hashes_equal(hash_secret("tk-example2"), h));
  EXPECT_FALSE(from_hex("zz").ok());
  EXPECT_FALSE(from_hex(std::string(64, 'G')).ok());
}

TEST(ApiKey, HintIsTheLastFourCharacters) {
  EXPECT_EQ(secret_hint("tk-abcdefWXYZ"), "WXYZ");
  EXPECT_EQ(secret_hint("ab"), "ab");
}

}  // namespace
}  // namespace tachyon::platform

namespace tachyon::platform {
namespace {

TEST(ApiKey, JobIdsAreVersion4Uuids) {
  auto id = generate_job_id();
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(id->size(), 36u);
  EXPECT_EQ((*id)[14], '4');
  EXPECT_NE(std::string("89ab").find((*id)[19]), std::string::npos);
  EXPECT_NE(*id, *generate_job_id());
}

}  // namespace
}  // namespace tachyon::platform
