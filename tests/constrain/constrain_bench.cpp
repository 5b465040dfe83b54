// constrain_bench: what a token mask costs. For synthetic 32k and 128k vocabularies it writes
// realistic documents of a nested schema the way a model would (at each step the longest
// allowed token that continues the document), timing mask_logits on every step: first with a
// fresh cache per document (cold), then again over a cache that has seen them all (warm).
//
//   constrain_bench [--docs N] [--model FILE.gguf] [--json out.json]
// With --model, also the model's own vocabulary (the bytes its tokenizer gives each token).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "constrain/grammar_matcher.h"
#include "constrain/json_schema.h"
#include "constrain/synthetic_vocabulary.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace {

using namespace tachyon;
using Clock = std::chrono::steady_clock;

const char* kSchema = R"({
  "type": "object",
  "properties": {
    "order_id": {"type": "integer", "minimum": 1},
    "status": {"enum": ["pending", "shipped", "delivered", "cancelled"]},
    "customer": {"type": "object", "properties": {
      "name": {"type": "string"},
      "email": {"type": "string", "format": "email"},
      "tier": {"enum": ["basic", "silver", "gold"]},
      "phone": {"type": ["string", "null"]}},
      "required": ["name", "email", "tier"], "additionalProperties": false},
    "items": {"type": "array", "minItems": 1, "maxItems": 8, "items": {"type": "object", "properties": {
      "sku": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{4}$"},
      "description": {"type": "string"},
      "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
      "price": {"type": "number", "minimum": 0}},
      "required": ["sku", "description", "quantity", "price"], "additionalProperties": false}},
    "shipping": {"type": "object", "properties": {
      "address": {"type": "object", "properties": {
        "street": {"type": "string"}, "city": {"type": "string"}, "zip": {"type": "string"},
        "country": {"type": "string", "maxLength": 2}},
        "required": ["street", "city", "zip", "country"], "additionalProperties": false},
      "express": {"type": "boolean"},
      "date": {"type": "string", "format": "date"}},
      "required": ["address", "express"], "additionalProperties": false},
    "notes": {"type": ["string", "null"]}
  },
  "required": ["order_id", "status", "customer", "items", "shipping"],
  "additionalProperties": false
})";

const std::vector<std::string> kWords = {
    "the", "blue", "cotton", "shirt", "with", "long", "sleeves", "and", "a", "classic", "fit",
    "leather", "boots", "for", "winter", "hiking", "coffee", "mug", "ceramic", "large", "set",
    "of", "two", "wireless", "headphones", "noise", "cancelling", "please", "leave", "at", "door",
    "gift", "wrap", "thank", "you", "Springfield", "Portland", "Berlin", "Lisbon", "Main", "Street",
    "Oak", "Avenue", "Ada", "Lovelace", "Grace", "Hopper", "Alan", "Turing", "Edsger", "Dijkstra"};

std::string words(std::mt19937_64& rng, int lo, int hi) {
  std::string out;
  const int n = lo + static_cast<int>(rng() % (hi - lo + 1));
  for (int i = 0; i < n; ++i) out += (i ? " " : "") + kWords[rng() % kWords.size()];
  return out;
}

