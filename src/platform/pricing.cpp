#include "platform/pricing.h"

#include <charconv>
#include <cmath>
#include <vector>

namespace tachyon::platform {

CostMicros compute_cost(const ModelPrice& price, int64_t prompt_tokens, int64_t completion_tokens) {
  // USD per million tokens times tokens is micro-dollars.
  return CostMicros{
      .input = std::llround(price.input_per_million * double(prompt_tokens)),
      .output = std::llround(price.output_per_million * double(completion_tokens)),
      .request = std::llround(price.per_request * 1e6),
  };
}

double micros_to_usd(int64_t micros) { return double(micros) / 1e6; }

ModelPrice PriceTable::price(std::string_view model) const {
  auto it = prices_.find(model);
  return it == prices_.end() ? ModelPrice{} : it->second;
}

Result<std::pair<std::string, ModelPrice>> parse_price_spec(std::string_view spec) {
  const size_t eq = spec.find('=');
  auto bad = [&] {
    return make_error("--price '{}': expected MODEL=INPUT,OUTPUT[,REQUEST] in USD (per million tokens, per request)",
                      spec);
  };
  if (eq == std::string_view::npos || eq == 0) return bad();
  std::vector<double> values;
  std::string_view rest = spec.substr(eq + 1);
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    double v = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc{} || end != part.data() + part.size() || v < 0 || !std::isfinite(v)) return bad();
    values.push_back(v);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (values.size() < 2 || values.size() > 3) return bad();
  return std::pair{std::string(spec.substr(0, eq)), ModelPrice{values[0], values[1], values.size() == 3 ? values[2] : 0}};
}

}  // namespace tachyon::platform
