#include "tachyon/client/sse_parser.h"

#include <gtest/gtest.h>

namespace tachyon::client {
namespace {

std::vector<SseEvent> parse_in_pieces(const std::string& text, std::size_t piece) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (std::size_t i = 0; i < text.size(); i += piece) parser.feed(std::string_view(text).substr(i, piece), events);
  return events;
}

TEST(SseParser, EventsSplitAnywhereParseTheSame) {
  std::string text = "data: {\"a\":1}\n\n: keep-alive comment\n\ndata: two\r\ndata: lines\r\n\r\nevent: done\ndata: [DONE]\n\n";
  for (std::size_t piece = 1; piece <= text.size(); ++piece) {
    auto events = parse_in_pieces(text, piece);
    ASSERT_EQ(events.size(), 3u) << "piece " << piece;
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].data, "two\nlines");
    EXPECT_EQ(events[2].event, "done");
    EXPECT_EQ(events[2].data, "[DONE]");
  }
}

TEST(SseParser, CarriageReturnsAloneEndLines) {
  auto events = parse_in_pieces("data:x\r\rdata:  y\r\r", 1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "x");
  EXPECT_EQ(events[1].data, " y");  // only one space after the colon is dropped
}

TEST(SseParser, IncompleteEventWaitsAndEventsWithoutDataAreNotDispatched) {
  SseParser parser;
  std::vector<SseEvent> events;
  parser.feed("event: ping\n\nid: 7\ndata: partial", events);
  EXPECT_TRUE(events.empty());
  parser.feed("\n\n", events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].data, "partial");
  EXPECT_EQ(events[0].event, "");
}

}  // namespace
}  // namespace tachyon::client
