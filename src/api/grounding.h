#pragma once
// Grounded chat, the request side: Perplexity's search options on a chat completion, the query
// retrieval runs for a conversation, and the system turn of numbered sources the model answers
// from. Pure functions, callable from any thread; the endpoint runs the search itself.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/chat_request.h"
#include "api/responses.h"
#include "search/plain_text.h"
#include "search/search_query.h"
#include "util/result.h"

namespace tachyon {

enum class SearchContextSize { Low, Medium, High };

struct ChatSearchOptions {
  bool disabled = false;  // disable_search: answer without searching
  SearchContextSize context_size = SearchContextSize::Low;  // web_search_options.search_context_size
  search::SearchFilters filters;  // search_domain_filter, recency, date and language filters
};

// Reads the search options of a chat completion body: disable_search, web_search_options
// (search_context_size low|medium|high; user_location and the rest accepted), search_mode, the
// filters /search takes (read_search_filters), and return_related_questions / return_images,
// which this server cannot honour: true is a 400 naming the field. `today` is "YYYY-MM-DD".
Result<ChatSearchOptions> parse_chat_search_options(std::string_view body, std::string_view today);

// "low", "medium", "high".
std::string_view context_size_name(SearchContextSize size);

// How much retrieved text a context size asks for: the number of sources and the words kept of
// each (its best passage, cut at a word boundary). The model's context may allow less
// (fit_grounded_messages).
struct SourceBudget {
  int max_sources = 0;
  size_t words_per_source = 0;
};
SourceBudget source_budget(SearchContextSize size);

// What retrieval searches for: the text of the conversation's last user turn, whitespace
// collapsed, cut to at most `max_bytes` at a UTF-8 boundary. Empty when there is no user text.
std::string grounding_query(std::span<const ChatRequestMessage> messages, size_t max_bytes);

// The sources block of the system turn:
//   Sources:
//   [1] TITLE
//   SNIPPET
//   ...
//   Answer from the sources above and cite each one you use by its number, like [1].
std::string sources_prompt(std::span<const search::SearchHit> hits);

// The conversation with the sources block added to its system turn: appended to a leading
// system message, or as a new first message when there is none. Unchanged without hits.
std::vector<ChatRequestMessage> grounded_messages(std::vector<ChatRequestMessage> messages,
                                                  std::span<const search::SearchHit> hits);

// The grounded conversation that fits: `count_tokens` gives the prompt length of a
// conversation; sources are dropped from the end, then the one left is cut, until the prompt
// takes at most `max_prompt_tokens`. `hits` is trimmed to the sources that were kept (possibly
// none: then the conversation is returned unchanged).
template <typename CountTokens>
std::vector<ChatRequestMessage> fit_grounded_messages(const std::vector<ChatRequestMessage>& messages,
                                                      std::vector<search::SearchHit>& hits, size_t max_prompt_tokens,
                                                      CountTokens count_tokens);

// The sources as the response lists them ("citations", "search_results").
std::vector<SourceInfo> source_infos(std::span<const search::SearchHit> hits);

template <typename CountTokens>
std::vector<ChatRequestMessage> fit_grounded_messages(const std::vector<ChatRequestMessage>& messages,
                                                      std::vector<search::SearchHit>& hits, size_t max_prompt_tokens,
                                                      CountTokens count_tokens) {
  while (!hits.empty()) {
    std::vector<ChatRequestMessage> grounded = grounded_messages(messages, hits);
    const size_t n = count_tokens(grounded);
    if (n <= max_prompt_tokens) return grounded;
    if (hits.size() > 1) {
      hits.pop_back();
      continue;
    }
    // One source left: cut it in proportion to the excess, at least by a word each round.
    const size_t words = search::count_words(hits.front().snippet);
    const size_t base = count_tokens(messages);
    const size_t room = max_prompt_tokens > base ? max_prompt_tokens - base : 0;
    const size_t keep = std::min(words > 0 ? words - 1 : 0, n > base ? words * room / (n - base) : 0);
    if (keep < 8) {
      hits.clear();
      break;
    }
    hits.front().snippet = search::first_words(hits.front().snippet, keep);
  }
  return messages;
}

}  // namespace tachyon