// One document the schema accepts, compact with a space after ':' and ',' (as the grammar
// allows).
std::string make_document(uint64_t seed) {
  std::mt19937_64 rng(seed);
  nlohmann::ordered_json doc;
  doc["order_id"] = 1 + rng() % 99999;
  doc["status"] = std::vector<std::string>{"pending", "shipped", "delivered", "cancelled"}[rng() % 4];
  const std::string first = kWords[43 + rng() % 8];
  doc["customer"] = {{"name", first + " " + kWords[43 + rng() % 8]},
                     {"email", first + "@example.com"},
                     {"tier", std::vector<std::string>{"basic", "silver", "gold"}[rng() % 3]},
                     {"phone", nullptr}};
  doc["items"] = nlohmann::ordered_json::array();
  const int n_items = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n_items; ++i) {
    char sku[16];
    std::snprintf(sku, sizeof sku, "%c%c-%04d", 'A' + static_cast<int>(rng() % 26), 'A' + static_cast<int>(rng() % 26),
                  static_cast<int>(rng() % 10000));
    doc["items"].push_back({{"sku", sku},
                            {"description", words(rng, 3, 10)},
                            {"quantity", 1 + rng() % 5},
                            {"price", static_cast<double>(100 + rng() % 9900) / 100.0}});
  }
  doc["shipping"] = {{"address", {{"street", std::to_string(1 + rng() % 200) + " " + kWords[39 + rng() % 4] + " " +
                                                  kWords[39 + rng() % 4]},
                                  {"city", kWords[35 + rng() % 4]},
                                  {"zip", std::to_string(10000 + rng() % 89999)},
                                  {"country", "US"}}},
                     {"express", rng() % 2 == 0},
                     {"date", "2024-0" + std::to_string(1 + rng() % 9) + "-1" + std::to_string(rng() % 10)}};
  doc["notes"] = words(rng, 2, 12);
  std::string text = doc.dump();
  // dump() is compact; add the single spaces a model tends to write.
  std::string spaced;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    spaced += c;
    if (c == '"' && (i == 0 || text[i - 1] != '\\')) in_string = !in_string;
    if (!in_string && (c == ':' || c == ',')) spaced += ' ';
  }
  return spaced;
}

struct Stats {
  double mean_us = 0, p50_us = 0, p99_us = 0, max_us = 0;
  size_t n = 0;
};

Stats stats_of(std::vector<double> us) {
  Stats s;
  s.n = us.size();
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double u : us) sum += u;
  s.mean_us = sum / us.size();
  s.p50_us = us[us.size() / 2];
  s.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  s.max_us = us.back();
  return s;
}

// Writes `doc` through the matcher: mask, then the longest allowed token that continues the
// document. Appends each mask_logits time (µs) to times.
bool write_document(GrammarMatcher& matcher, const std::string& doc,
                    const std::unordered_map<std::string, int32_t>& ids, size_t max_len,
                    std::vector<float>& logits, std::vector<double>& times) {
  size_t pos = 0;
  while (true) {
    std::fill(logits.begin(), logits.end(), 0.0f);
    const auto start = Clock::now();
    matcher.mask_logits(logits);
    times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (pos == doc.size()) return matcher.is_complete();
    int32_t chosen = -1;
    size_t chosen_len = 0;
    for (size_t len = std::min(max_len, doc.size() - pos); len > 0 && chosen < 0; --len) {
      auto it = ids.find(doc.substr(pos, len));
      if (it != ids.end() && logits[it->second] == 0.0f) chosen = it->second, chosen_len = len;
    }
    if (chosen < 0 || !matcher.accept_token(chosen)) {
      std::fprintf(stderr, "stuck at byte %zu of %s\n", pos, doc.c_str());
      return false;
    }
    pos += chosen_len;
  }
}

