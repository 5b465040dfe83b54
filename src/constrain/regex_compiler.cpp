#include "constrain/regex_compiler.h"

#include <map>
#include <optional>

#include "constrain/regex_parser.h"

namespace tachyon {

namespace {

using Symbol = GrammarBuilder::Symbol;
using Sequence = GrammarBuilder::Sequence;

// The JSON escape of a character that cannot appear raw in a JSON string.
std::string json_escape(uint32_t cp) {
  switch (cp) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return fmt::format("\\u{:04x}", cp);
  }
}

class Emitter {
 public:
  Emitter(GrammarBuilder& builder, RegexAst ast, const RegexTarget& target)
      : b_(builder), ast_(std::move(ast)), target_(target) {}

  Symbol root() {
    std::vector<Sequence> alternatives;
    for (const RegexAst::Branch& branch : ast_.branches) {
      Sequence seq;
      if (target_.search && !branch.anchored_start) seq.push_back(any_star());
      seq.push_back(emit(branch.node));
      if (target_.search && !branch.anchored_end) seq.push_back(any_star());
      alternatives.push_back(std::move(seq));
    }
    if (alternatives.size() == 1 && alternatives[0].size() == 1) return alternatives[0][0];
    const uint32_t rule = b_.new_rule();
    for (Sequence& seq : alternatives) b_.add_alternative(rule, std::move(seq));
    return GrammarBuilder::ref(rule);
  }

 private:
  Symbol any_star() {
    if (!any_star_) any_star_ = GrammarBuilder::ref(b_.repeat(target_.any_char, 0, -1));
    return *any_star_;
  }

  // The symbols of node as one alternative (a Concat's children inline).
  Sequence sequence_of(int index) {
    const RegexNode node = ast_.nodes[index];  // a copy: emitting may add nodes
    Sequence seq;
    if (node.type == RegexNode::Type::Concat) {
      for (int child : node.children) seq.push_back(emit(child));
    } else {
      seq.push_back(emit(index));
    }
    return seq;
  }

  Symbol emit(int index) {
    const RegexNode node = ast_.nodes[index];  // a copy: emitting may add nodes
    switch (node.type) {
      case RegexNode::Type::Empty:
        return GrammarBuilder::ref(b_.rule_of({}));
      case RegexNode::Type::Set:
        return emit_set(node.set);
      case RegexNode::Type::Concat: {
        if (node.children.size() == 1) return emit(node.children[0]);
        return GrammarBuilder::ref(b_.rule_of(sequence_of(index)));
      }
      case RegexNode::Type::Alternation: {
        if (node.children.size() == 1) return emit(node.children[0]);
        const uint32_t rule = b_.new_rule();
        for (int child : node.children) b_.add_alternative(rule, sequence_of(child));
        return GrammarBuilder::ref(rule);
      }
      case RegexNode::Type::Repeat: {
        int child = node.children[0];
        int min = node.min;
        if (nullable(child) && (node.max > 1 || node.max < 0)) {
          // A repeated part that can match nothing would loop without consuming input:
          // X{n,m} with X nullable is the same language as X'{0,m}, X' = X without "".
          child = non_empty(child);
          if (child < 0) return GrammarBuilder::ref(b_.rule_of({}));
          min = 0;
        }
        const Symbol body = emit(child);
        if (min == 1 && node.max == 1) return body;
        return GrammarBuilder::ref(b_.repeat(body, min, node.max));
      }
    }
    return GrammarBuilder::ref(b_.rule_of({}));
  }

  bool nullable(int index) const {
    const RegexNode& node = ast_.nodes[index];
    switch (node.type) {
      case RegexNode::Type::Empty: return true;
      case RegexNode::Type::Set: return false;
      case RegexNode::Type::Concat:
        for (int child : node.children) {
          if (!nullable(child)) return false;
        }
        return true;
      case RegexNode::Type::Alternation:
        for (int child : node.children) {
          if (nullable(child)) return true;
        }
        return false;
      case RegexNode::Type::Repeat: return node.min == 0 || nullable(node.children[0]);
    }
    return false;
  }

