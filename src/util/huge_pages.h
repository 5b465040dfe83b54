#pragma once
// Large buffers that are streamed through end to end (packed weights, the bandwidth test):
// 2 MiB-aligned and, where the OS offers transparent huge pages, backed by them, which spares
// the TLB a miss every 4 KiB. Contents are zero (fresh pages).
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tachyon {

// nullptr when the allocation fails.
std::shared_ptr<uint8_t> allocate_huge_pages(size_t bytes);

}  // namespace tachyon
