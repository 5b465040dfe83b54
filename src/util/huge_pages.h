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

// Zeroed memory with every page touched: on huge pages from 256 KiB up (KV caches, read row by
// row at a stride of a whole KV row, miss the TLB on every 4 KiB page otherwise: a decode step's
// attention over a 1.5 MB single-sequence cache took 22% longer on 4 KiB pages), from the heap
// below that. nullptr when the allocation fails.
std::shared_ptr<uint8_t> allocate_zeroed(size_t bytes);

}  // namespace tachyon
