#pragma once
// The client side of one streamed completion against an OpenAI-compatible server: the request
// body, the handling of each SSE chunk, and the Beast coroutine that sends the request and
// timestamps every chunk. Coroutines run on one io_context thread; a record is written only by
// the coroutine that owns it.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "bench/workload.h"
#include "util/result.h"

namespace tachyon::bench {

enum class Endpoint { Chat, Completions };

// A server to measure: "http://host[:port][/prefix]"; a prefix ending in /v1 is used as is.
struct HttpTarget {
  std::string base_url;
  std::string host;
  std::string port;
  std::string path_prefix;  // without a trailing '/'

  // "/v1" under the prefix (the prefix itself when it already ends in /v1).
  std::string api_root() const;
  // "/v1/chat/completions" or "/v1/completions" under the prefix.
  std::string path(Endpoint endpoint) const;
};

// Parses a base URL; plain http only (the benchmark targets servers on the local network).
Result<HttpTarget> parse_base_url(std::string_view url);

struct ClientOptions {
  std::string model;    // sent as "model" when not empty (run_serve_bench asks /v1/models if empty)
  std::string api_key;  // sent as a bearer token when not empty
  Endpoint endpoint = Endpoint::Chat;
  std::chrono::milliseconds timeout{600'000};  // whole request, connect to last byte
};

// What one request measured. Times are seconds; chunk times count from when the request was sent.
struct RequestRecord {
  int32_t index = 0;
  int32_t requested_prompt_tokens = 0;
  int32_t requested_output_tokens = 0;
  double sent_at_s = 0;  // from the start of the run
  bool ok = false;
  std::string error;
  int http_status = 0;
  std::vector<double> chunk_times_s;  // arrival of each chunk that carried generated text
  double e2e_s = 0;
  bool usage_reported = false;
  int32_t prompt_tokens = 0;      // from the usage chunk
  int32_t completion_tokens = 0;  // from the usage chunk, else the count of text chunks
  bool done = false;              // "[DONE]" seen

  double ttft_s() const { return chunk_times_s.empty() ? 0 : chunk_times_s.front(); }
  // Generated tokens per second between the first and the last text chunk: the tokens after the
  // first over that span (the first token's time is TTFT). 0 with fewer than two chunks.
  double decode_tps() const;
};

// The JSON body of a streamed request for the spec: max_tokens, ignore_eos, include_usage.
std::string request_body(const ClientOptions& options, const RequestSpec& spec);

// Applies one SSE event's data, received t_s seconds after sending, to the record: text chunks
// are timestamped, usage is recorded, "[DONE]" and error objects are noted.
void apply_event(std::string_view data, double t_s, RequestRecord& record);

// The first model id listed by the target's GET /v1/models, for requests that name no model.
// Blocks the calling thread for at most `timeout`.
Result<std::string> fetch_first_model_id(const HttpTarget& target, const std::string& api_key,
                                         std::chrono::milliseconds timeout);

// Sends the request and reads its stream to the end, filling `record` (which must outlive the
// coroutine). Never throws for network or protocol failures: they end up in record.error.
boost::asio::awaitable<void> stream_completion(const HttpTarget& target, const ClientOptions& options,
                                               const RequestSpec& spec, RequestRecord& record);

}  // namespace tachyon::bench
