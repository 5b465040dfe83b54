// The two server-sent-event parsers (the benchmark client's and the C++ SDK's) on arbitrary
// streams split at arbitrary points: the same events must come out whatever the split.
#include <vector>

#include "bench/sse_parser.h"
#include "fuzz_input.h"
#include "tachyon/client/sse_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t split = data[0] % size;
  const std::string_view stream = tachyon::fuzz::as_text(data + 1, size - 1);
  const size_t cut = std::min(split, stream.size());

  tachyon::bench::SseParser whole, pieces;
  const auto a = whole.feed(stream);
  auto b = pieces.feed(stream.substr(0, cut));
  for (auto& e : pieces.feed(stream.substr(cut))) b.push_back(std::move(e));
  if (a != b) __builtin_trap();

  tachyon::client::SseParser sdk_whole, sdk_pieces;
  std::vector<tachyon::client::SseEvent> c, d;
  sdk_whole.feed(stream, c);
  sdk_pieces.feed(stream.substr(0, cut), d);
  sdk_pieces.feed(stream.substr(cut), d);
  if (c.size() != d.size()) __builtin_trap();
  for (size_t i = 0; i < c.size(); ++i)
    if (c[i].data != d[i].data || c[i].event != d[i].event || c[i].id != d[i].id) __builtin_trap();
  return 0;
}
