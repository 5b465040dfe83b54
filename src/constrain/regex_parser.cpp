#include "constrain/regex_parser.h"

#include <optional>

namespace tachyon {

namespace {

CodepointSet digit_set() { return CodepointSet::range('0', '9'); }
CodepointSet word_set() {
  CodepointSet set = CodepointSet::range('0', '9');
  set.add('A', 'Z');
  set.add('a', 'z');
  set.add('_', '_');
  return set;
}
// ASCII white space only; ECMAScript's \s also has Unicode spaces, which are left out.
CodepointSet space_set() {
  CodepointSet set = CodepointSet::range('\t', '\r');
  set.add(' ', ' ');
  return set;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  explicit Parser(std::string_view pattern) : p_(pattern) {}

  Result<RegexAst> parse() {
    while (true) {
      RegexAst::Branch branch;
      if (peek() == '^') {
        branch.anchored_start = true;
        ++i_;
      }
      ended_with_dollar_ = false;
      branch.node = concat(/*top=*/true);
      if (error_) return *error_;
      branch.anchored_end = ended_with_dollar_;
      ast_.branches.push_back(branch);
      if (i_ < p_.size() && p_[i_] == '|') {
        ++i_;
        continue;
      }
      break;
    }
    if (i_ < p_.size()) return fail("unmatched ')'");
    return std::move(ast_);
  }

 private:
  char peek(size_t ahead = 0) const { return i_ + ahead < p_.size() ? p_[i_ + ahead] : '\0'; }
  bool at_end() const { return i_ >= p_.size(); }

  Error fail(std::string_view what) {
    if (!error_) error_ = make_error("invalid regex at offset {}: {}", i_, what);
    return *error_;
  }

  int add(RegexNode node) {
    ast_.nodes.push_back(std::move(node));
    return static_cast<int>(ast_.nodes.size() - 1);
  }
  int add_set(CodepointSet set) {
    RegexNode node;
    node.type = RegexNode::Type::Set;
    node.set = std::move(set);
    return add(std::move(node));
  }

  // A sequence up to '|', ')' or the end. At the top level a '$' right before '|' or the end
  // anchors the branch.
  int concat(bool top) {
    RegexNode node;
    node.type = RegexNode::Type::Concat;
    while (!at_end() && !error_) {
      const char c = p_[i_];
      if (c == '|' || c == ')') break;
      if (c == '$') {
        if (top && (i_ + 1 == p_.size() || p_[i_ + 1] == '|')) {
          ended_with_dollar_ = true;
          ++i_;
          break;
        }
        fail("'$' is only supported at the end of the pattern");
        break;
      }
      if (c == '^') {
        fail("'^' is only supported at the start of the pattern");
        break;
      }
      int atom_node = atom();
      if (error_) break;
      atom_node = quantified(atom_node);
      node.children.push_back(atom_node);
    }
    if (error_) return -1;
    return add(std::move(node));
  }

  int alternation() {
    RegexNode node;
    node.type = RegexNode::Type::Alternation;
    while (true) {
      node.children.push_back(concat(/*top=*/false));
      if (error_) return -1;
      if (peek() != '|') break;
      ++i_;
    }
    return add(std::move(node));
  }

  // Parses {n}, {n,}, {n,m} at i_; nullopt (i_ unchanged) when the text there is not one, in
  // which case '{' is a literal.
  std::optional<std::pair<int, int>> braces() {
    size_t j = i_ + 1;
    auto number = [&](int& out) {
      const size_t start = j;
      int64_t value = 0;
      while (j < p_.size() && is_digit(p_[j])) {
        value = std::min<int64_t>(value * 10 + (p_[j] - '0'), int64_t{1} << 40);
        ++j;
      }
      out = static_cast<int>(std::min<int64_t>(value, INT32_MAX));
      return j > start;
    };
    int min = 0, max = 0;
    if (!number(min)) return std::nullopt;
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      if (!number(max)) max = -1;
    } else {
      max = min;
    }
    if (j >= p_.size() || p_[j] != '}') return std::nullopt;
    i_ = j + 1;
    return std::pair{min, max};
  }

