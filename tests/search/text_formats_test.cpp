// Dates, domains, HTML and Markdown extraction, language detection.
#include <gtest/gtest.h>

#include "search/date_text.h"
#include "search/html_text.h"
#include "search/language.h"
#include "search/markdown_text.h"
#include "search/url_domain.h"

namespace tachyon::search {
namespace {

TEST(DateText, NormalizesTheFormsPagesUse) {
  EXPECT_EQ(normalize_date("2024-10-17"), "2024-10-17");
  EXPECT_EQ(normalize_date("2024-10-17T08:00:00Z"), "2024-10-17");
  EXPECT_EQ(normalize_date("2024-10-17T08:00:00+02:00"), "2024-10-17");
  EXPECT_EQ(normalize_date("2024/1/7"), "2024-01-07");
  EXPECT_EQ(normalize_date("2024-10"), "2024-10-01");
  EXPECT_EQ(normalize_date("Thu, 17 Oct 2024 08:00:00 GMT"), "2024-10-17");
  EXPECT_EQ(normalize_date("October 17, 2024"), "2024-10-17");
  EXPECT_EQ(normalize_date("17 October 2024"), "2024-10-17");
  EXPECT_EQ(normalize_date("20241017"), "2024-10-17");
  EXPECT_EQ(normalize_date("2023-02-29"), std::nullopt);
  EXPECT_EQ(normalize_date("yesterday"), std::nullopt);
  EXPECT_EQ(normalize_date(""), std::nullopt);
}

TEST(DateText, ParsesPerplexityFilterDates) {
  EXPECT_EQ(parse_us_date("3/1/2025"), "2025-03-01");
  EXPECT_EQ(parse_us_date("12/31/1999"), "1999-12-31");
  EXPECT_EQ(parse_us_date("02/29/2024"), "2024-02-29");
  EXPECT_EQ(parse_us_date("02/29/2023"), std::nullopt);
  EXPECT_EQ(parse_us_date("2025-03-01"), std::nullopt);
  EXPECT_EQ(parse_us_date("13/01/2025"), std::nullopt);
  EXPECT_EQ(parse_us_date("1/1/25"), std::nullopt);
}

TEST(DateText, DaysRoundTrip) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  for (int64_t d : {-700000, -1, 0, 59, 11016, 11017, 20000, 2000000})
    EXPECT_EQ(civil_from_days(d), civil_from_days(*days_from_civil(std::stoll(civil_from_days(d).substr(0, 4)),
                                                                   std::stoi(civil_from_days(d).substr(5, 2)),
                                                                   std::stoi(civil_from_days(d).substr(8, 2)))));
  EXPECT_EQ(civil_from_days(-1), "1969-12-31");
}

TEST(UrlDomain, HostWithoutWwwPortOrUser) {
  EXPECT_EQ(domain_of("https://www.Example.com:8080/a?b#c"), "example.com");
  EXPECT_EQ(domain_of("http://user:pw@en.wikipedia.org/wiki/X"), "en.wikipedia.org");
  EXPECT_EQ(domain_of("file:///home/me/notes.txt"), "");
  EXPECT_EQ(domain_of("not a url"), "");
  EXPECT_EQ(normalize_domain_filter(" https://www.catb.org/jargon/ "), "catb.org");
  EXPECT_EQ(normalize_domain_filter("Wikipedia.ORG"), "wikipedia.org");
}

TEST(UrlDomain, SubdomainsMatchTheirParent) {
  EXPECT_TRUE(domain_matches("wikipedia.org", "wikipedia.org"));
  EXPECT_TRUE(domain_matches("en.wikipedia.org", "wikipedia.org"));
  EXPECT_FALSE(domain_matches("notwikipedia.org", "wikipedia.org"));
  EXPECT_FALSE(domain_matches("wikipedia.org", "en.wikipedia.org"));
  EXPECT_FALSE(domain_matches("example.com", ""));
}

TEST(HtmlText, KeepsMainTextDropsNavigationScriptsAndStyles) {
  const auto content = extract_html(R"(<!DOCTYPE html><html lang="en-GB"><head>
    <title>The  Title &amp; More</title>
    <meta property="article:published_time" content="2024-10-17T08:00:00Z">
    <meta name="last-modified" content="Fri, 01 Nov 2024 10:00:00 GMT">
    <link rel="canonical" href="https://example.com/page">
    <style>p { color: red }</style><script>var x = "<p>not text</p>";</script></head>
    <body><nav>Home | About</nav><header>Site header</header>
    <main><h1>Heading</h1><p>First &quot;paragraph&quot; with caf&#233; and &#x263A;.</p>
    <div>Second<br>line</div><aside>aside text</aside></main>
    <footer>Footer text</footer></body></html>)");
  ASSERT_TRUE(content.ok()) << content.error().message;
  EXPECT_EQ(content->title, "The Title & More");
  EXPECT_EQ(content->text, "Heading\n\nFirst \"paragraph\" with café and ☺.\n\nSecond\n\nline");
  EXPECT_EQ(content->date, "2024-10-17");
  EXPECT_EQ(content->last_updated, "2024-11-01");
  EXPECT_EQ(content->language, "en");
  EXPECT_EQ(content->canonical_url, "https://example.com/page");
}

TEST(HtmlText, WithoutMainUsesArticlesThenBody) {
  auto articles = extract_html("<html><body><p>outside</p><article><p>inside</p></article></body></html>");
  ASSERT_TRUE(articles.ok());
  EXPECT_EQ(articles->text, "inside");
  auto body = extract_html("<html><body><p>only <b>body</b> text</p><h1>Head</h1></body></html>");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->text, "only body text\n\nHead");
  EXPECT_EQ(body->title, "Head");  // no <title>: the first <h1>
}

