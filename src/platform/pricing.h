#pragma once
// What a request costs: per-model prices (USD per million input and output tokens, USD per
// request) turned into exact integer micro-dollars, so that totals summed over any number of
// usage rows equal the sum of what clients were shown, to the micro-dollar.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "util/result.h"

namespace tachyon::platform {

struct ModelPrice {
  double input_per_million = 0;   // USD per 1,000,000 prompt tokens
  double output_per_million = 0;  // USD per 1,000,000 completion tokens
  double per_request = 0;         // USD per completed request
};

// A request's cost in micro-dollars (1e-6 USD). Each part is rounded half away from zero to
// the micro-dollar on its own; the total is the sum of the rounded parts.
struct CostMicros {
  int64_t input = 0;
  int64_t output = 0;
  int64_t request = 0;
  int64_t total() const { return input + output + request; }
};

CostMicros compute_cost(const ModelPrice& price, int64_t prompt_tokens, int64_t completion_tokens);

// Micro-dollars as the USD amount clients see (e.g. 14890 -> 0.01489).
double micros_to_usd(int64_t micros);

// Prices by model name; a model without an entry costs nothing. Filled before serving, then
// read concurrently.
class PriceTable {
 public:
  void set(std::string model, ModelPrice price) { prices_[std::move(model)] = price; }
  ModelPrice price(std::string_view model) const;

 private:
  std::map<std::string, ModelPrice, std::less<>> prices_;
};

// "MODEL=INPUT,OUTPUT[,REQUEST]" (USD per million tokens, USD per request), the form of
// `serve --price`.
Result<std::pair<std::string, ModelPrice>> parse_price_spec(std::string_view spec);

}  // namespace tachyon::platform
