#pragma once
// A minimal line chart rendered as a standalone SVG document, so benchmark results can be viewed
// in any browser without a plotting library. Pure function, safe from any thread.
#include <string>
#include <utility>
#include <vector>

namespace tachyon::bench {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in the given order
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<ChartSeries> series;
};

// The chart as SVG text: axes from 0 to a rounded maximum, gridlines, one coloured line with
// markers per series and a legend.
std::string render_svg(const LineChart& chart);

}  // namespace tachyon::bench
