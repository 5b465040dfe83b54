// Speculative decoding by prompt lookup changes speed only: on the bundled (trained) model, whose
// answers repeat themselves and their prompt, drafts are proposed and accepted, and every
// request gets exactly the tokens, text and finish reason of plain decoding, greedy or seeded,
// alone or batched, free or constrained, with stop strings and end-of-generation.
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "constrain/regex_compiler.h"
#include "engine/engine.h"

namespace tachyon {
namespace {

struct Outcome {
  std::vector<int32_t> tokens;
  std::string text;
  FinishReason finish = FinishReason::Length;
  bool operator==(const Outcome&) const = default;
};

std::vector<Outcome> serve(Engine& engine, const std::vector<EngineRequest>& requests) {
  std::vector<std::promise<void>> done(requests.size());
  std::vector<Outcome> out(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    auto id = engine.submit(requests[i], [&, i](EngineEvent&& e) {
      for (const auto& t : e.tokens) out[i].tokens.push_back(t.token);
      out[i].text += e.text;
      if (e.error) ADD_FAILURE() << e.error->message;
      if (e.finished) {
        out[i].finish = e.finish_reason;
        done[i].set_value();
      }
    });
    EXPECT_TRUE(id.ok()) << id.error().message;
  }
  for (auto& d : done) d.get_future().wait();
  return out;
}

class SpeculativeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto bundle = load_model_bundle(TACHYON_SOURCE_DIR "/models/tachyon-mini-q8_0.gguf");
    ASSERT_TRUE(bundle.ok()) << bundle.error().message;
    bundle_ = new std::shared_ptr<const ModelBundle>(std::move(*bundle));
  }
  static void TearDownTestSuite() { delete bundle_; }

  static EngineRequest request(const std::string& prompt, int i, bool sampled) {
    EngineRequest r;
    r.prompt = (*bundle_)->tokenizer->encode(prompt, true, false);
    r.max_tokens = 96;
    r.sampling.temperature = sampled ? 0.7f : 0.0f;
    if (sampled) r.sampling.seed = 7 + uint64_t(i);
    return r;
  }

  static std::vector<EngineRequest> requests(bool sampled) {
    const std::vector<std::string> prompts = {
        "In the beginning God created the heavens and the earth. Now the earth was formless and empty. "
        "In the beginning",
        "And God said, Let there be light: and there was light. And God saw the light, that it was good. And God said,",
        "It is a truth universally acknowledged, that a single man in possession of a good fortune",
        "HACKER n. [originally, someone who makes furniture with an axe] 1. A person who enjoys exploring",
    };
    std::vector<EngineRequest> out;
    for (size_t i = 0; i < prompts.size(); ++i) {
      EngineRequest r = request(prompts[i], int(i), sampled);
      if (i == 2) r.stop = {"."};     // ends on a stop string
      if (i == 3) r.ignore_eos = true;
      out.push_back(std::move(r));
    }
    return out;
  }

  static std::unique_ptr<Engine> engine(bool speculative, int32_t max_draft = 4, int32_t batch_tokens = 128,
                                        int64_t kv_memory_mib = 16) {
    EngineConfig cfg;
    cfg.kv_memory_mib = kv_memory_mib;
    cfg.max_batch_tokens = batch_tokens;
    cfg.speculative_default = speculative;
    cfg.speculative.max_draft = max_draft;
    auto e = Engine::create(*bundle_, cfg);
    EXPECT_TRUE(e.ok()) << e.error().message;
    return std::move(*e);
  }

  static std::shared_ptr<const ModelBundle>* bundle_;
};

std::shared_ptr<const ModelBundle>* SpeculativeTest::bundle_ = nullptr;

