// The GGUF reader on arbitrary bytes: header, metadata, tensor table and bounds checks must turn
// every malformed file into an Error, and a file that opens must be readable in full.
#include "fuzz_input.h"
#include "gguf/gguf_file.h"
#include "gguf/quantize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = tachyon::GgufFile::open(tachyon::fuzz::write_input_file(data, size));
  if (!file) return 0;
  // Everything the reader accepted must be in bounds: touch every value and tensor byte.
  size_t sum = 0;
  for (const auto& kv : (*file)->metadata()) sum += kv.key.size() + kv.value.array.size();
  for (const auto& t : (*file)->tensors()) {
    const auto* bytes = static_cast<const uint8_t*>(t.data);
    for (size_t i = 0; i < t.n_bytes; i += 64) sum += bytes[i];
    if (t.n_bytes > 0) sum += bytes[t.n_bytes - 1];
  }
  return sum == 0xdeadbeef ? 0 : 0;  // keeps the reads from being optimised away
}