TEST(HtmlText, MalformedMarkupDegradesToText) {
  auto unclosed = extract_html("<html><body><p>one <b>two <p>three < four & five <div");
  ASSERT_TRUE(unclosed.ok());
  EXPECT_EQ(unclosed->text, "one two\n\nthree < four & five");
  auto script_open = extract_html("<p>text</p><script>never closed");
  ASSERT_TRUE(script_open.ok());
  EXPECT_EQ(script_open->text, "text");
}

TEST(HtmlText, RejectsWhatIsNotHtml) {
  EXPECT_FALSE(extract_html("{\"json\": true}").ok());
  EXPECT_FALSE(extract_html("just some words").ok());
  EXPECT_FALSE(extract_html("<p>\xff\xfe</p>").ok());
}

TEST(MarkdownText, StripsMarkupAndReadsFrontMatter) {
  const MarkdownContent md = extract_markdown(
      "---\nurl: https://example.org/x\ntitle: \"Front title\"\ndate: 2024-05-01\nupdated: 2025-01-15\n---\n"
      "# Heading one\n\nSome **bold** and _italic_ text with a [link](https://x.y) and snake_case.\n"
      "continued line\n\n> quoted\n\n- item one\n- item two\n\n```\ncode block\n```\n");
  EXPECT_EQ(md.title, "Front title");
  EXPECT_EQ(md.url, "https://example.org/x");
  EXPECT_EQ(md.date, "2024-05-01");
  EXPECT_EQ(md.last_updated, "2025-01-15");
  EXPECT_EQ(md.text,
            "Heading one\n\nSome bold and italic text with a link and snake_case. continued line\n\nquoted\n\n"
            "item one item two\n\ncode block");
  EXPECT_EQ(extract_markdown("Intro\n\n## Sub heading\n\ntext").title, "Sub heading");
}

TEST(Language, DetectsFromFunctionWords) {
  EXPECT_EQ(detect_language("The cat sat on the mat and it was happy that the dog was with the bird."), "en");
  EXPECT_EQ(detect_language("Der Hund und die Katze sind nicht im Haus, das ist ein Problem mit der Tür."), "de");
  EXPECT_EQ(detect_language("Le chat et le chien sont dans la maison, les enfants jouent dans une cour pour des heures."), "fr");
  EXPECT_EQ(detect_language("short"), "en");
}

}  // namespace
}  // namespace tachyon::search
