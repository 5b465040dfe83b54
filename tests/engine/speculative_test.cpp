// Speculative decoding changes speed only: on the bundled (trained) model, whose answers repeat
// themselves and their prompt, prompt-lookup drafts are proposed and accepted, and every
// request gets exactly the tokens, text and finish reason of plain decoding, greedy or seeded,
// alone or batched, free or constrained, with stop strings and end-of-generation. The same
// holds with a draft model, whether it agrees with the target always (its own weights) or
// rarely (random weights over the same vocabulary).
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "constrain/regex_compiler.h"
#include "engine/engine.h"
#include "model/random_model.h"

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
                                        int64_t kv_memory_mib = 16,
                                        std::shared_ptr<const ModelBundle> draft_model = nullptr) {
    EngineConfig cfg;
    cfg.draft_model = std::move(draft_model);
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

// A draft model with the bundled model's vocabulary and random weights, so its drafts are mostly
// wrong; its context (64) is shorter than the target's, so long requests outgrow it.
std::shared_ptr<const ModelBundle> random_draft_model() {
  const auto path = std::filesystem::temp_directory_path() / "tachyon_speculative_draft.gguf";
  RandomModelSpec spec = *random_model_shape("tiny");
  spec.n_embd = 64, spec.n_layer = 2, spec.n_head = 4, spec.n_head_kv = 2, spec.n_ff = 128, spec.n_ctx = 64;
  spec.type = GgmlType::Q8_0;
  spec.vocab_path = TACHYON_SOURCE_DIR "/models/tachyon-mini-q8_0.gguf";
  EXPECT_TRUE(write_random_model(spec, path.string()).ok());
  auto bundle = load_model_bundle(path.string());
  std::filesystem::remove(path);
  EXPECT_TRUE(bundle.ok()) << bundle.error().message;
  return bundle.ok() ? std::move(*bundle) : nullptr;
}

// Its own weights as the draft model: every greedy draft token is the token the target draws
// (the draft's logits are the target's, batch-invariant), so every draft is accepted whole, which
// holds only if the draft's KV rows are kept, extended and overwritten correctly between steps.
TEST_F(SpeculativeTest, TheTargetAsItsOwnDraftModelIsAcceptedWhole) {
  const std::vector<EngineRequest> reqs = requests(false);
  auto plain = engine(false);
  std::vector<Outcome> expected;
  for (const EngineRequest& r : reqs) expected.push_back(serve(*plain, {r})[0]);
  for (int32_t max_draft : {1, 3, 6}) {
    SCOPED_TRACE(max_draft);
    auto fast = engine(true, max_draft, 128, 16, *bundle_);
    for (size_t i = 0; i < reqs.size(); ++i) EXPECT_EQ(serve(*fast, {reqs[i]})[0], expected[i]) << "request " << i;
    const EngineStats stats = fast->stats();
    EXPECT_GT(stats.draft_tokens, 0u);
    EXPECT_EQ(stats.accepted_tokens, stats.draft_tokens);
    size_t n_tokens = 0;
    for (const Outcome& o : expected) n_tokens += o.tokens.size();
    EXPECT_LE(stats.steps, n_tokens / size_t(max_draft) + 2 * reqs.size()) << "each step should add 1 + max_draft tokens";
    auto together = engine(true, max_draft, 24, 16, *bundle_);
    EXPECT_EQ(serve(*together, reqs), expected) << "together";
    EXPECT_EQ(together->stats().accepted_tokens, together->stats().draft_tokens);
  }
}

// A draft model that is mostly wrong: its drafts are rejected, partly accepted, paused and
// resumed, and past its 64-token context it drafts nothing; the tokens are those of plain
// decoding, greedy or seeded, alone, together and under preemption.
TEST_F(SpeculativeTest, AWrongDraftModelChangesNothingButSpeed) {
  const std::shared_ptr<const ModelBundle> draft = random_draft_model();
  ASSERT_NE(draft, nullptr);
  for (bool sampled : {false, true}) {
    SCOPED_TRACE(sampled ? "seeded" : "greedy");
    std::vector<EngineRequest> reqs = requests(sampled);
    auto plain = engine(false);
    std::vector<Outcome> expected;
    for (const EngineRequest& r : reqs) expected.push_back(serve(*plain, {r})[0]);
    auto fast = engine(true, 4, 128, 16, draft);
    for (size_t i = 0; i < reqs.size(); ++i) EXPECT_EQ(serve(*fast, {reqs[i]})[0], expected[i]) << "request " << i;
    EXPECT_GT(fast->stats().draft_tokens, fast->stats().accepted_tokens);
    auto together = engine(true, 4, 24, 16, draft);
    EXPECT_EQ(serve(*together, reqs), expected) << "together";
    auto tight = engine(true, 4, 128, 1, draft);
    std::vector<EngineRequest> twice = reqs;
    twice.insert(twice.end(), reqs.begin(), reqs.end());
    std::vector<Outcome> expected_twice = expected;
    expected_twice.insert(expected_twice.end(), expected.begin(), expected.end());
    EXPECT_EQ(serve(*tight, twice), expected_twice) << "under preemption";
    EXPECT_GT(tight->stats().preemptions, 0u);
  }
}

// A drafter keeps its sequence's rows between proposals, and after tokens it drafted were
// rejected it writes the rows from the first differing token again: every proposal is the one a
// fresh sequence would make for the same tokens (the arithmetic is batch-invariant).
TEST_F(SpeculativeTest, ADraftModelProposesWhatAFreshSequenceWould) {
  ThreadPool pool(2);
  const Tokenizer& tokenizer = *(*bundle_)->tokenizer;
  auto model = DraftModel::create(*bundle_, tokenizer, 256, 4, 16, pool);
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto fresh = [&](const std::vector<int32_t>& tokens) { return (*model)->drafter(4)->propose(tokens, 4); };
  std::vector<int32_t> tokens = tokenizer.encode("In the beginning God created the heavens and the earth.", true, false);
  auto drafter = (*model)->drafter(4);
  for (int step = 0; step < 12; ++step) {
    SCOPED_TRACE(step);
    const std::vector<int32_t> draft = drafter->propose(tokens, 4);
    ASSERT_EQ(draft.size(), 4u);
    EXPECT_EQ(draft, fresh(tokens));
    // Accept some of the draft (none, part or all), then a token the draft did not propose.
    const size_t accepted = size_t(step % 5);
    tokens.insert(tokens.end(), draft.begin(), draft.begin() + std::min<size_t>(accepted, 4));
    tokens.push_back(accepted < 4 ? (draft[accepted] + 1 + step) % tokenizer.n_vocab() : tokenizer.n_vocab() - 1 - step);
  }
}

TEST_F(SpeculativeTest, ADraftModelNeedsTheSameVocabulary) {
  const auto path = std::filesystem::temp_directory_path() / "tachyon_speculative_other_vocab.gguf";
  RandomModelSpec spec = *random_model_shape("tiny");
  spec.n_embd = 32, spec.n_layer = 1, spec.n_head = 2, spec.n_head_kv = 2, spec.n_ff = 64, spec.n_vocab = 300;
  spec.n_ctx = 64;
  ASSERT_TRUE(write_random_model(spec, path.string()).ok());
  auto other = load_model_bundle(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(other.ok()) << other.error().message;
  EngineConfig cfg;
  cfg.kv_memory_mib = 16;
  cfg.draft_model = std::move(*other);
  auto e = Engine::create(*bundle_, cfg);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("vocabulary"), std::string::npos) << e.error().message;
}

}  // namespace
}  // namespace tachyon
