#include "http/request_id.h"

#include <cstdint>
#include <random>

namespace tachyon {

namespace {

constexpr size_t kMaxClientRequestIdLength = 200;

}  // namespace

std::string generate_request_id() {
  // One engine per thread: no locking on the request path, and seeding from
  // random_device keeps ids from different processes and restarts distinct.
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64{seed};
  }()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (size_t word = 0; word < 2; ++word) {
    uint64_t bits = engine();
    for (size_t i = 0; i < 16; ++i) {
      id[word * 16 + i] = kHex[bits & 0xF];
      bits >>= 4;
    }
  }
  return id;
}

bool is_acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxClientRequestIdLength) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace tachyon
