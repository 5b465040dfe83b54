#include "platform/pricing.h"

#include <gtest/gtest.h>

namespace tachyon::platform {
namespace {

TEST(Pricing, PerplexityExampleToTheMicroDollar) {
  // The seed's response: 27 prompt and 587 completion tokens at $3/M and $15/M plus $0.006 per
  // request: 0.000081 + 0.008805 + 0.006.
  const CostMicros c = compute_cost({3, 15, 0.006}, 27, 587);
  EXPECT_EQ(c.input, 81);
  EXPECT_EQ(c.output, 8805);
  EXPECT_EQ(c.request, 6000);
  EXPECT_EQ(c.total(), 14886);
  EXPECT_DOUBLE_EQ(micros_to_usd(c.total()), 0.014886);
}

TEST(Pricing, RoundsEachPartHalfAwayFromZero) {
  const CostMicros c = compute_cost({0.25, 0.1, 0}, 3, 5);  // 0.75 and 0.5 micro-dollars
  EXPECT_EQ(c.input, 1);
  EXPECT_EQ(c.output, 1);
  EXPECT_EQ(c.total(), 2);
}

TEST(Pricing, TableAndSpecs) {
  PriceTable table;
  auto spec = parse_price_spec("golden-q4=1,2.5,0.005");
  ASSERT_TRUE(spec.ok());
  table.set(spec->first, spec->second);
  EXPECT_EQ(table.price("golden-q4").output_per_million, 2.5);
  EXPECT_EQ(table.price("golden-q4").per_request, 0.005);
  EXPECT_EQ(table.price("other").input_per_million, 0);
  EXPECT_TRUE(parse_price_spec("m=1,2").ok());
  for (const char* bad : {"m", "=1,2", "m=1", "m=1,2,3,4", "m=a,b", "m=-1,2"})
    EXPECT_FALSE(parse_price_spec(bad).ok()) << bad;
}

}  // namespace
}  // namespace tachyon::platform
