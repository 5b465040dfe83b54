// Ingestion: every format from the fixture corpus, folders, and malformed input reported per file.
#include <gtest/gtest.h>

#include <map>

#include "search/page_reader.h"

namespace tachyon::search {
namespace {

const std::string kFixture = std::string(TACHYON_TEST_DATA) + "/search/fixture";
const std::string kMalformed = std::string(TACHYON_TEST_DATA) + "/search/malformed";

struct Read {
  std::map<std::string, Page> pages;  // by URL
  std::vector<IngestError> errors;
  ReadCounts counts;
};

Read read(const std::string& path) {
  Read r;
  r.counts = read_pages(
      path, [&](Page&& p) { r.pages.emplace(p.url, std::move(p)); },
      [&](IngestError&& e) { r.errors.push_back(std::move(e)); });
  return r;
}

TEST(PageReader, ReadsEveryFormatOfTheFixture) {
  const Read r = read(kFixture);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.counts.n_files, 10u);
  EXPECT_EQ(r.pages.size(), 14u);

  const Page& hacker = r.pages.at("http://www.catb.org/jargon/html/H/hacker.html");  // HTML, canonical URL
  EXPECT_EQ(hacker.title, "hacker");
  EXPECT_EQ(hacker.date, "2003-12-29");
  EXPECT_EQ(hacker.last_updated, "2003-12-29");
  EXPECT_EQ(hacker.language, "en");
  EXPECT_TRUE(hacker.text.starts_with("hacker\n\nhacker: n."));
  EXPECT_EQ(hacker.text.find("navigation"), std::string::npos);  // <script>, <nav>, <footer> dropped
  EXPECT_EQ(hacker.text.find("Jargon File index"), std::string::npos);

  const Page& french = r.pages.at("https://exemple.fr/pirate");
  EXPECT_EQ(french.language, "fr");
  EXPECT_EQ(french.date, "2022-03-04");

  const Page& notes = r.pages.at("https://example.org/notes/hacker-culture");  // Markdown front matter
  EXPECT_EQ(notes.title, "Notes on hacker culture");
  EXPECT_EQ(notes.last_updated, "2025-01-15");
  EXPECT_EQ(notes.text.find("**"), std::string::npos);

  const Page& cynic = r.pages.at("https://www.gutenberg.org/ebooks/972#cynic");  // JSONL
  EXPECT_EQ(cynic.title, "CYNIC");
  EXPECT_EQ(cynic.date, "1911-01-01");

  // Plain text: a file:// URL, the first line as title, the file's day as last_updated.
  const auto text = std::find_if(r.pages.begin(), r.pages.end(), [](auto& kv) { return kv.first.starts_with("file://"); });
  ASSERT_NE(text, r.pages.end());
  EXPECT_TRUE(text->first.ends_with("/search/fixture/kluge-notes.txt"));
  EXPECT_EQ(text->second.title, "Plain text about kluges");
  EXPECT_TRUE(text->second.last_updated.has_value());
  EXPECT_FALSE(text->second.date.has_value());
}

TEST(PageReader, MalformedInputIsAnErrorPerFileOrLine) {
  const Read r = read(kMalformed);
  std::map<std::string, std::string> errors;
  for (const IngestError& e : r.errors) errors[e.source.substr(e.source.rfind('/') + 1)] = e.message;
  EXPECT_EQ(errors.size(), 8u);
  EXPECT_EQ(errors["binary.txt"], "binary data, not text");
  EXPECT_EQ(errors["latin.md"], "not UTF-8 text");
  EXPECT_EQ(errors["not-really.html"], "not HTML: no HTML elements found");
  EXPECT_EQ(errors["mixed.jsonl:2"], "not a JSON object: invalid JSON");
  EXPECT_EQ(errors["mixed.jsonl:3"], "missing \"url\"");
  EXPECT_EQ(errors["mixed.jsonl:4"], "\"date\" is not a date: \"yesterday-ish\"");
  EXPECT_EQ(errors["mixed.jsonl:5"], "not a JSON object");
  EXPECT_EQ(errors["mixed.jsonl:7"], "\"url\" must be a string");
  // The good lines of the same file are read.
  ASSERT_EQ(r.pages.size(), 2u);
  EXPECT_EQ(r.pages.at("https://example.com/good-2").last_updated, "2021-02-03");
  EXPECT_EQ(r.pages.at("https://example.com/good-2").title, "https://example.com/good-2");
}

TEST(PageReader, MissingPathsAndUnknownTypes) {
  const Read missing = read(kFixture + "/no-such-file.html");
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].message, "no such file or folder");
  EXPECT_EQ(input_format("a/b.HTM"), InputFormat::Html);
  EXPECT_EQ(input_format("x.markdown"), InputFormat::Markdown);
  EXPECT_EQ(input_format("x.ndjson"), InputFormat::Jsonl);
  EXPECT_EQ(input_format("x.pdf"), std::nullopt);
}

TEST(PageReader, JsonlLines) {
  auto page = parse_jsonl_page(R"({"url":"https://a.b/c","title":" T ","text":"Das ist nicht der Hund und die Katze, und das ist ein Haus mit der Tür.","date":null})");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->title, "T");
  EXPECT_FALSE(page->date.has_value());
  EXPECT_EQ(page->language, "de");
  EXPECT_EQ(parse_jsonl_page(R"({"url":"https://a.b","text":"x","language":"it"})")->language, "it");
  EXPECT_EQ(parse_jsonl_page(R"({"url":"https://a.b","text":"   "})").error().message, "missing \"text\"");
  EXPECT_EQ(parse_jsonl_page(R"({"url":"https://a.b","text":"x","title":5})").error().message,
            "\"title\" must be a string");
}

}  // namespace
}  // namespace tachyon::search
