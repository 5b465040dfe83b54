#include "util/huge_pages.h"

#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tachyon {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
// Below this, allocate_zeroed takes heap memory: rounding up to a whole huge page would waste
// more than it saves.
constexpr size_t kHugePageThreshold = kHugePage / 8;
}  // namespace

std::shared_ptr<uint8_t> allocate_huge_pages(size_t bytes) {
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) return nullptr;
#if defined(MADV_HUGEPAGE)
  madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

std::shared_ptr<uint8_t> allocate_zeroed(size_t bytes) {
  if (bytes < kHugePageThreshold) {
    uint8_t* p = new (std::nothrow) uint8_t[bytes == 0 ? 1 : bytes]();
    if (p == nullptr) return nullptr;
    return std::shared_ptr<uint8_t>(p, [](uint8_t* q) { delete[] q; });
  }
  std::shared_ptr<uint8_t> p = allocate_huge_pages(bytes);
  if (p != nullptr) std::memset(p.get(), 0, bytes);
  return p;
}

}  // namespace tachyon
