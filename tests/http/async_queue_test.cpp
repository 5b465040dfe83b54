#include "http/async_queue.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

namespace tachyon {
namespace {

using namespace std::chrono_literals;

// Items pushed from a thread while the consumer keeps timing out must all arrive, in order:
// pop_for once dropped an item that came in just as its wait ran out.
TEST(AsyncQueueTest, PopForLosesNothingWhenItemsArriveAsWaitsTimeOut) {
  constexpr int kItems = 4000;
  asio::io_context io;
  auto queue = std::make_shared<AsyncQueue<int>>(io.get_executor());
  std::vector<int> received;
  int timeouts = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (;;) {
      auto popped = co_await queue->pop_for(1ms);
      if (popped.timed_out) {
        ++timeouts;
        continue;
      }
      if (!popped.item) co_return;
      received.push_back(*popped.item);
    }
  }, asio::detached);
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      queue->push(i);
      // Gaps around the consumer's timeout, so pushes land on both sides of its deadline.
      if (i % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(700 + (i * 37) % 600));
    }
    queue->close();
  });
  io.run();
  producer.join();
  ASSERT_EQ(received.size(), size_t(kItems)) << timeouts << " timeouts";
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(received[i], i);
  EXPECT_GT(timeouts, 0) << "the waits never ran out: the test did not exercise the race";
}

TEST(AsyncQueueTest, PopForTimesOutOnAnEmptyQueueAndEndsAfterClose) {
  asio::io_context io;
  AsyncQueue<int> queue(io.get_executor());
  std::vector<std::string> seen;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto a = co_await queue.pop_for(5ms);
    seen.push_back(a.timed_out && !a.item ? "timeout" : "other");
    queue.push(7);
    queue.close();
    auto b = co_await queue.pop_for(5ms);
    seen.push_back(!b.timed_out && b.item == 7 ? "7" : "other");
    auto c = co_await queue.pop_for(5ms);
    seen.push_back(!c.timed_out && !c.item ? "end" : "other");
  }, asio::detached);
  io.run();
  EXPECT_EQ(seen, (std::vector<std::string>{"timeout", "7", "end"}));
}

}  // namespace
}  // namespace tachyon
