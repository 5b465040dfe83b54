#include "search/url_domain.h"

#include <cctype>

namespace tachyon::search {
namespace {

std::string host_part(std::string_view s) {
  if (const size_t scheme = s.find("://"); scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
  s = s.substr(0, s.find_first_of("/?#"));
  if (const size_t at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
  if (!s.empty() && s.front() == '[') {
    s = s.substr(0, s.find(']') == std::string_view::npos ? s.size() : s.find(']') + 1);
  } else {
    s = s.substr(0, s.find(':'));
  }
  std::string host(s);
  for (char& c : host) c = char(std::tolower(static_cast<unsigned char>(c)));
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host.starts_with("www.")) host.erase(0, 4);
  return host;
}

}  // namespace

std::string domain_of(std::string_view url) {
  if (url.find("://") == std::string_view::npos) return "";
  return host_part(url);
}

std::string normalize_domain_filter(std::string_view entry) {
  while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.front()))) entry.remove_prefix(1);
  while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.back()))) entry.remove_suffix(1);
  return host_part(entry);
}

bool domain_matches(std::string_view domain, std::string_view filter) {
  if (filter.empty() || domain.size() < filter.size()) return false;
  if (domain == filter) return true;
  return domain.ends_with(filter) && domain[domain.size() - filter.size() - 1] == '.';
}

}  // namespace tachyon::search