  // A node for the language of `index` without the empty string; -1 when nothing is left.
  // Adds nodes to the (copied) tree.
  int non_empty(int index) {
    const RegexNode node = ast_.nodes[index];
    if (!nullable(index)) return index;
    switch (node.type) {
      case RegexNode::Type::Empty:
      case RegexNode::Type::Set:
        return -1;
      case RegexNode::Type::Concat: {
        // All parts are nullable: the first part to match something is part i.
        RegexNode alternation{RegexNode::Type::Alternation, {}, {}, 0, 0};
        for (size_t i = 0; i < node.children.size(); ++i) {
          const int head = non_empty(node.children[i]);
          if (head < 0) continue;
          RegexNode concat{RegexNode::Type::Concat, {}, {head}, 0, 0};
          concat.children.insert(concat.children.end(), node.children.begin() + i + 1, node.children.end());
          alternation.children.push_back(add(std::move(concat)));
        }
        return alternation.children.empty() ? -1 : add(std::move(alternation));
      }
      case RegexNode::Type::Alternation: {
        RegexNode alternation{RegexNode::Type::Alternation, {}, {}, 0, 0};
        for (int child : node.children) {
          const int part = non_empty(child);
          if (part >= 0) alternation.children.push_back(part);
        }
        return alternation.children.empty() ? -1 : add(std::move(alternation));
      }
      case RegexNode::Type::Repeat: {
        if (node.max == 0) return -1;
        const int child = nullable(node.children[0]) ? non_empty(node.children[0]) : node.children[0];
        if (child < 0) return -1;
        return add(RegexNode{RegexNode::Type::Repeat, {}, {child}, 1, node.max});
      }
    }
    return -1;
  }

  int add(RegexNode node) {
    ast_.nodes.push_back(std::move(node));
    return static_cast<int>(ast_.nodes.size() - 1);
  }

  Symbol emit_set(const CodepointSet& set) {
    auto it = set_symbols_.find(set);
    if (it != set_symbols_.end()) return it->second;

    std::vector<Sequence> alternatives;
    CodepointSet plain = set;
    if (target_.json_string) {
      CodepointSet special = CodepointSet::range(0, 0x1F);
      special.add('"', '"');
      special.add('\\', '\\');
      plain = set.minus(special);
      for (const CodepointSet::Range& r : set.ranges()) {
        for (uint32_t cp = r.lo; cp <= r.hi && cp <= '\\'; ++cp) {
          if (!special.contains(cp)) continue;
          Sequence seq;
          b_.append_literal(seq, json_escape(cp));
          alternatives.push_back(std::move(seq));
        }
      }
    }
    ByteSet single_bytes{};
    bool any_single = false;
    for (const CodepointSet::Range& r : plain.ranges()) {
      for (const Utf8Sequence& u : utf8_sequences(r.lo, r.hi)) {
        if (u.length == 1) {
          byte_set_add_range(single_bytes, u.bytes[0].first, u.bytes[0].second);
          any_single = true;
          continue;
        }
        Sequence seq;
        for (int i = 0; i < u.length; ++i) seq.push_back(b_.byte_range(u.bytes[i].first, u.bytes[i].second));
        alternatives.push_back(std::move(seq));
      }
    }
    if (any_single) alternatives.push_back({b_.bytes(single_bytes)});

    Symbol symbol;
    if (alternatives.size() == 1 && alternatives[0].size() == 1) {
      symbol = alternatives[0][0];
    } else {
      const uint32_t rule = b_.new_rule();
      for (Sequence& seq : alternatives) b_.add_alternative(rule, std::move(seq));
      symbol = GrammarBuilder::ref(rule);
    }
    set_symbols_.emplace(set, symbol);
    return symbol;
  }

  GrammarBuilder& b_;
  RegexAst ast_;
  const RegexTarget& target_;
  std::optional<Symbol> any_star_;
  std::map<CodepointSet, Symbol> set_symbols_;
};

}  // namespace

Result<Symbol> emit_regex(GrammarBuilder& builder, std::string_view pattern,
                          const RegexTarget& target) {
  auto ast = parse_regex(pattern);
  if (!ast) return ast.error();
  Symbol symbol = Emitter(builder, std::move(*ast), target).root();
  if (builder.too_large()) return make_error("the regex is too large once expanded");
  return symbol;
}

Result<std::shared_ptr<const Grammar>> compile_regex(std::string_view pattern) {
  GrammarBuilder builder;
  auto symbol = emit_regex(builder, pattern, RegexTarget{});
  if (!symbol) return symbol.error();
  const uint32_t root = builder.rule_of({*symbol});
  auto grammar = builder.finish(root);
  if (!grammar) {
    return make_error("regex {}: {}", pattern.size() > 80 ? std::string(pattern.substr(0, 80)) + "..." : std::string(pattern),
                      grammar.error().message);
  }
  return grammar;
}

}  // namespace tachyon
