// JSON Schemas: the byte strings they accept and reject, compile errors and limits, and random
// walks whose outputs must parse and validate.
#include "constrain/json_schema.h"

#include <chrono>

#include <gtest/gtest.h>

#include "constrain/constrain_test_util.h"
#include "constrain/schema_validator.h"
#include "constrain/synthetic_vocabulary.h"

namespace tachyon {
namespace {

using constrain_test::accepts;
using constrain_test::accepts_prefix;
using json = nlohmann::json;

std::shared_ptr<const Grammar> schema_grammar(const std::string& text, bool strict = false) {
  SchemaOptions opts;
  opts.strict = strict;
  auto grammar = compile_json_schema_text(text, opts);
  EXPECT_TRUE(grammar.ok()) << text << ": " << (grammar.ok() ? "" : grammar.error().message);
  return grammar.ok() ? *grammar : nullptr;
}

Error schema_error(const std::string& text, bool strict = false, SchemaOptions opts = {}) {
  opts.strict = strict;
  auto grammar = compile_json_schema_text(text, opts);
  EXPECT_FALSE(grammar.ok()) << text;
  return grammar.ok() ? Error{} : grammar.error();
}

const char* kPerson = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "email": {"type": "string", "format": "email"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}
  },
  "required": ["name", "age"],
  "additionalProperties": false
})";

