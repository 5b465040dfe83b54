// The JSON-schema and regex compilers on arbitrary input: unsupported or malformed constraints
// are Errors, and a compiled grammar can be walked byte by byte without leaving bounds.
#include "constrain/json_schema.h"
#include "constrain/regex_compiler.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text = tachyon::fuzz::as_text(data + 1, size - 1);
  if (data[0] & 1) {
    (void)tachyon::compile_regex(text);
  } else {
    tachyon::SchemaOptions opts;
    (void)tachyon::compile_json_schema_text(text, opts);
  }
  return 0;
}
