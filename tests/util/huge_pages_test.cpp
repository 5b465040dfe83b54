// allocate_zeroed: zero and writable at every size, on either side of the huge-page threshold,
// also where the allocator hands back memory a freed buffer had dirtied; every page resident
// once it returns (the KV pool is reserved up front, not faulted in during serving steps).
#include "util/huge_pages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <unistd.h>

namespace tachyon {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

bool all_zero(const uint8_t* p, size_t n) { return std::all_of(p, p + n, [](uint8_t b) { return b == 0; }); }

TEST(AllocateZeroed, ZeroAtEverySize) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{4095}, kHugePage - 1, kHugePage, 3 * kHugePage + 17}) {
    std::shared_ptr<uint8_t> p = allocate_zeroed(bytes);
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_TRUE(all_zero(p.get(), bytes)) << bytes;
    if (bytes > 0) p.get()[bytes - 1] = 1;  // writable to its last byte
  }
}

TEST(AllocateZeroed, ZeroAfterADirtiedBufferWasFreed) {
  for (size_t bytes : {size_t{64} << 10, 5 * kHugePage}) {
    for (int round = 0; round < 4; ++round) {
      std::shared_ptr<uint8_t> p = allocate_zeroed(bytes);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(all_zero(p.get(), bytes)) << bytes << " bytes, round " << round;
      std::memset(p.get(), 0xA5, bytes);
    }
  }
}

// Resident bytes of this process (/proc/self/statm's second field).
size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * size_t(sysconf(_SC_PAGESIZE));
}

TEST(AllocateZeroed, EveryPageIsResidentOnReturn) {
  if (!std::ifstream("/proc/self/statm")) GTEST_SKIP() << "no /proc/self/statm here";
  constexpr size_t kBytes = size_t{64} << 20;
  const size_t before = resident_bytes();
  std::shared_ptr<uint8_t> p = allocate_zeroed(kBytes);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(resident_bytes(), before + kBytes - (size_t{1} << 20));
}

TEST(AllocateZeroed, LargeBuffersStartOnAHugePage) {
  std::shared_ptr<uint8_t> p = allocate_zeroed(4 * kHugePage);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p.get()) % kHugePage, 0u);
}

}  // namespace
}  // namespace tachyon
