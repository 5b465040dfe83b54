#pragma once
// Domains as the index stores them and as search_domain_filter names them: the URL's host,
// lower-cased, without a port, user info or a leading "www.". Pure, callable from any thread.
#include <string>
#include <string_view>

namespace tachyon::search {

// "https://www.Example.com:8080/a?b" -> "example.com"; "" for a URL without a host (file:///x).
std::string domain_of(std::string_view url);

// A filter entry ("example.com", "https://www.example.com/path", "Example.COM") as the domain
// it names; "" when it names none.
std::string normalize_domain_filter(std::string_view entry);

// True when `domain` is `filter` or one of its subdomains ("en.wikipedia.org" matches
// "wikipedia.org", "notwikipedia.org" does not).
bool domain_matches(std::string_view domain, std::string_view filter);

}  // namespace tachyon::search
