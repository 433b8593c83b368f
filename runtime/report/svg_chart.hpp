// svg_chart.hpp -- the report pages' charts as inline SVG: line charts and stacked areas, with axes,
// ticks and a legend. Every drawn series is an element of class "mark" (what the browser test counts);
// hovering one shows its label (an SVG <title>).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dataflex {

struct ChartFrame {
  std::string id;  // the svg's data-chart attribute
  std::string title, x_label, y_label;
  bool y_from_zero = false;
};

struct ChartLine {
  std::string label;
  std::vector<double> x, y;
  std::string colour;
  double opacity = 1.0;
  bool dashed = false;
  bool steps = false;  // a histogram's outline: y[i] holds from x[i] to x[i + 1] (x has one more entry)
};

struct AreaLayer {
  std::string label;
  std::vector<double> y;  // one per x; the layers are stacked and shown as shares of their sum
  std::string colour;
};

std::string svg_line_chart(const ChartFrame& frame, const std::vector<ChartLine>& lines);
// Values hold from one x to the next (decisions apply until the next one); the last holds until x_end.
std::string svg_stacked_area(const ChartFrame& frame, const std::vector<double>& x, double x_end,
                             const std::vector<AreaLayer>& layers);

const std::string& palette_colour(std::size_t i);  // twenty distinct colours, cycling
std::string html_escape(std::string_view text);
std::string format_number(double v);  // 4 significant digits, no trailing zeros

}  // namespace dataflex
