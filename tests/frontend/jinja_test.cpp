// The Jinja interpreter behind chat templates: syntax, whitespace control, Python-like values,
// filters, tests, and errors as values.
#include "frontend/jinja/template.h"

#include <gtest/gtest.h>

namespace tachyon::jinja {
namespace {

// Renders `source` with optional globals; returns the output or "ERROR: <message>".
std::string render(const std::string& source, const Object& globals = {}, const LexerOptions& options = {}) {
  Result<Template> tmpl = Template::parse(source, options);
  if (!tmpl) return "ERROR: " + tmpl.error().message;
  Result<std::string> out = tmpl->render(globals);
  return out ? *out : "ERROR: " + out.error().message;
}

Object messages_globals() {
  Object globals;
  globals.set("messages", Value::from_json(nlohmann::ordered_json::parse(
                              R"([{"role": "system", "content": " sys "}, {"role": "user", "content": "hi"},
                                  {"role": "assistant", "content": "yo"}])")));
  return globals;
}

TEST(Jinja, OutputsLiteralsAndExpressions) {
  EXPECT_EQ(render("a{{ 1 + 2 }}b{{ 'x' ~ 3 }}{# gone #}c"), "a3bx3c");
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }}"), "3 -4 1 2 3.5 1024");
  EXPECT_EQ(render("{{ 1.0 }} {{ 0.1 + 0.2 }} {{ true }} {{ none }} {{ [1, 'a'] }} {{ {'k': 'v'} }}"),
            "1.0 0.30000000000000004 True None [1, 'a'] {'k': 'v'}");
  EXPECT_EQ(render("{{ 'a' if false else 'b' }}{{ 'c' if true }}{{ 'd' if false }}"), "bc");
  EXPECT_EQ(render("{{ 'ab' in 'cabd' }} {{ 3 not in [1, 2] }} {{ 'k' in {'k': 1} }}"), "True True True");
  EXPECT_EQ(render("{{ not 1 == 2 and (2 > 1 or x) }}"), "True");
  EXPECT_EQ(render("{{ 'a' 'b' }}{{ \"q\\\"\\n\" }}"), "abq\"\n");
}

// Found by fuzz/chat_template_fuzz: a float literal beyond double's range threw out of the
// lexer. As in Python, it is inf (and a tiny one is 0).
TEST(Jinja, OutOfRangeFloatLiteralsAreInfOrZero) {
  EXPECT_EQ(render("{{ 8e+414 > 1e308 }} {{ 1e-999 == 0 }}"), "True True");
}

TEST(Jinja, SubscriptsAndSlices) {
  EXPECT_EQ(render("{{ 'hello'[::-1] }} {{ [1,2,3,4][1:3] }} {{ [1,2,3][-1] }} {{ 'abc'[1] }}"), "olleh [2, 3] 3 b");
  EXPECT_EQ(render("{{ messages[1:] | length }} {{ messages[0]['role'] }} {{ messages[-1].content }}", messages_globals()),
            "2 system yo");
  EXPECT_EQ(render("{{ [1,2,3,4,5][::2] }} {{ [1,2,3][5:] }}"), "[1, 3, 5] []");
}

TEST(Jinja, UndefinedRendersEmptyAndIsFalsy) {
  EXPECT_EQ(render("[{{ nothing }}][{{ nothing.attr }}][{{ messages[0].missing }}]", messages_globals()), "[][][]");
  EXPECT_EQ(render("{% if nothing %}yes{% else %}no{% endif %}"), "no");
  EXPECT_EQ(render("{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }}"),
            "False True True True True");
  EXPECT_EQ(render("{{ messages[0].tool_calls is not defined }}", messages_globals()), "True");
}

TEST(Jinja, IfElifElse) {
  std::string source = "{% for n in [1, 2, 3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %},{% endfor %}";
  EXPECT_EQ(render(source), "one,two,many,");
}

TEST(Jinja, ForLoopVariables) {
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}"
                   "{{ loop.revindex }};{% endfor %}"),
            "10TrueFalse33;21FalseFalse32;32FalseTrue31;");
  EXPECT_EQ(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{{ loop.length }}{% endfor %}"), "2242");
  EXPECT_EQ(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"), "a=1;b=2;");
  EXPECT_EQ(render("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}"
                   "{{ x }}{% endfor %}"),
            "013");
  EXPECT_EQ(render("{% for m in messages %}{{ loop.cycle('a', 'b') }}{% endfor %}", messages_globals()), "aba");
}

TEST(Jinja, SetScopingAndNamespace) {
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}"), "21");
  EXPECT_EQ(render("{% set ns = namespace(count=0) %}{% for i in [1, 2, 3] %}{% set ns.count = ns.count + i %}"
                   "{% endfor %}{{ ns.count }}"),
            "6");
  EXPECT_EQ(render("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c %}block {{ a }}{% endset %}[{{ c }}]"), "12[block 1]");
  EXPECT_EQ(render("{% if true %}{% set y = 5 %}{% endif %}{{ y }}"), "5");
}

TEST(Jinja, WhitespaceControl) {
  EXPECT_EQ(render("a  {{- 'b' -}}  c"), "abc");
  EXPECT_EQ(render("a\n  {%- if true -%}\n  b\n{%- endif %}\n"), "ab");
  // trim_blocks drops the newline after a block tag; lstrip_blocks the indentation before it.
  EXPECT_EQ(render("{% for x in [1, 2] %}\n    {% if x %}\n{{ x }}\n    {% endif %}\n{% endfor %}"), "1\n2\n");
  // Expression tags are not affected by either, and {%+ disables lstrip.
  EXPECT_EQ(render("  {{ 'x' }}\n  {%+ if true %}y{% endif %}"), "  x\n  y");
  // A single trailing newline of the template is dropped.
  EXPECT_EQ(render("x\n\n"), "x\n");
  LexerOptions raw{false, false, true};
  EXPECT_EQ(render("  {% if true %}\nx\n{% endif %}\n", {}, raw), "  \nx\n\n");
}