TEST(JsonSchema, ObjectPropertiesInSchemaOrder) {
  auto g = schema_grammar(kPerson);
  EXPECT_TRUE(accepts(g, R"({"name":"Ann","age":31})"));
  EXPECT_TRUE(accepts(g, R"({"name": "Ann", "age": 31, "tags": ["a", "b"]})"));
  EXPECT_TRUE(accepts(g, R"({"name":"Ann","age":0,"email":"a@b.co","tags":[]})"));
  EXPECT_FALSE(accepts(g, R"({"age":31,"name":"Ann"})"));          // order
  EXPECT_FALSE(accepts(g, R"({"name":"Ann"})"));                   // required
  EXPECT_FALSE(accepts(g, R"({"name":"Ann","age":151})"));         // maximum
  EXPECT_FALSE(accepts(g, R"({"name":"Ann","age":-1})"));          // minimum
  EXPECT_FALSE(accepts(g, R"({"name":"Ann","age":01})"));          // leading zero
  EXPECT_FALSE(accepts(g, R"({"name":"Ann","age":3,"x":1})"));     // additionalProperties
  EXPECT_FALSE(accepts(g, R"({"name":"Ann","age":3,"tags":["a","b","c","d"]})"));
  EXPECT_FALSE(accepts(g, R"({"name":"Ann","age":3,"email":"nope"})"));
  EXPECT_FALSE(accepts(g, R"({ "name":"Ann","age":3})"));          // no space after '{'
  EXPECT_FALSE(accepts(g, R"({"name":  "Ann","age":3})"));         // at most one space
  EXPECT_TRUE(accepts_prefix(g, R"({"name":"An)"));
}

TEST(JsonSchema, Strings) {
  auto g = schema_grammar(R"({"type":"string"})");
  EXPECT_TRUE(accepts(g, R"("")"));
  EXPECT_TRUE(accepts(g, R"("a\"b\\c\/\b\f\n\r\t")"));
  EXPECT_TRUE(accepts(g, R"("\u00e9\uD83D\uDE00")"));
  EXPECT_TRUE(accepts(g, "\"h\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\""));
  EXPECT_FALSE(accepts_prefix(g, "\"a\nb"));           // raw control character
  EXPECT_FALSE(accepts_prefix(g, R"("\x")"));          // unknown escape
  EXPECT_FALSE(accepts_prefix(g, R"("\uD800")"));      // lone high surrogate
  EXPECT_FALSE(accepts_prefix(g, R"("\uDC00)"));       // lone low surrogate
  EXPECT_FALSE(accepts_prefix(g, "\"\xff"));           // never valid in UTF-8
  EXPECT_FALSE(accepts_prefix(g, "\"\xc0\xaf"));       // overlong
  EXPECT_FALSE(accepts_prefix(g, "\"\xed\xa0\x80"));   // encoded surrogate
  EXPECT_FALSE(accepts_prefix(g, "\"\xf4\x90"));       // above U+10FFFF
  EXPECT_FALSE(accepts_prefix(g, "\"\x80"));           // lone continuation byte
  EXPECT_TRUE(accepts_prefix(g, "\"\xe4\xb8"));        // a character cut in the middle
  EXPECT_FALSE(accepts(g, "\"\xe4\xb8\""));

  auto bounded = schema_grammar(R"({"type":"string","minLength":2,"maxLength":3})");
  EXPECT_FALSE(accepts(bounded, R"("a")"));
  EXPECT_TRUE(accepts(bounded, R"("ab")"));
  EXPECT_TRUE(accepts(bounded, "\"\xe4\xb8\xad\\n\xc3\xa9\""));  // three characters
  EXPECT_FALSE(accepts(bounded, R"("abcd")"));
}

TEST(JsonSchema, NumbersAndIntegers) {
  auto number = schema_grammar(R"({"type":"number"})");
  for (const char* ok : {"0", "-0", "1.5", "-12.25e10", "3E-7", "1e+99"}) EXPECT_TRUE(accepts(number, ok)) << ok;
  for (const char* bad : {"01", "1.", ".5", "+1", "1e", "1e100", "12345678901234567"}) {
    EXPECT_FALSE(accepts(number, bad)) << bad;
  }
  auto non_negative = schema_grammar(R"({"type":"number","minimum":0})");
  EXPECT_FALSE(accepts_prefix(non_negative, "-"));

  auto range = schema_grammar(R"({"type":"integer","minimum":-37,"maximum":1204})");
  for (int v = -60; v <= 1300; ++v) {
    EXPECT_EQ(accepts(range, std::to_string(v)), v >= -37 && v <= 1204) << v;
  }
  EXPECT_FALSE(accepts(range, "-0"));
  auto exclusive = schema_grammar(R"({"type":"integer","exclusiveMinimum":9,"exclusiveMaximum":100})");
  for (int v = 0; v <= 120; ++v) EXPECT_EQ(accepts(exclusive, std::to_string(v)), v > 9 && v < 100) << v;
  auto negative = schema_grammar(R"({"type":"integer","maximum":-5})");
  EXPECT_TRUE(accepts(negative, "-5"));
  EXPECT_TRUE(accepts(negative, "-9999999999999999"));
  EXPECT_FALSE(accepts(negative, "-4"));
  EXPECT_FALSE(accepts(negative, "0"));
  auto unbounded = schema_grammar(R"({"type":"integer"})");
  EXPECT_TRUE(accepts(unbounded, "9999999999999999"));
  EXPECT_FALSE(accepts(unbounded, "10000000000000000"));
}

TEST(JsonSchema, EnumConstTypeArraysAnyOf) {
  auto e = schema_grammar(R"({"enum":["red","green",3,null,{"a":[1]}]})");
  for (const char* ok : {R"("red")", R"("green")", "3", "null", R"({"a":[1]})"}) EXPECT_TRUE(accepts(e, ok)) << ok;
  EXPECT_FALSE(accepts(e, R"("blue")"));
  EXPECT_FALSE(accepts(e, R"("re")"));
  auto c = schema_grammar(R"({"const":"x\"y"})");
  EXPECT_TRUE(accepts(c, R"("x\"y")"));
  auto types = schema_grammar(R"({"type":["string","null"]})");
  EXPECT_TRUE(accepts(types, "null"));
  EXPECT_TRUE(accepts(types, R"("s")"));
  EXPECT_FALSE(accepts(types, "1"));
  auto any_of = schema_grammar(R"({"anyOf":[{"type":"integer"},{"type":"boolean"}]})");
  EXPECT_TRUE(accepts(any_of, "12"));
  EXPECT_TRUE(accepts(any_of, "false"));
  EXPECT_FALSE(accepts(any_of, "1.5"));
  auto one_of = schema_grammar(R"({"oneOf":[{"type":"string","maxLength":2},{"type":"string","minLength":1}]})");
  EXPECT_TRUE(accepts(one_of, R"("a")"));  // both branches: documented, not rejected
}

TEST(JsonSchema, ArraysMinMaxItems) {
  auto g = schema_grammar(R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3})");
  EXPECT_FALSE(accepts(g, "[]"));
  EXPECT_FALSE(accepts(g, "[1]"));
  EXPECT_TRUE(accepts(g, "[1,2]"));
  EXPECT_TRUE(accepts(g, "[1, 2, 3]"));
  EXPECT_FALSE(accepts(g, "[1,2,3,4]"));
  EXPECT_FALSE(accepts(g, "[1,2,]"));
  auto any = schema_grammar(R"({"type":"array"})");
  EXPECT_TRUE(accepts(any, R"([1,"a",[null,{}],{"k":true}])"));
}

TEST(JsonSchema, OptionalAndExtraProperties) {
  auto g = schema_grammar(R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}}})");
  EXPECT_TRUE(accepts(g, "{}"));
  EXPECT_TRUE(accepts(g, R"({"b":1})"));
  EXPECT_TRUE(accepts(g, R"({"a":1,"b":2})"));
  EXPECT_TRUE(accepts(g, R"({"a":1,"zz":[1,{"q":null}]})"));  // extra after the declared ones
  EXPECT_TRUE(accepts(g, R"({"zz":1})"));
  EXPECT_TRUE(accepts(g, R"({"ab":1})"));
  EXPECT_FALSE(accepts(g, R"({"a":1,"a":2})"));  // an extra name is never a declared one
  EXPECT_FALSE(accepts(g, R"({"b":1,"a":2})"));
  EXPECT_FALSE(accepts(g, R"({"a":"x"})"));
  auto typed_extra = schema_grammar(R"({"type":"object","additionalProperties":{"type":"integer"}})");
  EXPECT_TRUE(accepts(typed_extra, R"({"x":1,"y":2})"));
  EXPECT_FALSE(accepts(typed_extra, R"({"x":"1"})"));
  auto strict = schema_grammar(R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})", true);
  EXPECT_FALSE(accepts(strict, R"({"a":1,"b":2})"));  // strict: absent additionalProperties is false
}