TEST_F(SpeculativeTest, OutputIsThatOfPlainDecoding) {
  for (bool sampled : {false, true}) {
    SCOPED_TRACE(sampled ? "seeded" : "greedy");
    const std::vector<EngineRequest> reqs = requests(sampled);
    auto plain = engine(false);
    std::vector<Outcome> expected;
    for (const EngineRequest& r : reqs) expected.push_back(serve(*plain, {r})[0]);
    EXPECT_EQ(plain->stats().draft_tokens, 0u);

    for (int32_t max_draft : {1, 4, 8}) {
      SCOPED_TRACE(max_draft);
      auto fast = engine(true, max_draft);
      for (size_t i = 0; i < reqs.size(); ++i) EXPECT_EQ(serve(*fast, {reqs[i]})[0], expected[i]) << "alone, request " << i;
      // Together, in small steps: drafts compete with prefill chunks for the budget.
      auto batched = engine(true, max_draft, 24);
      EXPECT_EQ(serve(*batched, reqs), expected) << "together";
      const EngineStats stats = fast->stats();
      EXPECT_GT(stats.accepted_tokens, 0u);
      EXPECT_GE(stats.draft_tokens, stats.accepted_tokens);
      // Fewer steps than tokens: accepted drafts saved forward passes.
      size_t n_tokens = 0;
      for (const Outcome& o : expected) n_tokens += o.tokens.size();
      EXPECT_LT(stats.steps, n_tokens);
    }
  }
}

// Drafts hold blocks past the accepted tokens; when blocks run out, requests are preempted and
// recomputed, and the tokens still come out the same.
TEST_F(SpeculativeTest, PreemptionKeepsTheTokens) {
  std::vector<EngineRequest> reqs = requests(true);
  for (EngineRequest& r : requests(false)) reqs.push_back(std::move(r));
  auto plain = engine(false);
  const std::vector<Outcome> expected = serve(*plain, reqs);
  auto tight = engine(true, 4, 128, 1);  // a few hundred positions for eight growing requests
  EXPECT_EQ(serve(*tight, reqs), expected);
  EXPECT_GT(tight->stats().preemptions, 0u);
  EXPECT_GT(tight->stats().accepted_tokens, 0u);
}

TEST_F(SpeculativeTest, RequestsOptInAndOut) {
  std::vector<EngineRequest> reqs = requests(false);
  auto plain = engine(false);
  const std::vector<Outcome> expected = serve(*plain, reqs);
  for (EngineRequest& r : reqs) r.speculative = true;
  auto opted_in = engine(false);
  EXPECT_EQ(serve(*opted_in, reqs), expected);
  EXPECT_GT(opted_in->stats().accepted_tokens, 0u);
  for (EngineRequest& r : reqs) r.speculative = false;
  auto opted_out = engine(true);
  EXPECT_EQ(serve(*opted_out, reqs), expected);
  EXPECT_EQ(opted_out->stats().draft_tokens, 0u);
}

// A constrained request ends the moment its output is complete, even when the draft it was
// verifying went on.
TEST_F(SpeculativeTest, ConstrainedOutputIsThatOfPlainDecoding) {
  auto grammar = compile_regex("(and the earth, |and the heavens, ){2,5}and the end");
  ASSERT_TRUE(grammar.ok()) << grammar.error().message;
  std::vector<EngineRequest> reqs = requests(false);
  for (EngineRequest& r : reqs) {
    r.constraint = std::make_shared<MaskCache>(*grammar, (*bundle_)->token_vocabulary());
    r.stop.clear();
  }
  auto plain = engine(false);
  const std::vector<Outcome> expected = serve(*plain, reqs);
  for (const Outcome& o : expected) {
    EXPECT_EQ(o.finish, FinishReason::Stop);
    EXPECT_TRUE(o.text.ends_with("and the end")) << o.text;
  }
  auto fast = engine(true, 8);
  EXPECT_EQ(serve(*fast, reqs), expected);
  EXPECT_GT(fast->stats().accepted_tokens, 0u);
}

}  // namespace
}  // namespace tachyon
