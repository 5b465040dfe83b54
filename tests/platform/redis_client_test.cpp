#include "platform/redis_client.h"

#include <gtest/gtest.h>

#include <chrono>

#include "redis_test_server.h"

namespace tachyon::platform {
namespace {

using testing::RedisTestServer;

TEST(RedisUrl, HostPortAndDatabase) {
  auto a = parse_redis_url("redis://cache.internal:6380/2");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->host, "cache.internal");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  EXPECT_EQ(a->password, "");
  auto plain = parse_redis_url("redis://localhost");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  EXPECT_EQ(describe(*a), "cache.internal:6380/2");
}

TEST(RedisUrl, CredentialsAndIpv6) {
  auto a = parse_redis_url("redis://:s3cr%40t@10.0.0.5:7000/1");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->user, "");
  EXPECT_EQ(a->password, "s3cr@t");
  EXPECT_EQ(a->host, "10.0.0.5");
  auto user = parse_redis_url("redis://tachyon:pw@h:1");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->user, "tachyon");
  EXPECT_EQ(user->password, "pw");
  auto v6 = parse_redis_url("redis://[::1]:6390");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 6390);
  EXPECT_EQ(describe(*v6), "[::1]:6390/0");  // never the password
}

TEST(RedisUrl, MistakesAreNamed) {
  for (const char* bad : {"http://h:1", "redis://", "redis://h:0", "redis://h:99999", "redis://h:port", "redis://h/x",
                          "redis://[::1", "redis://:%zz@h"}) {
    auto a = parse_redis_url(bad);
    EXPECT_FALSE(a.ok()) << bad;
    if (!a.ok()) {
      EXPECT_EQ(a.error().kind, ErrorKind::InvalidArgument);
    }
  }
}

TEST(RedisUrl, MistakesNeverShowThePassword) {
  for (const char* bad : {"redis://:hunter2@[::1", "redis://u:hunter2@[::1]x", "rediss://u:hunter2@h:1", "redis://u:hunter2@",
                          "u:hunter2@h:1/0", "redis://:hunter2@h:port"}) {
    auto a = parse_redis_url(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.error().message.find("hunter2"), std::string::npos) << a.error().message;
  }
}

TEST(RedisClient, NothingListeningIsUnavailableAtOnceThenBacksOff) {
  RedisClient client(RedisAddress{"127.0.0.1", RedisTestServer::free_port(), 0, "", ""});
  const auto start = std::chrono::steady_clock::now();
  auto first = client.command({"PING"});
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, ErrorKind::Unavailable);
  auto second = client.command({"PING"});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("waiting before reconnecting"), std::string::npos) << second.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

TEST(RedisClient, RepliesOfEveryKindAndTheDatabaseOfTheUrl) {
  if (auto why = RedisTestServer::unavailable_reason()) GTEST_SKIP() << *why;
  RedisTestServer redis;
  ASSERT_TRUE(redis.running());
  auto db3 = parse_redis_url(redis.url() + "/3");
  ASSERT_TRUE(db3.ok());
  RedisClient client(*db3);
  EXPECT_EQ(client.command({"SET", "k", std::string("a\0b", 3)})->text, "OK");
  EXPECT_EQ(client.command({"GET", "k"})->text, std::string("a\0b", 3));  // binary-safe
  EXPECT_EQ(client.command({"GET", "missing"})->kind, RedisReply::Kind::Nil);
  EXPECT_EQ(client.command({"INCRBY", "n", "41"})->integer, 41);
  auto array = client.command({"MGET", "n", "missing"});
  ASSERT_EQ(array->kind, RedisReply::Kind::Array);
  ASSERT_EQ(array->elements.size(), 2u);
  EXPECT_EQ(array->elements[0].text, "41");
  auto error = client.command({"NOSUCHCOMMAND"});
  ASSERT_TRUE(error.ok());  // an error reply is an answer
  EXPECT_EQ(error->kind, RedisReply::Kind::Error);
  RedisClient db0(redis.address());
  EXPECT_EQ(db0.command({"EXISTS", "k"})->integer, 0);
}

}  // namespace
}  // namespace tachyon::platform