  int quantified(int atom_node) {
    int min = 0, max = 0;
    const char c = peek();
    if (c == '*') {
      min = 0, max = -1, ++i_;
    } else if (c == '+') {
      min = 1, max = -1, ++i_;
    } else if (c == '?') {
      min = 0, max = 1, ++i_;
    } else if (c == '{') {
      auto counts = braces();
      if (!counts) return atom_node;
      min = counts->first, max = counts->second;
      if (min > kMaxRegexRepeat || max > kMaxRegexRepeat) {
        fail(fmt::format("repeat counts above {} are not supported", kMaxRegexRepeat));
        return -1;
      }
      if (max >= 0 && min > max) {
        fail("repeat count {n,m} with n > m");
        return -1;
      }
    } else {
      return atom_node;
    }
    if (peek() == '?') {
      ++i_;  // lazy: the same language
    } else if (peek() == '+') {
      fail("possessive quantifiers are not supported");
      return -1;
    }
    if (peek() == '*' || peek() == '+' || peek() == '?' || (peek() == '{' && braces_ahead())) {
      fail("nothing to repeat");
      return -1;
    }
    RegexNode node;
    node.type = RegexNode::Type::Repeat;
    node.children = {atom_node};
    node.min = min;
    node.max = max;
    return add(std::move(node));
  }

  bool braces_ahead() {
    const size_t saved = i_;
    const bool is_quantifier = braces().has_value();
    i_ = saved;
    return is_quantifier;
  }

  int atom() {
    const char c = p_[i_];
    switch (c) {
      case '(':
        return group();
      case '[':
        return char_class();
      case '.': {
        ++i_;
        CodepointSet set = CodepointSet::all();
        return add_set(set.minus(CodepointSet::of('\n')).minus(CodepointSet::of('\r')));
      }
      case '\\': {
        ++i_;
        auto set = escape(/*in_class=*/false);
        if (!set) return -1;
        return add_set(std::move(*set));
      }
      case '*':
      case '+':
      case '?':
        fail("nothing to repeat");
        return -1;
      case '{':
        if (braces_ahead()) {
          fail("nothing to repeat");
          return -1;
        }
        ++i_;
        return add_set(CodepointSet::of('{'));
      default:
        break;
    }
    const int32_t cp = literal_codepoint();
    if (cp < 0) return -1;
    return add_set(CodepointSet::of(static_cast<uint32_t>(cp)));
  }

  int32_t literal_codepoint() {
    std::string_view rest = p_.substr(i_);
    const int32_t cp = pop_codepoint_utf8(rest);
    if (cp < 0) {
      fail("the pattern is not valid UTF-8");
      return -1;
    }
    i_ = p_.size() - rest.size();
    return cp;
  }

  int group() {
    ++i_;  // '('
    if (++depth_ > kMaxRegexNesting) {
      fail(fmt::format("groups nest deeper than {}", kMaxRegexNesting));
      return -1;
    }
    if (peek() == '?') {
      const char kind = peek(1);
      if (kind == ':') {
        i_ += 2;
      } else if (kind == '=' || kind == '!') {
        fail("lookahead is not supported");
        return -1;
      } else if (kind == '<' && (peek(2) == '=' || peek(2) == '!')) {
        fail("lookbehind is not supported");
        return -1;
      } else if (kind == '<' || (kind == 'P' && peek(2) == '<')) {
        // A named capturing group: the name is irrelevant to the language.
        const size_t close = p_.find('>', i_);
        if (close == std::string_view::npos) {
          fail("unterminated group name");
          return -1;
        }
        i_ = close + 1;
      } else if (kind == '>') {
        fail("atomic groups are not supported");
        return -1;
      } else {
        fail("inline flags and other (?...) groups are not supported");
        return -1;
      }
    }
    const int inner = alternation();
    if (error_) return -1;
    if (peek() != ')') {
      fail("missing ')'");
      return -1;
    }
    ++i_;
    --depth_;
    return inner;
  }