TEST(JsonSchema, RefsAndRecursion) {
  auto tree = schema_grammar(R"({
    "$defs": {"node": {"type": "object", "properties": {
      "value": {"type": "integer"},
      "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
      "required": ["value"], "additionalProperties": false}},
    "$ref": "#/$defs/node"})");
  EXPECT_TRUE(accepts(tree, R"({"value":1})"));
  EXPECT_TRUE(accepts(tree, R"({"value":1,"children":[{"value":2,"children":[{"value":3,"children":[]}]},{"value":4}]})"));
  EXPECT_FALSE(accepts(tree, R"({"value":1,"children":[{"children":[]}]})"));
  auto root_ref = schema_grammar(R"({"type":"object","properties":{"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},
                                     "required":["next"],"additionalProperties":false})");
  EXPECT_TRUE(accepts(root_ref, R"({"next":{"next":{"next":null}}})"));
  auto definitions = schema_grammar(R"({"definitions":{"a b/c":{"type":"boolean"}},"$ref":"#/definitions/a b~1c"})");
  EXPECT_TRUE(accepts(definitions, "true"));
}

TEST(JsonSchema, PatternAndFormats) {
  auto anchored = schema_grammar(R"({"type":"string","pattern":"^[A-Z]{2}-\\d{3}$"})");
  EXPECT_TRUE(accepts(anchored, R"("AB-123")"));
  EXPECT_FALSE(accepts(anchored, R"("AB-1234")"));
  EXPECT_FALSE(accepts(anchored, R"("xAB-123")"));
  auto search = schema_grammar(R"({"type":"string","pattern":"\\d{3}"})");
  EXPECT_TRUE(accepts(search, R"("abc 123 def")"));
  EXPECT_FALSE(accepts(search, R"("abc 12 def")"));
  auto quotes = schema_grammar(R"({"type":"string","pattern":"^[\"\\\\]+$"})");
  EXPECT_TRUE(accepts(quotes, R"("\"\\")"));
  EXPECT_FALSE(accepts_prefix(quotes, R"(""")"));
  auto date = schema_grammar(R"({"type":"string","format":"date"})");
  EXPECT_TRUE(accepts(date, R"("2024-02-29")"));
  EXPECT_FALSE(accepts(date, R"("2024-13-01")"));
  auto date_time = schema_grammar(R"({"type":"string","format":"date-time"})");
  EXPECT_TRUE(accepts(date_time, R"("2024-02-29T23:59:59Z")"));
  EXPECT_TRUE(accepts(date_time, R"("2024-02-29T23:59:59.123+05:30")"));
  EXPECT_FALSE(accepts(date_time, R"("2024-02-29 23:59:59Z")"));
  auto time = schema_grammar(R"({"type":"string","format":"time"})");
  EXPECT_TRUE(accepts(time, R"("08:30:00Z")"));
  auto uuid = schema_grammar(R"({"type":"string","format":"uuid"})");
  EXPECT_TRUE(accepts(uuid, R"("123e4567-e89b-12d3-a456-426614174000")"));
  EXPECT_FALSE(accepts(uuid, R"("123e4567e89b12d3a456426614174000")"));
  auto email = schema_grammar(R"({"type":"string","format":"email"})");
  EXPECT_TRUE(accepts(email, R"("first.last+x@mail.example.com")"));
  EXPECT_FALSE(accepts(email, R"("no-at-sign.com")"));
}

TEST(JsonSchema, StrictRejectsUnsupportedKeywordsWithPath) {
  const char* schema = R"({"type":"object","properties":{"a":{"type":"array","uniqueItems":true}},
                           "additionalProperties":false})";
  const Error error = schema_error(schema, /*strict=*/true);
  EXPECT_EQ(error.kind, ErrorKind::InvalidArgument);
  EXPECT_NE(error.message.find("uniqueItems"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("#/properties/a"), std::string::npos) << error.message;
  EXPECT_TRUE(schema_grammar(schema, /*strict=*/false) != nullptr);  // ignored when not strict
  EXPECT_NE(schema_error(R"({"type":"object","additionalProperties":true})", true).message.find("additionalProperties"),
            std::string::npos);
  EXPECT_NE(schema_error(R"({"type":"string","format":"hostname"})", true).message.find("hostname"), std::string::npos);
  // Annotations are fine under strict.
  EXPECT_TRUE(schema_grammar(R"({"$schema":"x","title":"t","description":"d","type":"integer","default":1})", true));
}

TEST(JsonSchema, Errors) {
  EXPECT_NE(schema_error(R"({"type":"strin"})").message.find("strin"), std::string::npos);
  EXPECT_NE(schema_error(R"({"$ref":"#/$defs/missing"})").message.find("missing"), std::string::npos);
  EXPECT_NE(schema_error(R"({"$ref":"https://example.com/s.json"})").message.find("local"), std::string::npos);
  EXPECT_NE(schema_error(R"({"type":"string","pattern":"(a"})").message.find("pattern"), std::string::npos);
  EXPECT_NE(schema_error(R"({"enum":[]})").message.find("enum"), std::string::npos);
  EXPECT_NE(schema_error(R"({"type":"array","minItems":3,"maxItems":2})").message.find("minItems"), std::string::npos);
  EXPECT_NE(schema_error(R"({"type":"integer","minimum":5,"maximum":4})").message.find("empty"), std::string::npos);
  // A $ref cycle that consumes nothing.
  EXPECT_NE(schema_error(R"({"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"$ref":"#/$defs/a"})")
                .message.find("left-recursive"),
            std::string::npos);
  EXPECT_FALSE(compile_json_schema_text("{not json", {}).ok());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(JsonSchema, LimitsFailFast) {
  // A 1 MB schema.
  json big = {{"type", "object"}, {"properties", json::object()}};
  for (int i = 0; big.dump().size() < (1 << 20); ++i) {
    for (int k = 0; k < 1000; ++k) big["properties"][std::to_string(i * 1000 + k).insert(0, 1, 'p')] = {{"type", "string"}};
  }
  auto start = std::chrono::steady_clock::now();
  auto too_big = compile_json_schema(big, SchemaOptions{});
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("larger"), std::string::npos);
  EXPECT_LT(seconds_since(start), 0.5);
  start = std::chrono::steady_clock::now();
  const Error text_error = schema_error(big.dump());
  EXPECT_NE(text_error.message.find("larger"), std::string::npos);
  EXPECT_LT(seconds_since(start), 0.5);

  // 1000 levels of nesting, as a document and as text.
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += R"({"type":"object","properties":{"a":)";
  deep += R"({"type":"null"})";
  for (int i = 0; i < 1000; ++i) deep += "}}";
  start = std::chrono::steady_clock::now();
  const Error depth_error = schema_error(deep);
  EXPECT_NE(depth_error.message.find("deeper"), std::string::npos) << depth_error.message;
  const auto deep_json = json::parse(deep);
  auto deep_result = compile_json_schema(deep_json, SchemaOptions{});
  ASSERT_FALSE(deep_result.ok());
  EXPECT_LT(seconds_since(start), 0.5);

  // 1000 levels of anyOf nesting (one JSON level each way) and a 1000-long $ref chain.
  std::string any_of;
  for (int i = 0; i < 1000; ++i) any_of += R"({"anyOf":[)";
  any_of += R"({"type":"null"})";
  for (int i = 0; i < 1000; ++i) any_of += "]}";
  start = std::chrono::steady_clock::now();
  EXPECT_NE(schema_error(any_of).message.find("deeper"), std::string::npos);
  json chain = {{"$defs", json::object()}, {"$ref", "#/$defs/d0"}};
  for (int i = 0; i < 1000; ++i) {
    chain["$defs"][std::to_string(i).insert(0, 1, 'd')] = {
        {"type", "object"},
        {"properties", {{"next", {{"$ref", "#/$defs/d" + std::to_string(i + 1)}}}}},
        {"additionalProperties", false}};
  }
  chain["$defs"]["d1000"] = {{"type", "null"}};
  auto chain_grammar = compile_json_schema(chain, SchemaOptions{});
  EXPECT_TRUE(chain_grammar.ok()) << chain_grammar.error().message;  // deep data, shallow schema
  EXPECT_LT(seconds_since(start), 0.5);

  SchemaOptions small;
  small.max_depth = 3;
  EXPECT_NE(schema_error(R"({"type":"array","items":{"type":"array","items":{"type":"array","items":{"type":"array"}}}})",
                         false, small).message.find("deeper"),
            std::string::npos);
}

// Random walks: sample allowed tokens until the matcher must stop; the text must parse and
// validate. Schemas cover nesting, enums, item counts, optional fields, anyOf, recursion,
// patterns and formats.
const char* kWalkSchemas[] = {
    R"({"type":"object","properties":{
         "id":{"type":"integer","minimum":1,"maximum":99999},
         "user":{"type":"object","properties":{
            "name":{"type":"string","maxLength":12},
            "role":{"enum":["admin","editor","viewer"]},
            "active":{"type":"boolean"}},
          "required":["name","role"],"additionalProperties":false},
         "scores":{"type":"array","items":{"type":"number"},"minItems":1,"maxItems":4},
         "note":{"type":["string","null"],"maxLength":8}},
       "required":["id","user","scores"],"additionalProperties":false})",
    R"({"type":"array","items":{"anyOf":[
         {"type":"object","properties":{"kind":{"const":"point"},"x":{"type":"integer"},"y":{"type":"integer"}},
          "required":["kind","x","y"],"additionalProperties":false},
         {"type":"object","properties":{"kind":{"const":"label"},"text":{"type":"string","minLength":1,"maxLength":5}},
          "required":["kind","text"],"additionalProperties":false}]},
       "minItems":1,"maxItems":3})",
    R"({"$defs":{"node":{"type":"object","properties":{
         "value":{"type":"integer","minimum":-50,"maximum":50},
         "children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},
         "required":["value"],"additionalProperties":false}},
       "$ref":"#/$defs/node"})",
    R"({"type":"object","properties":{
         "code":{"type":"string","pattern":"^[A-Z]{3}-[0-9]{2,4}$"},
         "day":{"type":"string","format":"date"},
         "uid":{"type":"string","format":"uuid"},
         "mail":{"type":"string","format":"email"},
         "free":{"type":"string","pattern":"\\d"}},
       "required":["code","day","uid"],"additionalProperties":false})",
    R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","maxLength":4}},"required":["b"]})",
};