nlohmann::ordered_json stats_json(const Stats& s) {
  return {{"mean_us", s.mean_us}, {"p50_us", s.p50_us}, {"p99_us", s.p99_us}, {"max_us", s.max_us}, {"masks", s.n}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  std::string model_path;
  int n_docs = 20;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json") && i + 1 < argc) {
      json_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--model") && i + 1 < argc) {
      model_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--docs") && i + 1 < argc) {
      n_docs = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: constrain_bench [--docs N] [--model FILE.gguf] [--json out.json]\n");
      return 2;
    }
  }
  nlohmann::ordered_json report;
  report["schema"] = nlohmann::json::parse(kSchema);
  report["documents"] = n_docs;

  auto t0 = Clock::now();
  auto grammar = compile_json_schema_text(kSchema, SchemaOptions{});
  if (!grammar) {
    std::fprintf(stderr, "%s\n", grammar.error().message.c_str());
    return 1;
  }
  const double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  report["compile_ms"] = compile_ms;
  std::printf("schema compile: %.2f ms (%zu rules, %zu elements)\n", compile_ms, (*grammar)->n_rules(),
              (*grammar)->n_elements());

  std::vector<std::string> docs;
  for (int d = 0; d < n_docs; ++d) docs.push_back(make_document(1000 + d));

  // The synthetic vocabularies, and with --model the model's own (its tokenizer's token bytes).
  struct Vocabulary {
    std::string name;
    std::vector<std::string> pieces;
    std::vector<int32_t> eog_ids;
  };
  std::vector<Vocabulary> vocabularies;
  for (size_t n_vocab : {size_t{32000}, size_t{128000}}) {
    auto synthetic = constrain_test::make_synthetic_vocabulary(n_vocab, 42);
    vocabularies.push_back({"vocab_" + std::to_string(n_vocab), std::move(synthetic.pieces), std::move(synthetic.eog_ids)});
  }
  if (!model_path.empty()) {
    auto file = GgufFile::open(model_path);
    if (!file) {
      std::fprintf(stderr, "%s\n", file.error().message.c_str());
      return 1;
    }
    auto tokenizer = Tokenizer::from_gguf(**file);
    if (!tokenizer) {
      std::fprintf(stderr, "%s\n", tokenizer.error().message.c_str());
      return 1;
    }
    Vocabulary model{"model_vocab", {}, {}};
    for (int32_t id = 0; id < (*tokenizer)->n_vocab(); ++id) {
      if ((*tokenizer)->is_eog(id)) model.eog_ids.push_back(id);
      model.pieces.push_back((*tokenizer)->is_control(id) ? std::string() : (*tokenizer)->token_to_piece(id));
    }
    vocabularies.push_back(std::move(model));
  }

  for (const Vocabulary& v : vocabularies) {
    const size_t n_vocab = v.pieces.size();
    std::unordered_map<std::string, int32_t> ids;
    size_t max_len = 0;
    for (size_t id = 0; id < v.pieces.size(); ++id) {
      if (!v.pieces[id].empty()) ids.emplace(v.pieces[id], static_cast<int32_t>(id));
      max_len = std::max(max_len, v.pieces[id].size());
    }
    t0 = Clock::now();
    auto vocab = std::make_shared<const TokenVocabulary>(v.pieces, v.eog_ids);
    const double vocab_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    std::vector<float> logits(vocab->size());

    // Cold: every document on a fresh cache.
    std::vector<double> cold, warm;
    size_t n_tokens = 0;
    for (const std::string& doc : docs) {
      GrammarMatcher matcher(*grammar, vocab);
      if (!write_document(matcher, doc, ids, max_len, logits, cold)) return 1;
    }
    // Warm: one shared cache that has already seen every document.
    auto shared = std::make_shared<MaskCache>(*grammar, vocab);
    std::vector<double> ignored;
    for (const std::string& doc : docs) {
      GrammarMatcher matcher(shared);
      write_document(matcher, doc, ids, max_len, logits, ignored);
    }
    for (const std::string& doc : docs) {
      GrammarMatcher matcher(shared);
      write_document(matcher, doc, ids, max_len, logits, warm);
    }
    n_tokens = warm.size();
    const Stats c = stats_of(cold), w = stats_of(warm);
    std::printf("%s, %zu tokens: trie %zu nodes built in %.1f ms; %zu masks over %d documents; %zu states cached\n",
                v.name.c_str(), n_vocab, vocab->n_trie_nodes(), vocab_ms, n_tokens, n_docs, shared->n_states());
    std::printf("  cold cache: mean %7.1f us  p50 %7.1f us  p99 %8.1f us  max %8.1f us\n", c.mean_us, c.p50_us,
                c.p99_us, c.max_us);
    std::printf("  warm cache: mean %7.1f us  p50 %7.1f us  p99 %8.1f us  max %8.1f us\n", w.mean_us, w.p50_us,
                w.p99_us, w.max_us);
    report[v.name] = {{"tokens", n_vocab},
                      {"trie_nodes", vocab->n_trie_nodes()},
                      {"trie_build_ms", vocab_ms},
                      {"cache_states", shared->n_states()},
                      {"cache_bytes", shared->memory_bytes()},
                      {"cold", stats_json(c)},
                      {"warm", stats_json(w)}};
  }
  if (!json_path.empty()) {
    std::ofstream(json_path) << report.dump(2) << "\n";
    std::printf("wrote %s\n", json_path.c_str());
  }
  std::printf("sample document: %s\n", docs[0].c_str());
  return 0;
}
