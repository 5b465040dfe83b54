#include "constrain/json_parts.h"

#include <algorithm>
#include <set>

#include "constrain/codepoint_set.h"

namespace tachyon {

using Symbol = JsonParts::Symbol;
using Sequence = JsonParts::Sequence;

Symbol JsonParts::ws() {
  if (!ws_) ws_ = GrammarBuilder::ref(b_.optional({b_.byte(' ')}));
  return *ws_;
}

Symbol JsonParts::digit() {
  if (!digit_) digit_ = b_.byte_range('0', '9');
  return *digit_;
}

Symbol JsonParts::string_char() {
  if (string_char_) return *string_char_;
  const uint32_t rule = b_.new_rule();
  // Unescaped ASCII: 0x20..0x7F without '"' and '\'.
  ByteSet plain{};
  byte_set_add_range(plain, 0x20, 0x7F);
  plain['"' >> 6] &= ~(uint64_t{1} << ('"' & 63));
  plain['\\' >> 6] &= ~(uint64_t{1} << ('\\' & 63));
  b_.add_alternative(rule, {b_.bytes(plain)});
  // Multi-byte UTF-8, exactly the valid sequences.
  for (const Utf8Sequence& u : utf8_sequences(0x80, kMaxCodepoint)) {
    Sequence seq;
    for (int i = 0; i < u.length; ++i) seq.push_back(b_.byte_range(u.bytes[i].first, u.bytes[i].second));
    b_.add_alternative(rule, std::move(seq));
  }
  // Escapes.
  ByteSet simple{};
  for (char c : std::string_view("\"\\/bfnrt")) byte_set_add_range(simple, c, c);
  b_.add_alternative(rule, {b_.byte('\\'), b_.bytes(simple)});
  ByteSet hex{};
  byte_set_add_range(hex, '0', '9');
  byte_set_add_range(hex, 'a', 'f');
  byte_set_add_range(hex, 'A', 'F');
  const Symbol h = b_.bytes(hex);
  ByteSet not_d{};
  byte_set_add_range(not_d, '0', '9');
  byte_set_add_range(not_d, 'a', 'c');
  byte_set_add_range(not_d, 'A', 'C');
  byte_set_add_range(not_d, 'e', 'f');
  byte_set_add_range(not_d, 'E', 'F');
  ByteSet d{};
  byte_set_add_range(d, 'd', 'd');
  byte_set_add_range(d, 'D', 'D');
  ByteSet high{};  // 8..b: a high surrogate
  byte_set_add_range(high, '8', '9');
  byte_set_add_range(high, 'a', 'b');
  byte_set_add_range(high, 'A', 'B');
  ByteSet low{};  // c..f: a low surrogate
  byte_set_add_range(low, 'c', 'f');
  byte_set_add_range(low, 'C', 'F');
  const Symbol bs = b_.byte('\\'), u = b_.byte('u');
  b_.add_alternative(rule, {bs, u, b_.bytes(not_d), h, h, h});
  b_.add_alternative(rule, {bs, u, b_.bytes(d), b_.byte_range('0', '7'), h, h});
  b_.add_alternative(rule, {bs, u, b_.bytes(d), b_.bytes(high), h, h, bs, u, b_.bytes(d), b_.bytes(low), h, h});
  string_char_ = GrammarBuilder::ref(rule);
  return *string_char_;
}

Symbol JsonParts::string(int64_t min, int64_t max) {
  auto it = strings_.find({min, max});
  if (it != strings_.end()) return it->second;
  const Symbol quote = b_.byte('"');
  const Symbol chars = GrammarBuilder::ref(b_.repeat(string_char(), min, max));
  const Symbol symbol = GrammarBuilder::ref(b_.rule_of({quote, chars, quote}));
  strings_.emplace(std::pair{min, max}, symbol);
  return symbol;
}

Symbol JsonParts::key_not_in(const std::vector<std::string>& names) {
  // A byte trie of the names that an ASCII key could spell; each node is a rule: a child byte
  // goes down the trie, any other key byte leaves it (then anything may follow), and '"' closes
  // the key unless the node spells a name.
  ByteSet plain{};
  byte_set_add_range(plain, 0x20, 0x7E);
  plain['"' >> 6] &= ~(uint64_t{1} << ('"' & 63));
  plain['\\' >> 6] &= ~(uint64_t{1} << ('\\' & 63));
  auto is_plain = [&](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [&](char c) { return byte_set_has(plain, static_cast<uint8_t>(c)); });
  };
  std::set<std::string> sorted;
  for (const std::string& name : names) {
    if (is_plain(name)) sorted.insert(name);
  }
  const Symbol quote = b_.byte('"');
  const uint32_t free_rest = b_.rule_of({GrammarBuilder::ref(b_.repeat(b_.bytes(plain), 0, -1)), quote});

