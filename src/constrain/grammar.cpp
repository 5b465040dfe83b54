#include "constrain/grammar.h"

#include <map>

namespace tachyon {

uint32_t GrammarBuilder::new_rule() {
  rules_.emplace_back();
  return static_cast<uint32_t>(rules_.size() - 1);
}

void GrammarBuilder::add_alternative(uint32_t rule, Sequence sequence) {
  n_elements_ += sequence.size() + 1;
  rules_[rule].push_back(std::move(sequence));
}

GrammarBuilder::Symbol GrammarBuilder::bytes(const ByteSet& set) {
  // Few distinct sets exist (character classes repeat), so a linear search from the back finds
  // the recent ones fast and keeps the set table small.
  for (size_t i = byte_sets_.size(); i-- > 0;) {
    if (byte_sets_[i] == set) return Symbol{false, static_cast<uint32_t>(i)};
  }
  byte_sets_.push_back(set);
  return Symbol{false, static_cast<uint32_t>(byte_sets_.size() - 1)};
}

GrammarBuilder::Symbol GrammarBuilder::byte_range(uint8_t lo, uint8_t hi) {
  ByteSet set{};
  byte_set_add_range(set, lo, hi);
  return bytes(set);
}

void GrammarBuilder::append_literal(Sequence& sequence, std::string_view text) {
  for (char c : text) sequence.push_back(byte(static_cast<uint8_t>(c)));
}

uint32_t GrammarBuilder::rule_of(Sequence sequence) {
  const uint32_t rule = new_rule();
  add_alternative(rule, std::move(sequence));
  return rule;
}

uint32_t GrammarBuilder::optional(Sequence sequence) {
  const uint32_t rule = new_rule();
  add_alternative(rule, std::move(sequence));
  add_alternative(rule, {});
  return rule;
}

uint32_t GrammarBuilder::repeat(Symbol body, int64_t min, int64_t max) {
  Sequence sequence(static_cast<size_t>(min), body);
  if (max < 0) {
    // star ::= body star | ε  (the self-reference is in tail position, so stacks stay flat)
    const uint32_t star = new_rule();
    add_alternative(star, {body, ref(star)});
    add_alternative(star, {});
    sequence.push_back(ref(star));
  } else if (max > min) {
    // Up to (max - min) more: O_k ::= body O_(k-1) | ε, O_1 ::= body | ε.
    uint32_t tail = optional({body});
    for (int64_t k = 2; k <= max - min && !too_large(); ++k) {
      const uint32_t next = new_rule();
      add_alternative(next, {body, ref(tail)});
      add_alternative(next, {});
      tail = next;
    }
    sequence.push_back(ref(tail));
  }
  return rule_of(std::move(sequence));
}

namespace {

bool byte_set_empty(const ByteSet& set) { return (set[0] | set[1] | set[2] | set[3]) == 0; }

}  // namespace

Result<std::shared_ptr<const Grammar>> GrammarBuilder::finish(uint32_t root_rule) {
  if (too_large()) {
    return make_error("the grammar is too large (more than {} elements)", kMaxElements);
  }
  const size_t n_rules = rules_.size();

  // Alternatives numbered flat: alt_rule[a] is the rule of alternative a.
  std::vector<uint32_t> alt_rule;
  std::vector<const Sequence*> alt_sequence;
  for (uint32_t r = 0; r < n_rules; ++r) {
    for (const Sequence& s : rules_[r]) {
      alt_rule.push_back(r);
      alt_sequence.push_back(&s);
    }
  }
  const size_t n_alts = alt_rule.size();
  constexpr uint32_t kNever = UINT32_MAX;

  // users[r]: alternatives that reference rule r (once per occurrence).
  std::vector<std::vector<uint32_t>> users(n_rules);
  for (uint32_t a = 0; a < n_alts; ++a) {
    for (const Symbol& sym : *alt_sequence[a]) {
      if (sym.is_rule) users[sym.index].push_back(a);
    }
  }

  // A worklist fixpoint: an alternative "holds" once all its pending rule references hold;
  // a rule holds once one of its alternatives does. Used for productive and nullable alike.
  auto fixpoint = [&](auto&& initial_pending) {
    std::vector<uint32_t> pending(n_alts);
    std::vector<char> holds(n_rules, 0);
    std::vector<uint32_t> queue;
    for (uint32_t a = 0; a < n_alts; ++a) {
      pending[a] = initial_pending(a);
      if (pending[a] == 0 && !holds[alt_rule[a]]) {
        holds[alt_rule[a]] = 1;
        queue.push_back(alt_rule[a]);
      }
    }
    while (!queue.empty()) {
      const uint32_t r = queue.back();
      queue.pop_back();
      for (uint32_t a : users[r]) {
        if (pending[a] == kNever || pending[a] == 0) continue;
        if (--pending[a] == 0 && !holds[alt_rule[a]]) {
          holds[alt_rule[a]] = 1;
          queue.push_back(alt_rule[a]);
        }
      }
    }
    return std::pair{std::move(holds), std::move(pending)};
  };

  // Productive: every byte element has a non-empty set and every referenced rule is productive.
  const auto [productive, productive_pending] = fixpoint([&](uint32_t a) {
    uint32_t n = 0;
    for (const Symbol& sym : *alt_sequence[a]) {
      if (!sym.is_rule && byte_set_empty(byte_sets_[sym.index])) return kNever;
      n += sym.is_rule;
    }
    return n;
  });
  if (!productive[root_rule]) return make_error("the grammar matches nothing");
  std::vector<char> keep_alt(n_alts);
  for (uint32_t a = 0; a < n_alts; ++a) keep_alt[a] = productive_pending[a] == 0;

  // Nullable (over kept alternatives): only rule references, each to a nullable rule.
  const auto nullable = fixpoint([&](uint32_t a) {
    if (!keep_alt[a]) return kNever;
    uint32_t n = 0;
    for (const Symbol& sym : *alt_sequence[a]) {
      if (!sym.is_rule) return kNever;
      ++n;
    }
    return n;
  }).first;

  // Left recursion: an edge r -> s when s can come first in r (after nullable references).
  // Kahn's algorithm; any rule left over lies on a cycle.
  std::vector<std::vector<uint32_t>> left_edges(n_rules);
  std::vector<uint32_t> in_degree(n_rules, 0);
  for (uint32_t a = 0; a < n_alts; ++a) {
    if (!keep_alt[a]) continue;
    for (const Symbol& sym : *alt_sequence[a]) {
      if (!sym.is_rule) break;
      left_edges[alt_rule[a]].push_back(sym.index);
      ++in_degree[sym.index];
      if (!nullable[sym.index]) break;
    }
  }
  std::vector<uint32_t> queue;
  for (uint32_t r = 0; r < n_rules; ++r) {
    if (in_degree[r] == 0) queue.push_back(r);
  }
  size_t n_removed = 0;
  while (!queue.empty()) {
    const uint32_t r = queue.back();
    queue.pop_back();
    ++n_removed;
    for (uint32_t s : left_edges[r]) {
      if (--in_degree[s] == 0) queue.push_back(s);
    }
  }
  if (n_removed != n_rules) {
    return make_error(
        "the grammar is left-recursive: a $ref cycle that consumes no input, or a repeated part "
        "that can match the empty string");
  }

  std::shared_ptr<Grammar> grammar(new Grammar());
  grammar->byte_sets_ = byte_sets_;
  grammar->rule_alternatives_.resize(n_rules);
  grammar->elements_.reserve(n_elements_);
  for (uint32_t a = 0; a < n_alts; ++a) {
    if (!keep_alt[a]) continue;
    grammar->rule_alternatives_[alt_rule[a]].push_back(
        static_cast<uint32_t>(grammar->elements_.size()));
    for (const Symbol& sym : *alt_sequence[a]) {
      const auto kind = sym.is_rule ? Grammar::Kind::Ref : Grammar::Kind::Bytes;
      grammar->elements_.push_back((static_cast<uint32_t>(kind) << Grammar::kKindShift) | sym.index);
    }
    grammar->elements_.push_back(static_cast<uint32_t>(Grammar::Kind::End) << Grammar::kKindShift);
  }
  grammar->root_rule_ = root_rule;
  return std::shared_ptr<const Grammar>(std::move(grammar));
}

}  // namespace tachyon
