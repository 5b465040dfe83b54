#pragma once
// Submits requests to a serving engine all at once and collects each one's generated tokens: the
// common step of the engine's batch-invariance tests on every device.
#include <future>
#include <vector>

#include <gtest/gtest.h>

#include "engine/engine.h"

namespace tachyon {

inline std::vector<std::vector<int32_t>> run_requests(Engine& engine, const std::vector<EngineRequest>& requests) {
  std::vector<std::promise<std::vector<int32_t>>> done(requests.size());
  std::vector<std::vector<int32_t>> tokens(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    auto id = engine.submit(requests[i], [&, i](EngineEvent&& e) {
      for (const auto& t : e.tokens) tokens[i].push_back(t.token);
      if (e.finished) done[i].set_value(tokens[i]);
    });
    EXPECT_TRUE(id.ok()) << id.error().message;
  }
  std::vector<std::vector<int32_t>> out;
  for (auto& d : done) out.push_back(d.get_future().get());
  return out;
}

}  // namespace tachyon