  // Builds the rule for the names sharing `prefix` (all in [begin, end)).
  struct Frame {
    std::string prefix;
    uint32_t rule;
  };
  const uint32_t root = b_.new_rule();
  std::vector<Frame> work{{"", root}};
  while (!work.empty()) {
    Frame frame = std::move(work.back());
    work.pop_back();
    auto begin = sorted.lower_bound(frame.prefix);
    bool is_name = false;
    ByteSet children{};
    std::vector<uint8_t> child_bytes;
    for (auto it = begin; it != sorted.end() && it->starts_with(frame.prefix); ++it) {
      if (it->size() == frame.prefix.size()) {
        is_name = true;
        continue;
      }
      const auto c = static_cast<uint8_t>((*it)[frame.prefix.size()]);
      if (!byte_set_has(children, c)) {
        byte_set_add_range(children, c, c);
        child_bytes.push_back(c);
      }
    }
    for (uint8_t c : child_bytes) {
      const uint32_t child = b_.new_rule();
      b_.add_alternative(frame.rule, {b_.byte(c), GrammarBuilder::ref(child)});
      work.push_back({frame.prefix + static_cast<char>(c), child});
    }
    ByteSet others = plain;
    for (int w = 0; w < 4; ++w) others[w] &= ~children[w];
    b_.add_alternative(frame.rule, {b_.bytes(others), GrammarBuilder::ref(free_rest)});
    if (!is_name) b_.add_alternative(frame.rule, {quote});
  }
  return GrammarBuilder::ref(b_.rule_of({quote, GrammarBuilder::ref(root)}));
}

Symbol JsonParts::number(bool non_negative) {
  auto& slot = number_[non_negative ? 1 : 0];
  if (slot) return *slot;
  const uint32_t integer_part = b_.new_rule();
  b_.add_alternative(integer_part, {b_.byte('0')});
  b_.add_alternative(integer_part, {b_.byte_range('1', '9'), GrammarBuilder::ref(b_.repeat(digit(), 0, 15))});
  const uint32_t fraction =
      b_.optional({b_.byte('.'), GrammarBuilder::ref(b_.repeat(digit(), 1, 16))});
  ByteSet e{};
  byte_set_add_range(e, 'e', 'e');
  byte_set_add_range(e, 'E', 'E');
  ByteSet sign{};
  byte_set_add_range(sign, '+', '+');
  byte_set_add_range(sign, '-', '-');
  const uint32_t exponent = b_.optional({b_.bytes(e), GrammarBuilder::ref(b_.optional({b_.bytes(sign)})),
                                         GrammarBuilder::ref(b_.repeat(digit(), 1, 2))});
  Sequence seq;
  if (!non_negative) seq.push_back(GrammarBuilder::ref(b_.optional({b_.byte('-')})));
  seq.push_back(GrammarBuilder::ref(integer_part));
  seq.push_back(GrammarBuilder::ref(fraction));
  seq.push_back(GrammarBuilder::ref(exponent));
  slot = GrammarBuilder::ref(b_.rule_of(std::move(seq)));
  return *slot;
}

// Decimal strings of one width in [lo, hi], as sequences of digit ranges: equal leading digits
// are fixed; otherwise lo's digit with the rest up to 9..9, the digits strictly between with
// anything after, and hi's digit with the rest from 0..0.
void JsonParts::fixed_width_range(const std::string& lo, const std::string& hi, Sequence prefix,
                                  std::vector<Sequence>& out) {
  if (lo.empty()) {
    out.push_back(std::move(prefix));
    return;
  }
  const size_t rest = lo.size() - 1;
  const bool lo_rest_min = lo.find_first_not_of('0', 1) == std::string::npos;
  const bool hi_rest_max = hi.find_first_not_of('9', 1) == std::string::npos;
  if (lo[0] == hi[0]) {
    prefix.push_back(b_.byte(static_cast<uint8_t>(lo[0])));
    fixed_width_range(lo.substr(1), hi.substr(1), std::move(prefix), out);
    return;
  }
  if (lo_rest_min && hi_rest_max) {
    prefix.push_back(b_.byte_range(static_cast<uint8_t>(lo[0]), static_cast<uint8_t>(hi[0])));
    for (size_t k = 0; k < rest; ++k) prefix.push_back(digit());
    out.push_back(std::move(prefix));
    return;
  }
  Sequence low = prefix;
  low.push_back(b_.byte(static_cast<uint8_t>(lo[0])));
  fixed_width_range(lo.substr(1), std::string(rest, '9'), std::move(low), out);
  if (lo[0] + 1 <= hi[0] - 1) {
    Sequence middle = prefix;
    middle.push_back(b_.byte_range(static_cast<uint8_t>(lo[0] + 1), static_cast<uint8_t>(hi[0] - 1)));
    for (size_t k = 0; k < rest; ++k) middle.push_back(digit());
    out.push_back(std::move(middle));
  }
  Sequence high = std::move(prefix);
  high.push_back(b_.byte(static_cast<uint8_t>(hi[0])));
  fixed_width_range(std::string(rest, '0'), hi.substr(1), std::move(high), out);
}

