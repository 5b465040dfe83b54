// Opens `n` stores from `n` threads released together, as replicas starting at the same moment
// would; each result in thread order.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "platform/store.h"

namespace tachyon::platform::testing {

template <class Open>
std::vector<Result<std::unique_ptr<Store>>> open_at_once(int n, Open open) {
  std::vector<Result<std::unique_ptr<Store>>> opened;
  for (int i = 0; i < n; ++i) opened.emplace_back(Error{"not opened"});
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (ready < n) std::this_thread::yield();
      opened[i] = open();
    });
  for (auto& t : threads) t.join();
  return opened;
}

}  // namespace tachyon::platform::testing