  // After a backslash. Returns the set it stands for, or nullopt after fail().
  std::optional<CodepointSet> escape(bool in_class) {
    if (at_end()) {
      fail("the pattern ends with a backslash");
      return std::nullopt;
    }
    const char c = p_[i_++];
    switch (c) {
      case 'd': return digit_set();
      case 'D': return digit_set().complement();
      case 'w': return word_set();
      case 'W': return word_set().complement();
      case 's': return space_set();
      case 'S': return space_set().complement();
      case 't': return CodepointSet::of('\t');
      case 'n': return CodepointSet::of('\n');
      case 'r': return CodepointSet::of('\r');
      case 'f': return CodepointSet::of('\f');
      case 'v': return CodepointSet::of('\v');
      case '0':
        if (is_digit(peek())) break;
        return CodepointSet::of(0);
      case 'b':
        if (in_class) return CodepointSet::of('\b');
        fail("word boundaries (\\b) are not supported");
        return std::nullopt;
      case 'B':
        fail("word boundaries (\\B) are not supported");
        return std::nullopt;
      case 'k':
        fail("backreferences are not supported");
        return std::nullopt;
      case 'p':
      case 'P':
        fail("Unicode property escapes (\\p{...}) are not supported");
        return std::nullopt;
      case 'x': {
        const int hi = hex_value(peek()), lo = hex_value(peek(1));
        if (hi < 0 || lo < 0) break;
        i_ += 2;
        return CodepointSet::of(static_cast<uint32_t>(hi * 16 + lo));
      }
      case 'u': {
        uint32_t value = 0;
        if (peek() == '{') {
          size_t j = i_ + 1;
          int n = 0;
          while (j < p_.size() && hex_value(p_[j]) >= 0 && n < 7) value = value * 16 + hex_value(p_[j++]), ++n;
          if (n == 0 || j >= p_.size() || p_[j] != '}' || value > kMaxCodepoint) break;
          i_ = j + 1;
        } else {
          for (int k = 0; k < 4; ++k) {
            const int h = hex_value(peek(k));
            if (h < 0) {
              fail("\\u needs four hex digits");
              return std::nullopt;
            }
            value = value * 16 + h;
          }
          i_ += 4;
        }
        if (value >= 0xD800 && value <= 0xDFFF) {
          fail("surrogate code points are not supported");
          return std::nullopt;
        }
        return CodepointSet::of(value);
      }
      default:
        if (c >= '1' && c <= '9') {
          fail("backreferences are not supported");
          return std::nullopt;
        }
        if (is_ascii_alnum(c)) {
          --i_;
          fail(fmt::format("unknown escape \\{}", c));
          return std::nullopt;
        }
        --i_;
        {
          const int32_t cp = literal_codepoint();
          if (cp < 0) return std::nullopt;
          return CodepointSet::of(static_cast<uint32_t>(cp));
        }
    }
    --i_;
    fail(fmt::format("malformed escape \\{}", c));
    return std::nullopt;
  }

  int char_class() {
    ++i_;  // '['
    bool negate = false;
    if (peek() == '^') {
      negate = true;
      ++i_;
    }
    CodepointSet set;
    while (true) {
      if (at_end()) {
        fail("missing ']'");
        return -1;
      }
      if (p_[i_] == ']') {
        ++i_;
        break;
      }
      if (p_[i_] == '[' && peek(1) == ':') {
        fail("POSIX classes ([:alpha:]) are not supported");
        return -1;
      }
      // One item: a single code point (maybe the start of a range) or an escape class.
      bool single = true;
      CodepointSet item;
      uint32_t lo = 0;
      if (!class_atom(item, lo, single)) return -1;
      if (single && peek() == '-' && peek(1) != ']' && peek(1) != '\0') {
        ++i_;
        CodepointSet hi_item;
        uint32_t hi = 0;
        bool hi_single = true;
        if (!class_atom(hi_item, hi, hi_single)) return -1;
        if (!hi_single) {
          fail("a class escape cannot end a range");
          return -1;
        }
        if (hi < lo) {
          fail("range out of order in character class");
          return -1;
        }
        set.add(lo, hi);
      } else {
        set.add(item);
      }
    }
    if (negate) set = set.complement();
    if (set.empty()) {
      fail("the character class matches nothing");
      return -1;
    }
    return add_set(std::move(set));
  }

  // One class item: sets `single` and `cp` for one code point, or fills `item` for \d and kin.
  bool class_atom(CodepointSet& item, uint32_t& cp, bool& single) {
    if (p_[i_] == '\\') {
      ++i_;
      const char c = peek();
      auto set = escape(/*in_class=*/true);
      if (!set) return false;
      const bool is_class = c == 'd' || c == 'D' || c == 'w' || c == 'W' || c == 's' || c == 'S';
      single = !is_class;
      if (single) cp = set->ranges().front().lo;
      item = std::move(*set);
      return true;
    }
    const int32_t value = literal_codepoint();
    if (value < 0) return false;
    cp = static_cast<uint32_t>(value);
    item = CodepointSet::of(cp);
    single = true;
    return true;
  }

  std::string_view p_;
  size_t i_ = 0;
  int depth_ = 0;
  bool ended_with_dollar_ = false;
  RegexAst ast_;
  std::optional<Error> error_;
};

}  // namespace

Result<RegexAst> parse_regex(std::string_view pattern) {
  if (pattern.size() > kMaxRegexBytes) {
    return make_error("the regex is longer than {} bytes", kMaxRegexBytes);
  }
  return Parser(pattern).parse();
}

}  // namespace tachyon