TEST(Jinja, StringFiltersAndMethods) {
  EXPECT_EQ(render("[{{ '  a b  ' | trim }}][{{ 'ab' | upper }}][{{ 'AB' | lower }}][{{ 'hello world' | title }}]"),
            "[a b][AB][ab][Hello World]");
  EXPECT_EQ(render("{{ 'a-b-c' | replace('-', '+') }} {{ 'héllo' | length }} {{ 3 | string ~ 4 }}"), "a+b+c 5 34");
  EXPECT_EQ(render("[{{ ' x '.strip() }}][{{ 'xxhixx'.lstrip('x') }}][{{ 'hi\n'.rstrip() }}]"), "[x][hixx][hi]");
  EXPECT_EQ(render("{{ 'a b  c'.split() }} {{ 'a,b'.split(',') }} {{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }}"),
            "['a', 'b', 'c'] ['a', 'b'] True True");
  EXPECT_EQ(render("{{ 'Hi'.upper() }}{{ 'Hi'.lower() }}{{ 'a b'.title() }}{{ 'aXa'.replace('a', 'b') }}"), "HIhiA BbXb");
  EXPECT_EQ(render("{{ '12' | int + 1 }} {{ 'x' | int }} {{ 2.7 | int }} {{ '1.5' | float }}"), "13 0 2 1.5");
}

TEST(Jinja, ListAndDictFilters) {
  Object g = messages_globals();
  EXPECT_EQ(render("{{ messages | map(attribute='role') | join(', ') }}", g), "system, user, assistant");
  EXPECT_EQ(render("{{ messages | selectattr('role', 'equalto', 'user') | list | length }}", g), "1");
  EXPECT_EQ(render("{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='content') | list }}", g),
            "[' sys ', 'yo']");
  EXPECT_EQ(render("{{ (messages | first).role }} {{ (messages | last).role }} {{ [3, 1, 2] | sort }} {{ [1, 1, 2] | unique | list }}", g),
            "system assistant [1, 2, 3] [1, 2]");
  EXPECT_EQ(render("{{ {'a': 1, 'b': 2} | items | list }} {{ {'a': 1}.get('a') }} {{ {'a': 1}.get('z', 9) }}"),
            "[['a', 1], ['b', 2]] 1 9");
  EXPECT_EQ(render("{{ x | default('dflt') }} {{ '' | default('e', true) }} {{ 'v' | default('no') }}"), "dflt e v");
  EXPECT_EQ(render("{{ [1, 2, 3] | reverse | list }} {{ ['x', 'y'] | join }} {{ {'b': 1} | list }}"),
            "[3, 2, 1] xy ['b']");
}

TEST(Jinja, ToJsonMatchesPython) {
  Object g;
  g.set("tool", Value::from_json(nlohmann::ordered_json::parse(
                    R"({"name": "get", "params": {"city": "Zürich \"x\"", "n": [1, 2.5, true, null]}})")));
  EXPECT_EQ(render("{{ tool | tojson }}", g),
            R"({"name": "get", "params": {"city": "Zürich \"x\"", "n": [1, 2.5, true, null]}})");
  EXPECT_EQ(render("{{ tool.params.n | tojson(indent=2) }}", g), "[\n  1,\n  2.5,\n  true,\n  null\n]");
  EXPECT_EQ(render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}"), R"({"a": 2, "b": 1})");
}

TEST(Jinja, MacrosAndCallBlocks) {
  EXPECT_EQ(render("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}"
                   "{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }}"),
            "Hello, Ann! Hi, Bob!");
  EXPECT_EQ(render("{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}"), "<inner>");
  EXPECT_EQ(render("{% filter upper %}shout {{ 'this' }}{% endfilter %}"), "SHOUT THIS");
}

TEST(Jinja, ListMethodsMutateInPlace) {
  EXPECT_EQ(render("{% set xs = [] %}{% for i in range(3) %}{% set _ = xs.append(i * 2) %}{% endfor %}{{ xs }}"),
            "[0, 2, 4]");
}

TEST(Jinja, ErrorsAreValues) {
  EXPECT_EQ(render("{% if x %}"), "ERROR: line 1, column 11: unexpected end of template, expected 'elif'");
  EXPECT_EQ(render("{{ 'a' }\n"), "ERROR: line 1, column 1: unterminated tag");
  EXPECT_EQ(render("{% frobnicate %}"), "ERROR: line 1, column 4: unknown statement 'frobnicate'");
  EXPECT_EQ(render("ok\n{{ 1 | nosuchfilter }}"), "ERROR: line 2, column 8: unknown filter 'nosuchfilter'");
  EXPECT_EQ(render("{{ 1 / 0 }}"), "ERROR: line 1, column 4: division by zero");
  EXPECT_EQ(render("{{ 'a' + 1 }}"), "ERROR: line 1, column 4: unsupported operand types for +: string and int");
  EXPECT_EQ(render("{{ nothing() }}"), "ERROR: line 1, column 4: function 'nothing' is undefined");
}

TEST(Jinja, FunctionsFromGlobalsCanFail) {
  Object g;
  g.set("fail", Value(Function([](const CallArgs& args) -> Value { throw JinjaError{args.positional.at(0).str()}; })));
  EXPECT_EQ(render("a{{ fail('boom') }}", g), "ERROR: line 1, column 5: boom");
}

}  // namespace
}  // namespace tachyon::jinja
