// Parsing and validation of chat and text completion request bodies: any bytes give a request
// or an Error (the API's 400), never a crash.
#include "api/chat_request.h"
#include "api/completion_request.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = tachyon::fuzz::as_text(data, size);
  (void)tachyon::parse_chat_completion_request(body);
  (void)tachyon::parse_completion_request(body);
  return 0;
}