class SchemaWalk : public ::testing::TestWithParam<int> {};

void walk_schema(const std::shared_ptr<const TokenVocabulary>& vocab, const char* schema_text, int n_seeds,
                 int eog_weight) {
  auto grammar = schema_grammar(schema_text);
  ASSERT_TRUE(grammar);
  const json schema = json::parse(schema_text);
  auto cache = std::make_shared<MaskCache>(grammar, vocab);
  int n_finished = 0;
  for (int seed = 0; seed < n_seeds; ++seed) {
    GrammarMatcher matcher(cache);
    const auto walk = constrain_test::random_walk(matcher, seed, 3000, eog_weight);
    if (!walk.stopped && !walk.ended_by_eog) continue;
    ++n_finished;
    const json value = json::parse(walk.text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(value.is_discarded()) << "seed " << seed << ": " << walk.text;
    const std::string error = constrain_test::validate(value, schema, schema);
    EXPECT_EQ(error, "") << "seed " << seed << ": " << walk.text;
  }
  EXPECT_GE(n_finished, n_seeds * 3 / 4) << schema_text;
}

TEST_P(SchemaWalk, ByteVocabularyOutputsValidate) {
  walk_schema(constrain_test::byte_vocabulary(), kWalkSchemas[GetParam()], 60, 20);
}

TEST_P(SchemaWalk, SyntheticVocabularyOutputsValidate) {
  static const auto vocab = [] {
    auto v = constrain_test::make_synthetic_vocabulary(4000, 7);
    return std::make_shared<const TokenVocabulary>(std::move(v.pieces), std::move(v.eog_ids));
  }();
  walk_schema(vocab, kWalkSchemas[GetParam()], 60, 20);
}

INSTANTIATE_TEST_SUITE_P(Schemas, SchemaWalk, ::testing::Range(0, static_cast<int>(std::size(kWalkSchemas))));

TEST(JsonObject, WalksParseAsObjects) {
  auto grammar = json_object_grammar();
  EXPECT_TRUE(accepts(grammar, R"({"a": [1, {"b": null}], "c": "d"})"));
  EXPECT_FALSE(accepts(grammar, R"([1])"));
  EXPECT_FALSE(accepts(grammar, R"("s")"));
  for (auto vocab : {constrain_test::byte_vocabulary(),
                     std::make_shared<const TokenVocabulary>(constrain_test::make_synthetic_vocabulary(3000, 3).pieces,
                                                             constrain_test::make_synthetic_vocabulary(3000, 3).eog_ids)}) {
    auto cache = std::make_shared<MaskCache>(grammar, vocab);
    int n_finished = 0;
    for (int seed = 0; seed < 40; ++seed) {
      GrammarMatcher matcher(cache);
      const auto walk = constrain_test::random_walk(matcher, seed, 3000, 50);
      if (!walk.stopped && !walk.ended_by_eog) continue;
      ++n_finished;
      const json value = json::parse(walk.text, nullptr, false);
      ASSERT_FALSE(value.is_discarded()) << walk.text;
      EXPECT_TRUE(value.is_object()) << walk.text;
    }
    EXPECT_GE(n_finished, 20);
  }
}

}  // namespace
}  // namespace tachyon
