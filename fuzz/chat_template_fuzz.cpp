// The chat-template parser and renderer on arbitrary template text: parse errors and render
// errors are values, rendering terminates, and nothing reads out of bounds.
#include "frontend/chat_template.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tmpl = tachyon::ChatTemplate::parse(std::string(tachyon::fuzz::as_text(data, size)));
  if (!tmpl) return 0;
  const tachyon::ChatMessage messages[] = {
      {"system", "Be brief.", nullptr, "", ""},
      {"user", "Hello {{ world }}", nullptr, "", ""},
      {"assistant", "Hi.", nullptr, "", ""},
      {"user", "And again?", nullptr, "", ""},
  };
  tachyon::ChatTemplateOptions opts;
  opts.bos_token = "<s>";
  opts.eos_token = "</s>";
  (void)tmpl->render(messages, opts);
  return 0;
}