void JsonParts::non_negative_range(int64_t lo, int64_t hi, Sequence prefix, std::vector<Sequence>& out) {
  const std::string lo_text = std::to_string(lo), hi_text = std::to_string(hi);
  int64_t width_floor = 1;  // 10^(width - 1)
  for (size_t width = 1; width <= hi_text.size(); ++width, width_floor *= 10) {
    if (width < lo_text.size()) continue;
    const int64_t a = width == lo_text.size() ? lo : width_floor;
    const int64_t b = width == hi_text.size() ? hi : width_floor * 10 - 1;
    fixed_width_range(std::to_string(a), std::to_string(b), prefix, out);
  }
}

Result<Symbol> JsonParts::integer(int64_t lo, int64_t hi) {
  lo = std::clamp(lo, -kMaxInteger, kMaxInteger);
  hi = std::clamp(hi, -kMaxInteger, kMaxInteger);
  if (lo > hi) return make_error("the integer range [{}, {}] is empty", lo, hi);
  auto it = integers_.find({lo, hi});
  if (it != integers_.end()) return it->second;
  std::vector<Sequence> alternatives;
  if (lo < 0) non_negative_range(hi < 0 ? -hi : 1, -lo, {b_.byte('-')}, alternatives);
  if (hi >= 0) non_negative_range(std::max<int64_t>(lo, 0), hi, {}, alternatives);
  const uint32_t rule = b_.new_rule();
  for (Sequence& seq : alternatives) b_.add_alternative(rule, std::move(seq));
  const Symbol symbol = GrammarBuilder::ref(rule);
  integers_.emplace(std::pair{lo, hi}, symbol);
  return symbol;
}

Symbol JsonParts::literal(std::string_view text) {
  Sequence seq;
  b_.append_literal(seq, text);
  if (seq.size() == 1) return seq[0];
  return GrammarBuilder::ref(b_.rule_of(std::move(seq)));
}

Symbol JsonParts::boolean() {
  if (!boolean_) {
    const uint32_t rule = b_.new_rule();
    Sequence t, f;
    b_.append_literal(t, "true");
    b_.append_literal(f, "false");
    b_.add_alternative(rule, std::move(t));
    b_.add_alternative(rule, std::move(f));
    boolean_ = GrammarBuilder::ref(rule);
  }
  return *boolean_;
}

Symbol JsonParts::null() {
  if (!null_) null_ = literal("null");
  return *null_;
}

Symbol JsonParts::array_of(Symbol item, int64_t min, int64_t max) {
  const Symbol open = b_.byte('['), close = b_.byte(']');
  const uint32_t rule = b_.new_rule();
  if (min == 0) b_.add_alternative(rule, {open, close});
  if (max != 0) {
    const uint32_t separated = b_.rule_of({b_.byte(','), ws(), item});
    const uint32_t more = b_.repeat(GrammarBuilder::ref(separated), std::max<int64_t>(min - 1, 0),
                                    max < 0 ? -1 : max - 1);
    b_.add_alternative(rule, {open, item, GrammarBuilder::ref(more), close});
  }
  return GrammarBuilder::ref(rule);
}

Symbol JsonParts::any_object(int depth) {
  auto it = any_objects_.find(depth);
  if (it != any_objects_.end()) return it->second;
  const Symbol open = b_.byte('{'), close = b_.byte('}');
  const uint32_t member = b_.rule_of({string(0, -1), b_.byte(':'), ws(), any_value(depth - 1)});
  const uint32_t separated = b_.rule_of({b_.byte(','), ws(), GrammarBuilder::ref(member)});
  const uint32_t rule = b_.new_rule();
  b_.add_alternative(rule, {open, close});
  b_.add_alternative(rule, {open, GrammarBuilder::ref(member),
                            GrammarBuilder::ref(b_.repeat(GrammarBuilder::ref(separated), 0, -1)), close});
  const Symbol symbol = GrammarBuilder::ref(rule);
  any_objects_.emplace(depth, symbol);
  return symbol;
}

Symbol JsonParts::any_value(int depth) {
  auto it = any_values_.find(depth);
  if (it != any_values_.end()) return it->second;
  const uint32_t rule = b_.new_rule();
  if (depth > 0) {
    b_.add_alternative(rule, {any_object(depth)});
    auto arr = any_arrays_.find(depth);
    Symbol array = arr != any_arrays_.end() ? arr->second : array_of(any_value(depth - 1), 0, -1);
    any_arrays_.emplace(depth, array);
    b_.add_alternative(rule, {array});
  }
  b_.add_alternative(rule, {string(0, -1)});
  b_.add_alternative(rule, {number(false)});
  b_.add_alternative(rule, {boolean()});
  b_.add_alternative(rule, {null()});
  const Symbol symbol = GrammarBuilder::ref(rule);
  any_values_.emplace(depth, symbol);
  return symbol;
}

}  // namespace tachyon
